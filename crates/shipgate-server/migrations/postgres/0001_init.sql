-- Projects own tokens and runs. Times are Unix seconds, UTC.
CREATE TABLE projects (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

-- Only the SHA-256 of a token is kept; `hint` is its first characters, to
-- tell tokens apart in a listing. A token of no project is a viewer's: it
-- opens the dashboard, and writes nothing.
CREATE TABLE tokens (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id BIGINT REFERENCES projects(id) ON DELETE CASCADE,
    hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- One uploaded report, whole in `report`, with what the pages list and
-- sort by pulled out beside it.
CREATE TABLE runs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    received_at BIGINT NOT NULL,
    commit_sha TEXT,
    verdict TEXT NOT NULL,
    level TEXT,
    blocker TEXT,
    gates_total BIGINT NOT NULL,
    gates_passed BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    warnings BIGINT NOT NULL,
    infos BIGINT NOT NULL,
    tool_version TEXT NOT NULL,
    phases TEXT NOT NULL,
    report TEXT NOT NULL
);
CREATE INDEX runs_by_project ON runs (project_id, id);
CREATE INDEX runs_by_time ON runs (received_at);

CREATE TABLE gates (
    run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    address TEXT NOT NULL,
    phase TEXT NOT NULL,
    title TEXT NOT NULL,
    required BIGINT NOT NULL,
    verdict TEXT NOT NULL
);
CREATE INDEX gates_by_run ON gates (run_id, position);

CREATE TABLE findings (
    run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    path TEXT NOT NULL,
    line BIGINT,
    fingerprint TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX findings_by_run ON findings (run_id, position);
