"""P2-CERTIFICATES: every TLS certificate is issued, ready, far enough from expiry, and really served.

Adversarial table P2-CERTIFICATES:
- ready-for-old-spec: Ready=True, but the condition's observedGeneration is older than the Certificate's
  generation: the new dnsNames were never issued
- renewal-stuck: Ready=True and months left, but renewalTime passed long ago and lastFailureTime is set:
  cert-manager keeps failing to renew (ACME challenge broken) and will until it expires
- not-yet-valid: Ready=True, but notBefore lies in the future (an issuer with a wrong clock)
- served-old-chain: every Certificate is fine, but the edge still serves an old certificate expiring soon
- served-intermediate-expiring: the served leaf has months left, but the intermediate that signed it expires in
  days (a CA issuer signs past its own expiry; the chain verifies today and not next week)
- served-other-name: the endpoint serves a valid certificate issued for another host name
- served-untrusted: the endpoint serves a self-signed certificate that no trusted root signs
- expired-still-ready: Ready=True (not re-evaluated) while notAfter has passed
- issuer-not-ready: every Certificate is Ready, but the issuer it names is Ready=False (its CA Secret deleted, its
  ACME account gone): nothing is wrong today, and every renewal will fail
- issuer-missing: the issuerRef names an Issuer or ClusterIssuer that does not exist
- issuer-elsewhere: the issuerRef names an Issuer (namespaced, the default kind) that exists only in another
  namespace
- issuer-ready-for-old-spec: the issuer's Ready condition is for an older generation of its spec (a new ACME
  server or CA Secret not yet validated)
- issuer-being-deleted: the issuer is Ready but has a deletionTimestamp (held by a finalizer)
- being-deleted: a Certificate held by a finalizer with a healthy, frozen status: cert-manager no longer renews it,
  and it does not count towards the minimum
- issuance-failing: Ready, months left and renewalTime ahead, but lastFailureTime is set (a manual renew or a spec
  change keeps failing to issue)
- renewal-disabled: spec.renewal.policy Disabled: Ready today, never renewed
- ready-without-generation: a Ready condition without observedGeneration cannot be tied to the current spec
"""
import datetime as dt

from readiness.criteria import criterion
from readiness.evidence import attach_json, attach_table
from readiness.per_profile import per_profile
from readiness.timing import age_s
from readiness.verdict import fail
from fixtures.kube import condition

RENEWAL_GRACE_S = 3600     # cert-manager renews at renewalTime; an hour later a healthy issuer has finished
CLOCK_SKEW_S = 300         # a notBefore this far ahead of our clock is the clocks' difference, not a wrong issuer
CERT_MANAGER_GROUP = "cert-manager.io"


