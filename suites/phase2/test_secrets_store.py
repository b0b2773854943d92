"""P2-SECRETS-STORE: the secrets store is initialized, unsealed and serving."""
from readiness.criteria import criterion
from readiness.evidence import attach_json
from readiness.verdict import CouldNotLook, fail

# What each answer of /v1/sys/health means (Vault and OpenBao document the same codes).
MEANING = {200: "initialized, unsealed and active", 429: "unsealed and standby",
           472: "disaster-recovery secondary (not serving clients)", 473: "performance standby",
           501: "not initialized", 503: "sealed"}


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
    if status == 200 and body["initialized"] and not body["sealed"]:
        return
    if status == 429 and profile.phase2.secrets_store.standby_ok and not body["sealed"]:
        return
    fail(f"vault {vault.url}: {meaning} ({facts})")
