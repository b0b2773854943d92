"""P2-CERTIFICATES: every TLS certificate is issued, ready, far enough from expiry, and really served.

Adversarial table P2-CERTIFICATES:
- ready-for-old-spec: Ready=True, but the condition's observedGeneration is older than the Certificate's
  generation: the new dnsNames were never issued
- renewal-stuck: Ready=True and months left, but renewalTime passed long ago and lastFailureTime is set:
  cert-manager keeps failing to renew (ACME challenge broken) and will until it expires
- not-yet-valid: Ready=True, but notBefore lies in the future (an issuer with a wrong clock)
- served-old-chain: every Certificate is fine, but the edge still serves an old certificate expiring soon
- served-other-name: the endpoint serves a valid certificate issued for another host name
- served-untrusted: the endpoint serves a self-signed certificate that no trusted root signs
- expired-still-ready: Ready=True (not re-evaluated) while notAfter has passed
"""
import datetime as dt

from readiness.criteria import criterion
from readiness.evidence import attach_json, attach_table
from readiness.per_profile import per_profile
from readiness.timing import age_s
from readiness.verdict import fail
from fixtures.kube import condition

RENEWAL_GRACE_S = 3600     # cert-manager renews at renewalTime; an hour later a healthy issuer has finished


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
            days = -age_s(not_after, now) / 86400
        rows.append([ref, ready.get("status"), not_after, f"{days:.1f}" if days is not None else "-"])
        status = cert.get("status") or {}
        generation, observed = cert["metadata"].get("generation"), ready.get("observedGeneration")
        if ready.get("status") != "True":
            problems.append(f"certificate {ref}: Ready={ready.get('status', 'missing')} "
                            f"({ready.get('reason', 'no reason')})")
        elif generation is not None and observed is not None and observed < generation:
            problems.append(f"certificate {ref}: Ready is for generation {observed}, the spec is at generation "
                            f"{generation} (not issued for the current spec)")
        renewal = age_s(status.get("renewalTime"), now)
        if renewal is not None and renewal > RENEWAL_GRACE_S:
            problems.append(f"certificate {ref}: renewal overdue since {status['renewalTime']}"
                            + (f" (last failure {status['lastFailureTime']}, "
                               f"{status.get('failedIssuanceAttempts', '?')} failed attempts)"
                               if status.get("lastFailureTime") else ""))
        not_before = age_s(status.get("notBefore"), now)
        if not_before is not None and not_before < 0:
            problems.append(f"certificate {ref}: not valid before {status['notBefore']} (in the future)")
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
