#!/usr/bin/env python3
"""Measurement and reporting helpers for bench/run.sh (Python 3.11 standard library only).

    measure.py run --label L --tool T --corpus DIR --corpus-bytes B --corpus-files N \
                   --corpus-docs D --results FILE [--time-bin /usr/bin/time] [--cwd DIR]
                   [--wait-idle SECONDS] -- CMD...
        Runs CMD once and appends one JSON line to FILE with:
          wall_s      wall-clock seconds (perf_counter around the child)
          cpu_s       user + system CPU seconds of the child and its descendants
          max_rss_kb  peak resident set of the largest single process (GNU time's
                      "Maximum resident set size", i.e. wait4's ru_maxrss)
          tree_pss_kb peak of the summed PSS of all processes in the child's process
                      group, sampled every 0.2 s (catches multi-process tools such as
                      Checkov's forked workers; a lower bound for very short runs)
          exit        the command's exit code
          load_before the 1-minute load average just before the run
          others_cpu_s CPU seconds the rest of the machine used during the run
          busy_before CPU use just before the run, when --wait-idle is given
        CMD's stdout and stderr go to FILE's folder as <label>.<tool>.out / .err.

    measure.py report --results FILE --machine FILE --commands FILE --out FILE.md
        Renders the Markdown report from the JSON lines.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def _group_pss_kb(pgid: int) -> int:
    """Sum PSS (falling back to RSS) over live processes whose process group is pgid."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
            # Fields after the parenthesised command name; pgrp is the 3rd of them.
            fields = stat[stat.rindex(b")") + 2:].split()
            if int(fields[2]) != pgid:
                continue
            try:
                with open(f"/proc/{entry.name}/smaps_rollup", "rb") as fh:
                    m = re.search(rb"^Pss:\s+(\d+) kB", fh.read(), re.M)
                total += int(m.group(1)) if m else 0
            except OSError:
                total += int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, ValueError, IndexError):
            continue
    return total


def _cpu_snapshot() -> tuple[int, int]:
    """(total, idle) jiffies over all CPUs, from /proc/stat."""
    with open("/proc/stat") as fh:
        vals = [int(v) for v in fh.readline().split()[1:8]]
    idle = vals[3] + vals[4]
    return sum(vals), idle


def _cpu_busy(interval: float = 2.0) -> float:
    """Fraction of all CPUs busy over `interval` seconds."""
    t0, i0 = _cpu_snapshot()
    time.sleep(interval)
    t1, i1 = _cpu_snapshot()
    return 1.0 - (i1 - i0) / max(t1 - t0, 1)


def _wait_idle(max_wait: float, threshold: float = 0.25) -> float:
    """Wait until the machine is mostly idle, at most max_wait seconds; return the last busy fraction."""
    deadline = time.monotonic() + max_wait
    busy = _cpu_busy()
    announced = False
    while busy > threshold and time.monotonic() < deadline:
        if not announced:
            print(f"  waiting for the machine to go idle (CPU {busy:.0%} busy)...", file=sys.stderr)
            announced = True
        busy = _cpu_busy()
    return busy