CERTIFICATES = dict(
    id="P2-CERTIFICATES", phase=2, title="TLS certificates valid", severity="critical",
    requirement="The cluster has at least the profile's number of cert-manager Certificates, each Ready, none "
                "expiring within the profile's minimum days left, and each naming an existing issuer that is Ready "
                "(so it can renew; an external issuer's readiness is not judged); and each hostname the profile lists serves, in "
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
    issuers = {kind: snapshot.list(plural) for kind, plural in (("Issuer", "issuers"),
                                                                ("ClusterIssuer", "clusterissuers"))}
    missing_crds = [f"crd {plural}.{CERT_MANAGER_GROUP}" for plural, found in zip(("issuers", "clusterissuers"),
                                                                                  issuers.values()) if found is None]
    if missing_crds:
        fail(f"{', '.join(missing_crds)}: not installed (cert-manager incomplete)")
    now = dt.datetime.now(dt.timezone.utc)
    problems, rows, counted = [], [], 0
    for cert in certs:
        ref = f"{cert['metadata']['namespace']}/{cert['metadata']['name']}"
        status = cert.get("status") or {}
        days = -age_s(status["notAfter"], now) / 86400 if status.get("notAfter") else None
        issuer, issuer_problem = issuer_of(cert, issuers)
        rows.append([ref, (condition(cert, "Ready") or {}).get("status"), status.get("notAfter"),
                     f"{days:.1f}" if days is not None else "-", issuer])
        counted += not cert["metadata"].get("deletionTimestamp")
        problems += [f"certificate {ref}: {p}" for p in
                     [issuer_problem, *certificate_problems(cert, days, now, spec.min_days_left)] if p]
    if counted < spec.minimum:
        problems.insert(0, f"cluster: {counted} Certificates (not being deleted), expected at least {spec.minimum}")
    attach_table("certificates", ["certificate", "Ready", "notAfter", "days left", "issuer"], rows)
    fail(problems)


def certificate_problems(cert: dict, days: float | None, now: dt.datetime, min_days_left: float) -> list[str]:
    """Why one Certificate is not issued for its spec, renewing and far from expiry (types_certificate.go)."""
    meta, status = cert["metadata"], cert.get("status") or {}
    ready = condition(cert, "Ready") or {}
    problems = []
    if meta.get("deletionTimestamp"):
        # cert-manager's controllers leave a Certificate being deleted alone: its status is frozen
        problems.append(f"being deleted since {meta['deletionTimestamp']}: it will not be renewed")
    generation, observed = meta.get("generation"), ready.get("observedGeneration")
    if ready.get("status") != "True":
        problems.append(f"Ready={ready.get('status', 'missing')} ({ready.get('reason', 'no reason')})")
    elif observed is None or (generation is not None and observed < generation):
        problems.append(f"Ready is for generation {observed if observed is not None else 'unknown'}, the spec is "
                        f"at generation {generation} (not issued for the current spec)")
    if ((cert.get("spec") or {}).get("renewal") or {}).get("policy") == "Disabled":
        problems.append("renewal disabled (spec.renewal.policy Disabled): it will expire")
    if status.get("lastFailureTime"):
        # set only while the latest issuance has failed (CertificateStatus.LastFailureTime)
        problems.append(f"its latest issuance failed at {status['lastFailureTime']} "
                        f"({status.get('failedIssuanceAttempts', '?')} failed attempts)")
    renewal = age_s(status.get("renewalTime"), now)
    if renewal is not None and renewal > RENEWAL_GRACE_S:
        problems.append(f"renewal overdue since {status['renewalTime']}")
    not_before = age_s(status.get("notBefore"), now)
    if not_before is not None and not_before < -CLOCK_SKEW_S:
        problems.append(f"not valid before {status['notBefore']} (in the future)")
    if days is None:
        problems.append("no status.notAfter (never issued)")
    elif days < min_days_left:
        problems.append(f"expires in {days:.1f} days ({status['notAfter']}), expected at least {min_days_left}")
    return problems


def issuer_of(cert: dict, issuers: dict[str, list[dict]]) -> tuple[str, str | None]:
    """(the issuer a Certificate names, why it cannot issue or renew now, or None). cert-manager's own kinds
    are judged by their Ready condition; an external issuer (another API group) is named but not judged: its
    status is its controller's own."""
    ref = (cert.get("spec") or {}).get("issuerRef") or {}
    kind, name = ref.get("kind") or "Issuer", ref.get("name")
    group = ref.get("group") or CERT_MANAGER_GROUP
    namespace = cert["metadata"]["namespace"]
    if not name:
        return "-", "no spec.issuerRef.name"
    label = f"{kind}/{name}" if kind == "ClusterIssuer" else f"{kind} {namespace}/{name}"
    if group != CERT_MANAGER_GROUP:
        return f"{label} ({group}, not judged)", None
    if kind not in issuers:
        return label, f"issuerRef kind {kind!r} is not one of cert-manager's (Issuer, ClusterIssuer)"
    found = [i for i in issuers[kind] if i["metadata"]["name"] == name
             and (kind == "ClusterIssuer" or i["metadata"].get("namespace") == namespace)]
    if not found:
        return label, f"issuer {label} not found"
    ready = condition(found[0], "Ready") or {}
    generation, observed = found[0]["metadata"].get("generation"), ready.get("observedGeneration")
    if found[0]["metadata"].get("deletionTimestamp"):
        return label, f"issuer {label} is being deleted (since {found[0]['metadata']['deletionTimestamp']})"
    if ready.get("status") != "True":
        return label, (f"issuer {label} Ready={ready.get('status', 'missing')} ({ready.get('reason', 'no reason')}: "
                       f"{ready.get('message', '')[:160]}); it cannot renew")
    if observed is None or (generation is not None and observed < generation):
        return label, (f"issuer {label} Ready is for generation {observed or 'unknown'}, its spec is at generation "
                       f"{generation} (not validated yet)")
    return label, None


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
        which = "" if seen.get("expires_first") in (None, seen.get("subject")) else \
            f" (its chain's {seen['expires_first']} first)"
        fail(f"served certificate {endpoint.host} ({host}:{port}): expires in {days:.1f} days ({seen['not_after']})"
             f"{which}, expected at least {profile.phase2.certificates.min_days_left}")
