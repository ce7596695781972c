#!/usr/bin/env python3
"""The server's two benchmarks, on SQLite, with the release binary:

1. ingest: 1,000 runs of 100 findings each, uploaded over HTTP by 4
   clients at once; runs per second (target: 50 or more);
2. scorecard: the dashboard's front page with 100 services x 1,000 runs
   stored; p95 of 200 requests (target: under 100 ms). The runs are written
   straight into the database, in the server's own schema, since uploading
   100,000 runs would measure ingest again.

Usage: bench/server.py [PATH/TO/shipgate]   (default: target/release/shipgate)
Standard library only; prints a Markdown table.
"""

import http.client
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/release/shipgate"


def report(run, findings):
    items = []
    for i in range(findings):
        items.append({
            "rule": f"k8s/rule-{i % 20}",
            "severity": ["error", "warning", "info"][i % 3],
            "category": "security",
            "message": f"finding {i} of run {run}",
            "location": {"path": f"k8s/app-{i % 10}.yaml",
                         "span": {"start": {"line": i + 1, "column": 1},
                                  "end": {"line": i + 1, "column": 10},
                                  "start_byte": 0, "end_byte": 9}},
            "fingerprint": f"{i:032x}",
        })
    return json.dumps({
        "schema": "shipgate.report/v1",
        "tool": {"name": "shipgate", "version": "0.1.0"},
        "roots": ["."],
        "summary": {"errors": findings // 3, "warnings": findings // 3, "infos": findings - 2 * (findings // 3),
                    "suppressed": 0, "baselined": 0},
        "files": {"scanned": 10, "skipped": 0, "bytes": 1000},
        "findings": items,
        "plan": {
            "plan": "shipgate.toml", "verdict": "fail",
            "phases": [{"id": "ci", "title": "CI", "verdict": "pass"},
                       {"id": "security", "title": "Security", "verdict": "fail"},
                       {"id": "ship", "title": "Ship", "verdict": "blocked"}],
            "gates": [{"address": f"security/g{g}", "phase": "security", "title": f"Gate {g}",
                       "required": True, "verdict": "fail" if g == 0 else "pass",
                       "checks": [{"id": f"security/g{g}#1", "kind": "rules",
                                   "verdict": "fail" if g == 0 else "pass", "summary": "s",
                                   "evidence": {"tool_version": "0.1.0", "definition": "0" * 64,
                                                "at": "2026-11-23T00:00:00Z"}}]}
                      for g in range(5)],
        },
    }).encode()


class Server:
    def __init__(self, data):
        self.data = data
        self.proc = subprocess.Popen(
            [BIN, "serve", "--listen", "127.0.0.1:0", "--data", data, "--ingest-per-minute", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "RUST_LOG": "warn,shipgate_server=info"})
        for line in self.proc.stderr:
            m = re.search(r'"addr":"([^"]+)"', line)
            if m:
                self.host, port = m.group(1).rsplit(":", 1)
                self.port = int(port)
                break
        threading.Thread(target=lambda: [None for _ in self.proc.stderr], daemon=True).start()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def token(data, project):
    out = subprocess.run([BIN, "server", "token", "create", "--project", project, "--data", data],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def ingest(data):
    tok = token(data, "bench")
    server = Server(data)
    body = report(0, 100)
    count, clients = 1000, 4
    errors = []

    def client(n):
        conn = http.client.HTTPConnection(server.host, server.port)
        for _ in range(n):
            conn.request("POST", "/api/v1/runs", body,
                         {"Authorization": f"Bearer {tok}", "Content-Type": "application/json"})
            answer = conn.getresponse()
            answer.read()
            if answer.status != 201:
                errors.append(answer.status)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(count // clients,)) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    server.stop()
    if errors:
        sys.exit(f"{len(errors)} uploads failed: {errors[:5]}")
    return count / elapsed, elapsed


def seed(data, services, runs):
    """Fills a migrated database with `services` x `runs` runs, each with
    five gates and ten findings."""
    db = sqlite3.connect(os.path.join(data, "shipgate.db"))
    phases = json.dumps([{"id": "ci", "title": "CI", "verdict": "pass"},
                         {"id": "security", "title": "Security", "verdict": "fail"},
                         {"id": "ship", "title": "Ship", "verdict": "blocked"}])
    with db:
        for s in range(services):
            pid = db.execute("INSERT INTO projects (name, created_at) VALUES (?, 0) RETURNING id",
                             (f"service-{s:03}",)).fetchone()[0]
            for r in range(runs):
                run_id = db.execute(
                    "INSERT INTO runs (project_id, received_at, commit_sha, verdict, level, blocker, "
                    "gates_total, gates_passed, errors, warnings, infos, tool_version, phases, report) "
                    "VALUES (?, ?, NULL, ?, 'ci', 'security/g0', 5, 4, 3, 3, 4, '0.1.0', ?, '{}') RETURNING id",
                    (pid, r, "pass" if r % 7 == 0 else "fail", phases)).fetchone()[0]
                db.executemany(
                    "INSERT INTO gates (run_id, position, address, phase, title, required, verdict) "
                    "VALUES (?, ?, ?, 'security', 'Gate', 1, ?)",
                    [(run_id, g, f"security/g{g}", "fail" if g == 0 else "pass") for g in range(5)])
                db.executemany(
                    "INSERT INTO findings (run_id, position, rule, severity, path, line, fingerprint, message) "
                    "VALUES (?, ?, ?, 'error', 'k8s/a.yaml', ?, ?, 'm')",
                    [(run_id, i, f"k8s/rule-{i}", i, f"{i:032x}") for i in range(10)])
    db.close()


def scorecard(data):
    Server(data).stop()  # creates and migrates the database
    started = time.perf_counter()
    seed(data, 100, 1000)
    seeded = time.perf_counter() - started
    server = Server(data)
    conn = http.client.HTTPConnection(server.host, server.port)
    times = []
    for i in range(210):
        t = time.perf_counter()
        conn.request("GET", "/")
        answer = conn.getresponse()
        page = answer.read()
        if answer.status != 200 or b"service-099" not in page:
            sys.exit(f"the scorecard answered {answer.status}")
        if i >= 10:  # the first requests warm the page cache
            times.append(time.perf_counter() - t)
    server.stop()
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    return p95 * 1000, statistics.median(times) * 1000, seeded


def main():
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        rate, elapsed = ingest(a)
        p95, median, seeded = scorecard(b)
    print("| benchmark | result | target |")
    print("|---|---|---|")
    print(f"| ingest, 1,000 runs x 100 findings, 4 clients | {rate:.0f} runs/s ({elapsed:.1f} s) | >= 50 runs/s |")
    print(f"| scorecard, 100 services x 1,000 runs | p95 {p95:.1f} ms, median {median:.1f} ms | p95 < 100 ms |")
    print(f"\n(seeding 100,000 runs took {seeded:.0f} s)")


if __name__ == "__main__":
    main()
