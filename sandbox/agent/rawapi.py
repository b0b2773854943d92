"""The agent's reads of large lists: plain JSON (the generated client's models cost seconds per thousand
objects), always with a timeout."""
from __future__ import annotations

import json
import urllib.parse

from kubernetes import client

TIMEOUT_S = 15
METADATA_ONLY = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"


def get(api: client.ApiClient, path: str, accept: str = "application/json", timeout=TIMEOUT_S, **query: str):
    """A GET with the client's credentials; its response, unread (a watch reads it as a stream)."""
    if query:
        path = f"{path}?{urllib.parse.urlencode(query)}"
    method, url, headers, body, post = api.param_serialize("GET", path, header_params={"Accept": accept},
                                                           auth_settings=["BearerToken"])
    return api.call_api(method, url, headers, body, post, _request_timeout=timeout)


def get_json(api: client.ApiClient, path: str, accept: str = "application/json", **query: str) -> dict:
    response = get(api, path, accept, **query)
    data = response.read()
    if response.status >= 300:
        raise client.ApiException(status=response.status, reason=f"GET {path}: {data[:200]!r}")
    return json.loads(data)


def list_metadata(api: client.ApiClient, path: str, **query: str) -> list[dict]:
    """Only the metadata of each object (labels, owners): the API server leaves the rest out."""
    return get_json(api, path, METADATA_ONLY, **query)["items"] or []     # null when nothing matched


def pages(api: client.ApiClient, path: str, **query: str):
    """Each page of a list, 500 objects at a time (all pages are one snapshot: the last names its version)."""
    token = None
    while True:
        body = get_json(api, path, **query, limit="500", **({"continue": token} if token else {}))
        yield body
        token = body["metadata"].get("continue")
        if not token:
            return


def list_pages(api: client.ApiClient, path: str, **query: str):
    """Every object of a list, read 500 at a time."""
    for body in pages(api, path, **query):
        yield from body["items"] or []
