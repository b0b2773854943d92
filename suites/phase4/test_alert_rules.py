"""P4-ALERT-RULES: rules load and evaluate cleanly, and each critical service has an alert of its own."""
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.verdict import fail, require_data, require_listed


@criterion("P4-ALERT-RULES", 4, "Alert rules for critical services", severity="critical",
           requirement="Prometheus has rule groups loaded, every rule has been evaluated without error (health "
                       "ok: 'unknown' is a rule never evaluated), and an alerting rule labelled with each critical "
                       "service (label from the profile) exists.",
           next_step="Fix the rule named in the error (promtool check rules), and add an alert for each "
                     "uncovered service.", needs=("prometheus",),
           profile_keys=("phase4.alerting.critical_rule_label",))
def test_rules_healthy_and_every_critical_service_alerted(prometheus, profile):
    require_listed(profile.platform.critical, "platform.workloads[].critical", "critical workloads",
                   "P4-ALERT-RULES")
    groups = prometheus.rule_groups()
    require_data(groups, "prometheus rule groups", "/api/v1/rules")
    label = profile.phase4.alerting.critical_rule_label
    problems, rows, covered = [], [], set()
    for group in groups:
        for rule in group.get("rules", []):
            name = rule.get("name")
            rows.append([group["name"], rule.get("type"), name, rule.get("health"), rule.get("lastError", "")])
            if rule.get("health") == "unknown":
                problems.append(f"rule group {group['name']} rule {name}: health unknown (never evaluated; is the "
                                "group's evaluation stuck?)")
            elif rule.get("health") != "ok":
                problems.append(f"rule group {group['name']} rule {name}: health {rule.get('health')} "
                                f"({rule.get('lastError') or 'no error text'})")
            if rule.get("type") == "alerting" and rule.get("labels", {}).get(label):
                covered.add(rule["labels"][label])
    for workload in profile.platform.critical:
        if workload.name not in covered:
            problems.append(f"service {workload.ref}: no alerting rule with {label}={workload.name}")
    attach_table("rules", ["group", "type", "rule", "health", "last error"], rows)
    fail(problems)
