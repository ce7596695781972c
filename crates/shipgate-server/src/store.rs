//! Storage: one [`Store`] trait, kept by SQLite (the default, one file in a
//! data folder) or PostgreSQL. Both run the same SQL, written once for the
//! two and checked at run time, each with its own migrations.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError(e.to_string())
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError(e.to_string())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
}

/// A run as listed: everything but the report itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RunRow {
    pub id: i64,
    pub project: String,
    pub received_at: i64,
    pub commit_sha: Option<String>,
    /// The plan's verdict; without a plan, `fail` when a warning or an
    /// error was found.
    pub verdict: String,
    /// The last phase passed with every phase before it.
    pub level: Option<String>,
    /// The first required gate that failed, else the first that did not pass.
    pub blocker: Option<String>,
    pub gates_total: i64,
    pub gates_passed: i64,
    pub errors: i64,
    pub warnings: i64,
    pub infos: i64,
    pub tool_version: String,
    /// The phases' verdicts, as JSON: `[{"id", "title", "verdict"}]`.
    #[serde(skip)]
    pub phases: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct GateRow {
    pub address: String,
    pub phase: String,
    pub title: String,
    pub required: i64,
    pub verdict: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct FindingRow {
    pub rule: String,
    pub severity: String,
    pub path: String,
    pub line: Option<i64>,
    pub fingerprint: String,
    pub message: String,
}

/// A run ready to be stored, already normalised by [`crate::ingest`].
#[derive(Debug, Clone)]
pub struct NewRun {
    pub received_at: i64,
    pub commit_sha: Option<String>,
    pub verdict: String,
    pub level: Option<String>,
    pub blocker: Option<String>,
    pub gates_total: i64,
    pub gates_passed: i64,
    pub errors: i64,
    pub warnings: i64,
    pub infos: i64,
    pub tool_version: String,
    pub phases: String,
    pub report: String,
    pub gates: Vec<GateRow>,
    pub findings: Vec<FindingRow>,
}

/// Filters of the findings explorer; empty fields match everything.
#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    pub rule: Option<String>,
    pub severity: Option<String>,
    /// A prefix of the path.
    pub path: Option<String>,
    pub limit: i64,
}

