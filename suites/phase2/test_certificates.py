"""P2-CERTIFICATES: every TLS certificate is issued, ready, far enough from expiry, and really served."""
import datetime as dt

from readiness.criteria import criterion
from readiness.evidence import attach_json, attach_table
from readiness.per_profile import per_profile
from readiness.verdict import fail
from fixtures.kube import condition


CERTIFICATES = dict(
    id="P2-CERTIFICATES", phase=2, title="TLS certificates valid", severity="critical",
    requirement="The cluster has at least the profile's number of cert-manager Certificates, each Ready and none "
                "expiring within the profile's minimum days left; and each hostname the profile lists serves, in "
                "a TLS handshake, a chain that verifies for that name against the trusted roots and does not expire "
                "within those days either.",
    next_step="kubectl describe certificate: check the issuer and the ACME challenge; renew manually with cmctl "
              "renew if renewal is stuck; a served chain that differs from the Certificate means the ingress or "
              "tunnel still holds an old secret.", profile_keys=("phase2.certificates",))


@criterion(**CERTIFICATES)
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


@criterion(**CERTIFICATES)
@per_profile("endpoint", "phase2.certificates.served", "served hostnames")
def test_served_certificate_verifies_and_is_not_expiring(tls, profile, endpoint):
    host, port = endpoint.connect
    seen = tls.served(host, port, endpoint.host)
    attach_json("tls handshake", {"connect": f"{host}:{port}", "server_name": endpoint.host,
                                  "ca_bundle": profile.phase2.certificates.ca_bundle or "system roots", **seen})
    if not seen["verified"]:
        fail(f"served certificate {endpoint.host} ({host}:{port}): does not verify: {seen['error']}")
    days = (dt.datetime.fromisoformat(seen["not_after"]) - dt.datetime.now(dt.timezone.utc)).total_seconds() / 86400
    if days < profile.phase2.certificates.min_days_left:
        fail(f"served certificate {endpoint.host} ({host}:{port}): expires in {days:.1f} days ({seen['not_after']}), "
             f"expected at least {profile.phase2.certificates.min_days_left}")
