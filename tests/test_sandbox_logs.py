"""The sandbox's log shipping: promtail targets stay distinct across pod incarnations (recorded objects)."""
from pathlib import Path

from sandbox import logs
from sandbox.layout import Layout


def _pod(uid: str) -> dict:
    return {"metadata": {"name": "vault-1", "namespace": "vault-prod", "uid": uid},
            "spec": {"nodeName": "w1", "containers": [{"name": "vault"}]}}


def test_a_pod_back_under_the_same_name_on_the_same_node_is_a_new_target():
    """promtail 2.2.1 keys file targets by their labels without __path__; without the UID among them, a
    StatefulSet pod recreated on the same node kept its predecessor's path and shipped nothing (seen after a
    drain moved vault-1 back to its node)."""
    layout = Layout(Path("/nonexistent"))
    before, after = (logs.targets(layout, [_pod(uid)], ["w1"])[0]["labels"] for uid in ("uid-a", "uid-b"))
    assert before["__path__"] != after["__path__"]
    visible = [{k: v for k, v in labels.items() if not k.startswith("__")} for labels in (before, after)]
    assert visible[0] != visible[1]


def test_only_nodes_with_a_ready_agent_pod_get_a_promtail():
    agent = {"metadata": {"name": "promtail-x", "namespace": "monitoring", "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "promtail", "uid": "u"}]},
             "spec": {"nodeName": "w1", "containers": []},
             "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}
    assert logs.agent_nodes([agent], ready_nodes={"w1", "w2"}) == {"w1"}
    assert logs.agent_nodes([agent], ready_nodes={"w2"}) == set()
    assert logs.groups({"w1", "w2"}) == {"promtail-w1": ["w1"], "promtail-w2": ["w2"]}
    many = logs.groups({f"n{i:04d}" for i in range(1000)})
    assert len(many) == logs.MAX_PER_NODE and sorted(sum(many.values(), [])) == sorted(f"n{i:04d}" for i in range(1000))
