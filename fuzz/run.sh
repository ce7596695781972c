#!/usr/bin/env bash
# Runs every fuzz target for a bounded time. Not part of CI: fuzzing for long
# enough to matter costs more than a CI run has, and a found crash is a lead to
# follow by hand, not a flaky red build.
#
#   fuzz/run.sh                       # every target, 60 s each
#   FUZZ_SECONDS=600 fuzz/run.sh      # longer
#   fuzz/run.sh yaml_loader           # one target
#   FUZZ_JOBS=2 fuzz/run.sh           # parallel workers per target
#   FUZZ_SANITIZER=address fuzz/run.sh
#
# Corpora grow in fuzz/corpus/<target>/ (seeded from fuzz/seeds/<target>/),
# crashes land in fuzz/artifacts/<target>/; both are ignored by git.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.."

seconds="${FUZZ_SECONDS:-60}"
jobs="${FUZZ_JOBS:-1}"
max_len="${FUZZ_MAX_LEN:-16384}"
# Only stable Rust is available here, and cargo-fuzz's default AddressSanitizer
# needs `-Zsanitizer`, a nightly-only flag. Two ways round it:
# - `--sanitizer none` (the default here): cargo-fuzz then passes only stable
#   `-C` flags (sancov instrumentation, debug assertions, overflow checks), so
#   it builds and runs on stable. The code under test forbids `unsafe`, so ASan
#   would add little but a 2-3x slowdown; panics, overflows and OOM/timeouts
#   are still caught.
# - FUZZ_SANITIZER=address: we set RUSTC_BOOTSTRAP=1, which lets the stable
#   compiler accept `-Z` flags; the ASan runtime ships with the stable
#   toolchain's rust-std for x86_64 Linux. (Not for other uses: it switches
#   off stability guarantees.)
sanitizer="${FUZZ_SANITIZER:-none}"
if [[ "$sanitizer" != none ]]; then
    export RUSTC_BOOTSTRAP=1
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    targets=(yaml_loader manifest_model kustomize_render lockfiles)
fi

status=0
for target in "${targets[@]}"; do
    corpus="fuzz/corpus/$target"
    mkdir -p "$corpus" "fuzz/artifacts/$target"
    if [[ -d "fuzz/seeds/$target" ]]; then
        cp -n "fuzz/seeds/$target"/* "$corpus"/ 2>/dev/null || true
    fi
    echo "== $target: ${seconds}s, sanitizer $sanitizer, $jobs job(s)"
    # -rss_limit_mb: the loader must stay frugal on hostile input; 2 GiB is
    # far above what any of these inputs needs.
    args=(
        -max_total_time="$seconds"
        -max_len="$max_len"
        -timeout=10
        -rss_limit_mb=2048
        -dict=fuzz/yaml.dict
        -print_final_stats=1
    )
    if [[ "$jobs" -gt 1 ]]; then
        args+=(-fork="$jobs")
    fi
    if ! cargo fuzz build --sanitizer "$sanitizer" "$target"; then
        echo "!! $target did not build" >&2
        exit 2
    fi
    if ! cargo fuzz run --sanitizer "$sanitizer" "$target" "$corpus" -- "${args[@]}"; then
        echo "!! $target found a crash: see fuzz/artifacts/$target/" >&2
        status=1
    fi
done
exit "$status"
