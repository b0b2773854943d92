"""Phase 5's adversarial rows (suites/phase5/*.py docstrings) on recorded inputs: Velero and batch/v1 objects as
their controllers write them, each broken the way the row says while its objects still look fine."""
from __future__ import annotations

import copy

import pytest

from readiness.profile import load_profile
from suites.phase5.test_backups import test_backup_storage_locations_available_and_validated as location_check
from suites.phase5.test_backups import test_enabled_schedules_cover_every_namespace_with_retention as schedule_check
from suites.phase5.test_backups import test_latest_backup_of_each_schedule_completed_recently as recent_check
from suites.phase5.test_backups import test_restore_from_scheduled_backup_completed_recently as restore_check
from suites.phase5.test_db_backups import test_database_backup_cronjob_succeeds_recently as db_check
from readiness.timing import age_s
from tests.builders import cond, stamp
from tests.fakes import FakeSnapshot, empty_world, failed_with, run_check
from tests.suite_runner import ROOT

PROFILE = load_profile(ROOT / "profiles" / "sandbox.yaml")
PLATFORM = PROFILE.backup_namespaces
V = "velero"
HOUR, DAY = 3600, 86400


def bsl(name: str = "default", default: bool = True, validated_s_ago: float | None = 60, **spec) -> dict:
    status = {} if validated_s_ago is None else {"phase": "Available", "lastValidationTime": stamp(validated_s_ago),
                                                 "lastSyncedTime": stamp(60)}
    return {"kind": "BackupStorageLocation", "metadata": {"namespace": V, "name": name},
            "spec": {"provider": "aws", "default": default, "objectStorage": {"bucket": "b"}, **spec}, "status": status}


def schedule(name: str = "daily", status: dict | None = None, paused: bool = False, **template) -> dict:
    template = {"includedNamespaces": ["*"], "ttl": "720h0m0s", **template}
    return {"kind": "Schedule", "metadata": {"namespace": V, "name": name},
            "spec": {"schedule": "0 2 * * *", "paused": paused, "skipImmediately": False, "template": template},
            "status": {"phase": "Enabled", "lastBackup": stamp(2 * HOUR)} if status is None else status}


def backup(name: str = "daily-1", of: str | None = "daily", started_s_ago: float = 2 * HOUR, phase: str = "Completed",
           items: int = 400, spec: dict | None = None, **status) -> dict:
    labels = {"velero.io/schedule-name": of} if of else {}
    return {"kind": "Backup", "metadata": {"namespace": V, "name": name, "labels": labels},
            "spec": {"includedNamespaces": ["*"], "ttl": "720h0m0s", "storageLocation": "default",
                     "defaultVolumesToFsBackup": False,
                     "excludedNamespaceScopedResources": ["volumesnapshots.snapshot.storage.k8s.io"], **(spec or {})},
            "status": {"version": 1, "formatVersion": "1.1.0", "phase": phase, "startTimestamp": stamp(started_s_ago),
                       "completionTimestamp": stamp(started_s_ago - 600),
                       "expiration": stamp(started_s_ago - 30 * DAY),
                       "progress": {"totalItems": items, "itemsBackedUp": items} if items else {},
                       "volumeSnapshotsAttempted": 2, "volumeSnapshotsCompleted": 2, **status}}


def restore(name: str = "restore-test", source: str = "daily-1", completed_s_ago: float = DAY, phase: str = "Completed",
            items: int = 120, spec: dict | None = None, **status) -> dict:
    return {"kind": "Restore",
            "metadata": {"namespace": V, "name": name, "creationTimestamp": stamp(completed_s_ago + 540)},
            "spec": {"backupName": source, "scheduleName": "daily", "includedNamespaces": ["data-platform"],
                     "namespaceMapping": {"data-platform": "restore-test"}, "excludedResources": ["nodes", "events"],
                     **(spec or {})},
            "status": {"phase": phase, "startTimestamp": stamp(completed_s_ago + 540),
                       "completionTimestamp": stamp(completed_s_ago),
                       "progress": {"totalItems": items, "itemsRestored": items} if items else {}, **status}}