#[async_trait]
pub trait Store: Send + Sync {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> StoreResult<()>;
    async fn ensure_project(&self, name: &str) -> StoreResult<Project>;
    async fn project(&self, name: &str) -> StoreResult<Option<Project>>;
    async fn projects(&self) -> StoreResult<Vec<Project>>;
    /// A project's token, or a viewer's when `project_id` is `None`.
    async fn add_token(&self, project_id: Option<i64>, hash: &str, hint: &str) -> StoreResult<()>;
    async fn project_for_token(&self, hash: &str) -> StoreResult<Option<Project>>;
    async fn is_viewer_token(&self, hash: &str) -> StoreResult<bool>;
    /// Returns once the run is committed: only then may it be acknowledged.
    async fn insert_run(&self, project_id: i64, run: &NewRun) -> StoreResult<i64>;
    /// The newest run of every project.
    async fn latest_runs(&self) -> StoreResult<Vec<RunRow>>;
    /// A project's runs, newest first, older than `before` when given.
    async fn runs(
        &self,
        project_id: i64,
        before: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<RunRow>>;
    async fn run(&self, id: i64) -> StoreResult<Option<(i64, RunRow)>>;
    async fn report(&self, id: i64) -> StoreResult<Option<String>>;
    async fn gates(&self, run_id: i64) -> StoreResult<Vec<GateRow>>;
    /// The gates of several runs, as `(run id, gate)`.
    async fn gates_of_runs(&self, run_ids: &[i64]) -> StoreResult<Vec<(i64, GateRow)>>;
    async fn findings(&self, run_id: i64, filter: &FindingFilter) -> StoreResult<Vec<FindingRow>>;
    async fn fingerprints(&self, run_id: i64) -> StoreResult<Vec<String>>;
    /// The newest passing run of the project older than `run_id`.
    async fn last_green_before(&self, project_id: i64, run_id: i64) -> StoreResult<Option<RunRow>>;
    /// Records a dashboard session, and forgets the expired ones.
    async fn add_session(&self, hash: &str, expires_at: i64) -> StoreResult<()>;
    async fn session_valid(&self, hash: &str, now: i64) -> StoreResult<bool>;
    async fn end_session(&self, hash: &str) -> StoreResult<()>;
    /// Deletes runs received before `cutoff`, keeping each project's newest.
    async fn prune(&self, cutoff: i64) -> StoreResult<u64>;
}

const RUN_COLUMNS: &str = "r.id, p.name AS project, r.received_at, r.commit_sha, r.verdict, \
    r.level, r.blocker, r.gates_total, r.gates_passed, r.errors, r.warnings, r.infos, \
    r.tool_version, r.phases";

/// The SQL both backends share. Parameters are `$N`, numbered in the order
/// they first appear, which SQLite and PostgreSQL read alike.
macro_rules! sql_store {
    ($store:ident, $db:ty) => {
        #[async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                self.backend_name()
            }

            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn ensure_project(&self, name: &str) -> StoreResult<Project> {
                sqlx::query(
                    "INSERT INTO projects (name, created_at) VALUES ($1, $2) \
                     ON CONFLICT (name) DO NOTHING",
                )
                .bind(name)
                .bind(crate::now())
                .execute(&self.pool)
                .await?;
                self.project(name)
                    .await?
                    .ok_or_else(|| StoreError(format!("project {name} vanished")))
            }

            async fn project(&self, name: &str) -> StoreResult<Option<Project>> {
                Ok(sqlx::query_as::<$db, Project>(
                    "SELECT id, name, created_at FROM projects WHERE name = $1",
                )
                .bind(name)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn projects(&self) -> StoreResult<Vec<Project>> {
                Ok(sqlx::query_as::<$db, Project>(
                    "SELECT id, name, created_at FROM projects ORDER BY name",
                )
                .fetch_all(&self.pool)
                .await?)
            }

            async fn add_token(
                &self,
                project_id: Option<i64>,
                hash: &str,
                hint: &str,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO tokens (project_id, hash, hint, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(project_id)
                .bind(hash)
                .bind(hint)
                .bind(crate::now())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn project_for_token(&self, hash: &str) -> StoreResult<Option<Project>> {
                Ok(sqlx::query_as::<$db, Project>(
                    "SELECT p.id, p.name, p.created_at FROM tokens t \
                     JOIN projects p ON p.id = t.project_id WHERE t.hash = $1",
                )
                .bind(hash)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn is_viewer_token(&self, hash: &str) -> StoreResult<bool> {
                let (count,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM tokens WHERE hash = $1 AND project_id IS NULL",
                )
                .bind(hash)
                .fetch_one(&self.pool)
                .await?;
                Ok(count > 0)
            }

            async fn insert_run(&self, project_id: i64, run: &NewRun) -> StoreResult<i64> {
                let mut tx = self.pool.begin().await?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO runs (project_id, received_at, commit_sha, verdict, level, \
                     blocker, gates_total, gates_passed, errors, warnings, infos, \
                     tool_version, phases, report) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                     RETURNING id",
                )
                .bind(project_id)
                .bind(run.received_at)
                .bind(&run.commit_sha)
                .bind(&run.verdict)
                .bind(&run.level)
                .bind(&run.blocker)
                .bind(run.gates_total)
                .bind(run.gates_passed)
                .bind(run.errors)
                .bind(run.warnings)
                .bind(run.infos)
                .bind(&run.tool_version)
                .bind(&run.phases)
                .bind(&run.report)
                .fetch_one(&mut *tx)
                .await?;
                for (position, gate) in run.gates.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO gates (run_id, position, address, phase, title, required, \
                         verdict) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(id)
                    .bind(position as i64)
                    .bind(&gate.address)
                    .bind(&gate.phase)
                    .bind(&gate.title)
                    .bind(gate.required)
                    .bind(&gate.verdict)
                    .execute(&mut *tx)
                    .await?;
                }
                for (position, finding) in run.findings.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO findings (run_id, position, rule, severity, path, line, \
                         fingerprint, message) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(id)
                    .bind(position as i64)
                    .bind(&finding.rule)
                    .bind(&finding.severity)
                    .bind(&finding.path)
                    .bind(finding.line)
                    .bind(&finding.fingerprint)
                    .bind(&finding.message)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(id)
            }

            async fn latest_runs(&self) -> StoreResult<Vec<RunRow>> {
                let sql = format!(
                    "SELECT {RUN_COLUMNS} FROM runs r JOIN projects p ON p.id = r.project_id \
                     WHERE r.id IN (SELECT MAX(id) FROM runs GROUP BY project_id) \
                     ORDER BY p.name"
                );
                Ok(sqlx::query_as::<$db, RunRow>(&sql)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn runs(
                &self,
                project_id: i64,
                before: Option<i64>,
                limit: i64,
            ) -> StoreResult<Vec<RunRow>> {
                let sql = format!(
                    "SELECT {RUN_COLUMNS} FROM runs r JOIN projects p ON p.id = r.project_id \
                     WHERE r.project_id = $1 AND r.id < $2 ORDER BY r.id DESC LIMIT $3"
                );
                Ok(sqlx::query_as::<$db, RunRow>(&sql)
                    .bind(project_id)
                    .bind(before.unwrap_or(i64::MAX))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn run(&self, id: i64) -> StoreResult<Option<(i64, RunRow)>> {
                let sql = format!(
                    "SELECT r.project_id, {RUN_COLUMNS} FROM runs r \
                     JOIN projects p ON p.id = r.project_id WHERE r.id = $1"
                );
                let row = sqlx::query_as::<$db, ProjectRun>(&sql)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|r| (r.project_id, r.run)))
            }

            async fn report(&self, id: i64) -> StoreResult<Option<String>> {
                let row: Option<(String,)> =
                    sqlx::query_as("SELECT report FROM runs WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(|(r,)| r))
            }

            async fn gates(&self, run_id: i64) -> StoreResult<Vec<GateRow>> {
                Ok(sqlx::query_as::<$db, GateRow>(
                    "SELECT address, phase, title, required, verdict FROM gates \
                     WHERE run_id = $1 ORDER BY position",
                )
                .bind(run_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn gates_of_runs(&self, run_ids: &[i64]) -> StoreResult<Vec<(i64, GateRow)>> {
                if run_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let params: Vec<String> = (1..=run_ids.len()).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "SELECT run_id, address, phase, title, required, verdict FROM gates \
                     WHERE run_id IN ({}) ORDER BY run_id, position",
                    params.join(", ")
                );
                let mut query = sqlx::query_as::<$db, RunGate>(&sql);
                for id in run_ids {
                    query = query.bind(*id);
                }
                let rows = query.fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(|r| (r.run_id, r.gate)).collect())
            }

            async fn findings(
                &self,
                run_id: i64,
                filter: &FindingFilter,
            ) -> StoreResult<Vec<FindingRow>> {
                // An absent filter binds the value that matches every row, so
                // that one statement serves every combination.
                Ok(sqlx::query_as::<$db, FindingRow>(
                    "SELECT rule, severity, path, line, fingerprint, message FROM findings \
                     WHERE run_id = $1 AND ($2 = '' OR rule = $2) \
                     AND ($3 = '' OR severity = $3) AND path LIKE $4 ESCAPE '\\' \
                     ORDER BY position LIMIT $5",
                )
                .bind(run_id)
                .bind(filter.rule.clone().unwrap_or_default())
                .bind(filter.severity.clone().unwrap_or_default())
                .bind(format!(
                    "{}%",
                    like_escape(filter.path.as_deref().unwrap_or(""))
                ))
                .bind(if filter.limit > 0 {
                    filter.limit
                } else {
                    i64::MAX
                })
                .fetch_all(&self.pool)
                .await?)
            }

            async fn fingerprints(&self, run_id: i64) -> StoreResult<Vec<String>> {
                let rows: Vec<(String,)> =
                    sqlx::query_as("SELECT fingerprint FROM findings WHERE run_id = $1")
                        .bind(run_id)
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows.into_iter().map(|(f,)| f).collect())
            }

            async fn last_green_before(
                &self,
                project_id: i64,
                run_id: i64,
            ) -> StoreResult<Option<RunRow>> {
                let sql = format!(
                    "SELECT {RUN_COLUMNS} FROM runs r JOIN projects p ON p.id = r.project_id \
                     WHERE r.project_id = $1 AND r.id < $2 AND r.verdict = 'pass' \
                     ORDER BY r.id DESC LIMIT 1"
                );
                Ok(sqlx::query_as::<$db, RunRow>(&sql)
                    .bind(project_id)
                    .bind(run_id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn add_session(&self, hash: &str, expires_at: i64) -> StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
                    .bind(crate::now())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO sessions (hash, expires_at) VALUES ($1, $2)")
                    .bind(hash)
                    .bind(expires_at)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn session_valid(&self, hash: &str, now: i64) -> StoreResult<bool> {
                let (count,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM sessions WHERE hash = $1 AND expires_at > $2",
                )
                .bind(hash)
                .bind(now)
                .fetch_one(&self.pool)
                .await?;
                Ok(count > 0)
            }

            async fn end_session(&self, hash: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM sessions WHERE hash = $1")
                    .bind(hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn prune(&self, cutoff: i64) -> StoreResult<u64> {
                let mut tx = self.pool.begin().await?;
                let doomed = "SELECT id FROM runs WHERE received_at < $1 \
                     AND id NOT IN (SELECT MAX(id) FROM runs GROUP BY project_id)";
                for table in ["gates", "findings"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE run_id IN ({doomed})"))
                        .bind(cutoff)
                        .execute(&mut *tx)
                        .await?;
                }
                let done = sqlx::query(&format!("DELETE FROM runs WHERE id IN ({doomed})"))
                    .bind(cutoff)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected())
            }
        }
    };
}

#[derive(sqlx::FromRow)]
struct RunGate {
    run_id: i64,
    #[sqlx(flatten)]
    gate: GateRow,
}

#[derive(sqlx::FromRow)]
struct ProjectRun {
    project_id: i64,
    #[sqlx(flatten)]
    run: RunRow,
}

/// `%` and `_` in a path filter are literal characters, not wildcards.
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating on first start) `shipgate.db` in `dir`, in WAL mode
    /// with a full sync on commit, so that an acknowledged run survives a
    /// crash of the process or of the machine.
    pub async fn open(dir: &Path) -> StoreResult<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError(format!("cannot create {}: {e}", dir.display())))?;
        let options = SqliteConnectOptions::new()
            .filename(dir.join("shipgate.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(SqliteStore { pool })
    }

    fn backend_name(&self) -> &'static str {
        "sqlite"
    }
}

pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub async fn open(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PgStore { pool })
    }

    fn backend_name(&self) -> &'static str {
        "postgres"
    }
}

sql_store!(SqliteStore, sqlx::Sqlite);
sql_store!(PgStore, sqlx::Postgres);

/// Where the server keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A data folder holding an SQLite database.
    Folder(std::path::PathBuf),
    /// A `postgres://` URL.
    Postgres(String),
}

impl FromStr for Location {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(Location::Postgres(s.to_owned()))
        } else {
            Err(format!(
                "unsupported database URL (expected postgres://...): {}",
                crate::redact_url(s)
            ))
        }
    }
}

pub async fn open(location: &Location) -> StoreResult<Arc<dyn Store>> {
    Ok(match location {
        Location::Folder(dir) => Arc::new(SqliteStore::open(dir).await?),
        Location::Postgres(url) => {
            Arc::new(PgStore::open(url).await.map_err(|e| {
                StoreError(format!("PostgreSQL at {}: {e}", crate::redact_url(url)))
            })?)
        }
    })
}
