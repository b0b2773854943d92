"""Build the sandbox's Go components into a cache outside the source tree.

Each component is built once from its upstream Go module through a small
wrapper module generated under ``<cache>/src/<name>``; a stamp file next to
the binaries records the version so a warm run skips the build entirely
(``python -m sandbox.build`` builds what is missing).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.run.paths import bin_dir, cache_dir, logged_build

KUBERNETES = "v1.33.13"
KWOK = "v0.7.0"
METRICS_SERVER = "v0.8.0"
# Loki 2.2.1 (Apache-2.0; later releases are AGPL). The proxy takes the tag's commit as a pseudo-version.
LOKI = "v1.6.2-0.20210406003638-babea82ef558"
LOKI_RELEASE = "2.2.1"
ETCD = "v3.5.35"
PROMETHEUS_OPERATOR = "v0.85.0"
CERT_MANAGER = "v1.21.2"
VELERO = "v1.18.3"
VELERO_CRDS = {"v1": ("backuprepositories", "backups", "backupstoragelocations", "deletebackuprequests",
                      "downloadrequests", "podvolumebackups", "podvolumerestores", "restores", "schedules",
                      "serverstatusrequests", "volumesnapshotlocations"),
               "v2alpha1": ("datadownloads", "datauploads")}
VELERO_PLUGIN_FOR_AWS = "v1.14.3"
# SeaweedFS (Apache-2.0): the object store Velero writes backups to (MinIO is AGPL). The proxy serves this commit of
# its main module; its S3 gateway is what Velero's AWS plugin talks to.
SEAWEEDFS = "v0.0.0-20261109003541-7506e5f91cd6"
ARGO_CD = "v3.5.7"
# Vault 1.13.0, MPL-2.0 (releases from 1.15 are BUSL, not open source). 1.14.x names an sdk pseudo-version the
# module proxy refuses, and the nearest tagged sdk (v0.9.2) makes 1.14.0 panic at start; 1.13.0 names tagged
# sdk and api versions, so it builds from published modules as they are.
VAULT = "v1.13.0"


@dataclass
class Component:
    name: str
    module: str
    version: str
    packages: list[str]
    binaries: list[str]
    ldflags: str = ""
    main_go: str = ""          # a main.go for modules that have no importable main
    assets: dict[str, str] = field(default_factory=dict)  # file in the module -> name in the bin dir
    extra_requires: dict[str, str] = field(default_factory=dict)
    dropped_replaces: tuple[str, ...] = ()    # upstream replace directives not carried over (module paths)
    extra_replaces: dict[str, str] = field(default_factory=dict)   # module -> a served version of it

    @property
    def stamp(self) -> Path:
        return bin_dir() / f".{self.name}.stamp"

    def is_built(self) -> bool:
        return (self.stamp.exists() and self.stamp.read_text().strip() == self.version
                and all((bin_dir() / b).exists() for b in [*self.binaries, *self.assets.values()]))


def _kube_ldflags(version: str) -> str:
    major, minor = version.lstrip("v").split(".")[:2]
    pkgs = ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]
    values = {"gitVersion": version, "gitMajor": major, "gitMinor": minor,
              "gitTreeState": "clean", "buildDate": "1970-01-01T00:00:00Z",
              "gitCommit": "0000000000000000000000000000000000000000"}
    return " ".join(f"-X {p}.{k}={v}" for p in pkgs for k, v in values.items()) + " -s -w"


COMPONENTS = [
    Component("etcd", "go.etcd.io/etcd/server/v3", ETCD, ["."], ["etcd"],
              main_go='package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\n'
                      'func main() { etcdmain.Main(os.Args) }\n',
              ldflags="-s -w"),
    Component("kubernetes", "k8s.io/kubernetes", KUBERNETES,
              [f"k8s.io/kubernetes/cmd/{c}" for c in
               ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")],
              ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"],
              ldflags=_kube_ldflags(KUBERNETES)),
    Component("kwok", "sigs.k8s.io/kwok", KWOK,
              ["sigs.k8s.io/kwok/cmd/kwok"], ["kwok"],
              ldflags=f"-s -w -X sigs.k8s.io/kwok/pkg/consts.Version={KWOK}",
              assets={"kustomize/metrics/resource/metrics-resource.yaml": "kwok-metrics-resource.yaml",
                      "kustomize/stage/node/fast/node-initialize.yaml": "kwok-node-initialize.yaml",
                      "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml":
                          "kwok-node-heartbeat-with-lease.yaml",
                      "kustomize/stage/pod/fast/pod-ready.yaml": "kwok-pod-ready.yaml",
                      "kustomize/stage/pod/general/pod-complete.yaml": "kwok-pod-complete.yaml",
                      "kustomize/stage/pod/fast/pod-delete.yaml": "kwok-pod-delete.yaml"}),
    Component("metrics-server", "sigs.k8s.io/metrics-server", METRICS_SERVER,
              ["sigs.k8s.io/metrics-server/cmd/metrics-server"], ["metrics-server"],
              ldflags="-s -w"),
    Component("prometheus-operator-crds", "github.com/prometheus-operator/prometheus-operator",
              PROMETHEUS_OPERATOR, [], [], assets={
                  f"example/prometheus-operator-crd/monitoring.coreos.com_{kind}.yaml": f"crds/{kind}.yaml"
                  for kind in ("servicemonitors", "podmonitors", "prometheusrules", "alertmanagers",
                               "prometheuses")}),
    Component("cert-manager-crds", "github.com/cert-manager/cert-manager", CERT_MANAGER, [], [],
              assets={f"deploy/crds/cert-manager.io_{kind}.yaml": f"crds/{kind}.yaml"
                      for kind in ("certificates", "certificaterequests", "issuers", "clusterissuers")}),
    # The controller, from the main module's registry (sandbox/build/cert_manager/main.go): built, proven by hand
    # to issue a Certificate from a CA ClusterIssuer in the sandbox, not yet started by it (README).
    Component("cert-manager", "github.com/cert-manager/cert-manager", CERT_MANAGER, ["."],
              ["cert-manager-controller"], ldflags="-s -w",
              main_go=(Path(__file__).parent / "cert_manager" / "main.go").read_text()),
    # Every CRD the Velero server looks for at start (it refuses to run without one of its kinds).
    Component("velero-crds", "github.com/vmware-tanzu/velero", VELERO, [], [], assets={
        f"config/crd/{version}/bases/velero.io_{kind}.yaml": f"crds/velero-{kind}.yaml"
        for version, kinds in VELERO_CRDS.items() for kind in kinds}),
    # Velero's server and CLI in one binary. It names k8s.io/cli-runtime v0.33.12, which the proxy refuses;
    # v0.33.13 is the next patch release of the same minor.
    Component("velero", "github.com/vmware-tanzu/velero", VELERO, ["github.com/vmware-tanzu/velero/cmd/velero"],
              ["velero"], ldflags=f"-s -w -X github.com/vmware-tanzu/velero/pkg/buildinfo.Version={VELERO}",
              extra_replaces={"k8s.io/cli-runtime": "v0.33.13"}),
    Component("velero-plugin-for-aws", "github.com/vmware-tanzu/velero-plugin-for-aws", VELERO_PLUGIN_FOR_AWS,
              ["github.com/vmware-tanzu/velero-plugin-for-aws/velero-plugin-for-aws"], ["velero-plugin-for-aws"],
              ldflags="-s -w"),
    Component("seaweedfs", "github.com/seaweedfs/seaweedfs", SEAWEEDFS, ["github.com/seaweedfs/seaweedfs/weed"],
              ["weed"], ldflags="-s -w"),
    Component("argocd-crds", "github.com/argoproj/argo-cd/v3", ARGO_CD, [], [],
              assets={"manifests/crds/application-crd.yaml": "crds/argocd-applications.yaml"}),
    Component("loki", "github.com/grafana/loki", LOKI,
              ["github.com/grafana/loki/cmd/loki", "github.com/grafana/loki/cmd/promtail"], ["loki", "promtail"],
              ldflags=f"-s -w -X github.com/grafana/loki/pkg/build.Version={LOKI_RELEASE}",
              # reflect2 v1.0.1 panics under current Go (query_range and series answer 500)
              extra_requires={"github.com/modern-go/reflect2": "v1.0.2", "github.com/json-iterator/go": "v1.1.12"}),
    Component("vault", "github.com/hashicorp/vault", VAULT, ["github.com/hashicorp/vault"], ["vault"],
              ldflags="-s -w",
              # upstream replaces it with a pseudo-version the checksum database does not know: use the release
              dropped_replaces=("go.etcd.io/etcd/client/pkg/v3",)),
]


def _go_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("GOTOOLCHAIN", "local")
    env["GOFLAGS"] = "-mod=mod -buildvcs=false"
    env.setdefault("CGO_ENABLED", "0")
    return env


def _run(cmd: list[str], cwd: Path, log) -> None:
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    proc = subprocess.run(cmd, cwd=cwd, env=_go_env(), stdout=log, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise BuildError(f"{' '.join(cmd[:3])} failed (exit {proc.returncode}); see {log.name}")


class BuildError(RuntimeError):
    pass


def _module_gomod(module: str, version: str, cwd: Path, log) -> tuple[Path, Path]:
    out = subprocess.run(["go", "mod", "download", "-json", f"{module}@{version}"], cwd=cwd,
                         env=_go_env(), capture_output=True, text=True)
    if out.returncode != 0:
        raise BuildError(f"go mod download {module}@{version}: {out.stdout or out.stderr}".strip())
    info = json.loads(out.stdout)
    return Path(info["GoMod"]), Path(info["Dir"])


def _replace_directives(component: Component, gomod: Path, module_dir: Path) -> list[str]:
    """Carry over upstream replace/exclude directives that a dependent module needs.

    Local (``./x``) replacements are pointed at the published staging module
    (Kubernetes) or at the directory inside the module cache (Loki's pkg/push).
    """
    text = gomod.read_text()
    lines: list[str] = []
    body = "\n".join(re.findall(r"^replace \((.*?)^\)", text, re.S | re.M))
    body += "\n" + "\n".join(re.findall(r"^replace (.*)$", text, re.M))
    for line in body.splitlines():
        line = line.split("//")[0].strip()
        if "=>" not in line:
            continue
        old, new = (s.strip() for s in line.split("=>"))
        if old.split()[0] in component.dropped_replaces:
            continue
        if new.startswith("../"):
            continue  # a sibling module of the same repository: its published version is required instead
        if new.startswith("./"):
            if component.name == "kubernetes":
                minor = component.version.lstrip("v").split(".", 1)[1]
                new = f"{old.split()[0]} v0.{minor}"
            elif (module_dir / new[2:] / "go.mod").exists():
                new = str(module_dir / new[2:])
            else:
                continue  # a nested module, left out of the module zip: use its published version
        lines.append(f"replace {old} => {new}")
    for ex in re.findall(r"^exclude (.*)$", text, re.M):
        lines.append(f"exclude {ex.split('//')[0].strip()}")
    return lines


def build(component: Component, log) -> None:
    src = cache_dir() / "src" / f"{component.name}-{component.version}"
    src.mkdir(parents=True, exist_ok=True)
    gomod, module_dir = _module_gomod(component.module, component.version, src, log)
    go_version = re.search(r"^go (\S+)", gomod.read_text(), re.M).group(1)
    directives = _replace_directives(component, gomod, module_dir)
    directives += [f"replace {module} => {module} {version}" for module, version in component.extra_replaces.items()]
    requires = {component.module: component.version, **component.extra_requires}
    (src / "go.mod").write_text(
        f"module sandbox.local/{component.name}\n\ngo {go_version}\n\n"
        + "".join(f"require {m} {v}\n" for m, v in requires.items())
        + "\n" + "\n".join(directives) + "\n")
    if component.main_go:
        (src / "main.go").write_text(component.main_go)
    out = bin_dir()
    out.mkdir(parents=True, exist_ok=True)
    for source, dest in component.assets.items():
        (out / dest).parent.mkdir(parents=True, exist_ok=True)
        (out / dest).write_bytes((module_dir / source).read_bytes())
    if not component.packages:
        pass
    elif component.main_go:
        _run(["go", "build", "-trimpath", "-ldflags", component.ldflags, "-o",
              str(out / component.binaries[0]), "."], src, log)
    else:
        _run(["go", "build", "-trimpath", "-ldflags", component.ldflags, "-o", str(out) + "/",
              *component.packages], src, log)
    component.stamp.write_text(component.version + "\n")


def build_all(names: list[str] | None = None, progress=print) -> None:
    wanted = [c for c in COMPONENTS if not names or c.name in names]
    for i, component in enumerate(wanted, 1):
        tag = f"[{i}/{len(wanted)}] {component.name} {component.version}"
        if component.is_built():
            progress(f"{tag}: cached in {bin_dir()}")
            continue
        logged_build(tag, f"{component.name}.log", lambda log, c=component: build(c, log), progress)
