"""P4-ALERT-RULES: rules load and evaluate cleanly, and each critical service has an alert of its own."""
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.verdict import fail, require_data


@criterion("P4-ALERT-RULES", 4, "Alert rules for critical services", severity="critical",
           requirement="Prometheus has rule groups loaded, no rule reports an evaluation error, and an alerting "
                       "rule labelled with each critical service (label from the profile, default 'service') "
                       "exists.",
           next_step="Fix the rule named in the error (promtool check rules), and add an alert for each "
                     "uncovered service.", needs=("prometheus",))
def test_rules_healthy_and_every_critical_service_alerted(prometheus, profile):
    groups = prometheus.rule_groups()
    require_data(groups, "prometheus rule groups", "/api/v1/rules")
    label = profile.phase4.alerting.critical_rule_label
    problems, rows, covered = [], [], set()
    for group in groups:
        for rule in group.get("rules", []):
            name = rule.get("name")
            rows.append([group["name"], rule.get("type"), name, rule.get("health"), rule.get("lastError", "")])
            if rule.get("health") not in ("ok", "unknown"):
                problems.append(f"rule group {group['name']} rule {name}: health {rule.get('health')} "
                                f"({rule.get('lastError') or 'no error text'})")
            if rule.get("type") == "alerting" and rule.get("labels", {}).get(label):
                covered.add(rule["labels"][label])
    for workload in profile.platform.critical:
        if workload.name not in covered:
            problems.append(f"service {workload.ref}: no alerting rule with {label}={workload.name}")
    attach_table("rules", ["group", "type", "rule", "health", "last error"], rows)
    fail(problems)
