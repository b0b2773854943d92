"""P2-CERTIFICATES: every TLS certificate is issued, ready, and far enough from expiry."""
import datetime as dt

from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.verdict import fail
from fixtures.kube import condition


@criterion("P2-CERTIFICATES", 2, "TLS certificates valid", severity="critical",
           requirement="The cluster has at least the profile's number of cert-manager Certificates, each Ready, "
                       "and none expires within the profile's minimum days left.",
           next_step="kubectl describe certificate: check the issuer and the ACME challenge; renew manually "
                     "with cmctl renew if renewal is stuck.", profile_keys=("phase2.certificates",))
def test_certificates_ready_and_not_expiring(snapshot, profile):
    spec = profile.phase2.certificates
    certs = snapshot.list("certificates")
    if certs is None:
        fail("crd certificates.cert-manager.io: not installed (cert-manager missing)")
    now = dt.datetime.now(dt.timezone.utc)
    problems, rows = [], []
    if len(certs) < spec.minimum:
        problems.append(f"cluster: {len(certs)} Certificates, expected at least {spec.minimum}")
    for cert in certs:
        ref = f"{cert['metadata']['namespace']}/{cert['metadata']['name']}"
        ready = condition(cert, "Ready") or {}
        not_after = cert.get("status", {}).get("notAfter")
        days = None
        if not_after:
            days = (dt.datetime.fromisoformat(not_after.replace("Z", "+00:00")) - now).total_seconds() / 86400
        rows.append([ref, ready.get("status"), not_after, f"{days:.1f}" if days is not None else "-"])
        if ready.get("status") != "True":
            problems.append(f"certificate {ref}: Ready={ready.get('status', 'missing')} "
                            f"({ready.get('reason', 'no reason')})")
        if days is None:
            problems.append(f"certificate {ref}: no status.notAfter (never issued)")
        elif days < spec.min_days_left:
            problems.append(f"certificate {ref}: expires in {days:.1f} days ({not_after}), expected at least "
                            f"{spec.min_days_left}")
    attach_table("certificates", ["certificate", "Ready", "notAfter", "days left"], rows)
    fail(problems)
