#!/usr/bin/env bash
# Benchmark shipgate's static scan of Kubernetes manifests, and compare it with
# Checkov on the same corpora in the same run.
#
#   ./bench/run.sh                 full run (a few minutes on 2 cores, after the release build)
#   BENCH_QUICK=1 ./bench/run.sh   quick run with small corpora (about a minute)
#
# Environment (all optional):
#   BENCH_QUICK=1               small sizes everywhere
#   BENCH_COMPARE_SIZES="100 300"        corpora measured with both tools
#   BENCH_SCALE_SIZES="1000 10000 100000" corpora measured with shipgate alone
#   BENCH_REPEAT=3              shipgate runs per scaling corpus (median reported)
#   BENCH_COMPARE_REPEAT=10     shipgate runs per compared corpus: a run takes tens of
#                               milliseconds there, so one descheduling moves a median of 3
#   BENCH_CHECKOV_REPEAT=3      Checkov runs per corpus (median reported)
#   BENCH_SEED=1                corpus seed (same seed, same files)
#   BENCH_SKIP_CHECKOV=1        shipgate only
#   BENCH_SKIP_SHIPGATE=1       Checkov only
#   BENCH_SKIP_BUILD=1          do not run cargo build
#   SHIPGATE_BIN=path           binary to measure (default target/release/shipgate)
#   CHECKOV_VERSION=3.3.30      version installed into the scratch virtualenv
#   BENCH_WORK=dir              scratch folder (default bench/.work, git-ignored)
#   BENCH_WAIT_IDLE=60          before each run, wait up to this many seconds for CPU use to
#                               fall below 25% (0 disables; useful on shared machines)
#
# Output: a Markdown report on stdout and in $BENCH_WORK/results.md; raw
# measurements in $BENCH_WORK/results.jsonl; each tool's output beside them.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
WORK=${BENCH_WORK:-$BENCH/.work}
SEED=${BENCH_SEED:-1}
CHECKOV_VERSION=${CHECKOV_VERSION:-3.3.30}
if [[ ${BENCH_QUICK:-0} == 1 ]]; then
  COMPARE_SIZES=${BENCH_COMPARE_SIZES:-"20 50"}
  SCALE_SIZES=${BENCH_SCALE_SIZES:-"1000 5000"}
  REPEAT=${BENCH_REPEAT:-1}
  COMPARE_REPEAT=${BENCH_COMPARE_REPEAT:-3}
  CHECKOV_REPEAT=${BENCH_CHECKOV_REPEAT:-1}
else
  COMPARE_SIZES=${BENCH_COMPARE_SIZES:-"100 300"}
  SCALE_SIZES=${BENCH_SCALE_SIZES:-"1000 10000 100000"}
  REPEAT=${BENCH_REPEAT:-3}
  COMPARE_REPEAT=${BENCH_COMPARE_REPEAT:-10}
  CHECKOV_REPEAT=${BENCH_CHECKOV_REPEAT:-3}
fi
SKIP_CHECKOV=${BENCH_SKIP_CHECKOV:-0}
SKIP_SHIPGATE=${BENCH_SKIP_SHIPGATE:-0}
SHIPGATE=${SHIPGATE_BIN:-$ROOT/target/release/shipgate}

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 2; }

