"""Regenerate the generated docs: the criteria catalog (docs/criteria.md) and one runbook page per criterion
(docs/runbooks), each naming the sandbox faults that rehearse it.

    python scripts/docs.py          # write
    python scripts/docs.py --check  # exit 1 if a committed page is stale
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plugin.catalog import load_all, markdown, runbook  # noqa: E402
from sandbox.faults.registry import FAULTS  # noqa: E402


def pages() -> dict[Path, str]:
    registry = load_all()
    out = {ROOT / "docs/criteria.md": markdown(registry)}
    for c in registry.values():
        faults = [(f.name, f.description) for f in FAULTS.values() if f.criterion == c.id]
        out[ROOT / "docs/runbooks" / f"{c.id}.md"] = runbook(c, faults)
    return out


def main(argv: list[str]) -> int:
    stale = [p for p, text in pages().items() if not p.exists() or p.read_text() != text]
    if "--check" in argv:
        for p in stale:
            print(f"stale: {p.relative_to(ROOT)} (run python scripts/docs.py)")
        return 1 if stale else 0
    for p, text in pages().items():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    print(f"wrote {len(stale)} changed page(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
