#!/usr/bin/env bash
# The probe's load generator against wrk (Debian's), on the same loopback
# server, each with one thread and 64 connections:
#  1. saturation throughput, as a ratio to wrk's;
#  2. against a server that stalls for 1 s every 5 s: the open-model p99 at
#     a fixed rate, wrk's p99, and the same generator run closed-loop with no
#     correction, which is what coordinated omission looks like.
# wrk 4 back-fills its histogram after the run (stats_correct, from the mean
# interval per connection), so its p99 shows a stall too; the uncorrected
# closed-loop figure is the one that hides it.
# Usage: bench/load.sh [SECONDS]   (default 10; the stall run takes twice that)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && apt-get install -y -qq wrk
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq wrk
  fi
fi
cargo build --release --quiet -p shipgate-probe --examples
bin="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/examples"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
server=""
stop_server() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  server=""
}
trap stop_server EXIT
start_server() {
  local port
  port="$(free_port)"
  "$bin/bench_server" "$port" "$@" &
  server=$!
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  url="http://127.0.0.1:$port/"
}
# wrk prints "Requests/sec:  26892.54" and latency percentiles as "99%  10.23ms".
wrk_rps() { awk '/Requests\/sec/ {print $2}'; }
wrk_ms() {
  awk -v q="$1" '$1 == q {v = $2; if (v ~ /us$/) {sub("us", "", v); v /= 1000} else if (v ~ /ms$/) {sub("ms", "", v)} else if (v ~ /s$/) {sub("s", "", v); v *= 1000}; print v}'
}
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

echo "== saturation: ${secs}s, 64 connections, one generator thread, one server thread"
start_server
wrk_out="$(wrk -t1 -c64 -d"${secs}s" --latency "$url")"
ours="$("$bin/loadgen" "$url" max "$secs" 64 1)"
stop_server
wrk_rate="$(wrk_rps <<<"$wrk_out")"
our_rate="$(json_field throughput_rps <<<"$ours")"
python3 -c "print(f'wrk: {float($wrk_rate):.0f} req/s   shipgate: {float($our_rate):.0f} req/s   ratio: {float($our_rate) / float($wrk_rate):.2f}')"

stall_secs=$((secs * 2))
echo "== a server stalling 1 s every 5 s: ${stall_secs}s"
start_server 5000 1000
wrk_out="$(wrk -t1 -c64 -d"${stall_secs}s" --latency "$url")"
stop_server
start_server 5000 1000
open="$("$bin/loadgen" "$url" 2000 "$stall_secs" 64 1)"
stop_server
start_server 5000 1000
closed="$("$bin/loadgen" "$url" max "$stall_secs" 64 1)"
stop_server
echo "wrk (corrected after the run):          p50 $(wrk_ms 50% <<<"$wrk_out") ms  p99 $(wrk_ms 99% <<<"$wrk_out") ms"
echo "shipgate open model at 2000 req/s:      p50 $(json_field p50_ms <<<"$open") ms  p99 $(json_field p99_ms <<<"$open") ms  (schedule lag p99 $(json_field schedule_lag_p99_ms <<<"$open") ms)"
echo "closed loop, uncorrected (omission):    p50 $(json_field p50_ms <<<"$closed") ms  p99 $(json_field p99_ms <<<"$closed") ms"
