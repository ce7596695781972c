#!/usr/bin/env python3
"""Source-like trees with planted credentials and decoys, and the scoring of
secret scanners' reports against them (Python 3.11 standard library only).

    gen_secrets.py generate --out DIR [--mb 200] [--seed 1] [--credentials 2000]
        Writes DIR/tree/ (code, configuration, .env, shell, YAML, JSON, TOML and
        key files) and DIR/truth.json. The layout and filler follow the seed; every
        planted credential is drawn fresh from os.urandom, so none is ever the same
        twice and none is committed anywhere. Decoys are what a scanner must not
        report: UUIDs, git SHAs, image digests, lockfile integrity hashes, data
        URIs, content hashes, placeholders, documentation examples and references.

    gen_secrets.py score --truth DIR/truth.json --tool NAME --report FILE
        Reads a scanner's JSON report (shipgate, detect-secrets or secretlint) and
        prints one JSON line: planted credentials found (a finding on any line the
        credential spans), recall, false positives (findings on lines holding no
        planted credential) and how many of those fell on decoys, by format.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import secrets
import string
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

B62 = string.ascii_letters + string.digits
B64 = B62 + "+/"
B64URL = B62 + "-_"
HEX = "0123456789abcdef"
B32 = string.ascii_uppercase + "234567"
BECH32 = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"


def rnd(alphabet: str, n: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def b64(n_bytes: int) -> str:
    return base64.b64encode(os.urandom(n_bytes)).decode()


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def pem_body(n_bytes: int = 600) -> list[str]:
    text = b64(n_bytes)
    return [text[i : i + 64] for i in range(0, len(text), 64)]


def jwt() -> str:
    header = b64url(b'{"alg":"HS256","typ":"JWT"}')
    claims = {"sub": rnd(B62, 12), "iat": random.randint(1_600_000_000, 1_800_000_000)}
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    return f"{header}.{payload}.{b64url(os.urandom(32))}"


def password() -> str:
    # Random passwords with the symbols people add, but none that would end a URL.
    return rnd(B62, 14) + secrets.choice("!*_-.~") + rnd(B62, 3)


# Each format: (name, variable name, value generator). Values are drawn fresh per
# plant. The variable names are what a team would write.
TOKENS = [
    ("aws-access-key", "AWS_ACCESS_KEY_ID", lambda: "AKIA" + rnd(B32, 16)),
    ("aws-secret-key", "AWS_SECRET_ACCESS_KEY", lambda: rnd(B64, 40)),
    ("github-pat", "GITHUB_TOKEN", lambda: "ghp_" + rnd(B62, 36)),
    ("github-fine-grained-pat", "GH_TOKEN", lambda: "github_pat_" + rnd(B62, 22) + "_" + rnd(B62, 59)),
    ("github-oauth", "GITHUB_OAUTH_TOKEN", lambda: "gho_" + rnd(B62, 36)),
    ("github-app-token", "GITHUB_APP_TOKEN", lambda: "ghs_" + rnd(B62, 36)),
    ("gitlab-pat", "GITLAB_TOKEN", lambda: "glpat-" + rnd(B62 + "-_", 20)),
    ("slack-bot-token", "SLACK_BOT_TOKEN", lambda: f"xoxb-{rnd(string.digits, 11)}-{rnd(string.digits, 13)}-{rnd(B62, 24)}"),
    ("slack-webhook", "SLACK_WEBHOOK_URL", lambda: f"https://hooks.slack.com/services/T{rnd(B32, 8)}/B{rnd(B32, 10)}/{rnd(B62, 24)}"),
    ("stripe-secret-key", "STRIPE_SECRET_KEY", lambda: "sk_live_" + rnd(B62, 99)),
    ("stripe-restricted-key", "STRIPE_RESTRICTED_KEY", lambda: "rk_live_" + rnd(B62, 99)),
    ("twilio-api-key", "TWILIO_API_KEY", lambda: "SK" + rnd(HEX, 32)),
    ("sendgrid-api-key", "SENDGRID_API_KEY", lambda: f"SG.{rnd(B64URL, 22)}.{rnd(B64URL, 43)}"),
    ("openai-api-key", "OPENAI_API_KEY", lambda: f"sk-proj-{rnd(B64URL, 74)}T3BlbkFJ{rnd(B64URL, 74)}"),
    ("anthropic-api-key", "ANTHROPIC_API_KEY", lambda: f"sk-ant-api03-{rnd(B64URL, 93)}AA"),
    ("huggingface-token", "HF_TOKEN", lambda: "hf_" + rnd(string.ascii_letters, 34)),
    ("npm-token", "NPM_TOKEN", lambda: "npm_" + rnd(B62, 36)),
    ("pypi-token", "PYPI_TOKEN", lambda: "pypi-AgEIcHlwaS5vcmc" + rnd(B64URL, 120)),
    ("dockerhub-token", "DOCKERHUB_TOKEN", lambda: "dckr_pat_" + rnd(B64URL, 27)),
    ("datadog-api-key", "DD_API_KEY", lambda: rnd(HEX, 32)),
    ("sentry-user-token", "SENTRY_AUTH_TOKEN", lambda: "sntryu_" + rnd(HEX, 64)),
    ("shopify-access-token", "SHOPIFY_ACCESS_TOKEN", lambda: "shpat_" + rnd(HEX, 32)),
    ("mailgun-api-key", "MAILGUN_API_KEY", lambda: "key-" + rnd(HEX, 32)),
    ("mailchimp-api-key", "MAILCHIMP_API_KEY", lambda: rnd(HEX, 32) + "-us" + str(random.randint(1, 21))),
    ("telegram-bot-token", "TELEGRAM_BOT_TOKEN", lambda: f"{random.randint(10**8, 10**10 - 1)}:AA{rnd(B64URL, 33)}"),
    ("discord-bot-token", "DISCORD_BOT_TOKEN", lambda: f"{b64url(str(random.randint(10**17, 10**18)).encode())}.{rnd(B64URL, 6)}.{rnd(B64URL, 38)}"),
    ("gcp-api-key", "GOOGLE_API_KEY", lambda: "AIza" + rnd(B64URL, 35)),
    ("azure-storage-connection-string", "AZURE_STORAGE_CONNECTION_STRING", lambda: f"DefaultEndpointsProtocol=https;AccountName=acct{rnd(string.digits, 4)};AccountKey={b64(64)};EndpointSuffix=core.windows.net"),
    ("heroku-api-key", "HEROKU_API_KEY", lambda: str(uuid.UUID(bytes=os.urandom(16), version=4))),
    ("digitalocean-pat", "DIGITALOCEAN_TOKEN", lambda: "dop_v1_" + rnd(HEX, 64)),
    ("age-secret-key", "SOPS_AGE_KEY", lambda: "AGE-SECRET-KEY-1" + rnd(BECH32, 58)),
    ("jwt", "SERVICE_JWT", jwt),
    ("postgres-connection-string", "DATABASE_URL", lambda: f"postgres://app:{password()}@db.internal:5432/app"),
    ("mysql-connection-string", "MYSQL_URL", lambda: f"mysql://shop:{password()}@mysql.internal:3306/shop"),
    ("mongodb-connection-string", "MONGO_URL", lambda: f"mongodb+srv://svc:{password()}@cluster0.mongodb.net/app"),
    ("redis-connection-string", "REDIS_URL", lambda: f"redis://default:{password()}@cache.internal:6379/0"),
    ("amqp-connection-string", "BROKER_URL", lambda: f"amqps://orders:{password()}@mq.internal:5671/shop"),
    ("generic-password", "DB_PASSWORD", password),
    ("generic-secret", "CLIENT_SECRET", lambda: rnd(B62, 32)),
    ("generic-token", "AUTH_TOKEN", lambda: rnd(B62, 40)),
    ("generic-api-key", "PAYMENTS_API_KEY", lambda: rnd(B62, 32)),
]

KEY_KINDS = ["RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY"]

WORDS = (
    "user order cart item price total count index value result error status request response "
    "client server cache queue event handler config setting option default limit offset page "
    "name id key token secret password auth session cookie header body payload message data "
    "record row column table schema query filter sort group batch job task worker retry timeout "
    "deadline context logger metric trace span buffer stream reader writer file path url host port "
    "region zone node pod service deploy release build test check verify validate parse format "
    "encode decode hash sign encrypt decrypt compress render template view model store load save "
    "update delete create fetch send receive publish subscribe notify schedule lock unlock open close"
).split()

IDENTS = [f"{a}_{b}" for a in WORDS[:60] for b in WORDS[60:120]]
CAMEL = [a + b.capitalize() for a in WORDS[:60] for b in WORDS[60:120]]


def filler(kind: str, rng: random.Random) -> str:
    w = rng.choice
    n = rng.randint
    if kind == "py":
        return w([
            f"def {w(IDENTS)}({w(WORDS)}, {w(WORDS)}=None):",
            f"    {w(IDENTS)} = {w(WORDS)}.{w(IDENTS)}({n(0, 999)})",
            f"    if not {w(WORDS)}:",
            f"        raise ValueError(\"{w(WORDS)} {w(WORDS)} is missing\")",
            f"    return {w(IDENTS)}({w(WORDS)}, {w(WORDS)}={n(0, 99)})",
            f"    logger.info(\"%s {w(WORDS)} {w(WORDS)}\", {w(WORDS)})",
            f"# {w(WORDS)} the {w(WORDS)} before the {w(WORDS)} is {w(WORDS)}ed",
            f"import {w(WORDS)}",
            f"from .{w(WORDS)} import {w(IDENTS)}",
            "",
        ])
    if kind in ("js", "ts"):
        return w([
            f"export function {w(CAMEL)}({w(WORDS)}, {w(WORDS)}) {{",
            f"  const {w(CAMEL)} = await {w(WORDS)}.{w(CAMEL)}({n(0, 999)});",
            f"  if (!{w(WORDS)}) throw new Error(\"{w(WORDS)} {w(WORDS)} is missing\");",
            f"  return {{ {w(WORDS)}: {w(CAMEL)}, {w(WORDS)}: {n(0, 99)} }};",
            "}",
            f"// {w(WORDS)} the {w(WORDS)} before the {w(WORDS)}",
            f"import {{ {w(CAMEL)} }} from \"./{w(WORDS)}\";",
            "",
        ])
    if kind == "go":
        return w([
            f"func {w(CAMEL).capitalize()}(ctx context.Context, {w(WORDS)} string) error {{",
            f"\t{w(CAMEL)}, err := {w(WORDS)}.{w(CAMEL).capitalize()}(ctx, {n(0, 999)})",
            "\tif err != nil {",
            f"\t\treturn fmt.Errorf(\"{w(WORDS)} {w(WORDS)}: %w\", err)",
            "\t}",
            "}",
            f"// {w(CAMEL).capitalize()} {w(WORDS)}s the {w(WORDS)}.",
            "",
        ])
    if kind == "java":
        return w([
            f"    public {w(CAMEL).capitalize()} {w(CAMEL)}(String {w(WORDS)}) {{",
            f"        var {w(CAMEL)} = this.{w(CAMEL)}.{w(CAMEL)}({n(0, 999)});",
            f"        log.debug(\"{w(WORDS)} {{}}\", {w(WORDS)});",
            f"        return {w(CAMEL)};",
            "    }",
            f"    // {w(WORDS)} the {w(WORDS)}",
            "",
        ])
    if kind == "yaml":
        return w([
            f"  {w(WORDS)}: {w(WORDS)}-{n(0, 99)}",
            f"  {w(CAMEL)}: {n(0, 10000)}",
            f"  - name: {w(WORDS)}",
            f"    {w(WORDS)}: \"{w(WORDS)} {w(WORDS)}\"",
            f"# {w(WORDS)} {w(WORDS)}",
        ])
    if kind == "json":
        return w([
            f"  \"{w(CAMEL)}\": \"{w(WORDS)}-{w(WORDS)}\",",
            f"  \"{w(IDENTS)}\": {n(0, 100000)},",
            f"  \"{w(WORDS)}\": true,",
        ])
    if kind == "toml":
        return w([
            f"{w(IDENTS)} = \"{w(WORDS)}\"",
            f"{w(IDENTS)} = {n(0, 1000)}",
            f"[{w(WORDS)}.{w(WORDS)}]",
            f"# {w(WORDS)} {w(WORDS)}",
        ])
    if kind == "sh":
        return w([
            f"{w(IDENTS)}() {{",
            f"  {w(WORDS)} --{w(WORDS)}=\"${{{w(IDENTS).upper()}}}\" \"$@\"",
            "}",
            f"echo \"{w(WORDS)} {w(WORDS)}\" >&2",
            f"# {w(WORDS)} {w(WORDS)}",
        ])
    if kind == "env":
        return w([f"{w(IDENTS).upper()}={w(WORDS)}", f"{w(IDENTS).upper()}={n(0, 9999)}", f"# {w(WORDS)}"])
    return " ".join(w(WORDS) for _ in range(n(6, 16))) + "."


def embed(kind: str, name: str, value: str) -> str:
    camel = "".join(p.capitalize() for p in name.lower().split("_"))
    camel = camel[0].lower() + camel[1:]
    return {
        "py": f"{name} = \"{value}\"",
        "js": f"const {camel} = \"{value}\";",
        "ts": f"export const {camel}: string = \"{value}\";",
        "go": f"\t{camel} := \"{value}\"",
        "java": f"    private static final String {name} = \"{value}\";",
        "yaml": f"  {name.lower()}: \"{value}\"",
        "json": f"  \"{name.lower()}\": \"{value}\",",
        "toml": f"{name.lower()} = \"{value}\"",
        "sh": f"export {name}=\"{value}\"",
        "env": f"{name}={value}",
    }.get(kind, f"{name}={value}")


def decoys(kind: str, rng: random.Random) -> list[tuple[str, str]]:
    """(decoy kind, line) pairs in the syntax of `kind`."""
    hex40 = rnd(HEX, 40)
    out = [
        ("uuid", embed(kind, "REQUEST_ID", str(uuid.uuid4()))),
        ("git-sha", embed(kind, "GIT_COMMIT", hex40)),
        ("image-digest", embed(kind, "IMAGE", f"registry.example.org/shop/api@sha256:{rnd(HEX, 64)}")),
        ("integrity", f"  \"integrity\": \"sha512-{b64(64)}\","),
        ("data-uri", embed(kind, "ICON", f"data:image/png;base64,{b64(180)}")),
        ("content-hash", embed(kind, "CONTENT_SHA256", rnd(HEX, 64))),
        ("placeholder", embed(kind, "API_KEY", "<your-api-key>")),
        ("placeholder", embed(kind, "STRIPE_SECRET_KEY", "sk_live_" + "x" * 24)),
        ("placeholder", embed(kind, "DB_PASSWORD", "changeme")),
        ("doc-example", embed(kind, "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")),
        ("doc-example", embed(kind, "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")),
        ("reference", embed(kind, "GITHUB_TOKEN", "${GITHUB_TOKEN}")),
        ("reference", embed(kind, "DB_PASSWORD", "{{ .Values.db.password }}")),
        ("reference", embed(kind, "DEPLOY_KEY", "${{ secrets.DEPLOY_KEY }}")),
        ("reference", embed(kind, "DATABASE_URL", "postgres://app:${DB_PASSWORD}@db:5432/app")),
        ("reference", embed(kind, "DB_PASSWORD_FILE", "/run/secrets/db-password")),
    ]
    if kind == "py":
        out.append(("reference", "API_KEY = os.environ[\"API_KEY\"]"))
    if kind in ("js", "ts"):
        out.append(("reference", "const secret = process.env.CLIENT_SECRET;"))
    rng.shuffle(out)
    return out[: rng.randint(1, 4)]


EXTENSIONS = ["py", "js", "ts", "go", "java", "yaml", "json", "toml", "sh", "md"]


def fresh_key(kind_name: str) -> list[str] | None:
    """A real key pair's private half, made by openssl or ssh-keygen when they
    are installed: scanners that check a key's structure must see one."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "key"
        if kind_name == "OPENSSH PRIVATE KEY":
            command = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", str(out)]
        elif kind_name == "RSA PRIVATE KEY":
            command = ["openssl", "genrsa", "-traditional", "-out", str(out), "2048"]
        elif kind_name == "EC PRIVATE KEY":
            command = ["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(out)]
        elif kind_name == "PRIVATE KEY":
            command = ["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(out)]
        else:
            return None
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=60)
            return out.read_text().strip().splitlines()
        except (OSError, subprocess.SubprocessError):
            return None


def key_block(kind_name: str, indent: str = "") -> list[str]:
    lines = fresh_key(kind_name)
    if lines is None:
        # No tool to make one: a body of random bytes in the key's armour.
        lines = [f"-----BEGIN {kind_name}-----"]
        if "PGP" in kind_name:
            lines.append("")
        lines += pem_body()
        lines.append(f"-----END {kind_name}-----")
    return [indent + line if line else indent.rstrip() for line in lines]


def generate(out: Path, mb: float, seed: int, credentials: int) -> None:
    rng = random.Random(seed)
    random.seed(seed)
    tree = out / "tree"
    tree.mkdir(parents=True, exist_ok=True)
    target = int(mb * 1_000_000)
    truth: dict = {"credentials": [], "decoys": [], "files": 0, "bytes": 0}
    # Spread the plants over the files to come: about one file in four holds some.
    avg_file = 24_000
    n_files = max(1, target // avg_file)
    planted_per_file: dict[int, int] = {}
    for _ in range(credentials):
        index = rng.randrange(n_files)
        planted_per_file[index] = planted_per_file.get(index, 0) + 1
    written = 0
    index = 0
    while written < target:
        team = f"team{index % 37:02d}"
        service = f"svc-{WORDS[index % len(WORDS)]}-{index % 53}"
        special = rng.random()
        plants = planted_per_file.get(index, 0)
        if special < 0.03:
            kind, name = "env", ".env" if rng.random() < 0.5 else f".env.{rng.choice(['production', 'staging', 'local'])}"
        elif special < 0.04 and plants:
            kind, name = "pem", f"key-{index}.pem"
        else:
            kind = rng.choice(EXTENSIONS)
            name = f"{rng.choice(WORDS)}_{index}.{kind}"
        rel = f"{team}/{service}/{name}"
        lines: list[str] = []
        if kind == "json":
            lines.append("{")
        size_goal = rng.randint(avg_file // 3, avg_file * 2)
        plant_at = sorted(rng.sample(range(10, 400), min(plants, 30))) if kind != "pem" else []
        size = 0
        if kind == "pem":
            for _ in range(max(1, plants)):
                block_kind = rng.choice(KEY_KINDS)
                start = len(lines) + 1
                lines += key_block(block_kind)
                truth["credentials"].append({"path": rel, "line": start, "end": len(lines), "format": "private-key"})
        while kind != "pem" and (size < size_goal or plant_at):
            line_no = len(lines) + 1
            if plant_at and line_no >= plant_at[0]:
                plant_at.pop(0)
                if rng.random() < 0.12 and kind in ("yaml", "json"):
                    block_kind = rng.choice(KEY_KINDS[:3])
                    if kind == "yaml":
                        block = [f"  tls_key: |"] + key_block(block_kind, "    ")
                    else:
                        body = "\\n".join(key_block(block_kind))
                        block = [f"  \"private_key\": \"{body}\\n\","]
                    truth["credentials"].append({"path": rel, "line": line_no, "end": line_no + len(block) - 1, "format": "private-key"})
                    lines += block
                    size += sum(len(b) + 1 for b in block)
                    continue
                fmt, var, make = rng.choice(TOKENS)
                value = make()
                line = embed(kind if kind != "md" else "sh", var, value)
                truth["credentials"].append({"path": rel, "line": line_no, "end": line_no, "format": fmt})
                lines.append(line)
                size += len(line) + 1
                continue
            if rng.random() < 0.01:
                for decoy_kind, line in decoys(kind if kind != "md" else "sh", rng):
                    truth["decoys"].append({"path": rel, "line": len(lines) + 1, "kind": decoy_kind})
                    lines.append(line)
                    size += len(line) + 1
                continue
            line = filler(kind, rng)
            lines.append(line)
            size += len(line) + 1
        if kind == "json":
            lines.append("  \"end\": true")
            lines.append("}")
        path = tree / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = ("\n".join(lines) + "\n").encode()
        path.write_bytes(data)
        written += len(data)
        truth["files"] += 1
        index += 1
    truth["bytes"] = written
    (out / "truth.json").write_text(json.dumps(truth))
    print(json.dumps({"files": truth["files"], "bytes": written, "credentials": len(truth["credentials"]), "decoys": len(truth["decoys"])}))


def findings(tool: str, report: Path) -> list[tuple[str, int]]:
    """(path relative to the tree, line) of every finding in a tool's report."""
    text = report.read_text()
    out: list[tuple[str, int]] = []

    def rel(path: str) -> str:
        path = path.replace("\\", "/")
        marker = "tree/"
        at = path.find(marker)
        return path[at + len(marker):] if at >= 0 else path

    if tool == "shipgate":
        data = json.loads(text)
        for f in data.get("findings", []):
            if not f["rule"].startswith("secrets/"):
                continue
            span = f["location"].get("span")
            if span:
                out.append((rel(f["location"]["path"]), span["start"]["line"]))
    elif tool == "detect-secrets":
        data = json.loads(text)
        for path, items in data.get("results", {}).items():
            for item in items:
                out.append((rel(path), item["line_number"]))
    elif tool == "secretlint":
        # The `unix` format, `PATH:LINE:COLUMN: message`: the JSON one embeds every
        # file's content, which would make the tool write the whole tree again.
        for line in text.splitlines():
            m = re.match(r"^(.*?):(\d+):(\d+): ", line)
            if m:
                out.append((rel(m.group(1)), int(m.group(2))))
    else:
        raise SystemExit(f"unknown tool {tool}")
    return out


def score(truth_path: Path, tool: str, report: Path) -> None:
    truth = json.loads(truth_path.read_text())
    found = set(findings(tool, report))
    by_path: dict[str, list[dict]] = {}
    for c in truth["credentials"]:
        by_path.setdefault(c["path"], []).append(c)
    decoy_lines = {(d["path"], d["line"]) for d in truth["decoys"]}
    hit = 0
    by_format: dict[str, list[int]] = {}
    covered: set[tuple[str, int]] = set()
    for c in truth["credentials"]:
        lines = range(c["line"], c["end"] + 1)
        ok = any((c["path"], line) in found for line in lines)
        hit += ok
        stats = by_format.setdefault(c["format"], [0, 0])
        stats[0] += ok
        stats[1] += 1
        covered.update((c["path"], line) for line in lines)
    false = [f for f in found if f not in covered]
    on_decoys = sum(1 for f in false if f in decoy_lines)
    planted = len(truth["credentials"])
    print(json.dumps({
        "tool": tool,
        "planted": planted,
        "found": hit,
        "recall": round(hit / planted, 4) if planted else 0,
        "false_positives": len(false),
        "false_positives_on_decoys": on_decoys,
        "missed_formats": {k: f"{v[0]}/{v[1]}" for k, v in sorted(by_format.items()) if v[0] < v[1]},
    }))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--out", type=Path, required=True)
    g.add_argument("--mb", type=float, default=200)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--credentials", type=int, default=2000)
    s = sub.add_parser("score")
    s.add_argument("--truth", type=Path, required=True)
    s.add_argument("--tool", required=True)
    s.add_argument("--report", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "generate":
        generate(args.out, args.mb, args.seed, args.credentials)
    else:
        score(args.truth, args.tool, args.report)


if __name__ == "__main__":
    sys.exit(main())
