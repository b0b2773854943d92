"""One kind's objects kept current the way an informer keeps them: a list, then a watch from the list's
resourceVersion, a new list only when the watch's history is gone (410). The agent reads these copies instead
of listing a thousand nodes and their pods every round, which at that size was most of its CPU and much of
the API server's."""
from __future__ import annotations

import json
import threading
import time

from kubernetes import client
from kubernetes.watch.watch import iter_resp_lines

from sandbox.agent.rawapi import get, pages

WATCH_S = 55            # the server ends each watch after this; the next one resumes from the last version
READ_TIMEOUT_S = 90     # longer than WATCH_S (bookmarks keep the stream alive), so only a dead connection hits it
RETRY_S = 2.0


class Gone(Exception):
    """The watch's resourceVersion is older than the API server keeps: list again."""


class Mirror:
    def __init__(self, api: client.ApiClient, path: str, **query: str):
        self.api, self.path, self.query = api, path, query
        self.lock = threading.Lock()
        self.objects: dict[tuple[str, str], dict] = {}
        self.synced = threading.Event()
        self.changes = 0          # grows with every change seen: a reader can tell whether anything moved
        self.version: str | None = None     # of the last change seen; None: list again

    def items(self) -> list[dict]:
        with self.lock:
            return list(self.objects.values())

    def start(self) -> "Mirror":
        threading.Thread(target=self._run, name=f"mirror {self.path}", daemon=True).start()
        return self

    def _run(self) -> None:
        while True:
            try:
                if self.version is None:
                    self.version = self._list()
                self._watch()
            except Gone:
                self.version = None
            except Exception as exc:  # the API server restarting, a timeout: resume from where it was
                print(f"agent: watch {self.path}: {exc.__class__.__name__}: {exc}", flush=True)
                time.sleep(RETRY_S)

    def _list(self) -> str:
        """Every object, 500 at a time; the version to watch from is the list's (its last page's)."""
        objects, version = {}, ""
        for body in pages(self.api, self.path, **self.query):
            objects.update((_key(o), o) for o in body["items"] or [])
            version = body["metadata"]["resourceVersion"]
        with self.lock:
            self.objects, self.changes = objects, self.changes + 1
        self.synced.set()
        return version

    def _watch(self) -> None:
        response = get(self.api, self.path, timeout=(10, READ_TIMEOUT_S), **self.query, watch="1",
                       resourceVersion=self.version, allowWatchBookmarks="true",
                       timeoutSeconds=str(WATCH_S)).response
        try:
            if response.status == 410:
                raise Gone()
            if response.status >= 300:
                raise client.ApiException(status=response.status, reason=f"watch {self.path}")
            for line in iter_resp_lines(response):
                if not line:
                    continue
                event = json.loads(line)
                kind, obj = event["type"], event["object"]
                if kind == "ERROR":
                    if obj.get("code") == 410:
                        raise Gone()
                    raise client.ApiException(status=obj.get("code"), reason=obj.get("message"))
                self.version = obj["metadata"]["resourceVersion"]
                if kind == "BOOKMARK":
                    continue
                with self.lock:
                    if kind == "DELETED":
                        self.objects.pop(_key(obj), None)
                    else:
                        self.objects[_key(obj)] = obj
                    self.changes += 1
        finally:
            response.release_conn()


def _key(obj: dict) -> tuple[str, str]:
    return obj["metadata"].get("namespace", ""), obj["metadata"]["name"]
