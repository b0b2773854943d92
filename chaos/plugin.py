"""Chaos wiring: the node-chaos fixture, SIGTERM as an interrupt, and the next run's restore of leftovers."""
from __future__ import annotations

import signal
import threading

import pytest

from chaos.ledger import Ledger
from chaos.nodes import NodeChaos, RestoreError
from fixtures.live import LiveCluster
from fixtures.stash import TARGET_KEY


def _live(target) -> LiveCluster:
    api = target.api_client()
    return LiveCluster(api, api.configuration.host, target.context)


def node_chaos_for(target) -> NodeChaos:
    # In the sandbox, a failed node must also stop heartbeating: its env.json names the label that does it.
    return NodeChaos(_live(target), Ledger(), target.sandbox.get("heartbeat_label"))


def _sigterm_as_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    # SIGTERM takes the same path as Ctrl-C, so every chaos `with` block and fixture teardown restores.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _sigterm_as_interrupt)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Before anything runs, put back what an earlier, killed run left changed."""
    config = session.config
    if hasattr(config, "workerinput") or TARGET_KEY not in config.stash:
        return
    target = config.stash[TARGET_KEY]
    ledger = Ledger()
    api_server = target.api_client().configuration.host
    if not ledger.records(api_server) and not config.getoption("allow_chaos"):
        return
    try:
        done, left = node_chaos_for(target).restore_leftovers()
    except RestoreError as exc:
        raise pytest.UsageError(f"chaos: changes left by an earlier run could not be restored ({exc}); "
                                "fix them, then run `python -m chaos restore`") from None
    except Exception as exc:  # an unreachable cluster is reported by the checks themselves
        config.issue_config_time_warning(pytest.PytestWarning(f"chaos: could not look for leftovers: {exc}"), 2)
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    for line in done:
        if reporter:
            reporter.write_line(f"chaos: restored what an earlier run left: {line}", yellow=True)
    for line in left:
        if reporter:
            reporter.write_line(f"chaos: another run's chaos in progress, left to it: {line}", yellow=True)


@pytest.fixture(scope="session")
def node_chaos(target) -> NodeChaos:
    return node_chaos_for(target)
