-- Projects own tokens and runs. Times are Unix seconds, UTC.
CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- Only the SHA-256 of a token is kept; `hint` is its first characters, to
-- tell tokens apart in a listing. A token of no project is a viewer's: it
-- opens the dashboard, and writes nothing.
CREATE TABLE tokens (
    id INTEGER PRIMARY KEY,
    project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
    hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- One uploaded report, whole in `report`, with what the pages list and
-- sort by pulled out beside it.
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    received_at INTEGER NOT NULL,
    commit_sha TEXT,
    verdict TEXT NOT NULL,
    level TEXT,
    blocker TEXT,
    gates_total INTEGER NOT NULL,
    gates_passed INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL,
    infos INTEGER NOT NULL,
    tool_version TEXT NOT NULL,
    phases TEXT NOT NULL,
    report TEXT NOT NULL
);
CREATE INDEX runs_by_project ON runs (project_id, id);
CREATE INDEX runs_by_time ON runs (received_at);

CREATE TABLE gates (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    address TEXT NOT NULL,
    phase TEXT NOT NULL,
    title TEXT NOT NULL,
    required INTEGER NOT NULL,
    verdict TEXT NOT NULL
);
CREATE INDEX gates_by_run ON gates (run_id, position);

CREATE TABLE findings (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    path TEXT NOT NULL,
    line INTEGER,
    fingerprint TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX findings_by_run ON findings (run_id, position);
