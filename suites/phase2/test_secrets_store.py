"""P2-SECRETS-STORE: the secrets store is initialized, unsealed and serving.

Adversarial table P2-SECRETS-STORE:
- standby-without-active: a standby answers 429 (unsealed, standby) but has lost its connection to an active
  node (ha_connection_healthy false): nothing serves writes
- removed-from-cluster: a raft node removed from its cluster answers 530 and still says unsealed
- sealed-answering-200: a proxy in front answers 200 with a body that says sealed
- cached-answer: a caching proxy replays an old answer (server_time_utc hours ago)
- not-vault: something else answers 200 with a page (no initialized/sealed fields)
- performance-standby: 473, a read-only performance standby, is taken for the active node
"""
import time

from readiness.criteria import criterion
from readiness.evidence import attach_json
from readiness.verdict import CouldNotLook, fail

# What each answer of /v1/sys/health means (Vault and OpenBao document the same codes).
MEANING = {200: "initialized, unsealed and active", 429: "unsealed and standby",
           472: "disaster-recovery secondary (not serving clients)", 473: "performance standby (reads only)",
           501: "not initialized", 503: "sealed", 530: "removed from its cluster"}
MAX_CLOCK_GAP_S = 300       # an answer whose server time is further off was not made now (a cache replays it)


@criterion("P2-SECRETS-STORE", 2, "Secrets store unsealed and active", severity="blocker",
           requirement="The secrets store's health endpoint reports it initialized, unsealed and active (a standby "
                       "counts only where the profile allows it).",
           next_step="vault status: unseal a sealed store with its unseal keys (or fix auto-unseal), initialize a "
                     "new one; a standby answering means the active node is elsewhere: check it too.",
           needs=("vault",), profile_keys=("phase2.secrets_store",))
def test_secrets_store_initialized_unsealed_active(vault, profile):
    status, body = vault.health()
    attach_json("vault health", {"url": f"{vault.url}/v1/sys/health", "status": status, "body": body})
    meaning = MEANING.get(status)
    if meaning is None:
        raise CouldNotLook("vault", f"GET {vault.url}/v1/sys/health answered HTTP {status}, which Vault's health "
                                    "endpoint never answers", "invalid")
    facts = f"HTTP {status}, initialized={body['initialized']}, sealed={body['sealed']}, " \
            f"standby={body.get('standby')}, version {body.get('version', '?')}"
    server_time = body.get("server_time_utc")
    if isinstance(server_time, (int, float)) and abs(time.time() - server_time) > MAX_CLOCK_GAP_S:
        raise CouldNotLook("vault", f"GET {vault.url}/v1/sys/health answered with server time {server_time:.0f}, "
                                    f"{abs(time.time() - server_time):.0f}s away from now (a cached answer, or a clock "
                                    "that is wrong)", "stale")
    if status in (200, 429) and (body["sealed"] or not body["initialized"]):
        raise CouldNotLook("vault", f"GET {vault.url}/v1/sys/health answered HTTP {status} ({meaning}) but its body "
                                    f"says initialized={body['initialized']}, sealed={body['sealed']}: a proxy "
                                    "rewrites the answer", "invalid")
    if status == 200:
        return
    if status == 429 and profile.phase2.secrets_store.standby_ok:
        if body.get("ha_connection_healthy") is False:
            fail(f"vault {vault.url}: standby without a healthy connection to an active node "
                 f"(ha_connection_healthy=false; {facts})")
        return
    fail(f"vault {vault.url}: {meaning} ({facts})")