def _parse_gnu_time(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, pat in (("max_rss_kb", r"Maximum resident set size \(kbytes\): (\d+)"),
                     ("user_s", r"User time \(seconds\): ([\d.]+)"),
                     ("sys_s", r"System time \(seconds\): ([\d.]+)"),
                     ("exit", r"Exit status: (\d+)")):
        m = re.search(pat, text)
        if m:
            out[key] = float(m.group(1))
    return out


def cmd_run(args: argparse.Namespace) -> int:
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    if not cmd:
        print("measure.py run: no command given", file=sys.stderr)
        return 2
    results = Path(args.results)
    results.parent.mkdir(parents=True, exist_ok=True)
    stem = results.parent / f"{args.label}.{args.tool}"
    time_file = None
    full_cmd = list(cmd)
    if args.time_bin:
        fd, time_file = tempfile.mkstemp(prefix="gnutime-", dir=results.parent)
        os.close(fd)
        full_cmd = [args.time_bin, "-v", "-o", time_file, *cmd]

    busy_before = _wait_idle(args.wait_idle) if args.wait_idle > 0 else None
    load_before = os.getloadavg()[0]
    peak_pss = 0
    done = threading.Event()
    with open(f"{stem}.out", "wb") as out, open(f"{stem}.err", "wb") as err:
        cpu0 = _cpu_snapshot()
        start = time.perf_counter()
        proc = subprocess.Popen(full_cmd, stdout=out, stderr=err, start_new_session=True,
                                cwd=args.cwd or None)

        def sample() -> None:
            nonlocal peak_pss
            while not done.wait(0.2):
                peak_pss = max(peak_pss, _group_pss_kb(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            _, status, rusage = os.wait4(proc.pid, 0)
        except KeyboardInterrupt:
            os.killpg(proc.pid, signal.SIGTERM)
            raise
        wall = time.perf_counter() - start
        cpu1 = _cpu_snapshot()
        done.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)

    rec: dict[str, object] = {
        "label": args.label, "tool": args.tool, "corpus": args.corpus,
        "files": args.corpus_files, "docs": args.corpus_docs, "bytes": args.corpus_bytes,
        "command": cmd, "wall_s": round(wall, 4),
        "tree_pss_kb": peak_pss or None,
        # Other work on the machine skews timings: keep the 1-minute load average.
        "load_before": round(load_before, 2),
        "busy_before": None if busy_before is None else round(busy_before, 3),
    }
    parsed = {}
    if time_file:
        parsed = _parse_gnu_time(Path(time_file).read_text(errors="replace"))
        os.unlink(time_file)
    if "max_rss_kb" in parsed:
        rec["max_rss_kb"] = int(parsed["max_rss_kb"])
        rec["cpu_s"] = round(parsed.get("user_s", 0) + parsed.get("sys_s", 0), 2)
        rec["exit"] = int(parsed.get("exit", proc.returncode))
        rec["rss_source"] = "gnu-time"
    else:
        # Without GNU time, wait4's rusage of the direct child is the same measure.
        rec["max_rss_kb"] = rusage.ru_maxrss
        rec["cpu_s"] = round(rusage.ru_utime + rusage.ru_stime, 2)
        rec["exit"] = proc.returncode
        rec["rss_source"] = "wait4"
    # CPU time the whole machine spent during the run, less the measured command's own:
    # what other processes took (plus this script's sampler, a few ms).
    machine_busy_s = ((cpu1[0] - cpu0[0]) - (cpu1[1] - cpu0[1])) / os.sysconf("SC_CLK_TCK")
    rec["others_cpu_s"] = round(max(machine_busy_s - float(rec["cpu_s"]), 0.0), 2)
    with results.open("a") as fh:
        fh.write(json.dumps(rec) + "\n")
    print(f"  {args.tool:<9} {args.label:<12} wall {wall:9.3f} s   peak RSS {rec['max_rss_kb'] / 1024:8.1f} MB"
          f"   exit {rec['exit']}", file=sys.stderr)
    return 0


def _fmt(x: float | None, digits: int = 1) -> str:
    if x is None:
        return "—"
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def _summarise(runs: list[dict]) -> dict:
    """Median wall and CPU time over repeated runs; the worst peak memory."""
    first = runs[0]
    walls = [r["wall_s"] for r in runs]
    pss = [r["tree_pss_kb"] for r in runs if r.get("tree_pss_kb")]
    return {
        **first,
        "runs": len(runs),
        "wall_s": statistics.median(walls),
        "wall_min": min(walls), "wall_max": max(walls),
        "cpu_s": statistics.median(r["cpu_s"] for r in runs),
        "max_rss_kb": max(r["max_rss_kb"] for r in runs),
        "tree_pss_kb": max(pss) if pss else None,
        "exit": sorted({r["exit"] for r in runs}),
        "others_cores": max(r.get("others_cpu_s", 0) / r["wall_s"] for r in runs),
    }


def cmd_report(args: argparse.Namespace) -> int:
    recs = [json.loads(line) for line in Path(args.results).read_text().splitlines() if line.strip()]
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in recs:
        groups.setdefault((r["label"], r["tool"]), []).append(r)
    rows = {k: _summarise(v) for k, v in groups.items()}

    lines: list[str] = []
    lines.append("# shipgate benchmark results\n")
    lines.append(Path(args.machine).read_text().rstrip() + "\n")

    def row(s: dict) -> str:
        mb = s["bytes"] / 1e6
        wall = s["wall_s"]
        spread = f" ({_fmt(s['wall_min'], 3)}–{_fmt(s['wall_max'], 3)})" if s["runs"] > 1 else ""
        pss = s["tree_pss_kb"] / 1024 if s["tree_pss_kb"] else None
        return (f"| {s['files']:,} | {s['docs']:,} | {_fmt(mb, 2)} | {s['tool']} | {_fmt(wall, 3)}{spread} | "
                f"{_fmt(s['files'] / wall)} | {_fmt(mb / wall, 2)} | {_fmt(s['cpu_s'], 2)} | "
                f"{_fmt(s['max_rss_kb'] / 1024)} | {_fmt(pss)} | {','.join(map(str, s['exit']))} | "
                f"{s['others_cores']:.2f} |")

    header = ("| files | documents | MB | tool | wall s | files/s | MB/s | CPU s | peak RSS MB | "
              "peak tree PSS MB | exit | others |\n|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---:|")

    compare = sorted({lab for (lab, _t) in rows if lab.startswith("compare-")},
                     key=lambda l: int(l.split("-")[1]))
    if compare:
        lines.append("## shipgate vs Checkov on the same corpora\n")
        lines.append(header)
        ratios = []
        for lab in compare:
            for tool in ("shipgate", "checkov"):
                if (lab, tool) in rows:
                    lines.append(row(rows[(lab, tool)]))
            if (lab, "shipgate") in rows and (lab, "checkov") in rows:
                sg, ck = rows[(lab, "shipgate")], rows[(lab, "checkov")]
                ck_mem = ck["tree_pss_kb"] or ck["max_rss_kb"]
                sg_mem = max(sg["tree_pss_kb"] or 0, sg["max_rss_kb"])
                # GNU time reports CPU time in 10 ms steps: no ratio below 50 ms.
                cpu = f"{ck['cpu_s'] / sg['cpu_s']:,.1f}×" if sg["cpu_s"] >= 0.05 else "— (shipgate < 0.05 s)"
                ratios.append(f"| {sg['files']:,} | {ck['wall_s'] / sg['wall_s']:,.1f}× | {cpu} | "
                              f"{ck_mem / sg_mem:,.1f}× |")
        if ratios:
            lines.append("\nRatio (Checkov ÷ shipgate; higher means shipgate is faster or smaller):\n")
            lines.append("| files | wall time | CPU time | peak memory |\n|---:|---:|---:|---:|")
            lines.extend(ratios)
        lines.append("")

    scale = sorted({lab for (lab, _t) in rows if lab.startswith("scale-")}, key=lambda l: int(l.split("-")[1]))
    if scale:
        lines.append("## shipgate scaling\n")
        lines.append(header)
        for lab in scale:
            lines.append(row(rows[(lab, "shipgate")]))
        lines.append("")

    lines.append("Columns: wall s is the median of the runs (min–max in brackets when repeated); "
                 "MB are 10^6 bytes of manifest text; CPU s is user + system time of the process and its "
                 "children; peak RSS is the largest single process (GNU time / wait4); peak tree PSS is the "
                 "sampled (every 0.2 s) sum over the whole process tree, which counts forked workers, and is "
                 "a lower bound or missing for runs shorter than a few sampling periods. Exit codes 0 and 1 "
                 "both mean the scan completed (1: findings). others is the CPU used by other processes during the run, in cores (the worst of the runs): "
                 "well above 0 means other work on the machine skewed the timings. The kernel counts CPU "
                 "time in 10 ms ticks, so for runs of a few tens of milliseconds the column is mostly that "
                 "rounding, not other work.\n")
    lines.append("## Commands\n")
    lines.append("```")
    lines.append(Path(args.commands).read_text().rstrip())
    lines.append("```")
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text)
    sys.stdout.write(text)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="sub", required=True)
    r = sub.add_parser("run")
    r.add_argument("--label", required=True)
    r.add_argument("--tool", required=True)
    r.add_argument("--corpus", required=True)
    r.add_argument("--corpus-files", type=int, required=True)
    r.add_argument("--corpus-docs", type=int, required=True)
    r.add_argument("--corpus-bytes", type=int, required=True)
    r.add_argument("--results", required=True)
    r.add_argument("--time-bin", default="")
    r.add_argument("--cwd", default="", help="working directory of the command")
    r.add_argument("--wait-idle", type=float, default=0,
                   help="first wait up to this many seconds for CPU use to fall below 25%%")
    r.add_argument("cmd", nargs=argparse.REMAINDER)
    p = sub.add_parser("report")
    p.add_argument("--results", required=True)
    p.add_argument("--machine", required=True)
    p.add_argument("--commands", required=True)
    p.add_argument("--out", required=True)
    args = ap.parse_args()
    return cmd_run(args) if args.sub == "run" else cmd_report(args)


if __name__ == "__main__":
    sys.exit(main())