command -v python3 >/dev/null || die "python3 is required (3.11 or newer)"
mkdir -p "$WORK"
RESULTS="$WORK/results.jsonl"
MACHINE="$WORK/machine.md"
COMMANDS="$WORK/commands.txt"
# Start from a clean slate so no file of an earlier run can be mistaken for this one's.
rm -rf "${WORK:?}"/corpus-* "$WORK"/*.out "$WORK"/*.err "$WORK"/compare-*.shipgate.json "$WORK/results.md"
: >"$RESULTS"
: >"$COMMANDS"

# --- GNU time for peak RSS ---------------------------------------------------------
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

# --- shipgate ------------------------------------------------------------------------
if [[ $SKIP_SHIPGATE != 1 ]]; then
  if [[ -z ${SHIPGATE_BIN:-} && ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
    log "building shipgate (cargo build --release -p shipgate)"
    (cd "$ROOT" && cargo build --release -p shipgate) >&2
  fi
  [[ -x $SHIPGATE ]] || die "no shipgate binary at $SHIPGATE (build it, or set SHIPGATE_BIN, or BENCH_SKIP_SHIPGATE=1)"
  # Measure a private copy, so a rebuild during the run cannot swap the binary under it.
  cp "$SHIPGATE" "$WORK/shipgate"
  SHIPGATE_SOURCE=$SHIPGATE
  SHIPGATE="$WORK/shipgate"
  # A scan of the bundled example must complete (exit 0 or 1) before anything is timed.
  set +e
  "$SHIPGATE" check "$ROOT/examples/shop" --format json --output /dev/null >/dev/null 2>"$WORK/shipgate-preflight.err"
  rc=$?
  set -e
  if [[ $rc != 0 && $rc != 1 ]]; then
    cat "$WORK/shipgate-preflight.err" >&2
    die "'$SHIPGATE check examples/shop' exited $rc: shipgate cannot scan yet (BENCH_SKIP_SHIPGATE=1 runs Checkov alone)"
  fi
fi

# --- Checkov in a scratch virtualenv ---------------------------------------------------
CHECKOV="$WORK/venv/bin/checkov"
# Checkov phones home unless told not to. Verified against its source (3.3.x):
#   CKV_SKIP_PACKAGE_UPDATE_CHECK=true  no PyPI version check at import (checkov/common/util/banner.py)
#   BC_SKIP_MAPPING=TRUE (= --skip-download)  no guideline/ID-mapping download from the
#                                       Bridgecrew/Prisma API (checkov/main.py, platform_integration.py)
#   BC_API_KEY, PRISMA_API_URL, BC_API_URL unset  no platform login, upload or run-config fetch
#   CKV_*_CONFIG_FETCH_DATA=false       no GitHub/GitLab/Bitbucket API calls (only used by those frameworks)
#   GITHUB_TOKEN etc. unset             so no VCS integration can start
CHECKOV_ENV=(
  env -u BC_API_KEY -u PRISMA_API_URL -u BC_API_URL -u GITHUB_TOKEN -u GITHUB_PAT -u GITLAB_TOKEN
  -u CI_JOB_TOKEN -u BITBUCKET_TOKEN -u BITBUCKET_APP_PASSWORD -u VCS_TOKEN -u TFC_TOKEN
  CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE
  CKV_GITHUB_CONFIG_FETCH_DATA=false CKV_GITLAB_CONFIG_FETCH_DATA=false CKV_BITBUCKET_CONFIG_FETCH_DATA=false
  LOG_LEVEL=WARNING
)
if [[ $SKIP_CHECKOV != 1 ]]; then
  if [[ ! -x $CHECKOV ]]; then
    log "installing checkov==$CHECKOV_VERSION into $WORK/venv"
    python3 -m venv "$WORK/venv" || die "python3 -m venv failed (on Debian/Ubuntu: apt-get install python3-venv)"
    "$WORK/venv/bin/pip" install -q --upgrade pip >&2
    "$WORK/venv/bin/pip" install -q "checkov==$CHECKOV_VERSION" >&2
  fi
  "${CHECKOV_ENV[@]}" "$CHECKOV" --version >/dev/null || die "checkov does not start"
fi

# --- corpora ---------------------------------------------------------------------------
# gen_corpus prints "files=N documents=D bytes=B"; remember it per corpus.
declare -A CORPUS_FILES CORPUS_DOCS CORPUS_BYTES
make_corpus() { # size -> $WORK/corpus-<size>
  local n=$1 dir="$WORK/corpus-$1" summary
  log "generating corpus of $n files (seed $SEED)"
  summary=$(python3 "$BENCH/gen_corpus.py" --files "$n" --out "$dir" --seed "$SEED")
  [[ $summary =~ files=([0-9]+)\ documents=([0-9]+)\ bytes=([0-9]+) ]] || die "unexpected gen_corpus output: $summary"
  CORPUS_FILES[$n]=${BASH_REMATCH[1]}
  CORPUS_DOCS[$n]=${BASH_REMATCH[2]}
  CORPUS_BYTES[$n]=${BASH_REMATCH[3]}
}

measure() { # label tool size cwd cmd...
  local label=$1 tool=$2 n=$3 cwd=$4
  shift 4
  python3 "$BENCH/measure.py" run --label "$label" --tool "$tool" --corpus "$WORK/corpus-$n" \
    --corpus-files "${CORPUS_FILES[$n]}" --corpus-docs "${CORPUS_DOCS[$n]}" \
    --corpus-bytes "${CORPUS_BYTES[$n]}" --results "$RESULTS" --time-bin "$TIME_BIN" --cwd "$cwd" \
    --wait-idle "${BENCH_WAIT_IDLE:-60}" -- "$@"
}

record() { printf '%s\n' "$*" >>"$COMMANDS"; } # for the report's Commands section
record "# corpora: python3 bench/gen_corpus.py --files N --out bench/.work/corpus-N --seed $SEED"
if [[ -n $TIME_BIN ]]; then record "# every command below runs under: $TIME_BIN -v -o <file> ..."; fi
if [[ $SKIP_CHECKOV != 1 ]]; then record "# checkov runs under: ${CHECKOV_ENV[*]}"; fi

run_shipgate() { # label size repeat
  local label=$1 n=$2 repeat=$3 dir="$WORK/corpus-$2" i
  local cmd=("$SHIPGATE" check "$dir" --format json --output /dev/null)
  record "${cmd[*]}   # x$repeat"
  for ((i = 1; i <= repeat; i++)); do
    measure "$label" shipgate "$n" "$ROOT" "${cmd[@]}"
  done
}

run_checkov() { # label size
  local label=$1 n=$2
  # Checkov skips every path with a hidden component (CKV_IGNORE_HIDDEN_DIRECTORIES),
  # and bench/.work is one: run it from inside $WORK on a relative path.
  local cmd=("$CHECKOV" -d "corpus-$n" --framework kubernetes --skip-download --quiet -o json)
  local i repeat=$CHECKOV_REPEAT
  record "cd $WORK && ${cmd[*]} > $label.checkov.out   # x$repeat"
  for ((i = 1; i <= repeat; i++)); do
    measure "$label" checkov "$n" "$WORK" "${CHECKOV_ENV[@]}" "${cmd[@]}"
  done
  # Check what Checkov actually scanned, so a silent skip or parse failure cannot pass for speed.
  python3 - "$WORK/$label.checkov.out" <<'PY' >&2 || die "Checkov did not scan the corpus (see $WORK/$label.checkov.err)"
import json, sys
data = json.load(open(sys.argv[1]))
ok = True
for rep in (data if isinstance(data, list) else [data]):
    s = rep.get("summary", rep)
    print(f"    checkov {rep.get('check_type')}: resources={s.get('resource_count')} "
          f"passed={s.get('passed')} failed={s.get('failed')} parsing_errors={s.get('parsing_errors')}")
    ok = ok and bool(s.get("resource_count")) and not s.get("parsing_errors")
sys.exit(0 if ok else 1)
PY
}

for n in $COMPARE_SIZES; do
  make_corpus "$n"
  if [[ $SKIP_SHIPGATE != 1 ]]; then
    run_shipgate "compare-$n" "$n" "$COMPARE_REPEAT"
    # One untimed run that keeps the report, to check that every file was scanned.
    "$SHIPGATE" check "$WORK/corpus-$n" --format json --output "$WORK/compare-$n.shipgate.json" >/dev/null 2>&1 || true
    python3 - "$WORK/compare-$n.shipgate.json" <<'PY' >&2 || true
import json, sys
rep = json.load(open(sys.argv[1]))
files, summary = rep.get("files", {}), rep.get("summary", {})
print(f"    shipgate: files scanned={files.get('scanned')} objects={files.get('objects')} "
      f"findings={len(rep.get('findings', []))} (errors={summary.get('errors')} "
      f"warnings={summary.get('warnings')} infos={summary.get('infos')})")
PY
  fi
  if [[ $SKIP_CHECKOV != 1 ]]; then
    run_checkov "compare-$n" "$n"
  fi
done

if [[ $SKIP_SHIPGATE != 1 ]]; then
  for n in $SCALE_SIZES; do
    make_corpus "$n"
    run_shipgate "scale-$n" "$n" "$REPEAT"
    # The large corpora are cheap to regenerate and take hundreds of MB.
    if (( n >= 10000 )); then rm -rf "${WORK:?}/corpus-$n"; fi
  done
fi

# --- machine -----------------------------------------------------------------------------
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
    echo "| shipgate | $("$SHIPGATE" --version 2>/dev/null | head -1 || true), copied from \`$SHIPGATE_SOURCE\`${SHIPGATE_BIN:+ (SHIPGATE_BIN override)}, commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$( [[ -n $(git -C "$ROOT" status --porcelain -- crates Cargo.toml Cargo.lock 2>/dev/null) ]] && echo ' with uncommitted changes') |"
    echo "| rustc | $(rustc --version 2>/dev/null || echo unknown) |"
  fi
  if [[ $SKIP_CHECKOV != 1 ]]; then
    echo "| checkov | $("${CHECKOV_ENV[@]}" "$CHECKOV" --version 2>/dev/null), $("$WORK/venv/bin/python" --version 2>&1) |"
  fi
  echo "| peak RSS from | $(if [[ -n $TIME_BIN ]]; then echo "GNU time -v"; else echo "wait4()"; fi) |"
} >"$MACHINE"

python3 "$BENCH/measure.py" report --results "$RESULTS" --machine "$MACHINE" --commands "$COMMANDS" \
  --out "$WORK/results.md"
log "report written to $WORK/results.md"
