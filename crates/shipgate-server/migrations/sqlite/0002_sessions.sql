-- Dashboard sessions, by the SHA-256 of their cookie, shared by every
-- replica of the server.
CREATE TABLE sessions (
    hash TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
