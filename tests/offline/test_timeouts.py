"""An endpoint that accepts the connection and never answers is broken within the configured timeout (plus
the one retry a read timeout gets), never a hang until the Job's deadline."""
from __future__ import annotations

import socket
import threading
import time

import pytest

from fixtures import http, monitoring
from fixtures.cache import SharedCache
from readiness.verdict import CouldNotLook

TIMEOUT_S = 1.0


@pytest.fixture
def silent_server():
    """Accepts every connection, reads nothing, answers nothing."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


@pytest.fixture
def short_timeouts(monkeypatch):
    monkeypatch.setattr(monitoring, "TIMEOUT_S", TIMEOUT_S)
    monkeypatch.setattr(http, "TIMEOUT_S", TIMEOUT_S)


@pytest.mark.parametrize("read", ["query", "targets"])
def test_a_prometheus_that_never_answers_is_broken_within_the_timeout(silent_server, short_timeouts, read):
    prometheus = monitoring.Prometheus(silent_server, SharedCache())
    started = time.monotonic()
    with pytest.raises(CouldNotLook) as raised:
        prometheus.query("up") if read == "query" else prometheus.active_targets()
    elapsed = time.monotonic() - started
    assert "timed out" in str(raised.value), raised.value
    assert elapsed < 4 * TIMEOUT_S + 2, f"took {elapsed:.1f}s with a {TIMEOUT_S}s timeout"
