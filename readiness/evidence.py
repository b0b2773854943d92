"""Evidence for the Allure report: the objects looked at, the queries and their answers, the numbers."""
from __future__ import annotations

import json

import allure


def attach_json(name: str, data) -> None:
    allure.attach(json.dumps(data, indent=2, sort_keys=True, default=str), name=name,
                  attachment_type=allure.attachment_type.JSON)


def attach_table(name: str, headers: list[str], rows: list[list]) -> None:
    """A compact CSV table (Allure renders CSV attachments as tables)."""
    def cell(value) -> str:
        text = "" if value is None else str(value)
        return f'"{text.replace(chr(34), chr(34) * 2)}"' if any(c in text for c in ',"\n') else text
    lines = [",".join(headers)] + [",".join(cell(v) for v in row) for row in rows]
    allure.attach("\n".join(lines) + "\n", name=name, attachment_type=allure.attachment_type.CSV)


def attach_query(name: str, language: str, query: str, result) -> None:
    attach_json(name, {"language": language, "query": query, "result": result})


def attach_text(name: str, text: str) -> None:
    allure.attach(text, name=name, attachment_type=allure.attachment_type.TEXT)