def namespace(name: str, **labels) -> dict:
    return {"kind": "Namespace", "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name, **labels}}}


def claim(ns: str, name: str) -> dict:
    return {"kind": "PersistentVolumeClaim", "metadata": {"namespace": ns, "name": name,
                                                          "creationTimestamp": stamp(200 * DAY)}, "spec": {}}


def pod(ns: str, app: str) -> dict:
    return {"kind": "Pod", "metadata": {"namespace": ns, "name": f"{app}-0", "labels": {"app": app}}, "spec": {},
            "status": {"phase": "Running"}}


RESTORED_BY, BACKED_UP_BY = "velero.io/restore-name", "velero.io/backup-name"
KIND_LISTS = {"Deployment": "deployments", "StatefulSet": "statefulsets", "Service": "services",
              "PersistentVolumeClaim": "persistentvolumeclaims", "CronJob": "cronjobs"}
LIVE = [("Deployment", "trino"), ("Deployment", "superset"), ("StatefulSet", "postgresql"), ("Service", "trino")]
CLAIMS = ["data-postgresql-0", "data-kafka-0"]
SCRATCH_CREATED_S_AGO = DAY + 530       # while the default restore ran


def top_level(kind: str, ns: str, name: str, created_s_ago: float = 200 * DAY, restored_by: str | None = None,
              backup_name: str = "daily-1") -> dict:
    labels = {"app": name, **({RESTORED_BY: restored_by, BACKED_UP_BY: backup_name} if restored_by else {})}
    return {"kind": kind, "metadata": {"namespace": ns, "name": name, "labels": labels,
                                       "creationTimestamp": stamp(created_s_ago)}, "spec": {}}


def copied() -> list[tuple[str, str]]:
    """What a restore of data-platform copies of the default world: its workloads, service, claims and the
    database backup CronJob."""
    return LIVE + [("PersistentVolumeClaim", c) for c in CLAIMS] + [("CronJob", DB.name)]


def drill_copies(target: str = "restore-test", restored_by: str | None = "restore-test", live=None) -> list[dict]:
    """data-platform's workloads and service, and the copies a restore named ``restored_by`` made of ``live``
    (default: everything, ``copied``) in ``target`` while the default restore ran."""
    return [top_level(kind, "data-platform", name) for kind, name in LIVE] + \
        [top_level(kind, target, name, SCRATCH_CREATED_S_AGO, restored_by) for kind, name in
         (copied() if live is None else live)]


def scratch(name: str = "restore-test", created_s_ago: float = SCRATCH_CREATED_S_AGO) -> dict:
    made = namespace(name)
    made["metadata"]["creationTimestamp"] = stamp(created_s_ago)
    return made


def drills(restores: list[dict]) -> tuple[list[dict], list[dict]]:
    """The scratch namespaces the Completed restores created and the copies they made there, as Velero does: the
    namespace at the restore's start, each copy (data-platform's objects and claims) seconds later."""
    made, copies = {}, []
    for r in restores:
        target = ((r.get("spec") or {}).get("namespaceMapping") or {}).get("data-platform")
        if (r.get("status") or {}).get("phase") != "Completed" or not target or target == "data-platform":
            continue
        began = age_s(r["status"]["startTimestamp"])
        made[target] = min(made.get(target, began), began)
        copies += [top_level(kind, target, name, began - 10, r["metadata"]["name"], r["spec"]["backupName"])
                   for kind, name in copied()]
    return [scratch(target, began - 2) for target, began in made.items()], copies


def world(profile=PROFILE, locations=None, schedules=None, backups=None, restores=None, namespaces=None,
          claims=None, pods=None, cronjobs=None, jobs=None, objects=None) -> dict:
    restores = [restore()] if restores is None else restores
    made, copies = drills(restores)
    listed: dict[str, list] = {}
    live = [top_level(kind, "data-platform", name) for kind, name in LIVE] + copies
    for obj in live if objects is None else objects:
        listed.setdefault(KIND_LISTS[obj["kind"]], []).append(obj)
    claims = [claim("data-platform", c) for c in CLAIMS] if claims is None else claims
    objects = {
        **listed,
        "backupstoragelocations": [bsl()] if locations is None else locations,
        "schedules": [schedule()] if schedules is None else schedules,
        "backups": [backup()] if backups is None else backups,
        "restores": restores,
        "namespaces": [namespace(n) for n in PLATFORM + ["kube-system", V]] + made if namespaces is None else namespaces,
        "persistentvolumeclaims": claims + listed.pop("persistentvolumeclaims", []),
        "pods": [pod("data-platform", a) for a in ("trino", "superset", "kafka")] if pods is None else pods,
        "cronjobs": ([cronjob()] if cronjobs is None else cronjobs) + listed.pop("cronjobs", []),
        "jobs": [job()] if jobs is None else jobs}
    return {**empty_world(profile), "snapshot": FakeSnapshot(objects)}


# --- P5-BACKUP-LOCATION ---------------------------------------------------------------------------------------

def test_healthy_location_passes():
    assert run_check(location_check, world()) == ("passed", "")


@pytest.mark.row("P5-BACKUP-LOCATION", "stale-validation")
def test_a_location_validated_days_ago_fails():
    failed_with(location_check, world(locations=[bsl(validated_s_ago=3 * DAY)]),
                "backupstoragelocation velero/default: last validated 3.0d ago, expected within 2m")


@pytest.mark.row("P5-BACKUP-LOCATION", "never-validated")
def test_a_location_without_status_fails():
    failed_with(location_check, world(locations=[bsl(validated_s_ago=None)]),
                "backupstoragelocation velero/default: phase unknown",
                "last validated never (no status.lastValidationTime)")


@pytest.mark.row("P5-BACKUP-LOCATION", "validation-in-future")
def test_a_location_validated_in_the_future_fails():
    failed_with(location_check, world(locations=[bsl(validated_s_ago=-3 * DAY)]),
                "backupstoragelocation velero/default: status.lastValidationTime", "is 3.0d in the future")


@pytest.mark.row("P5-BACKUP-LOCATION", "read-only")
def test_a_read_only_location_fails():
    failed_with(location_check, world(locations=[bsl(accessMode="ReadOnly")]),
                "backupstoragelocation velero/default: accessMode ReadOnly, so Velero refuses every backup to it")


@pytest.mark.row("P5-BACKUP-LOCATION", "validation-disabled")
def test_a_location_whose_validation_is_disabled_fails():
    failed_with(location_check, world(locations=[bsl(validationFrequency="0s")]),
                "backupstoragelocation velero/default: validationFrequency 0s: Velero never validates it again")


@pytest.mark.row("P5-BACKUP-LOCATION", "missing-location")
def test_a_schedule_writing_to_a_missing_location_fails():
    failed_with(location_check, world(schedules=[schedule(storageLocation="secondary")]),
                "backupstoragelocation velero/secondary: used by schedule velero/daily but not found")


@pytest.mark.row("P5-BACKUP-LOCATION", "no-default")
def test_a_schedule_without_location_needs_a_default_one():
    failed_with(location_check, world(locations=[bsl("secondary", default=False)]),
                "schedule velero/daily: names no storage location and none is the default")


def test_a_location_only_an_unvalidated_schedule_names_is_not_judged():
    assert run_check(location_check, world(schedules=[schedule(), schedule("new", status={},
                                                                           storageLocation="gone")])) == ("passed", "")


def test_a_location_named_default_is_the_servers_default_when_none_is_marked():
    # velero server --default-backup-storage-location defaults to "default"
    assert run_check(location_check, world(locations=[bsl(default=False)])) == ("passed", "")
    failed_with(location_check, world(locations=[bsl(default=False, validated_s_ago=3 * DAY)]),
                "backupstoragelocation velero/default: last validated 3.0d ago")


def test_a_negative_validation_frequency_is_the_servers():
    assert run_check(location_check, world(locations=[bsl(validationFrequency="-1m")])) == ("passed", "")


def test_a_validation_frequency_velero_cannot_read_fails():
    failed_with(location_check, world(locations=[bsl(validationFrequency="1d")]),
                "backupstoragelocation velero/default: validationFrequency '1d' is not a Go duration")


def test_no_schedules_still_judges_the_default_location():
    assert run_check(location_check, world(schedules=[])) == ("passed", "")
    failed_with(location_check, world(schedules=[], locations=[bsl(accessMode="ReadOnly")]),
                "backupstoragelocation velero/default: accessMode ReadOnly")


# --- P5-BACKUP-SCHEDULE ---------------------------------------------------------------------------------------

def test_healthy_schedule_passes():
    assert run_check(schedule_check, world()) == ("passed", "")


def test_file_system_backup_protects_volumes_without_snapshots():
    fixtures = world(schedules=[schedule(snapshotVolumes=False, defaultVolumesToFsBackup=True)])
    assert run_check(schedule_check, fixtures) == ("passed", "")


def test_a_reviewed_resource_policy_and_an_allowed_exclusion_narrow_nothing():
    profile = PROFILE.model_copy(update={"phase5": PROFILE.phase5.model_copy(update={
        "reviewed_resource_policies": ["volume-policy"], "excludable_resources": ["events"]})})
    fixtures = world(profile, schedules=[schedule(resourcePolicy={"kind": "configmap", "name": "volume-policy"},
                                                  excludedNamespaceScopedResources=["events"])])
    assert run_check(schedule_check, fixtures) == ("passed", "")


def test_selectors_that_select_everything_cover_the_namespaces():
    for narrowing in ({"labelSelector": {}}, {"orLabelSelectors": []}, {"orLabelSelectors": [None, {}]}):
        assert run_check(schedule_check, world(schedules=[schedule(**narrowing)])) == ("passed", ""), narrowing


def test_a_null_or_label_selector_selects_nothing():
    failed_with(schedule_check, world(schedules=[schedule(orLabelSelectors=[None])]),
                "velero/daily: backs up only the objects its orLabelSelectors null select (0 of 3 pods in "
                "data-platform)")


def test_globs_that_take_every_platform_namespace_cover_it():
    fixtures = world(schedules=[schedule(includedNamespaces=["data-*", "*-prod", "c?????????-tunnel", "[ci]*",
                                                             "monitoring"])])
    assert run_check(schedule_check, fixtures) == ("passed", "")


@pytest.mark.row("P5-BACKUP-SCHEDULE", "unvalidated")
def test_a_schedule_velero_never_validated_does_not_count():
    failed_with(schedule_check, world(schedules=[schedule(status={})]),
                "schedule velero/daily: never validated by Velero (no status.phase)",
                "namespace data-platform: no validated, unpaused schedule with enough retention backs it up whole")


@pytest.mark.row("P5-BACKUP-SCHEDULE", "phase-new")
def test_a_new_schedule_does_not_count():
    failed_with(schedule_check, world(schedules=[schedule(status={"phase": "New"})]),
                "schedule velero/daily: phase New: not yet validated by Velero", "namespace vault-prod: no validated")


@pytest.mark.row("P5-BACKUP-SCHEDULE", "failed-validation")
def test_a_schedule_that_failed_validation_does_not_count():
    status = {"phase": "FailedValidation", "validationErrors": ["invalid schedule: expected exactly 5 fields"]}
    failed_with(schedule_check, world(schedules=[schedule(status=status)]),
                "schedule velero/daily: phase FailedValidation (invalid schedule: expected exactly 5 fields)")


@pytest.mark.row("P5-BACKUP-SCHEDULE", "invalid-template")
def test_a_schedule_whose_backups_all_fail_validation_does_not_count():
    bad = schedule(labelSelector={"matchLabels": {"app": "trino"}}, orLabelSelectors=[{"matchLabels": {"app": "x"}}])
    failed_with(schedule_check, world(schedules=[bad]),
                "schedule velero/daily: Velero fails every backup of it (labelSelector and orLabelSelectors both set")


@pytest.mark.row("P5-BACKUP-SCHEDULE", "selector-narrows")
def test_a_label_selector_matching_nothing_does_not_cover_the_namespaces():
    failed_with(schedule_check, world(schedules=[schedule(labelSelector={"matchLabels": {"backup": "yes"}})]),
                "namespace data-platform: no validated, unpaused schedule with enough retention backs it up whole "
                "(velero/daily: backs up only the objects its labelSelector backup=yes selects (0 of 3 pods in "
                "data-platform))")


@pytest.mark.row("P5-BACKUP-SCHEDULE", "or-selectors-narrow")
def test_or_label_selectors_naming_some_apps_do_not_cover_the_namespace():
    selectors = [{"matchLabels": {"app": "trino"}}, {"matchLabels": {"app": "superset"}}]
    failed_with(schedule_check, world(schedules=[schedule(orLabelSelectors=selectors)]),
                "velero/daily: backs up only the objects its orLabelSelectors app=trino | app=superset select "
                "(2 of 3 pods in data-platform)")


@pytest.mark.row("P5-BACKUP-SCHEDULE", "resources-narrow")
def test_a_schedule_of_configmaps_only_does_not_cover_the_namespaces():
    failed_with(schedule_check, world(schedules=[schedule(includedResources=["configmaps"])]),
                "namespace cert-manager: no validated",
                "velero/daily: backs up only the resources configmaps (includedResources)")


@pytest.mark.row("P5-BACKUP-SCHEDULE", "scoped-resources-narrow")
def test_excluded_namespace_scoped_resources_leave_the_namespace_incomplete():
    narrowed = schedule(excludedNamespaceScopedResources=["secrets", "persistentvolumeclaims"])
    failed_with(schedule_check, world(schedules=[narrowed]),
                "leaves out the resources secrets, persistentvolumeclaims (excludedNamespaceScopedResources)")


@pytest.mark.row("P5-BACKUP-SCHEDULE", "glob-excludes")
def test_an_exclude_glob_drops_the_namespaces_it_matches():
    message = failed_with(schedule_check, world(schedules=[schedule(excludedNamespaces=["*-prod"])]),
                          "namespace vault-prod: no validated, unpaused schedule with enough retention backs it up "
                          "whole")
    assert "namespace data-platform" not in message


@pytest.mark.row("P5-BACKUP-SCHEDULE", "glob-misses")
def test_an_include_glob_covers_only_the_namespaces_it_matches():
    message = failed_with(schedule_check, world(schedules=[schedule(includedNamespaces=["data-*"])]),
                          "namespace vault-prod: no validated", "namespace monitoring: no validated")
    assert "namespace data-platform" not in message


@pytest.mark.row("P5-BACKUP-SCHEDULE", "volumes-unprotected")
def test_no_snapshots_and_no_file_system_backup_leave_volume_data_out():
    message = failed_with(schedule_check, world(schedules=[schedule(snapshotVolumes=False)]),
                          "namespace data-platform: no validated, unpaused schedule with enough retention backs it up "
                          "whole (velero/daily: snapshotVolumes false without file-system backup "
                          "(defaultVolumesToFsBackup): the data of its 2 PersistentVolumeClaims in data-platform is "
                          "not backed up)")
    assert "namespace vault-prod" not in message        # no claims there: nothing of it is left out


@pytest.mark.row("P5-BACKUP-SCHEDULE", "namespace-label-excluded")
def test_a_namespace_labelled_exclude_from_backup_is_not_covered():
    labels = [namespace(n, **({"velero.io/exclude-from-backup": "true"} if n == "vault-prod" else {}))
              for n in PLATFORM]
    failed_with(schedule_check, world(namespaces=labels),
                "namespace vault-prod: labelled velero.io/exclude-from-backup=true, which Velero leaves out of every "
                "backup")


@pytest.mark.row("P5-BACKUP-SCHEDULE", "default-ttl-short")
def test_the_server_default_ttl_seen_on_backups_is_judged():
    no_ttl = schedule()
    del no_ttl["spec"]["template"]["ttl"]
    short = backup(expiration=stamp(2 * HOUR - 3 * DAY))
    failed_with(schedule_check, world(schedules=[no_ttl], backups=[short]),
                "schedule velero/daily: no ttl: the server's default, 3.0d on backup daily-1, expected at least 720h")


def test_no_ttl_and_no_backup_cannot_show_retention():
    no_ttl = schedule()
    del no_ttl["spec"]["template"]["ttl"]
    failed_with(schedule_check, world(schedules=[no_ttl], backups=[]),
                "schedule velero/daily: no ttl: the server's default applies, and no backup of it shows what that is")


@pytest.mark.row("P5-BACKUP-SCHEDULE", "unreviewed-resource-policy")
def test_an_unreviewed_resource_policy_may_narrow_the_backup():
    failed_with(schedule_check, world(schedules=[schedule(resourcePolicy={"kind": "configmap", "name": "skip-pvs"})]),
                "velero/daily: its resource policy (ConfigMap skip-pvs) may leave objects or volume data out and is "
                "not in phase5.reviewed_resource_policies")


def test_the_servers_file_system_backup_default_shown_on_its_backups_protects_volumes():
    # defaultVolumesToFsBackup unset is filled from velero server --default-volumes-to-fs-backup, as its backups show
    fs = backup(spec={"snapshotVolumes": False, "defaultVolumesToFsBackup": True})
    del fs["status"]["volumeSnapshotsAttempted"]
    fixtures = world(schedules=[schedule(snapshotVolumes=False)], backups=[fs])
    assert run_check(schedule_check, fixtures) == ("passed", "")
    assert run_check(recent_check, fixtures) == ("passed", "")


def test_the_servers_file_system_backup_default_unseen_does_not_protect_volumes():
    failed_with(schedule_check, world(schedules=[schedule(snapshotVolumes=False)], backups=[]),
                "velero/daily: snapshotVolumes false without file-system backup (defaultVolumesToFsBackup unset, and "
                "no backup shows the server's default)")


def test_snapshot_locations_its_newest_backup_lists_exist():
    fixtures = world(schedules=[schedule(volumeSnapshotLocations=["aws-east"])],
                     backups=[backup(spec={"volumeSnapshotLocations": ["aws-east"]})])
    assert run_check(schedule_check, fixtures) == ("passed", "")


@pytest.mark.row("P5-BACKUP-SCHEDULE", "location-refused")
def test_a_schedule_whose_storage_location_velero_refuses_does_not_count():
    read_only = [bsl(), bsl("archive", default=False, accessMode="ReadOnly")]
    refused = backup(phase="FailedValidation", items=0, spec={"storageLocation": "archive"}, validationErrors=[
        "backup can't be created because backup storage location archive is currently in read-only mode"])
    failed_with(schedule_check, world(locations=read_only, schedules=[schedule(storageLocation="archive")],
                                      backups=[refused]),
                "schedule velero/daily: Velero fails every backup of it: its storage location velero/archive is "
                "ReadOnly", "namespace data-platform: no validated, unpaused schedule")
    failed_with(schedule_check, world(schedules=[schedule(storageLocation="gone")], backups=[]),
                "schedule velero/daily: Velero fails every backup of it: its storage location velero/gone does not "
                "exist")
    unavailable = bsl()
    unavailable["status"]["phase"] = "Unavailable"
    failed_with(schedule_check, world(locations=[unavailable]),
                "schedule velero/daily: Velero fails every backup of it: its storage location velero/default (the "
                "default location) is Unavailable")


@pytest.mark.row("P5-BACKUP-SCHEDULE", "snapshot-location-missing")
def test_a_schedule_naming_a_snapshot_location_its_backups_do_not_list_does_not_count():
    failed_with(schedule_check, world(schedules=[schedule(volumeSnapshotLocations=["aws-west"])]),
                "schedule velero/daily: names volumeSnapshotLocations aws-west, which its newest backup daily-1 does "
                "not list")
    refused = backup(phase="FailedValidation", items=0, validationErrors=[
        "a VolumeSnapshotLocation CRD for the location aws-west with the name specified in the backup spec needs to "
        "be created before this snapshot can be executed"])
    failed_with(schedule_check, world(schedules=[schedule(volumeSnapshotLocations=["aws-west"])],
                                      backups=[backup("daily-0", started_s_ago=DAY), refused]),
                "schedule velero/daily: its newest backup daily-1 failed validation (a VolumeSnapshotLocation CRD")


def no_volume_data(**spec) -> dict:
    """A Completed backup with items that attempted no volume snapshot, CSI snapshot or async operation."""
    silent = backup(spec=spec)
    del silent["status"]["volumeSnapshotsAttempted"], silent["status"]["volumeSnapshotsCompleted"]
    return silent


@pytest.mark.row("P5-BACKUP-SCHEDULE", "no-volume-data")
def test_a_schedule_whose_backups_save_no_volume_data_does_not_cover_the_namespace():
    message = failed_with(schedule_check, world(backups=[no_volume_data()]),
                          "namespace data-platform: no validated, unpaused schedule with enough retention backs it up "
                          "whole (velero/daily: saved no volume data of the 2 PersistentVolumeClaims in "
                          "data-platform: it attempted no volume snapshot, CSI snapshot or async item operation")
    assert "namespace vault-prod" not in message        # no claims there


def labelled_claims() -> list[dict]:
    claims = [claim("data-platform", "data-postgresql-0"), claim("data-platform", "data-kafka-0")]
    claims[0]["metadata"]["labels"] = {"velero.io/exclude-from-backup": "true"}
    return claims


@pytest.mark.row("P5-BACKUP-SCHEDULE", "claims-labelled-excluded")
def test_claims_labelled_exclude_from_backup_leave_the_namespace_incomplete():
    failed_with(schedule_check, world(claims=labelled_claims()),
                "velero/daily: leaves out 1 objects of data-platform labelled velero.io/exclude-from-backup=true "
                "(PersistentVolumeClaim data-postgresql-0), which Velero never backs up")


def test_an_object_labelled_exclude_false_or_of_an_excludable_kind_is_not_left_out():
    claims = labelled_claims()
    claims[0]["metadata"]["labels"]["velero.io/exclude-from-backup"] = "false"
    assert run_check(schedule_check, world(claims=claims)) == ("passed", "")
    labelled_pod = pod("data-platform", "scratch")
    labelled_pod["metadata"]["labels"]["velero.io/exclude-from-backup"] = "true"
    profile = PROFILE.model_copy(update={"phase5": PROFILE.phase5.model_copy(update={
        "excludable_resources": ["pods"]})})
    assert run_check(schedule_check, world(profile, pods=[labelled_pod])) == ("passed", "")
    failed_with(schedule_check, world(pods=[labelled_pod]), "leaves out 1 objects of data-platform labelled "
                "velero.io/exclude-from-backup=true (Pod scratch-0)")


@pytest.mark.row("P5-BACKUP-SCHEDULE", "persistent-volumes-excluded")
def test_a_schedule_leaving_out_persistent_volumes_does_not_cover_a_namespace_with_claims():
    message = failed_with(schedule_check, world(schedules=[schedule(includeClusterResources=False)]),
                          "velero/daily: includeClusterResources false leaves out every PersistentVolume: the volumes "
                          "of its 2 PersistentVolumeClaims in data-platform are not backed up with them")
    assert "namespace vault-prod" not in message
    failed_with(schedule_check, world(schedules=[schedule(excludedClusterScopedResources=["persistentvolumes"])]),
                "velero/daily: excludedClusterScopedResources persistentvolumes leaves out the PersistentVolumes")
    failed_with(schedule_check, world(schedules=[schedule(excludedClusterScopedResources=["*"])]),
                "velero/daily: excludedClusterScopedResources * leaves out the PersistentVolumes")


@pytest.mark.row("P5-BACKUP-SCHEDULE", "no-schedules")
def test_no_schedule_at_all_backs_up_nothing():
    failed_with(schedule_check, world(schedules=[]),
                "velero: no Schedule backs up anything (the schedules API answered with none)",
                "namespace data-platform: no validated, unpaused schedule with enough retention backs it up whole")


# --- P5-BACKUP-RECENT -----------------------------------------------------------------------------------------

def test_healthy_recent_backup_passes():
    assert run_check(recent_check, world()) == ("passed", "")


def test_a_running_backup_is_not_judged_before_it_finishes():
    running = backup("daily-2", started_s_ago=60, phase="InProgress")
    assert run_check(recent_check, world(backups=[backup(), running])) == ("passed", "")


@pytest.mark.row("P5-BACKUP-RECENT", "zero-items")
def test_a_backup_of_nothing_does_not_count():
    failed_with(recent_check, world(backups=[backup(items=0)]),
                "backup velero/daily-1 (schedule daily): Completed with 0 items backed up",
                "namespace data-platform: no Completed backup with items backs it up whole")


@pytest.mark.row("P5-BACKUP-RECENT", "no-progress")
def test_a_backup_without_progress_does_not_count():
    silent = backup()
    del silent["status"]["progress"]
    failed_with(recent_check, world(backups=[silent]),
                "backup velero/daily-1 (schedule daily): no status.progress: Velero did not record what it backed up")


@pytest.mark.row("P5-BACKUP-RECENT", "items-short")
def test_a_backup_that_wrote_fewer_items_than_it_counted_does_not_count():
    short = backup(progress={"totalItems": 412, "itemsBackedUp": 120})
    failed_with(recent_check, world(backups=[short]),
                "backup velero/daily-1 (schedule daily): backed up 120 of 412 items")


@pytest.mark.row("P5-BACKUP-RECENT", "completed-with-errors")
def test_a_completed_backup_with_errors_does_not_count():
    failed_with(recent_check, world(backups=[backup(errors=2)]),
                "backup velero/daily-1 (schedule daily): Completed with 2 errors")


@pytest.mark.row("P5-BACKUP-RECENT", "outside-platform")
def test_a_backup_of_other_namespaces_does_not_cover_the_platform():
    elsewhere = backup(spec={"includedNamespaces": ["kube-system"]})
    failed_with(recent_check, world(backups=[elsewhere]),
                "namespace data-platform: no Completed backup with items backs it up whole")


@pytest.mark.row("P5-BACKUP-RECENT", "latest-failed")
def test_the_newest_finished_backup_of_a_schedule_must_have_completed():
    newest = backup("daily-2", started_s_ago=HOUR, phase="PartiallyFailed", errors=1)
    failed_with(recent_check, world(backups=[backup(), newest]),
                "backup velero/daily-2 (schedule daily): PartiallyFailed, 1 errors, 0 warnings")


@pytest.mark.row("P5-BACKUP-RECENT", "expired")
def test_an_expired_backup_does_not_count():
    failed_with(recent_check, world(backups=[backup(started_s_ago=3 * HOUR, expiration=stamp(2 * HOUR))]),
                "backup velero/daily-1 (schedule daily): expired 2.0h ago")


@pytest.mark.row("P5-BACKUP-RECENT", "completion-in-future")
def test_a_backup_completed_in_the_future_does_not_count():
    failed_with(recent_check, world(backups=[backup(completionTimestamp=stamp(-DAY))]),
                "backup velero/daily-1 (schedule daily): status.completionTimestamp", "is 24.0h in the future")


@pytest.mark.row("P5-BACKUP-RECENT", "narrowed-backup")
def test_a_backup_narrowed_by_a_label_selector_does_not_cover_the_namespace():
    narrowed = backup(spec={"labelSelector": {"matchLabels": {"app": "trino"}}})
    failed_with(recent_check, world(backups=[narrowed]),
                "namespace data-platform: no Completed backup with items backs it up whole (newest including it: "
                "backup velero/daily-1: backs up only the objects its labelSelector app=trino selects")


@pytest.mark.row("P5-BACKUP-RECENT", "snapshots-incomplete")
def test_a_completed_backup_missing_volume_snapshots_does_not_count():
    failed_with(recent_check, world(backups=[backup(volumeSnapshotsAttempted=3, volumeSnapshotsCompleted=1)]),
                "backup velero/daily-1 (schedule daily): 1 of 3 volume snapshots completed (volumeSnapshotsCompleted)",
                "namespace data-platform: no Completed backup with items backs it up whole")


def test_a_backup_without_start_is_not_one_velero_finished():
    started = backup()
    del started["status"]["startTimestamp"]
    failed_with(recent_check, world(backups=[started]),
                "backup velero/daily-1 (schedule daily): no status.startTimestamp")


def test_a_backup_older_than_the_window_fails():
    failed_with(recent_check, world(backups=[backup(started_s_ago=3 * DAY)]),
                "namespace data-platform: its newest whole backup velero/daily-1 completed 3.0d ago, expected within")


def test_a_backup_with_file_system_backup_and_no_snapshots_saved_volume_data():
    fs = no_volume_data(defaultVolumesToFsBackup=True)
    assert run_check(recent_check, world(backups=[fs])) == ("passed", "")


def test_a_backup_synced_from_a_read_only_location_beside_a_good_local_one_is_ignored():
    synced = backup("daily-2", started_s_ago=HOUR, phase="PartiallyFailed", errors=3,
                    spec={"storageLocation": "archive"})
    fixtures = world(locations=[bsl(), bsl("archive", default=False, accessMode="ReadOnly")],
                     backups=[backup(), synced])
    assert run_check(recent_check, fixtures) == ("passed", "")


@pytest.mark.row("P5-BACKUP-RECENT", "no-volume-data")
def test_a_backup_that_saved_no_volume_data_does_not_cover_a_namespace_with_claims():
    message = failed_with(recent_check, world(backups=[no_volume_data()]),
                          "namespace data-platform: no Completed backup with items backs it up whole (newest including "
                          "it: backup velero/daily-1: saved no volume data of the 2 PersistentVolumeClaims in "
                          "data-platform")
    assert "namespace vault-prod" not in message


@pytest.mark.row("P5-BACKUP-RECENT", "synced-from-elsewhere")
def test_a_backup_synced_from_another_clusters_bucket_does_not_hide_a_failed_local_one():
    local = backup("daily-20250101020000", started_s_ago=3 * HOUR, phase="PartiallyFailed", errors=4, items=0)
    synced = backup("daily-20250101030000", started_s_ago=HOUR, spec={"storageLocation": "prod-archive"})
    synced["metadata"]["labels"]["velero.io/storage-location"] = "prod-archive"
    locations = [bsl(), bsl("prod-archive", default=False, accessMode="ReadOnly")]
    failed_with(recent_check, world(locations=locations, backups=[local, synced]),
                "backup velero/daily-20250101020000 (schedule daily): PartiallyFailed, 4 errors",
                "namespace data-platform: no Completed backup with items backs it up whole (newest including it: "
                "backup velero/daily-20250101030000: in the ReadOnly storage location prod-archive")
    gone = copy.deepcopy(synced)
    gone["spec"]["storageLocation"] = "old-bucket"
    failed_with(recent_check, world(backups=[local, gone]),
                "backup velero/daily-20250101030000: in storage location old-bucket, which does not exist")
    # a schedule writing to the ReadOnly location itself: its newest Completed backup there is not this cluster's
    failed_with(recent_check, world(locations=locations, schedules=[schedule(storageLocation="prod-archive")],
                                    backups=[local, synced]),
                "backup velero/daily-20250101030000 (schedule daily): in the ReadOnly storage location prod-archive")


@pytest.mark.row("P5-BACKUP-RECENT", "claims-labelled-excluded")
def test_a_backup_without_the_claims_labelled_excluded_does_not_cover_the_namespace():
    failed_with(recent_check, world(claims=labelled_claims()),
                "namespace data-platform: no Completed backup with items backs it up whole (newest including it: "
                "backup velero/daily-1: leaves out 1 objects of data-platform labelled "
                "velero.io/exclude-from-backup=true")


@pytest.mark.row("P5-BACKUP-RECENT", "persistent-volumes-excluded")
def test_a_backup_without_the_persistent_volumes_does_not_cover_a_namespace_with_claims():
    failed_with(recent_check, world(backups=[backup(spec={"includeClusterResources": False,
                                                          "excludedNamespaceScopedResources": []})]),
                "backup velero/daily-1: includeClusterResources false leaves out every PersistentVolume")


@pytest.mark.row("P5-BACKUP-RECENT", "no-schedules")
def test_recent_backups_without_any_schedule_fail():
    failed_with(recent_check, world(schedules=[]),
                "velero: no Schedule backs up anything (the schedules API answered with none)")


# --- P5-RESTORE-TEST ------------------------------------------------------------------------------------------

def test_healthy_restore_test_passes():
    assert run_check(restore_check, world()) == ("passed", "")


def test_a_restore_whose_backup_was_garbage_collected_still_counts():
    assert run_check(restore_check, world(backups=[])) == ("passed", "")


@pytest.mark.row("P5-RESTORE-TEST", "empty-restore")
def test_an_empty_restore_of_a_missing_namespace_is_not_a_restore_test():
    empty = restore(items=0, spec={"includedNamespaces": ["does-not-exist"]})
    failed_with(restore_check, world(restores=[empty]),
                "velero: no restore of a scheduled backup into the platform's namespaces Completed with items",
                "restore velero/restore-test: Completed with 0 items restored; its namespaces (does-not-exist) match "
                "none of the platform's")


@pytest.mark.row("P5-RESTORE-TEST", "outside-platform")
def test_a_restore_of_kube_system_is_not_a_restore_test_of_the_platform():
    failed_with(restore_check, world(restores=[restore(spec={"includedNamespaces": ["kube-system"]})]),
                "restore velero/restore-test: its namespaces (kube-system) match none of the platform's")


@pytest.mark.row("P5-RESTORE-TEST", "manual-backup")
def test_a_restore_of_a_manual_backup_is_not_a_restore_test():
    manual = backup("manual-1", of=None)
    of_manual = restore(source="manual-1", spec={"scheduleName": ""})
    failed_with(restore_check, world(backups=[manual], restores=[of_manual]),
                "restore velero/restore-test: restores backup manual-1, which no schedule made")


@pytest.mark.row("P5-RESTORE-TEST", "partially-failed")
def test_a_partially_failed_restore_is_not_a_restore_test():
    failed_with(restore_check, world(restores=[restore(phase="PartiallyFailed", errors=2)]),
                "restore velero/restore-test: PartiallyFailed, 2 errors, 0 warnings")


@pytest.mark.row("P5-RESTORE-TEST", "completed-with-errors")
def test_a_completed_restore_with_errors_is_not_a_restore_test():
    failed_with(restore_check, world(restores=[restore(errors=3)]),
                "restore velero/restore-test: Completed with 3 errors")


@pytest.mark.row("P5-RESTORE-TEST", "no-progress")
def test_a_restore_without_progress_is_not_a_restore_test():
    silent = restore()
    del silent["status"]["progress"]
    failed_with(restore_check, world(restores=[silent]),
                "restore velero/restore-test: no status.progress: Velero did not record what it restored")


@pytest.mark.row("P5-RESTORE-TEST", "selector-restore")
def test_a_restore_of_a_few_labelled_objects_is_not_a_restore_test():
    failed_with(restore_check, world(restores=[restore(spec={"labelSelector": {"matchLabels": {"app": "trino"}}})]),
                "restore velero/restore-test: restores data-platform only in part: restores only the objects its "
                "labelSelector app=trino selects (1 of 3 pods in data-platform)")


@pytest.mark.row("P5-RESTORE-TEST", "source-outside-platform")
def test_a_restore_of_every_namespace_of_a_kube_system_backup_is_not_a_restore_test():
    source = backup(spec={"includedNamespaces": ["kube-system"]})
    failed_with(restore_check, world(backups=[source], restores=[restore(spec={"includedNamespaces": []})]),
                "restore velero/restore-test: its backup daily-1 holds none of the platform's namespaces it asks for "
                "(it holds kube-system)")


@pytest.mark.row("P5-RESTORE-TEST", "stale")
def test_a_restore_test_older_than_the_window_fails():
    failed_with(restore_check, world(restores=[restore(completed_s_ago=45 * DAY)]),
                "velero: the last completed restore from a scheduled backup was 45.0d ago, expected within 30 days")


@pytest.mark.row("P5-RESTORE-TEST", "hook-failed")
def test_a_restore_whose_hook_failed_is_not_a_restore_test():
    failed_with(restore_check, world(restores=[restore(hookStatus={"hooksAttempted": 1, "hooksFailed": 1})]),
                "restore velero/restore-test: 1 of 1 hooks failed (hookStatus.hooksFailed)")


def test_a_restore_that_recreated_the_namespace_it_restored_in_place_counts():
    recreated = [namespace(n) for n in PLATFORM]
    recreated[0]["metadata"]["creationTimestamp"] = stamp(DAY + 500)     # made while the restore ran
    in_place = restore(spec={"namespaceMapping": {}})
    restored = [top_level(kind, "data-platform", name, DAY + 400, "restore-test") for kind, name in copied()]
    assert run_check(restore_check, world(namespaces=recreated, restores=[in_place], objects=restored,
                                          claims=[], cronjobs=[])) == ("passed", "")


@pytest.mark.row("P5-RESTORE-TEST", "in-place-mostly-skipped")
def test_an_in_place_restore_that_made_one_object_of_many_is_not_a_restore_test():
    """GitOps recreated the namespace and its objects just before the restore: Velero skipped them and made one."""
    recreated = [namespace(n) for n in PLATFORM]
    recreated[0]["metadata"]["creationTimestamp"] = stamp(DAY + 600)
    in_place = restore(spec={"namespaceMapping": {}}, warnings=4)
    made_by_gitops = [top_level(kind, "data-platform", name, DAY + 590) for kind, name in LIVE]
    one = top_level("Service", "data-platform", "legacy-metrics", DAY + 400, "restore-test")
    failed_with(restore_check, world(namespaces=recreated, restores=[in_place], objects=made_by_gitops + [one],
                                     claims=[], cronjobs=[]),
                "restore velero/restore-test: 4 of the 5 objects data-platform held when the restore completed are "
                "not in data-platform as restored by it")


def test_a_restore_into_a_scratch_namespace_it_created_counts():
    scratch = [namespace(n) for n in PLATFORM] + [namespace("restore-test")]
    scratch[-1]["metadata"]["creationTimestamp"] = stamp(DAY + 520)
    assert run_check(restore_check, world(namespaces=scratch)) == ("passed", "")


@pytest.mark.row("P5-RESTORE-TEST", "in-place")
def test_a_restore_over_the_live_namespace_is_not_a_restore_test():
    old = [namespace(n) for n in PLATFORM]
    old[0]["metadata"]["creationTimestamp"] = stamp(200 * DAY)
    in_place = restore(spec={"namespaceMapping": {}, "existingResourcePolicy": "none"}, warnings=120)
    failed_with(restore_check, world(namespaces=old, restores=[in_place]),
                "restore velero/restore-test: restores data-platform in place, into the live namespace data-platform "
                "(no namespaceMapping to a scratch namespace): Velero skips objects that already exist and still "
                "counts them restored, so it proves no object was restored (120 warnings")


@pytest.mark.row("P5-RESTORE-TEST", "identity-mapping")
def test_a_restore_mapping_the_namespace_to_itself_is_not_a_restore_test():
    same = restore(spec={"namespaceMapping": {"data-platform": "data-platform"}}, warnings=120)
    failed_with(restore_check, world(restores=[same]),
                "restore velero/restore-test: restores data-platform in place, into the live namespace data-platform")


@pytest.mark.row("P5-RESTORE-TEST", "scratch-namespace-reused")
def test_a_restore_into_a_scratch_namespace_left_from_before_is_not_a_restore_test():
    left = [namespace(n) for n in PLATFORM] + [namespace("restore-test")]
    left[-1]["metadata"]["creationTimestamp"] = stamp(31 * DAY)
    failed_with(restore_check, world(namespaces=left),
                "restore velero/restore-test: restores data-platform into restore-test, which existed before the "
                "restore started (created ")


@pytest.mark.row("P5-RESTORE-TEST", "narrowed-source")
def test_a_restore_of_a_narrowed_backup_is_not_a_restore_test():
    narrowed = backup(spec={"labelSelector": {"matchLabels": {"app": "trino"}}})
    failed_with(restore_check, world(backups=[narrowed]),
                "restore velero/restore-test: its backup daily-1 does not hold data-platform whole: backs up only the "
                "objects its labelSelector app=trino selects (1 of 3 pods in data-platform)")


@pytest.mark.row("P5-RESTORE-TEST", "source-without-volume-data")
def test_a_restore_of_a_backup_without_volume_data_is_not_a_restore_test():
    failed_with(restore_check, world(backups=[backup(spec={"snapshotVolumes": False})]),
                "restore velero/restore-test: its backup daily-1 does not hold data-platform whole: snapshotVolumes "
                "false without file-system backup")
    failed_with(restore_check, world(backups=[no_volume_data()]),
                "its backup daily-1 does not hold data-platform whole: saved no volume data of the 2 "
                "PersistentVolumeClaims in data-platform")


@pytest.mark.row("P5-RESTORE-TEST", "persistent-volumes-excluded")
def test_a_restore_leaving_out_persistent_volumes_is_not_a_restore_test():
    failed_with(restore_check, world(restores=[restore(spec={"includeClusterResources": False})]),
                "restore velero/restore-test: restores data-platform only in part: includeClusterResources false "
                "leaves out every PersistentVolume: the volumes of its 2 PersistentVolumeClaims in data-platform are "
                "not restored with them")


@pytest.mark.row("P5-RESTORE-TEST", "failed-since")
def test_a_restore_that_failed_after_the_last_good_test_fails():
    broken = restore("restore-test-2", completed_s_ago=HOUR, phase="Failed", items=0,
                     failureReason="error downloading backup: connection refused")
    failed_with(restore_check, world(restores=[restore(), broken]),
                "restore velero/restore-test-2 of data-platform, requested ", "Failed, 0 errors, 0 warnings (error "
                "downloading backup: connection refused), after the last good restore test velero/restore-test "
                "(requested ", "restores fail now")


def _failed_validation(name: str, created_s_ago: float, **spec) -> dict:
    """A restore Velero refused: no start or completion time, only the API server's creation time."""
    refused = restore(name, phase="FailedValidation", items=0, spec=spec)
    refused["metadata"]["creationTimestamp"] = stamp(created_s_ago)
    refused["status"] = {"phase": "FailedValidation",
                         "validationErrors": ["The BSL default is unavailable, cannot retrieve the backup"]}
    return refused


@pytest.mark.row("P5-RESTORE-TEST", "failed-validation-since")
def test_a_restore_refused_after_the_last_good_test_fails_though_it_has_no_start_time():
    failed_with(restore_check, world(restores=[restore(), _failed_validation("restore-test-2", HOUR)]),
                "restore velero/restore-test-2 of data-platform", "FailedValidation", "restores fail now")


@pytest.mark.row("P5-RESTORE-TEST", "refused-while-the-test-was-queued")
def test_a_restore_requested_while_the_good_test_waited_its_turn_still_counts_after_it():
    """Velero runs one restore at a time: the good test was requested a day ago and started an hour later; a
    restore requested in between was refused after it started. Requested order, not start times, decides."""
    queued = restore()
    queued["metadata"]["creationTimestamp"] = stamp(DAY + 540 + HOUR)
    failed_with(restore_check, world(restores=[queued, _failed_validation("restore-test-2", DAY + 540 + 600)]),
                "restores fail now")


@pytest.mark.row("P5-RESTORE-TEST", "failing-in-flight")
@pytest.mark.parametrize("phase", ["WaitingForPluginOperationsPartiallyFailed", "FinalizingPartiallyFailed"])
def test_a_restore_that_can_only_end_partially_failed_fails_now(phase):
    stuck = restore("restore-test-2", completed_s_ago=HOUR, phase=phase, errors=3)
    failed_with(restore_check, world(restores=[restore(), stuck]), f"{phase}, 3 errors", "restores fail now")


@pytest.mark.row("P5-RESTORE-TEST", "failed-glob-alternatives")
def test_a_failed_restore_naming_platform_namespaces_as_glob_alternatives_fails():
    braces = restore("restore-test-2", completed_s_ago=HOUR, phase="PartiallyFailed", errors=1,
                     spec={"includedNamespaces": ["{data-platform,vault-prod}"]})
    failed_with(restore_check, world(restores=[restore(), braces]), "restores fail now")


def test_a_restore_that_failed_before_the_last_good_test_does_not_count_against_it():
    earlier = restore("restore-test-0", completed_s_ago=2 * DAY, phase="Failed", items=0)
    assert run_check(restore_check, world(restores=[earlier, restore()])) == ("passed", "")


def test_a_failed_restore_outside_the_platform_does_not_count_against_the_test():
    elsewhere = restore("kube-system-1", completed_s_ago=HOUR, phase="Failed", items=0,
                        spec={"includedNamespaces": ["kube-system"]})
    assert run_check(restore_check, world(restores=[restore(), elsewhere])) == ("passed", "")


def test_a_failed_restore_of_every_namespace_of_a_kube_system_backup_does_not_count_against_the_test():
    kube_system = backup("kube-1", spec={"includedNamespaces": ["kube-system"]})
    everything = restore("kube-system-1", source="kube-1", completed_s_ago=HOUR, phase="Failed", items=0,
                         spec={"includedNamespaces": ["*"]})
    assert run_check(restore_check, world(backups=[backup(), kube_system],
                                          restores=[restore(), everything])) == ("passed", "")


def test_a_good_test_requested_after_a_failure_clears_it_though_an_earlier_test_finished_later():
    """A long test requested first and finished last, a failure, then a quick good test requested after it."""
    long_one = restore("restore-test-1", completed_s_ago=HOUR, spec={"namespaceMapping": {"data-platform": "scratch-1"}})
    long_one["metadata"]["creationTimestamp"] = stamp(6 * HOUR)
    failure = restore("restore-test-2", completed_s_ago=4 * HOUR, phase="Failed", items=0)
    failure["metadata"]["creationTimestamp"] = stamp(5 * HOUR)
    quick = restore("restore-test-3", completed_s_ago=2 * HOUR, spec={"namespaceMapping": {"data-platform": "scratch-3"}})
    quick["metadata"]["creationTimestamp"] = stamp(3 * HOUR)
    namespaces = [namespace(n) for n in PLATFORM] + [scratch("scratch-1", HOUR + 530), scratch("scratch-3", 2 * HOUR + 530)]
    copies = drill_copies("scratch-1", "restore-test-1") + [
        top_level(kind, "scratch-3", name, 2 * HOUR, "restore-test-3") for kind, name in copied()]
    assert run_check(restore_check, world(restores=[long_one, failure, quick], namespaces=namespaces,
                                          objects=copies)) == ("passed", "")


def test_a_stale_test_and_a_failure_since_are_both_named():
    failed_with(restore_check, world(restores=[restore(completed_s_ago=45 * DAY),
                                               restore("restore-test-2", completed_s_ago=40 * DAY, phase="Failed",
                                                       items=0)]),
                "restores fail now", "was 45.0d ago, expected within 30 days")


@pytest.mark.row("P5-RESTORE-TEST", "scratch-namespace-deleted")
def test_a_restore_into_a_scratch_namespace_deleted_since_is_not_a_restore_test():
    gone = [namespace(n) for n in PLATFORM]
    failed_with(restore_check, world(namespaces=gone, objects=drill_copies(live=[])),
                "restore velero/restore-test: restored data-platform into restore-test, which no longer exists or is "
                "being deleted: the restored objects cannot be seen")


def test_a_restore_into_a_scratch_namespace_being_deleted_is_not_a_restore_test():
    deleting = [namespace(n) for n in PLATFORM] + [scratch()]
    deleting[-1]["metadata"]["deletionTimestamp"] = stamp(60)
    failed_with(restore_check, world(namespaces=deleting),
                "restore velero/restore-test: restored data-platform into restore-test, which no longer exists or is "
                "being deleted")


@pytest.mark.row("P5-RESTORE-TEST", "copies-deleted")
def test_a_restore_whose_copies_were_deleted_since_is_not_a_restore_test():
    services_only = [(kind, name) for kind, name in LIVE if kind == "Service"]
    failed_with(restore_check, world(objects=drill_copies(live=services_only)),
                "restore velero/restore-test: 6 of the 7 objects data-platform held when its backup was taken are "
                "not in restore-test as restored by it (velero.io/restore-name=restore-test, "
                "velero.io/backup-name=daily-1, created while it ran): Deployment trino, Deployment superset, "
                "StatefulSet postgresql, CronJob postgresql-backup, PersistentVolumeClaim data-postgresql-0 and 1 "
                "more")


@pytest.mark.row("P5-RESTORE-TEST", "copies-not-restored")
@pytest.mark.parametrize("made_by", [None, "restore-test-0"])
def test_a_restore_whose_namespace_holds_copies_it_did_not_make_is_not_a_restore_test(made_by):
    failed_with(restore_check, world(objects=drill_copies(restored_by=made_by)),
                "restore velero/restore-test: 7 of the 7 objects data-platform held when its backup was taken are "
                "not in restore-test as restored by it")


def test_a_long_restore_name_is_matched_by_the_label_velero_cuts_it_to():
    """label.GetValidName cuts a name over 63 characters to 57 and 6 hex digits of its SHA-256 (the value below
    is what Velero v1.18.3's own function printed for this name)."""
    name = "restore-test-from-daily-platform-20261202164419-into-a-scratch-namespace"
    cut = "restore-test-from-daily-platform-20261202164419-into-a-sc4ca5d8"
    long_one = restore(name, spec={"namespaceMapping": {"data-platform": "restore-test"}})
    assert run_check(restore_check, world(restores=[long_one], objects=drill_copies(restored_by=cut))) == \
        ("passed", "")


def test_objects_made_after_the_backup_are_not_looked_for():
    later = top_level("Deployment", "data-platform", "new-app", created_s_ago=HOUR)
    assert run_check(restore_check, world(objects=drill_copies() + [later])) == ("passed", "")


@pytest.mark.row("P5-RESTORE-TEST", "owned-copies-deleted")
def test_an_owned_object_without_its_copy_fails():
    """Velero restores an owned object without its owner references (resetMetadata): its copy is looked for."""
    owned = top_level("Service", "data-platform", "operator-made")
    owned["metadata"]["ownerReferences"] = [{"kind": "Trino", "name": "trino", "uid": "u1"}]
    failed_with(restore_check, world(objects=drill_copies() + [owned]),
                "1 of the 8 objects data-platform held when its backup was taken are not in restore-test as restored "
                "by it", "Service operator-made")


@pytest.mark.row("P5-RESTORE-TEST", "copies-terminating")
def test_copies_being_deleted_do_not_count():
    copies = drill_copies()
    for obj in copies:
        if obj["metadata"]["namespace"] == "restore-test":
            obj["metadata"]["deletionTimestamp"] = stamp(60)
    failed_with(restore_check, world(objects=copies), "7 of the 7 objects data-platform held")


@pytest.mark.row("P5-RESTORE-TEST", "copies-from-before")
def test_copies_made_before_the_restore_was_requested_do_not_count():
    """The Restore was deleted and made again under the same name: the first run's copies carry its labels."""
    rerun = restore()
    rerun["metadata"]["creationTimestamp"] = stamp(DAY + 500)
    failed_with(restore_check, world(restores=[rerun], objects=drill_copies(), namespaces=[
        namespace(n) for n in PLATFORM] + [scratch(created_s_ago=DAY + 520)]), "7 of the 7 objects data-platform held")


@pytest.mark.row("P5-RESTORE-TEST", "copies-made-after")
def test_copies_made_after_the_restore_completed_do_not_count():
    late = [top_level(kind, "restore-test", name, 12 * HOUR, "restore-test") for kind, name in copied()]
    failed_with(restore_check, world(objects=drill_copies(live=[]) + late), "7 of the 7 objects data-platform held")


@pytest.mark.row("P5-RESTORE-TEST", "copies-of-another-backup")
def test_copies_labelled_with_another_backup_do_not_count():
    other = [top_level(kind, "restore-test", name, SCRATCH_CREATED_S_AGO, "restore-test", "weekly-1")
             for kind, name in copied()]
    failed_with(restore_check, world(objects=drill_copies(live=[]) + other), "7 of the 7 objects data-platform held")


def test_a_source_object_being_deleted_when_the_backup_ran_is_not_looked_for():
    stuck = top_level("Deployment", "data-platform", "stuck")
    stuck["metadata"]["deletionTimestamp"] = stamp(3 * DAY)
    assert run_check(restore_check, world(objects=drill_copies() + [stuck])) == ("passed", "")


def test_an_enabled_schedule_without_cron_does_not_count():
    no_cron = schedule()
    no_cron["spec"]["schedule"] = ""
    failed_with(schedule_check, world(schedules=[no_cron]),
                "schedule velero/daily: phase Enabled without a cron expression (spec.schedule)")


# --- P5-DB-BACKUP ---------------------------------------------------------------------------------------------

DB = PROFILE.phase5.db_backups[0]
CRONJOB_UID = "uid-cronjob"


def cronjob(uid: str = CRONJOB_UID, name: str = DB.name, suspend: bool = False, template_suspend: bool = False,
            **status) -> dict:
    return {"kind": "CronJob", "metadata": {"namespace": DB.namespace, "name": name, "uid": uid,
                                            "creationTimestamp": stamp(200 * DAY)},
            "spec": {"schedule": "* * * * *", "suspend": suspend, "concurrencyPolicy": "Forbid",
                     "jobTemplate": {"spec": {"suspend": template_suspend, "backoffLimit": 0, "template": {}}}},
            "status": {"lastScheduleTime": stamp(60), "lastSuccessfulTime": stamp(59), **status}}


def job(name: str = "backup-1", created_s_ago: float = 120, result: str = "Complete", owner_uid: str = CRONJOB_UID,
        owner: str = DB.name, completions: int | None = 1, parallelism: int = 1, **status) -> dict:
    failed = {**cond("Failed", True, "DeadlineExceeded"), "message": "Job was active longer than specified deadline",
              "lastTransitionTime": stamp(created_s_ago - 30)}
    succeeded = [cond("SuccessCriteriaMet", True, "CompletionsReached"), cond("Complete", True, "CompletionsReached")]
    conditions = succeeded if result == "Complete" else [cond("FailureTarget", True, "DeadlineExceeded"), failed]
    done = {"completionTime": stamp(created_s_ago - 60), "succeeded": 1} if result == "Complete" else {"failed": 1}
    spec = {"parallelism": parallelism, "backoffLimit": 0, "template": {}}
    if completions is not None:
        spec["completions"] = completions
    owners = [{"apiVersion": "batch/v1", "kind": "CronJob", "name": owner, "uid": owner_uid, "controller": True}]
    return {"kind": "Job", "metadata": {"namespace": DB.namespace, "name": name,
                                        "creationTimestamp": stamp(created_s_ago), "ownerReferences": owners},
            "spec": spec, "status": {"startTime": stamp(created_s_ago), "conditions": conditions, **done, **status}}


def db(**objects) -> tuple[str, str]:
    return run_check(db_check, world(**objects), DB)


def test_healthy_database_backup_passes():
    assert db() == ("passed", "")


def test_a_one_pod_job_retried_after_a_failed_pod_is_a_success():
    assert db(jobs=[job(failed=1)]) == ("passed", "")


@pytest.mark.row("P5-DB-BACKUP", "suspended-cronjob")
def test_a_suspended_backup_cronjob_fails():
    failed_with(db_check, world(cronjobs=[cronjob(suspend=True)]), f"cronjob {DB.ref}: suspended", param=DB)


@pytest.mark.row("P5-DB-BACKUP", "suspended-job-template")
def test_a_cronjob_whose_jobs_are_created_suspended_fails():
    failed_with(db_check, world(cronjobs=[cronjob(template_suspend=True)]),
                f"cronjob {DB.ref}: its jobTemplate is suspended, so every Job it creates waits and never runs",
                param=DB)


@pytest.mark.row("P5-DB-BACKUP", "newest-job-failed")
def test_a_failed_newest_job_fails_despite_a_fresh_last_successful_time():
    failed_with(db_check, world(jobs=[job("backup-1", created_s_ago=180), job("backup-2", 60, result="Failed")]),
                f"cronjob {DB.ref}: last Job backup-2 failed (DeadlineExceeded: Job was active longer", param=DB)


@pytest.mark.row("P5-DB-BACKUP", "last-successful-time-only")
def test_a_last_successful_time_without_a_job_on_record_is_not_a_success():
    failed_with(db_check, world(jobs=[]), f"cronjob {DB.ref}: no fully successful Job on record", "lastSuccessfulTime",
                param=DB)


@pytest.mark.row("P5-DB-BACKUP", "job-of-earlier-cronjob")
def test_a_job_of_an_earlier_cronjob_of_the_same_name_does_not_count():
    failed_with(db_check, world(jobs=[job(owner_uid="uid-deleted-cronjob")]),
                f"cronjob {DB.ref}: no fully successful Job on record", param=DB)


@pytest.mark.row("P5-DB-BACKUP", "job-of-another-cronjob")
def test_a_job_of_another_cronjob_does_not_count():
    other = cronjob(uid="uid-other", name="redis-backup")
    failed_with(db_check, world(cronjobs=[cronjob(), other], jobs=[job(owner_uid="uid-other", owner="redis-backup")]),
                f"cronjob {DB.ref}: no fully successful Job on record", param=DB)


@pytest.mark.row("P5-DB-BACKUP", "success-policy-partial")
def test_an_indexed_job_declared_complete_by_its_success_policy_is_partial():
    indexed = job(completions=3, completionMode="Indexed", completedIndexes="0")
    indexed["spec"].update(completionMode="Indexed", successPolicy={"rules": [{"succeededCount": 1}]})
    failed_with(db_check, world(jobs=[indexed]),
                f"cronjob {DB.ref}: last Job backup-1 did not back everything up (declared Complete by its "
                "successPolicy with 1 of 3 completions)", param=DB)


@pytest.mark.row("P5-DB-BACKUP", "work-queue-partial")
def test_a_parallel_job_complete_after_one_success_with_failed_pods_is_partial():
    failed_with(db_check, world(jobs=[job(completions=None, parallelism=3, failed=2)]),
                f"cronjob {DB.ref}: last Job backup-1 did not back everything up (2 of its 3 parallel pods failed",
                param=DB)


@pytest.mark.row("P5-DB-BACKUP", "failed-indexes")
def test_a_complete_job_with_failed_indexes_is_partial():
    failed_with(db_check, world(jobs=[job(completions=3, succeeded=2, failedIndexes="1")]),
                f"cronjob {DB.ref}: last Job backup-1 did not back everything up (indexes 1 failed)", param=DB)


@pytest.mark.row("P5-DB-BACKUP", "completion-in-future")
def test_a_job_completed_in_the_future_is_not_a_success():
    failed_with(db_check, world(jobs=[job(completionTime=stamp(-DAY))]),
                f"cronjob {DB.ref}: last Job backup-1 did not back everything up (status.completionTime",
                "in the future", param=DB)


@pytest.mark.row("P5-DB-BACKUP", "zero-completions")
def test_a_job_of_zero_completions_is_no_backup():
    none_run = cronjob()
    none_run["spec"]["jobTemplate"]["spec"]["completions"] = 0
    failed_with(db_check, world(cronjobs=[none_run], jobs=[job(completions=0, succeeded=0)]),
                f"cronjob {DB.ref}: its jobTemplate has completions 0, so every Job it creates is Complete without "
                "running a pod",
                f"cronjob {DB.ref}: last Job backup-1 did not back everything up (spec.completions 0: Complete at once "
                "with 0 pods succeeded, no backup ran)", param=DB)


def test_a_cronjob_keeping_no_successful_job_says_nothing_can_be_verified():
    forgetful = cronjob()
    forgetful["spec"]["successfulJobsHistoryLimit"] = 0
    failed_with(db_check, world(cronjobs=[forgetful], jobs=[]),
                f"cronjob {DB.ref}: no fully successful Job on record",
                "successfulJobsHistoryLimit 0 keeps no successful Job, so no backup can be verified", param=DB)


def test_objects_are_not_changed_by_the_checks():
    fixtures = world()
    before = copy.deepcopy(fixtures["snapshot"].answers)
    for check in (location_check, schedule_check, recent_check, restore_check):
        run_check(check, fixtures)
    run_check(db_check, fixtures, DB)
    assert fixtures["snapshot"].answers == before
