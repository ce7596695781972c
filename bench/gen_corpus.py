#!/usr/bin/env python3
"""Generate a synthetic but realistic corpus of Kubernetes manifests.

The corpus looks like the `k8s/` folders of many small services: Deployments,
StatefulSets, Services, Ingresses, ConfigMaps, PodDisruptionBudgets,
NetworkPolicies and CronJobs, some files holding several documents, spread over
namespaces and teams, mostly hardened but with a share of common defects (missing
limits or probes, `latest` tags, root or privileged containers, plain-HTTP
ingresses, literal secrets) so that rules have something to report.

Output is deterministic for a given --seed, and file i depends only on (seed, i):
the first 100 files of a 300-file corpus are the 100-file corpus.

Usage:
    python3 bench/gen_corpus.py --files 1000 --out bench/.work/corpus-1000 --seed 1

Prints one summary line to stdout: `files=N documents=D bytes=B`.
Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys

TEAMS = ["payments", "checkout", "catalog", "search", "identity", "billing",
         "notifications", "platform", "data", "growth", "support", "logistics"]
NOUNS = ["api", "worker", "gateway", "scheduler", "indexer", "exporter", "web",
         "consumer", "sync", "auth", "reports", "ledger", "mailer", "cache", "router"]
ENVS = ["prod", "staging", "dev"]
REGISTRIES = ["ghcr.io/acme", "registry.acme.internal", "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
              "europe-docker.pkg.dev/acme-prod/services", "docker.io/acme"]
THIRD_PARTY = [("postgres", "16.4-bookworm"), ("redis", "7.4.1-alpine"), ("nginx", "1.27.3-alpine"),
               ("rabbitmq", "3.13.7-management"), ("bitnami/kafka", "3.8.1"),
               ("memcached", "1.6.32-alpine"), ("grafana/loki", "3.2.1"), ("minio/minio", "RELEASE.2024-11-07T00-52-20Z")]
LANG_CMDS = [
    (["python", "-m", "gunicorn", "app.main:app", "-k", "uvicorn.workers.UvicornWorker"], 8000),
    (["node", "dist/server.js"], 3000),
    (["/app/server"], 8080),
    (["java", "-XX:MaxRAMPercentage=75", "-jar", "/app/app.jar"], 8080),
    (["bundle", "exec", "puma", "-C", "config/puma.rb"], 3000),
]
CONFIG_VALUES = {
    "LOG_FORMAT": ["json", "logfmt", "text"], "HTTP_TIMEOUT": ["5s", "30s", "2m"],
    "MAX_CONNECTIONS": ["50", "200", "1000"], "UPSTREAM_URL": ["http://upstream:8080", "https://api.partner.example.com"],
    "FEATURE_FLAGS": ["new-checkout,fast-search", "", "dark-mode"], "CACHE_TTL_SECONDS": ["60", "300", "3600"],
    "OTEL_EXPORTER_OTLP_ENDPOINT": ["http://otel-collector.observability:4317"], "GOMAXPROCS": ["1", "2", "4"],
    "SENTRY_ENVIRONMENT": ["prod", "staging"], "RATE_LIMIT_RPS": ["10", "100", "500"],
}
DIGEST_CHARS = "0123456789abcdef"


class Gen:
    def __init__(self, service: random.Random, rng: random.Random) -> None:
        # `service` fixes the identity shared by the files of one service folder;
        # `rng` drives everything that varies from file to file.
        self.r = rng
        self.team = service.choice(TEAMS)
        self.env = service.choice(ENVS)
        self.app = f"{self.team}-{service.choice(NOUNS)}"
        if service.random() < 0.5:
            self.app += f"-{service.choice(NOUNS)}"
        self.ns = f"{self.team}-{self.env}" if service.random() < 0.8 else self.team
        self.version = f"{service.randint(0, 4)}.{service.randint(0, 30)}.{service.randint(0, 20)}"
        self.cmd, self.port = service.choice(LANG_CMDS)

    # -- helpers ---------------------------------------------------------------
    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def labels(self, indent: int, component: str | None = None) -> str:
        pad = " " * indent
        out = [f"{pad}app.kubernetes.io/name: {self.app}",
               f"{pad}app.kubernetes.io/part-of: {self.team}"]
        if component:
            out.append(f"{pad}app.kubernetes.io/component: {component}")
        if self.chance(0.6):
            out.append(f"{pad}app.kubernetes.io/version: \"{self.version}\"")
        if self.chance(0.4):
            out.append(f"{pad}team: {self.team}")
        if self.chance(0.3):
            out.append(f"{pad}environment: {self.env}")
        return "\n".join(out)

    def metadata(self, name: str, component: str | None = None, annotations: list[str] | None = None) -> str:
        lines = ["metadata:", f"  name: {name}"]
        # Defect: a share of objects rely on the namespace of the kubectl context.
        if not self.chance(0.07):
            lines.append(f"  namespace: {self.ns}")
        lines.append("  labels:")
        lines.append(self.labels(4, component))
        if annotations:
            lines.append("  annotations:")
            lines.extend(f"    {a}" for a in annotations)
        return "\n".join(lines)

    def image(self) -> str:
        r = self.r
        if self.chance(0.12):
            name, tag = r.choice(THIRD_PARTY)
        else:
            name, tag = f"{r.choice(REGISTRIES)}/{self.app}", self.version
        roll = r.random()
        if roll < 0.07:
            return f"{name}:latest"          # defect: floating tag
        if roll < 0.10:
            return name                       # defect: no tag at all
        if roll < 0.30:
            digest = "".join(r.choice(DIGEST_CHARS) for _ in range(64))
            return f"{name}:{tag}@sha256:{digest}"
        return f"{name}:{tag}"

    def resources(self, indent: int) -> str:
        pad = " " * indent
        cpu_req = self.r.choice(["50m", "100m", "250m", "500m", "1"])
        mem_req = self.r.choice(["64Mi", "128Mi", "256Mi", "512Mi", "1Gi"])
        mem_lim = self.r.choice(["256Mi", "512Mi", "1Gi", "2Gi"])
        if self.chance(0.06):                 # defect: no resources at all
            return ""
        lines = [f"{pad}resources:", f"{pad}  requests:", f"{pad}    cpu: {cpu_req}", f"{pad}    memory: {mem_req}"]
        if self.chance(0.88):                 # defect otherwise: no limits
            lines.append(f"{pad}  limits:")
            if self.chance(0.5):
                lines.append(f"{pad}    cpu: \"{self.r.choice(['1', '2', '500m'])}\"")
            if self.chance(0.93):             # defect otherwise: no memory limit
                lines.append(f"{pad}    memory: {mem_lim}")
        return "\n".join(lines)

    def probes(self, indent: int, http: bool) -> str:
        pad = " " * indent
        if self.chance(0.1):                  # defect: no probes
            return ""
        if http:
            ready = [f"{pad}readinessProbe:", f"{pad}  httpGet:", f"{pad}    path: /readyz",
                     f"{pad}    port: http", f"{pad}  periodSeconds: 5"]
            live = [f"{pad}livenessProbe:", f"{pad}  httpGet:", f"{pad}    path: /healthz",
                    f"{pad}    port: http", f"{pad}  initialDelaySeconds: {self.r.choice([5, 10, 15, 30])}",
                    f"{pad}  periodSeconds: 10"]
        else:
            ready = [f"{pad}readinessProbe:", f"{pad}  exec:", f"{pad}    command: [\"/bin/health\", \"--ready\"]",
                     f"{pad}  periodSeconds: 10"]
            live = [f"{pad}livenessProbe:", f"{pad}  exec:", f"{pad}    command: [\"/bin/health\"]",
                    f"{pad}  periodSeconds: 20", f"{pad}  failureThreshold: 3"]
        out = ready + live if self.chance(0.9) else ready   # defect: readiness only
        return "\n".join(out)

    def container_security(self, indent: int) -> str:
        pad = " " * indent
        if self.chance(0.05):                 # defect: privileged
            return f"{pad}securityContext:\n{pad}  privileged: true"
        if self.chance(0.08):                 # defect: nothing set
            return ""
        lines = [f"{pad}securityContext:", f"{pad}  allowPrivilegeEscalation: false"]
        if self.chance(0.85):
            lines.append(f"{pad}  readOnlyRootFilesystem: true")
        if self.chance(0.9):
            lines += [f"{pad}  capabilities:", f"{pad}    drop:", f"{pad}      - ALL"]
        if self.chance(0.04):                 # defect: explicit root
            lines.append(f"{pad}  runAsUser: 0")
        return "\n".join(lines)

    def env_block(self, indent: int) -> str:
        pad = " " * indent
        lines = [f"{pad}env:"]
        lines += [f"{pad}  - name: LOG_LEVEL", f"{pad}    value: {self.r.choice(['info', 'debug', 'warn'])}"]
        lines += [f"{pad}  - name: POD_NAME", f"{pad}    valueFrom:", f"{pad}      fieldRef:",
                  f"{pad}        fieldPath: metadata.name"]
        if self.chance(0.05):                 # defect: literal secret
            secret = "".join(self.r.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789") for _ in range(24))
            lines += [f"{pad}  - name: DATABASE_PASSWORD", f"{pad}    value: \"{secret}\""]
        else:
            lines += [f"{pad}  - name: DATABASE_PASSWORD", f"{pad}    valueFrom:", f"{pad}      secretKeyRef:",
                      f"{pad}        name: {self.app}-db", f"{pad}        key: password"]
        for i in range(self.r.randint(0, 6)):
            key = self.r.choice(["FEATURE", "TIMEOUT", "POOL", "RETRY", "CACHE", "REGION"]) + f"_{i}"
            lines += [f"{pad}  - name: {key}", f"{pad}    value: \"{self.r.randint(1, 5000)}\""]
        if self.chance(0.6):
            lines += [f"{pad}envFrom:", f"{pad}  - configMapRef:", f"{pad}      name: {self.app}-config"]
        return "\n".join(lines)

    def pod_spec(self, indent: int, http: bool, restart_never: bool = False) -> str:
        pad = " " * indent
        lines: list[str] = []
        if restart_never:
            lines.append(f"{pad}restartPolicy: OnFailure")
        if self.chance(0.8):
            lines.append(f"{pad}serviceAccountName: {self.app}")
        if self.chance(0.75):
            lines.append(f"{pad}automountServiceAccountToken: false")
        if self.chance(0.03):                 # defect: host namespaces
            lines.append(f"{pad}hostNetwork: true")
        if self.chance(0.85):
            lines += [f"{pad}securityContext:", f"{pad}  runAsNonRoot: true",
                      f"{pad}  runAsUser: {self.r.choice([1000, 10001, 65532])}",
                      f"{pad}  fsGroup: {self.r.choice([1000, 10001, 65532])}"]
            if self.chance(0.8):
                lines += [f"{pad}  seccompProfile:", f"{pad}    type: RuntimeDefault"]
        if self.chance(0.3):
            lines += [f"{pad}topologySpreadConstraints:", f"{pad}  - maxSkew: 1",
                      f"{pad}    topologyKey: topology.kubernetes.io/zone",
                      f"{pad}    whenUnsatisfiable: ScheduleAnyway", f"{pad}    labelSelector:",
                      f"{pad}      matchLabels:", f"{pad}        app.kubernetes.io/name: {self.app}"]
        lines.append(f"{pad}containers:")
        n_containers = 2 if self.chance(0.15) else 1
        for c in range(n_containers):
            cpad = pad + "    "
            name = self.app.split("-", 1)[1] if c == 0 else self.r.choice(["proxy", "exporter", "log-shipper"])
            lines.append(f"{pad}  - name: {name}")
            lines.append(f"{cpad}image: {self.image()}")
            if self.chance(0.5):
                lines.append(f"{cpad}imagePullPolicy: IfNotPresent")
            if c == 0:
                cmd = ", ".join(f"\"{a}\"" for a in self.cmd)
                lines.append(f"{cpad}command: [{cmd}]")
                if http:
                    lines += [f"{cpad}ports:", f"{cpad}  - name: http", f"{cpad}    containerPort: {self.port}",
                              f"{cpad}    protocol: TCP"]
                lines.append(self.env_block(len(cpad)))
            for block in (self.resources(len(cpad)), self.probes(len(cpad), http and c == 0),
                          self.container_security(len(cpad))):
                if block:
                    lines.append(block)
            if c == 0 and self.chance(0.7):
                lines += [f"{cpad}volumeMounts:", f"{cpad}  - name: tmp", f"{cpad}    mountPath: /tmp"]
        if any("mountPath: /tmp" in ln for ln in lines):
            lines += [f"{pad}volumes:", f"{pad}  - name: tmp", f"{pad}    emptyDir:",
                      f"{pad}      sizeLimit: {self.r.choice(['64Mi', '256Mi', '1Gi'])}"]
        return "\n".join(lines)

    # -- kinds -----------------------------------------------------------------
    def deployment(self) -> str:
        replicas = 1 if self.chance(0.15) else self.r.choice([2, 3, 3, 4, 6])
        ann = [f"kubectl.kubernetes.io/default-container: {self.app.split('-', 1)[1]}"] if self.chance(0.3) else None
        return (
            "apiVersion: apps/v1\nkind: Deployment\n" + self.metadata(self.app, "server", ann) + "\n"
            f"spec:\n  replicas: {replicas}\n  revisionHistoryLimit: {self.r.choice([3, 5, 10])}\n"
            "  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: 25%\n      maxUnavailable: 0\n"
            f"  selector:\n    matchLabels:\n      app.kubernetes.io/name: {self.app}\n"
            "  template:\n    metadata:\n      labels:\n" + self.labels(8, "server") + "\n"
            "    spec:\n" + self.pod_spec(6, http=True) + "\n"
        )

    def statefulset(self) -> str:
        name, tag = self.r.choice(THIRD_PARTY[:5])
        short = name.rsplit("/", 1)[-1]
        return (
            "apiVersion: apps/v1\nkind: StatefulSet\n" + self.metadata(f"{self.app}-{short}", "database") + "\n"
            f"spec:\n  serviceName: {self.app}-{short}\n  replicas: {self.r.choice([1, 3])}\n"
            "  podManagementPolicy: OrderedReady\n"
            f"  selector:\n    matchLabels:\n      app.kubernetes.io/name: {self.app}\n"
            "  template:\n    metadata:\n      labels:\n" + self.labels(8, "database") + "\n"
            "    spec:\n" + self.pod_spec(6, http=False) + "\n"
            "  volumeClaimTemplates:\n    - metadata:\n        name: data\n      spec:\n"
            "        accessModes: [\"ReadWriteOnce\"]\n"
            f"        storageClassName: {self.r.choice(['gp3', 'standard-rwo', 'premium-ssd'])}\n"
            f"        resources:\n          requests:\n            storage: {self.r.choice(['10Gi', '50Gi', '200Gi'])}\n"
        )

    def service(self, headless: bool = False) -> str:
        typ = "  clusterIP: None\n" if headless else f"  type: {self.r.choice(['ClusterIP'] * 8 + ['LoadBalancer', 'NodePort'])}\n"
        selector = self.app if not self.chance(0.04) else self.app + "-v2"   # defect: selects nothing
        return (
            "apiVersion: v1\nkind: Service\n" + self.metadata(self.app) + "\n"
            f"spec:\n{typ}  selector:\n    app.kubernetes.io/name: {selector}\n"
            f"  ports:\n    - name: http\n      port: 80\n      targetPort: http\n      protocol: TCP\n"
        )

    def ingress(self) -> str:
        host = f"{self.app}.{self.env}.acme.example.com"
        tls = "" if self.chance(0.2) else (      # defect: no TLS
            f"  tls:\n    - hosts:\n        - {host}\n      secretName: {self.app}-tls\n")
        ann = ["cert-manager.io/cluster-issuer: letsencrypt-prod"] if tls else None
        return (
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\n" + self.metadata(self.app, annotations=ann) + "\n"
            f"spec:\n  ingressClassName: {self.r.choice(['nginx', 'traefik', 'alb'])}\n" + tls +
            f"  rules:\n    - host: {host}\n      http:\n        paths:\n          - path: /\n"
            f"            pathType: Prefix\n            backend:\n              service:\n"
            f"                name: {self.app}\n                port:\n                  name: http\n"
        )

    def configmap(self) -> str:
        lines = ["apiVersion: v1", "kind: ConfigMap", self.metadata(f"{self.app}-config"), "data:"]
        for key in self.r.sample(sorted(CONFIG_VALUES), self.r.randint(2, len(CONFIG_VALUES))):
            lines.append(f"  {key}: \"{self.r.choice(CONFIG_VALUES[key])}\"")
        if self.chance(0.4):
            lines.append("  app.yaml: |")
            lines += ["    server:", f"      port: {self.port}", "      shutdownTimeout: 25s", "    database:",
                      f"      host: {self.app}-postgres", "      pool: 20", "    cache:", "      ttl: 300"]
            for i in range(self.r.randint(0, 30)):
                lines.append(f"    # tuning note {i}: keep in sync with the {self.team} runbook")
        return "\n".join(lines) + "\n"

    def dashboard(self) -> str:
        """A Grafana dashboard shipped as a ConfigMap: the large files of real repositories."""
        panels = []
        for i in range(self.r.randint(20, 400)):
            metric = self.r.choice(["http_requests_total", "http_request_duration_seconds_bucket",
                                    "process_resident_memory_bytes", "queue_depth", "db_pool_in_use"])
            panels.append(
                f'        {{"id": {i + 1}, "type": "timeseries", "title": "{metric} ({i})", '
                f'"gridPos": {{"h": 8, "w": 12, "x": {12 * (i % 2)}, "y": {8 * (i // 2)}}}, '
                f'"datasource": {{"type": "prometheus", "uid": "prometheus"}}, '
                f'"targets": [{{"expr": "sum by (pod) (rate({metric}{{namespace=\\"{self.ns}\\", '
                f'app=\\"{self.app}\\"}}[5m]))", "legendFormat": "{{{{pod}}}}", "refId": "A"}}], '
                f'"fieldConfig": {{"defaults": {{"unit": "short", "thresholds": {{"mode": "absolute", '
                f'"steps": [{{"color": "green", "value": null}}, {{"color": "red", "value": {self.r.randint(10, 900)}}}]}}}}, '
                f'"overrides": []}}, "options": {{"legend": {{"displayMode": "list", "placement": "bottom"}}, '
                f'"tooltip": {{"mode": "multi", "sort": "desc"}}}}}}')
        body = ",\n".join(panels)
        return (
            "apiVersion: v1\nkind: ConfigMap\n"
            + self.metadata(f"{self.app}-dashboard", annotations=["grafana_folder: services"]).replace(
                "  labels:\n", "  labels:\n    grafana_dashboard: \"1\"\n", 1) + "\n"
            f"data:\n  {self.app}.json: |\n    {{\n      \"title\": \"{self.app}\",\n"
            f"      \"uid\": \"{self.app[:40]}\",\n      \"schemaVersion\": 39,\n      \"panels\": [\n"
            + body + "\n      ]\n    }\n"
        )

    def pdb(self) -> str:
        budget = "  minAvailable: 1\n" if self.chance(0.5) else "  maxUnavailable: 1\n"
        return (
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\n" + self.metadata(self.app) + "\n"
            f"spec:\n{budget}  selector:\n    matchLabels:\n      app.kubernetes.io/name: {self.app}\n"
        )

    def networkpolicy(self) -> str:
        if self.chance(0.3):
            return (
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                + self.metadata("default-deny") + "\nspec:\n  podSelector: {}\n"
                "  policyTypes:\n    - Ingress\n    - Egress\n"
            )
        return (
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n" + self.metadata(f"{self.app}-allow") + "\n"
            f"spec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: {self.app}\n"
            "  policyTypes:\n    - Ingress\n  ingress:\n    - from:\n        - namespaceSelector:\n"
            "            matchLabels:\n              kubernetes.io/metadata.name: ingress-nginx\n"
            f"      ports:\n        - protocol: TCP\n          port: {self.port}\n"
        )

    def cronjob(self) -> str:
        sched = self.r.choice(["*/15 * * * *", "0 3 * * *", "30 1 * * 0", "@hourly"])
        return (
            "apiVersion: batch/v1\nkind: CronJob\n" + self.metadata(f"{self.app}-cleanup", "job") + "\n"
            f"spec:\n  schedule: \"{sched}\"\n  concurrencyPolicy: Forbid\n"
            "  successfulJobsHistoryLimit: 3\n  failedJobsHistoryLimit: 1\n"
            "  jobTemplate:\n    spec:\n      backoffLimit: 2\n      activeDeadlineSeconds: 3600\n"
            "      template:\n        metadata:\n          labels:\n" + self.labels(12, "job") + "\n"
            "        spec:\n" + self.pod_spec(10, http=False, restart_never=True) + "\n"
        )


SINGLE_KINDS = [("deployment", 30), ("service", 18), ("configmap", 14), ("ingress", 8),
                ("statefulset", 6), ("pdb", 8), ("networkpolicy", 8), ("cronjob", 8)]
FILES_PER_SERVICE = 8
BUNDLES = [["deployment", "service"], ["deployment", "service", "pdb"],
           ["configmap", "deployment", "service", "ingress"], ["statefulset", "service"],
           ["networkpolicy", "networkpolicy"], ["deployment", "service", "pdb", "networkpolicy", "ingress"]]


def render_file(seed: int, index: int) -> tuple[str, str, int]:
    """Return (relative path, content, number of documents) for file `index`."""
    group = index // FILES_PER_SERVICE
    rng = random.Random(seed * 1_000_003 + index)
    g = Gen(random.Random(seed * 7_919 + group * 2 + 1), rng)
    roll = rng.random()
    if roll < 0.005:
        kinds = ["dashboard"]
        name = "dashboard"
    elif roll < 0.225:
        kinds = rng.choice(BUNDLES)
        name = "all"
    else:
        kinds = rng.choices([k for k, _ in SINGLE_KINDS], weights=[w for _, w in SINGLE_KINDS])[0:1]
        name = kinds[0]
    docs = []
    for kind in kinds:
        docs.append(g.service(headless=True) if kind == "service" and "statefulset" in kinds else getattr(g, kind)())
    header = f"# {g.app} ({g.env}) — owned by team {g.team}\n" if rng.random() < 0.4 else ""
    lead = "---\n" if rng.random() < 0.3 else ""
    content = header + lead + "---\n".join(docs)
    # Files group into per-service folders, like a monorepo of deploy configs.
    rel = os.path.join(g.team, f"{g.app}-{group:05d}", f"{name}-{index:06d}.yaml")
    return rel, content, len(docs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, required=True, help="number of manifest files to write")
    ap.add_argument("--out", required=True, help="output folder (replaced if it exists)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = ap.parse_args(argv)
    if args.files < 0:
        ap.error("--files must be >= 0")

    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    made_dirs: set[str] = set()
    total_bytes = total_docs = 0
    for i in range(args.files):
        rel, content, ndocs = render_file(args.seed, i)
        path = os.path.join(args.out, rel)
        parent = os.path.dirname(path)
        if parent not in made_dirs:
            os.makedirs(parent, exist_ok=True)
            made_dirs.add(parent)
        data = content.encode()
        with open(path, "wb") as fh:
            fh.write(data)
        total_bytes += len(data)
        total_docs += ndocs
    print(f"files={args.files} documents={total_docs} bytes={total_bytes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
