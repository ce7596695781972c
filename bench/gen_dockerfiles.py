#!/usr/bin/env python3
"""Generate a synthetic but realistic corpus of Dockerfiles.

Each Dockerfile sits in a folder of its own, as in a repository of many small
services: Python, Node, Go, Java and Rust services, most built in several stages
(a build stage and a slim or distroless runtime), installing packages with
apt-get, apk, dnf, pip or npm, some written with heredocs, cache mounts and a
`# syntax=` line. Most are hardened (pinned bases, non-root user, exec-form CMD,
HEALTHCHECK, cleaned package caches), and a share carries the defects real ones
have: an untagged or `latest` base, no USER, `ADD http://...`, `curl | sh`,
apt-get without `--no-install-recommends` or `-y`, unpinned packages, `npm install`,
`cd` in RUN, MAINTAINER, shell-form CMD, SSH exposed, a secret in ENV or ARG,
TLS checks switched off, and so on, so that linters have something to report.

Output is deterministic for a given --seed, and file i depends only on (seed, i):
the first 100 files of a 1,000-file corpus are the 100-file corpus.

Usage:
    python3 bench/gen_dockerfiles.py --files 1000 --out bench/.work/docker/corpus-1000 --seed 1
        Prints one summary line: `files=N stages=S instructions=I bytes=B`.

    shipgate rules --format json | python3 bench/gen_dockerfiles.py --overlap-table -
        Prints a Markdown table of the `docker/*` rules and the hadolint and Checkov
        checks they stand for (from each rule's aliases), then the counts.

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys

TEAMS = ["payments", "checkout", "catalog", "search", "identity", "billing",
         "notifications", "platform", "data", "growth", "support", "logistics"]
NOUNS = ["api", "worker", "gateway", "scheduler", "indexer", "exporter", "web",
         "consumer", "sync", "auth", "reports", "ledger", "mailer", "cache", "router"]
HEX = "0123456789abcdef"

# Base images per language: (build image, tag), (runtime image, tag).
PY_VERSIONS = ["3.10", "3.11", "3.12", "3.13"]
NODE_VERSIONS = ["18", "20", "22"]
GO_VERSIONS = ["1.22", "1.23", "1.24"]
JAVA_VERSIONS = ["17", "21"]
RUST_VERSIONS = ["1.80", "1.82", "1.85"]
DEBIAN = ["bookworm", "bullseye"]
ALPINE = ["3.19", "3.20", "3.21"]

APT_TOOLS = ["ca-certificates", "curl", "git", "build-essential", "libpq-dev", "libssl-dev",
             "pkg-config", "tzdata", "gnupg", "unzip", "libffi-dev", "locales", "jq", "tini",
             "libxml2-dev", "netcat-openbsd", "wget", "procps", "libjpeg62-turbo-dev", "zlib1g-dev"]
APK_TOOLS = ["ca-certificates", "curl", "git", "build-base", "openssl-dev", "tzdata", "tini",
             "libffi-dev", "postgresql-dev", "bash", "jq", "musl-dev", "linux-headers"]
DNF_TOOLS = ["ca-certificates", "curl", "tar", "gzip", "shadow-utils", "findutils", "procps-ng"]
PIP_PKGS = ["gunicorn", "uvicorn", "fastapi", "flask", "django", "celery", "psycopg2-binary",
            "requests", "boto3", "pydantic", "sqlalchemy", "redis", "structlog", "httpx"]
NPM_GLOBAL = ["pm2", "typescript", "pnpm", "nodemon"]
SECRET_NAMES = ["AWS_SECRET_ACCESS_KEY", "DATABASE_PASSWORD", "NPM_TOKEN", "GITHUB_TOKEN",
                "API_KEY", "SENTRY_DSN", "STRIPE_SECRET_KEY", "JWT_SECRET"]
REMOTE_TOOLS = [
    ("https://github.com/grpc-ecosystem/grpc-health-probe/releases/download/v0.4.28/grpc_health_probe-linux-amd64",
     "/usr/local/bin/grpc_health_probe"),
    ("https://github.com/krallin/tini/releases/download/v0.19.0/tini", "/tini"),
    ("https://github.com/jwilder/dockerize/releases/download/v0.7.0/dockerize-linux-amd64-v0.7.0.tar.gz", "/tmp/"),
    ("https://dl.k8s.io/release/v1.31.2/bin/linux/amd64/kubectl", "/usr/local/bin/kubectl"),
]
INSTALL_SCRIPTS = ["https://sh.rustup.rs", "https://install.python-poetry.org",
                   "https://get.docker.com", "https://deb.nodesource.com/setup_20.x",
                   "https://raw.githubusercontent.com/nvm-sh/nvm/v0.40.1/install.sh",
                   "https://awscli.amazonaws.com/install.sh"]


def digest(r: random.Random) -> str:
    return "sha256:" + "".join(r.choice(HEX) for _ in range(64))


class Gen:
    """One Dockerfile. `p` is the chance of each defect: small for hardened files."""

    def __init__(self, seed: int, index: int) -> None:
        self.r = random.Random(f"dockerfile:{seed}:{index}")
        r = self.r
        self.team = r.choice(TEAMS)
        self.app = f"{self.team}-{r.choice(NOUNS)}"
        self.lang = r.choices(["python", "node", "go", "java", "rust"], [30, 25, 20, 15, 10])[0]
        profile = r.random()
        # About half hardened, a third ordinary, a sixth careless.
        self.p = 0.03 if profile < 0.5 else (0.18 if profile < 0.83 else 0.45)
        self.syntax = r.random() < (0.5 if self.p < 0.1 else 0.15)
        self.pipefail = r.random() < (0.7 if self.p < 0.1 else 0.2)
        self.heredocs = self.syntax and r.random() < 0.4
        self.cache_mounts = self.syntax and r.random() < 0.5
        self.lines: list[str] = []
        self.uid: int | None = None
        self.stages = 0
        self.instructions = 0
        self.port = {"python": 8000, "node": 3000, "go": 8080, "java": 8080, "rust": 8080}[self.lang]

    # -- helpers -------------------------------------------------------------
    def bad(self, weight: float = 1.0) -> bool:
        return self.r.random() < min(self.p * weight, 0.95)

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def emit(self, text: str = "") -> None:
        if text and not text.startswith((" ", "#")):
            self.instructions += 1
        self.lines.append(text)

    def comment(self, text: str) -> None:
        if self.chance(0.5):
            self.lines.append(f"# {text}")

    def image(self, name: str, tag: str, *, base: bool = True) -> str:
        """An image reference, pinned as a careful author would, or not."""
        if base and self.bad(0.5):
            return name  # no tag at all
        if base and self.bad(0.5):
            return f"{name}:latest"
        ref = f"{name}:{tag}"
        if self.chance(0.6 if self.p < 0.1 else 0.1):
            ref += f"@{digest(self.r)}"
        return ref

    def from_(self, ref: str, alias: str | None = None) -> None:
        self.stages += 1
        platform = "--platform=linux/amd64 " if self.bad(0.15) else (
            "--platform=$BUILDPLATFORM " if alias and self.chance(0.1) else "")
        self.emit(f"FROM {platform}{ref}" + (f" AS {alias}" if alias else ""))

    def run(self, commands: list[str], *, mounts: str = "") -> None:
        """A RUN instruction: one command per line joined by &&, or a heredoc."""
        prefix = f"RUN {mounts} " if mounts else "RUN "
        if self.heredocs and len(commands) > 1 and self.chance(0.5):
            self.emit(f"{prefix}<<EOF")
            self.lines.append("set -eux" if self.chance(0.7) else "set -e")
            self.lines.extend(commands)
            # A blank line after the terminator: hadolint (2.15) fails to parse an instruction
            # or comment right after one (hadolint/hadolint#960), and would skip the file.
            self.lines.extend(["EOF", ""])
            return
        if len(commands) == 1:
            self.emit(prefix + commands[0])
            return
        self.emit(prefix + commands[0] + " \\")
        for c in commands[1:-1]:
            self.lines.append(f"    && {c} \\")
        self.lines.append(f"    && {commands[-1]}")

    def pick(self, pool: list[str], lo: int, hi: int) -> list[str]:
        return self.r.sample(pool, self.r.randint(lo, hi))

    # -- package managers ------------------------------------------------------
    def apt_install(self, pkgs: list[str], *, cache_mount: bool = False) -> None:
        r = self
        if r.bad(0.3):
            self.run(["apt-get update"])  # update alone, installed from a stale index later
            upd: list[str] = []
        else:
            upd = ["apt-get update"]
        tool = "apt" if r.bad(0.3) else "apt-get"
        flags = []
        if not r.bad(0.6):
            flags.append("-y" if self.chance(0.7) else "--yes")
        if not r.bad(1.2):
            flags.append("--no-install-recommends")
        pinned = [f"{p}={self.r.randint(1, 9)}.{self.r.randint(0, 20)}.{self.r.randint(0, 9)}-{self.r.randint(1, 4)}"
                  if not r.bad(2.0) and self.p < 0.1
                  else p for p in pkgs]
        cmds = list(upd)
        if r.bad(0.4):
            cmds.append(f"{tool} upgrade -y")
        body = " ".join(pinned)
        if len(pinned) > 4:
            cmds.append(f"{tool} install {' '.join(flags)} \\\n        " + " \\\n        ".join(pinned))
        else:
            cmds.append(f"{tool} install {' '.join(flags)} {body}".replace("  ", " "))
        if not cache_mount and not r.bad(1.0):
            cmds.append("rm -rf /var/lib/apt/lists/*")
        mounts = ("--mount=type=cache,target=/var/cache/apt,sharing=locked "
                  "--mount=type=cache,target=/var/lib/apt,sharing=locked") if cache_mount else ""
        self.run(cmds, mounts=mounts)

    def apk_add(self, pkgs: list[str]) -> None:
        flags = "" if self.bad(1.0) else "--no-cache "
        pinned = [f"{p}~={self.r.randint(1, 9)}.{self.r.randint(0, 9)}" if self.p < 0.1 and self.chance(0.5)
                  else p for p in pkgs]
        if flags:
            self.run([f"apk add {flags}{' '.join(pinned)}"])
        else:
            self.run(["apk update", f"apk add {' '.join(pinned)}"])

    def dnf_install(self, pkgs: list[str]) -> None:
        tool = self.r.choice(["microdnf", "dnf", "yum"])
        yes = "" if self.bad(0.5) else "-y "
        cmds = [f"{tool} install {yes}{' '.join(pkgs)}"]
        if not self.bad(1.0):
            cmds.append(f"{tool} clean all")
        self.run(cmds)

    def curl_pipe(self) -> None:
        url = self.r.choice(INSTALL_SCRIPTS)
        if self.chance(0.5):
            self.run([f"curl -fsSL {url} | sh"])
        else:
            self.run([f"wget -qO- {url} | bash -s -- -y"])

    def tls_off(self) -> None:
        self.run([self.r.choice([
            "curl -k -fsSLo /tmp/ca.pem https://certs.internal.example.com/ca.pem",
            "pip install --trusted-host pypi.internal.example.com --index-url "
            "http://pypi.internal.example.com/simple internal-sdk",
            "npm config set strict-ssl false",
            "git config --global http.sslVerify false",
            "wget --no-check-certificate -O /tmp/agent.tgz https://downloads.example.com/agent.tgz",
        ])])

    def secret(self) -> None:
        name = self.r.choice(SECRET_NAMES)
        if self.chance(0.5):
            self.emit(f"ARG {name}")
        else:
            value = "".join(self.r.choice(HEX) for _ in range(32))
            self.emit(f"ENV {name}={value}")

    def user_setup(self, alpine: bool) -> None:
        uid = self.r.choice([1000, 10001, 65532, 1001])
        if alpine:
            self.run([f"addgroup -S -g {uid} app", f"adduser -S -D -H -u {uid} -G app app"])
        elif uid > 60000 and self.bad(2.0):
            self.run([f"useradd --uid {uid} --create-home app"])  # no -l: a huge lastlog
        else:
            self.run([f"groupadd --gid {uid} app",
                      f"useradd --uid {uid} --gid app --no-log-init --create-home app"])
        self.uid = uid

    def labels(self) -> None:
        if self.chance(0.5):
            self.emit(f'LABEL org.opencontainers.image.source="https://github.com/acme/{self.app}" \\')
            self.lines.append(f'      org.opencontainers.image.title="{self.app}" \\')
            self.lines.append(f'      org.opencontainers.image.vendor="Acme {self.team.title()}"')
        if self.bad(0.6):
            self.emit(f"MAINTAINER {self.team} team <{self.team}@acme.example.com>")

    def finish(self, cmd_exec: list[str], cmd_shell: str, *, distroless: bool = False,
               alpine: bool = False) -> None:
        """The runtime tail every service has: user, port, healthcheck, command."""
        if self.bad(0.4):
            self.emit("EXPOSE 22")
        self.emit(f"EXPOSE {self.port}")
        if self.bad(0.5) and not distroless:
            self.emit("USER root")
        elif distroless:
            if not self.bad(1.0):
                self.emit("USER nonroot:nonroot" if self.chance(0.5) else "USER 65532:65532")
        elif not self.bad(1.5):
            if self.uid is None:
                self.user_setup(alpine)
            uid = self.uid
            self.emit("USER app" if self.chance(0.5) else f"USER {uid}")
        if not distroless and not self.bad(2.0) and self.chance(0.6):
            probe = (f"wget -qO- http://127.0.0.1:{self.port}/healthz || exit 1" if alpine
                     else f"curl -fsS http://127.0.0.1:{self.port}/healthz || exit 1")
            self.emit(f"HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 CMD {probe}")
        if self.bad(0.2):
            self.emit(f"CMD {cmd_shell} --debug")  # the earlier CMD is dead
        if self.bad(1.0):
            self.emit(f"CMD {cmd_shell}")
        else:
            if self.chance(0.3) and not distroless:
                self.emit('ENTRYPOINT ["tini", "--"]' if not alpine else 'ENTRYPOINT ["/sbin/tini", "--"]')
            self.emit("CMD " + json.dumps(cmd_exec))

    def workdir(self, path: str) -> None:
        if self.bad(0.2):
            self.emit(f"WORKDIR {path.lstrip('/')}")  # relative
        else:
            self.emit(f"WORKDIR {path}")

    def header(self) -> None:
        if self.syntax:
            self.lines.append(f"# syntax=docker/dockerfile:1.{self.r.choice([4, 6, 7, 9])}")
        if self.chance(0.4):
            self.lines.append(f"# {self.app}: built by CI on every merge to main.")
        if self.chance(0.3):
            self.emit(f"ARG {self.lang.upper()}_VERSION={self.version_hint()}")
        self.lines.append("")

    def version_hint(self) -> str:
        return {"python": "3.12", "node": "20", "go": "1.23", "java": "21", "rust": "1.82"}[self.lang]

    def shell(self, alpine: bool = False) -> None:
        if self.pipefail:
            sh = '"/bin/ash", "-eo"' if alpine else '"/bin/bash", "-o"'
            self.emit(f'SHELL [{sh}, "pipefail", "-c"]')

    def maybe_defects(self) -> None:
        """Defects that can land in any stage."""
        if self.bad(0.4):
            self.curl_pipe()
        if self.bad(0.25):
            url, dest = self.r.choice(REMOTE_TOOLS)
            self.emit(f"ADD {url} {dest}")
        if self.bad(0.3):
            self.tls_off()
        if self.bad(0.3):
            self.secret()
        if self.bad(0.2):
            self.run(["sudo chown -R app /app" if self.chance(0.5) else "sudo apt-get install -y vim"])
        if not self.pipefail and self.chance(0.25):
            self.run(["curl -fsSL https://downloads.example.com/tool.tar.gz | tar -xz -C /usr/local/bin"])

    # -- languages ---------------------------------------------------------------
    def python(self) -> None:
        v = self.r.choice(PY_VERSIONS)
        deb = self.r.choice(DEBIAN)
        alpine = self.chance(0.2)
        base = ("python", f"{v}-alpine{self.r.choice(ALPINE)}" if alpine else f"{v}-slim-{deb}")
        multi = self.chance(0.6 if self.p < 0.1 else 0.35)
        poetry = self.chance(0.3)
        if multi:
            self.comment("build the wheels in a full image")
            self.from_(self.image(base[0], base[1]), "builder")
            self.shell(alpine)
            self.workdir("/src")
            if alpine:
                self.apk_add(self.pick(APK_TOOLS, 2, 5))
            else:
                self.apt_install(self.pick(APT_TOOLS, 2, 6), cache_mount=self.cache_mounts)
            self.maybe_defects()
            self.emit("COPY requirements.txt ./" if not poetry else "COPY pyproject.toml poetry.lock ./")
            if poetry:
                self.run(["pip install --no-cache-dir poetry==1.8.4",
                          "poetry export -f requirements.txt -o requirements.txt --without-hashes"])
            cache = "" if self.bad(1.0) else "--no-cache-dir "
            mounts = "--mount=type=cache,target=/root/.cache/pip" if self.cache_mounts else ""
            self.run([f"pip wheel {cache}--wheel-dir /wheels -r requirements.txt"], mounts=mounts)
            self.lines.append("")
            self.comment("runtime image")
            self.from_(self.image(base[0], base[1]), "runtime" if self.chance(0.3) else None)
            self.labels()
            self.emit("ENV PYTHONDONTWRITEBYTECODE=1 \\")
            self.lines.append("    PYTHONUNBUFFERED=1 \\")
            self.lines.append(f"    PORT={self.port}")
            self.workdir("/app")
            src = "builder" if not self.bad(0.15) else "build"  # a stage name that does not exist
            self.emit(f"COPY --from={src} /wheels /wheels")
            self.run([f"pip install {'' if self.bad(1.0) else '--no-cache-dir '}/wheels/*", "rm -rf /wheels"])
        else:
            self.from_(self.image(base[0], base[1]))
            self.labels()
            self.shell(alpine)
            if alpine:
                self.apk_add(self.pick(APK_TOOLS, 2, 5))
            else:
                self.apt_install(self.pick(APT_TOOLS, 2, 7), cache_mount=self.cache_mounts)
            self.maybe_defects()
            self.workdir("/app")
            self.emit("COPY requirements.txt .")
            cache = "" if self.bad(1.0) else "--no-cache-dir "
            self.run([f"pip install {cache}-r requirements.txt"])
            if self.bad(0.8):
                self.run([f"pip install {' '.join(self.pick(PIP_PKGS, 1, 3))}"])
            elif self.chance(0.3):
                pkgs = [f"{p}=={self.r.randint(1, 5)}.{self.r.randint(0, 20)}.{self.r.randint(0, 9)}"
                        for p in self.pick(PIP_PKGS, 1, 3)]
                self.run([f"pip install --no-cache-dir {' '.join(pkgs)}"])
        if self.bad(0.5):
            self.run(["cd /app", "python -m compileall -q ."])
        self.emit("COPY . ." if self.chance(0.5) else "COPY --chown=app:app src/ ./src/")
        if self.bad(0.3):
            self.emit("ADD config/settings.toml /app/config/")
        mod = self.r.choice(["app.main:app", "service.api:app", "server:app"])
        self.finish(["gunicorn", "-k", "uvicorn.workers.UvicornWorker", "-b", f"0.0.0.0:{self.port}", mod],
                    f"gunicorn -b 0.0.0.0:{self.port} {mod}", alpine=alpine)

    def node(self) -> None:
        v = self.r.choice(NODE_VERSIONS)
        alpine = self.chance(0.5)
        tag = f"{v}-alpine{self.r.choice(ALPINE)}" if alpine else f"{v}-{self.r.choice(DEBIAN)}-slim"
        install = "npm install" if self.bad(1.5) else self.r.choice(["npm ci", "npm ci --omit=dev"])
        multi = self.chance(0.6 if self.p < 0.1 else 0.3)
        self.from_(self.image("node", tag), "deps" if multi else None)
        if not multi:
            self.labels()
        if alpine:
            self.apk_add(self.pick(["python3", "make", "g++", "git", "libc6-compat"], 1, 3))
        else:
            self.shell()
            self.apt_install(self.pick(["python3", "make", "g++", "git", "ca-certificates"], 1, 4))
        self.maybe_defects()
        self.workdir("/usr/src/app")
        self.emit("COPY package.json package-lock.json ./")
        mounts = "--mount=type=cache,target=/root/.npm" if self.cache_mounts else ""
        self.run([install], mounts=mounts)
        if self.bad(0.5):
            self.run([f"npm install -g {' '.join(self.pick(NPM_GLOBAL, 1, 2))}"])
        self.emit("COPY . .")
        self.run(["npm run build"] + (["npm prune --omit=dev"] if self.chance(0.5) else []))
        if multi:
            self.lines.append("")
            distroless = self.chance(0.25)
            if distroless:
                self.from_(self.image("gcr.io/distroless/nodejs" + v + "-debian12", "nonroot"))
            else:
                self.from_(self.image("node", tag))
                self.labels()
            self.emit("ENV NODE_ENV=production")
            self.workdir("/usr/src/app")
            for part in ["node_modules", "dist", "package.json"]:
                dest = f"./{part}" if part != "package.json" else "./"
                self.emit(f"COPY --from=deps /usr/src/app/{part} {dest}")
            if distroless:
                self.finish(["dist/server.js"], "node dist/server.js", distroless=True)
                return
        if self.bad(0.4):
            self.run(["cd /usr/src/app", "chown -R node:node ."])
        if not self.bad(1.5):
            self.emit(f"EXPOSE {self.port}")
            self.emit("USER node")
            self.emit('CMD ["node", "dist/server.js"]')
        else:
            self.finish(["node", "dist/server.js"], "npm start", alpine=alpine)

    def go(self) -> None:
        v = self.r.choice(GO_VERSIONS)
        alpine = self.chance(0.5)
        tag = f"{v}-alpine{self.r.choice(ALPINE)}" if alpine else f"{v}-{self.r.choice(DEBIAN)}"
        self.from_(self.image("golang", tag), "build")
        if alpine:
            self.apk_add(self.pick(["git", "ca-certificates", "make", "gcc", "musl-dev"], 1, 3))
        self.maybe_defects()
        self.workdir("/src")
        self.emit("COPY go.mod go.sum ./")
        mounts = "--mount=type=cache,target=/go/pkg/mod" if self.cache_mounts else ""
        self.run(["go mod download"], mounts=mounts)
        self.emit("COPY . .")
        if self.bad(0.4):
            self.run(["cd cmd/server", "go build -o /out/server ."])
        else:
            ldflags = "-s -w -X main.version=${VERSION}"
            if self.chance(0.3):
                self.emit("ARG VERSION=dev")
            mounts = ("--mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build"
                      if self.cache_mounts else "")
            self.run([f'CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="{ldflags}" -o /out/server ./cmd/server'],
                     mounts=mounts)
        self.lines.append("")
        final = self.r.choices(["distroless", "scratch", "alpine", "debian"], [45, 20, 20, 15])[0]
        if final == "distroless":
            self.from_(self.image("gcr.io/distroless/static-debian12", "nonroot"))
            self.labels()
            self.emit("COPY --from=build /out/server /server")
            self.finish(["/server"], "/server", distroless=True)
        elif final == "scratch":
            self.from_("scratch")
            self.emit("COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/")
            self.emit("COPY --from=build /out/server /server")
            if not self.bad(1.0):
                self.emit("USER 65534:65534")
            self.emit(f"EXPOSE {self.port}")
            self.emit('ENTRYPOINT ["/server"]')
        elif final == "alpine":
            self.from_(self.image("alpine", self.r.choice(ALPINE)))
            self.labels()
            self.apk_add(["ca-certificates", "tzdata"])
            self.emit("COPY --from=build /out/server /usr/local/bin/server")
            self.finish(["server"], "server", alpine=True)
        else:
            self.from_(self.image("debian", f"{self.r.choice(DEBIAN)}-slim"))
            self.labels()
            self.shell()
            self.apt_install(["ca-certificates", "tzdata"])
            self.emit("COPY --from=build /out/server /usr/local/bin/server")
            self.finish(["server"], "server")

    def java(self) -> None:
        v = self.r.choice(JAVA_VERSIONS)
        gradle = self.chance(0.4)
        if gradle:
            self.from_(self.image("gradle", f"8.10-jdk{v}"), "build")
            self.workdir("/home/gradle/src")
            self.emit("COPY --chown=gradle:gradle . .")
            self.run(["gradle bootJar --no-daemon"])
            jar = "/home/gradle/src/build/libs/*.jar"
        else:
            self.from_(self.image("maven", f"3.9.9-eclipse-temurin-{v}"), "build")
            self.workdir("/build")
            self.emit("COPY pom.xml .")
            mounts = "--mount=type=cache,target=/root/.m2" if self.cache_mounts else ""
            self.run(["mvn -B -q dependency:go-offline"], mounts=mounts)
            self.emit("COPY src ./src")
            self.run(["mvn -B -q package -DskipTests"], mounts=mounts)
            jar = "/build/target/*.jar"
        self.maybe_defects()
        self.lines.append("")
        ubi = self.chance(0.25)
        if ubi:
            self.from_(self.image("registry.access.redhat.com/ubi9/openjdk-" + v, "1.20"))
            self.labels()
            self.emit("USER 0")
            self.dnf_install(self.pick(DNF_TOOLS, 1, 3))
            self.emit("USER 185" if not self.bad(1.0) else "USER root")
            self.workdir("/deployments")
            self.emit(f"COPY --from=build {jar} /deployments/app.jar")
            self.emit(f"EXPOSE {self.port}")
            self.emit('CMD ["java", "-XX:MaxRAMPercentage=75", "-jar", "/deployments/app.jar"]')
            return
        self.from_(self.image("eclipse-temurin", f"{v}-jre-jammy"))
        self.labels()
        self.shell()
        if self.chance(0.5):
            self.apt_install(self.pick(["curl", "ca-certificates", "fontconfig", "tini"], 1, 3))
        self.workdir("/app")
        self.emit(f"COPY --from=build {jar} app.jar")
        if self.bad(0.5):
            self.emit("ENV JAVA_OPTS=\"-Xmx512m\"")
            self.finish(["java", "-jar", "app.jar"], "java $JAVA_OPTS -jar app.jar")
        else:
            self.finish(["java", "-XX:MaxRAMPercentage=75", "-jar", "app.jar"], "java -jar app.jar")

    def rust(self) -> None:
        v = self.r.choice(RUST_VERSIONS)
        deb = self.r.choice(DEBIAN)
        self.from_(self.image("rust", f"{v}-slim-{deb}"), "chef" if self.chance(0.3) else "builder")
        stage = self.lines[-1].split()[-1]
        self.shell()
        self.apt_install(self.pick(["pkg-config", "libssl-dev", "protobuf-compiler", "clang", "cmake"], 1, 3),
                         cache_mount=self.cache_mounts)
        self.maybe_defects()
        self.workdir("/usr/src/app")
        if stage == "chef":
            self.run(["cargo install cargo-chef --locked --version 0.1.68"])
            self.emit("COPY . .")
            self.run(["cargo chef prepare --recipe-path recipe.json"])
            self.run(["cargo chef cook --release --recipe-path recipe.json"])
        else:
            self.emit("COPY Cargo.toml Cargo.lock ./")
            self.run(["mkdir src", "echo 'fn main() {}' > src/main.rs", "cargo build --release", "rm -rf src"])
        self.emit("COPY . .")
        mounts = ("--mount=type=cache,target=/usr/local/cargo/registry --mount=type=cache,target=target"
                  if self.cache_mounts else "")
        self.run([f"cargo build --release --locked --bin {self.app}",
                  f"cp target/release/{self.app} /usr/local/bin/app"], mounts=mounts)
        self.lines.append("")
        if self.chance(0.5):
            self.from_(self.image("gcr.io/distroless/cc-debian12", "nonroot"))
            self.labels()
            self.emit(f"COPY --from={stage} /usr/local/bin/app /app")
            self.finish(["/app"], "/app", distroless=True)
        else:
            self.from_(self.image("debian", f"{deb}-slim"))
            self.labels()
            self.shell()
            self.apt_install(["ca-certificates", "libssl3"] if deb == "bookworm" else ["ca-certificates", "libssl1.1"])
            self.emit(f"COPY --from={stage} /usr/local/bin/app /usr/local/bin/app")
            self.finish(["app"], "app")

    def toolbox(self) -> None:
        """A rare large CI image: many tools in many layers, all in one stage."""
        self.from_(self.image("ubuntu", self.r.choice(["22.04", "24.04"])))
        self.labels()
        self.shell()
        self.emit("ENV DEBIAN_FRONTEND=noninteractive")
        for _ in range(self.r.randint(6, 14)):
            self.apt_install(self.pick(APT_TOOLS, 3, 10))
            self.maybe_defects()
            for _ in range(self.r.randint(1, 4)):
                tool = self.r.choice(["terraform", "helm", "kubectl", "yq", "sops", "trivy", "cosign"])
                ver = f"{self.r.randint(0, 3)}.{self.r.randint(0, 40)}.{self.r.randint(0, 9)}"
                self.run([f"curl -fsSLo /tmp/{tool}.tgz https://releases.example.com/{tool}/v{ver}/{tool}_linux_amd64.tgz",
                          f"echo \"{''.join(self.r.choice(HEX) for _ in range(64))}  /tmp/{tool}.tgz\" | sha256sum -c -",
                          f"tar -xzf /tmp/{tool}.tgz -C /usr/local/bin {tool}",
                          f"rm /tmp/{tool}.tgz"])
        self.workdir("/workspace")
        self.finish(["bash"], "bash")

    def render(self) -> str:
        self.header()
        if self.r.random() < 0.01:
            self.toolbox()
        else:
            getattr(self, self.lang)()
        return "\n".join(self.lines).strip() + "\n"


def render_file(seed: int, index: int) -> tuple[str, str, int, int]:
    """(relative path, text, stages, instructions) of file `index`."""
    g = Gen(seed, index)
    text = g.render()
    return os.path.join(g.team, f"{g.app}-{index:05d}", "Dockerfile"), text, g.stages, g.instructions


def overlap_table(rules_json: str) -> str:
    """Markdown: each docker/* rule and its hadolint and Checkov equivalents, then counts."""
    data = json.loads(rules_json)
    rules = data if isinstance(data, list) else data.get("rules", [])
    docker = sorted((r for r in rules if r["id"].startswith("docker/")), key=lambda r: r["id"])
    lines = ["| shipgate rule | hadolint | Checkov |", "|---|---|---|"]
    n_had = n_ck = n_both = n_only = 0
    had_ids: set[str] = set()
    ck_ids: set[str] = set()
    for rule in docker:
        aliases = rule.get("aliases", [])
        had = [a.split(":", 1)[1] for a in aliases if a.startswith("hadolint:")]
        ck = [a.split(":", 1)[1] for a in aliases if a.startswith("checkov:")]
        had_ids.update(had)
        ck_ids.update(ck)
        n_had += bool(had)
        n_ck += bool(ck)
        n_both += bool(had and ck)
        if not had and not ck:
            n_only += 1
            lines.append(f"| `{rule['id']}` | — | — (shipgate-only) |")
        else:
            lines.append(f"| `{rule['id']}` | {', '.join(had) or '—'} | {', '.join(ck) or '—'} |")
    lines.append("")
    lines.append(f"{len(docker)} `docker/*` rules: {n_had} have a hadolint equivalent "
                 f"({len(had_ids)} hadolint checks), {n_ck} a Checkov one ({len(ck_ids)} Checkov checks), "
                 f"{n_both} both, and {n_only} neither (shipgate-only).")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, help="number of Dockerfiles to write")
    ap.add_argument("--out", help="output folder (replaced if it exists)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--overlap-table", metavar="RULES_JSON",
                    help="instead: read `shipgate rules --format json` from this file ('-' for stdin) "
                         "and print the rule overlap table")
    args = ap.parse_args(argv)
    if args.overlap_table:
        src = sys.stdin.read() if args.overlap_table == "-" else open(args.overlap_table).read()
        sys.stdout.write(overlap_table(src))
        return 0
    if args.files is None or args.out is None:
        ap.error("--files and --out are required (or --overlap-table)")
    if args.files < 0:
        ap.error("--files must be >= 0")

    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    total_bytes = total_stages = total_instr = 0
    for i in range(args.files):
        rel, content, stages, instr = render_file(args.seed, i)
        path = os.path.join(args.out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = content.encode()
        with open(path, "wb") as fh:
            fh.write(data)
        total_bytes += len(data)
        total_stages += stages
        total_instr += instr
    print(f"files={args.files} stages={total_stages} instructions={total_instr} bytes={total_bytes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
