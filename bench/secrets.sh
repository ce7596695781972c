#!/usr/bin/env bash
# Benchmark shipgate's secrets pack against detect-secrets (PyPI) and secretlint
# (npm) on one generated tree, in the same run: throughput, recall and false
# positives for each.
#
#   ./bench/secrets.sh                        200 MB tree, shipgate 3 runs, peers once
#   BENCH_SECRETS_MB=20 ./bench/secrets.sh    a quick run
#
# Environment (all optional):
#   BENCH_SECRETS_MB=200           size of the generated tree, in 10^6 bytes
#   BENCH_SECRETS_CREDENTIALS=3000 credentials planted (fresh random values every run)
#   BENCH_SEED=1                   layout and filler seed
#   BENCH_REPEAT=3                 shipgate runs (the median is reported)
#   BENCH_SKIP_BUILD=1             do not run cargo build
#   BENCH_SKIP_PEERS=1             shipgate only
#   SHIPGATE_BIN=path              binary to measure (default target/release/shipgate)
#   DETECT_SECRETS_VERSION=1.5.0   installed into bench/.work/secrets-tools/venv
#   SECRETLINT_VERSION=13.0.6      installed into bench/.work/secrets-tools/node_modules,
#   SECRETLINT_PRESET_VERSION=13.0.7  with @secretlint/secretlint-rule-preset-recommend
#   BENCH_WORK=dir                 scratch folder (default bench/.work, git-ignored)
#
# Output: a Markdown report on stdout and in $BENCH_WORK/secrets/results.md; each
# tool's report and timing beside it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
WORK=${BENCH_WORK:-$BENCH/.work}
OUT="$WORK/secrets"
TOOLS="$WORK/secrets-tools"
MB=${BENCH_SECRETS_MB:-200}
CREDENTIALS=${BENCH_SECRETS_CREDENTIALS:-3000}
SEED=${BENCH_SEED:-1}
REPEAT=${BENCH_REPEAT:-3}
DS_VERSION=${DETECT_SECRETS_VERSION:-1.5.0}
SL_VERSION=${SECRETLINT_VERSION:-13.0.6}
SL_PRESET_VERSION=${SECRETLINT_PRESET_VERSION:-13.0.7}
SHIPGATE=${SHIPGATE_BIN:-$ROOT/target/release/shipgate}

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 2; }

command -v python3 >/dev/null || die "python3 is required (3.11 or newer)"
mkdir -p "$OUT" "$TOOLS"

# --- GNU time for CPU time and peak RSS ------------------------------------------------
if ! /usr/bin/time -f '%e' true >/dev/null 2>&1; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    log "installing GNU time"
    apt-get install -y -qq time >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq time >/dev/null 2>&1; }
  fi
fi
/usr/bin/time -f '%e' true >/dev/null 2>&1 || die "GNU time (/usr/bin/time) is required"

# --- the tools -------------------------------------------------------------------------
if [[ -z ${SHIPGATE_BIN:-} && ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
  log "building shipgate (cargo build --release -p shipgate)"
  (cd "$ROOT" && cargo build --release -p shipgate) >&2
fi
[[ -x $SHIPGATE ]] || die "no shipgate binary at $SHIPGATE"
# A private copy, so a rebuild during the run cannot swap the binary under it.
cp "$SHIPGATE" "$OUT/shipgate"
SHIPGATE="$OUT/shipgate"

if [[ ${BENCH_SKIP_PEERS:-0} != 1 ]]; then
  if ! "$TOOLS/venv/bin/detect-secrets" --version 2>/dev/null | grep -qx "$DS_VERSION"; then
    log "installing detect-secrets $DS_VERSION from PyPI"
    python3 -m venv "$TOOLS/venv"
    "$TOOLS/venv/bin/pip" install -q "detect-secrets==$DS_VERSION" >&2
  fi
  if ! [[ -x $TOOLS/node_modules/.bin/secretlint ]] ||
     ! "$TOOLS/node_modules/.bin/secretlint" --version 2>/dev/null | grep -q "$SL_VERSION"; then
    command -v npm >/dev/null || die "npm is required for secretlint (or set BENCH_SKIP_PEERS=1)"
    log "installing secretlint $SL_VERSION from npm"
    (cd "$TOOLS" && { [[ -f package.json ]] || npm init -y >/dev/null; } &&
      npm install --no-audit --no-fund -s "secretlint@$SL_VERSION" \
        "@secretlint/secretlint-rule-preset-recommend@$SL_PRESET_VERSION") >&2
  fi
fi

# --- the tree --------------------------------------------------------------------------
rm -rf "$OUT/tree" "$OUT"/*.report "$OUT"/*.time "$OUT"/*.times "$OUT/results.md"
log "generating a ${MB} MB tree with $CREDENTIALS planted credentials"
python3 "$BENCH/gen_secrets.py" generate --out "$OUT" --mb "$MB" --seed "$SEED" \
  --credentials "$CREDENTIALS" >"$OUT/generate.json"
echo '{"rules":[{"id":"@secretlint/secretlint-rule-preset-recommend"}]}' >"$OUT/.secretlintrc.json"
BYTES=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bytes"])' "$OUT/generate.json")
FILES=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["files"])' "$OUT/generate.json")
# Read the tree once, so every tool meets a warm page cache.
find "$OUT/tree" -type f -exec cat {} + >/dev/null

# Runs a tool from $OUT on the relative path `tree`, timing the whole process; its
# standard output goes to $OUT/LABEL.stdout. $1 is the label; the rest the command.
timed() {
  local label=$1 before after
  shift
  before=$(cut -d' ' -f1 /proc/loadavg)
  (cd "$OUT" && /usr/bin/time -f '%e %U %S %M' -o "$label.time" "$@" >"$label.stdout" 2>"$label.err") || true
  after=$(cut -d' ' -f1 /proc/loadavg)
  # GNU time puts "Command exited with non-zero status" first when a tool reports findings.
  { tail -n1 "$OUT/$label.time"; echo "$before $after"; } >>"$OUT/$label.times"
}

log "machine: $(nproc) cores; $(uptime)"
: >"$OUT/shipgate.times"
for run in $(seq "$REPEAT"); do
  log "shipgate, run $run of $REPEAT"
  timed shipgate "$SHIPGATE" check tree --select 'secrets/*' --format json --output shipgate.report
done
if [[ ${BENCH_SKIP_PEERS:-0} != 1 ]]; then
  : >"$OUT/secretlint.times"
  log "secretlint"
  timed secretlint "$TOOLS/node_modules/.bin/secretlint" 'tree/**/*' --format unix \
    --output secretlint.report
  : >"$OUT/detect-secrets.times"
  log "detect-secrets (slow: minutes per hundred MB)"
  timed detect-secrets "$TOOLS/venv/bin/detect-secrets" scan --all-files tree
  mv -f "$OUT/detect-secrets.stdout" "$OUT/detect-secrets.report"
fi
log "after the runs: $(uptime)"

# --- the report ------------------------------------------------------------------------
python3 - "$OUT" "$BYTES" "$FILES" "$BENCH/gen_secrets.py" "${BENCH_SKIP_PEERS:-0}" \
  "$DS_VERSION" "$SL_VERSION" "$("$SHIPGATE" --version 2>/dev/null || echo shipgate)" <<'PY' | tee "$OUT/results.md"
import json, statistics, subprocess, sys
from pathlib import Path
out, size, files, gen, skip_peers, ds_version, sl_version, sg_version = sys.argv[1:]
out, size, files = Path(out), int(size), int(files)
tools = [("shipgate", sg_version)]
if skip_peers != "1":
    tools += [("secretlint", f"secretlint {sl_version} (preset-recommend)"), ("detect-secrets", f"detect-secrets {ds_version}")]
rows = {}
for tool, version in tools:
    runs = []
    lines = (out / f"{tool}.times").read_text().split("\n")
    for timing, load in zip(lines[0::2], lines[1::2]):
        wall, user, sys_, rss = timing.split()
        runs.append((float(wall), float(user) + float(sys_), int(rss), load))
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    rss = max(r[2] for r in runs)
    loads = ", ".join(r[3].replace(" ", "→") for r in runs)
    score = json.loads(subprocess.run(
        [sys.executable, gen, "score", "--truth", str(out / "truth.json"), "--tool", tool,
         "--report", str(out / f"{tool}.report")], capture_output=True, text=True, check=True).stdout)
    rows[tool] = dict(version=version, wall=wall, cpu=cpu, rss=rss, loads=loads, runs=len(runs), **score)
print(f"Tree: {files:,} files, {size / 1e6:.1f} MB, {rows['shipgate']['planted']:,} planted credentials.\n")
print("| tool | runs | wall s | MB/s | CPU s | peak RSS MB | found / planted | recall | false positives | of which on decoys | load before→after |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for tool, r in rows.items():
    print(f"| {r['version']} | {r['runs']} | {r['wall']:.2f} | {size / 1e6 / r['wall']:.1f} | {r['cpu']:.1f} | "
          f"{r['rss'] / 1024:.0f} | {r['found']:,} / {r['planted']:,} | {r['recall'] * 100:.1f}% | "
          f"{r['false_positives']:,} | {r['false_positives_on_decoys']:,} | {r['loads']} |")
sg = rows["shipgate"]
for tool, r in rows.items():
    if tool != "shipgate":
        print(f"\n{tool} ÷ shipgate: wall time {r['wall'] / sg['wall']:.1f}×, CPU time {r['cpu'] / sg['cpu']:.1f}×.")
print()
for tool, r in rows.items():
    missed = r["missed_formats"]
    print(f"- {tool} missed: " + (", ".join(f"{k} {v}" for k, v in missed.items()) or "nothing"))
PY
