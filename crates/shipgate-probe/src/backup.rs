//! `backup-drill`: a PostgreSQL backup is only a backup once it has been
//! restored. The drill dumps the source (or takes a given dump), restores
//! it into a scratch database, and compares every table's row count and an
//! ordered checksum of its rows with the source, timing the restore against
//! the recovery time objective. The scratch database is dropped afterwards.
//!
//! It drives Debian's `pg_dump`, `pg_restore` and `psql` rather than a
//! client library, because the drill must prove that the tools the runbook
//! names work against this server, at these versions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tokio::process::Command;

use crate::config::BackupDrillProbe;
use crate::context::{Context, Resolved, display_url};
use crate::http::ms;
use crate::observation::Recorder;

/// Rows print in one canonical form whatever the server's or the
/// session's defaults, so the same rows give the same checksum in both
/// databases.
const SESSION_OPTIONS: &str = "-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=postgres -c extra_float_digits=3 -c bytea_output=hex -c lc_monetary=C";

const FIELD: char = '\u{1f}';

struct Tools {
    dir: Option<PathBuf>,
    password: Option<String>,
}

impl Tools {
    fn command(&self, tool: &str) -> Command {
        let program = match &self.dir {
            Some(dir) => dir.join(tool),
            None => PathBuf::from(tool),
        };
        let mut command = Command::new(program);
        command
            .env("PGOPTIONS", SESSION_OPTIONS)
            .env("PGCONNECT_TIMEOUT", "10")
            .env("PGAPPNAME", "shipgate-backup-drill")
            .env_remove("PGSERVICE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // Never in argv, where `ps` would show it.
        match &self.password {
            Some(p) => command.env("PGPASSWORD", p),
            None => command.env_remove("PGPASSWORD"),
        };
        command
    }

    async fn output(&self, tool: &str, args: &[&str]) -> Result<String, String> {
        let out = self
            .command(tool)
            .args(args)
            .output()
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => format!(
                    "`{tool}` is not installed; install Debian's postgresql-client (apt-get install postgresql-client)"
                ),
                _ => format!("cannot run {tool}: {e}"),
            })?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!(
                "{tool} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    async fn psql(&self, url: &url::Url, sql: &str) -> Result<String, String> {
        let dbname = format!("--dbname={url}");
        let separator = FIELD.to_string();
        self.output(
            "psql",
            &[
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-F",
                &separator,
                &dbname,
                "-c",
                sql,
            ],
        )
        .await
    }

    async fn major_version(&self, tool: &str) -> Result<(u32, String), String> {
        let text = self.output(tool, &["--version"]).await?;
        let line = text.trim().to_owned();
        let major = line
            .split_whitespace()
            .find_map(|w| w.split('.').next().and_then(|m| m.parse::<u32>().ok()))
            .ok_or_else(|| format!("cannot read the version of {tool} in `{line}`"))?;
        Ok((major, line))
    }
}

pub(crate) async fn run(
    ctx: &Context,
    probe: &BackupDrillProbe,
    resolved: &Resolved,
    rec: &mut Recorder,
) -> Result<(), String> {
    let mut url = resolved.url.clone();
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        return Err(format!(
            "a backup drill needs a postgres:// URL, not {}",
            display_url(&url)
        ));
    }
    let password = match (&probe.password_env, url.password()) {
        (Some(var), _) => Some(ctx.secret(var)?),
        (None, Some(p)) => Some(percent_decoded(p)),
        (None, None) => None,
    };
    if let Some(p) = &password {
        ctx.remember(p);
    }
    let _ = url.set_password(None);
    let tools = Tools {
        dir: probe.bin_dir.as_ref().map(PathBuf::from),
        password,
    };
    if let Some(dump) = &probe.dump
        && !Path::new(dump).is_file()
    {
        return Err(format!("the dump {dump} does not exist"));
    }
    match tokio::time::timeout(probe.timeout.get(), drill(probe, &tools, &url, rec)).await {
        Ok(result) => result,
        Err(_) => {
            rec.check(
                "drill",
                false,
                format!("done within {}", probe.timeout),
                "timed out",
            );
            Ok(())
        }
    }
}

async fn drill(
    probe: &BackupDrillProbe,
    tools: &Tools,
    source: &url::Url,
    rec: &mut Recorder,
) -> Result<(), String> {
    // Versions: pg_dump cannot dump a newer server, and pg_restore cannot
    // read a newer archive.
    let (dump_major, dump_line) = tools.major_version("pg_dump").await?;
    let (restore_major, restore_line) = tools.major_version("pg_restore").await?;
    let server = tools
        .psql(source, "SHOW server_version_num")
        .await
        .map_err(|e| format!("cannot reach the source database: {e}"))?;
    let server_num: u32 = server
        .trim()
        .parse()
        .map_err(|_| format!("unexpected server version `{}`", server.trim()))?;
    let server_major = server_num / 10_000;
    rec.measure("server_major", server_major);
    rec.measure("pg_dump_major", dump_major);
    rec.measure("pg_restore_major", restore_major);
    rec.evidence(
        "tools",
        json!({"pg_dump": dump_line, "pg_restore": restore_line, "server_version_num": server_num}),
    );
    let floor = probe.min_client_version.unwrap_or(0).max(server_major);
    rec.check(
        "client version",
        dump_major >= floor && restore_major >= floor,
        format!("pg_dump and pg_restore at least {floor} (server {server_major})"),
        format!("pg_dump {dump_major}, pg_restore {restore_major}"),
    );

    let source_tables = checksums(tools, source, &probe.schemas).await?;
    rec.measure("tables", source_tables.len());
    rec.measure(
        "source_rows",
        source_tables.values().map(|t| t.0).sum::<u64>(),
    );

    let workdir = tempfile_dir()?;
    let dump_path = match &probe.dump {
        Some(path) => PathBuf::from(path),
        None => {
            let path = workdir.path.join("source.dump");
            let started = Instant::now();
            let file = format!("--file={}", path.display());
            let dbname = format!("--dbname={source}");
            let result = tools
                .output(
                    "pg_dump",
                    &["--format=custom", "--no-owner", "--no-acl", &file, &dbname],
                )
                .await;
            rec.measure("dump_ms", ms(started.elapsed()));
            if let Err(e) = result {
                rec.check("dump", false, "pg_dump succeeds", e);
                return Ok(());
            }
            // The source may change while it is dumped; a drill that
            // compared against rows written after the dump would blame the
            // backup for them.
            let after = checksums(tools, source, &probe.schemas).await?;
            if after != source_tables {
                return Err(
                    "the source changed while it was dumped; drill a replica or a quiet source"
                        .into(),
                );
            }
            path
        }
    };
    let dump_bytes = std::fs::metadata(&dump_path).map(|m| m.len()).unwrap_or(0);
    rec.measure("dump_bytes", dump_bytes);
    rec.evidence("dump", json!({"path": dump_path.display().to_string(), "given": probe.dump.is_some(), "bytes": dump_bytes}));

    let scratch_name = scratch_name();
    let mut scratch = source.clone();
    scratch.set_path(&format!("/{scratch_name}"));
    tools
        .psql(
            source,
            &format!("CREATE DATABASE {}", quote_ident(&scratch_name)),
        )
        .await
        .map_err(|e| format!("cannot create the scratch database: {e}"))?;
    rec.evidence("scratch_database", scratch_name.clone());

    let outcome =
        restore_and_compare(probe, tools, &scratch, &dump_path, &source_tables, rec).await;

    if probe.keep_scratch {
        rec.evidence("scratch_kept", true);
    } else {
        let dropped = tools
            .psql(
                source,
                &format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    quote_ident(&scratch_name)
                ),
            )
            .await;
        rec.check(
            "scratch dropped",
            dropped.is_ok(),
            format!("{scratch_name} dropped"),
            match &dropped {
                Ok(_) => "dropped".into(),
                Err(e) => e.clone(),
            },
        );
    }
    outcome
}

async fn restore_and_compare(
    probe: &BackupDrillProbe,
    tools: &Tools,
    scratch: &url::Url,
    dump: &Path,
    source: &BTreeMap<String, (u64, String)>,
    rec: &mut Recorder,
) -> Result<(), String> {
    let started = Instant::now();
    let dbname = format!("--dbname={scratch}");
    let dump_arg = dump.display().to_string();
    let restored = tools
        .output(
            "pg_restore",
            &["--no-owner", "--no-acl", &dbname, &dump_arg],
        )
        .await;
    let restore_time = started.elapsed();
    rec.measure("restore_ms", ms(restore_time));
    rec.check(
        "restore",
        restored.is_ok(),
        "pg_restore without errors",
        match &restored {
            Ok(_) => "restored".to_owned(),
            Err(e) => e.chars().take(2000).collect(),
        },
    );
    if let Some(rto) = probe.rto {
        rec.check(
            "restore time",
            restore_time <= rto.get(),
            format!("within the RTO of {rto}"),
            format!("{} ms", ms(restore_time)),
        );
    }
    let copy = checksums(tools, scratch, &probe.schemas).await?;
    let mut missing = Vec::new();
    let mut lost = Vec::new();
    let mut altered = Vec::new();
    let mut per_table = Vec::new();
    for (table, (rows, sum)) in source {
        let restored = copy.get(table);
        per_table.push(json!({
            "table": table,
            "source_rows": rows,
            "restored_rows": restored.map(|r| r.0),
            "source_checksum": sum,
            "restored_checksum": restored.map(|r| r.1.clone()),
        }));
        match restored {
            None => missing.push(table.clone()),
            Some((n, _)) if n != rows => lost.push(format!("{table}: {rows} -> {n}")),
            Some((_, s)) if s != sum => altered.push(table.clone()),
            Some(_) => {}
        }
    }
    let extra: Vec<&String> = copy.keys().filter(|t| !source.contains_key(*t)).collect();
    rec.measure("restored_rows", copy.values().map(|t| t.0).sum::<u64>());
    rec.evidence("tables", per_table);
    rec.check(
        "tables",
        missing.is_empty() && extra.is_empty(),
        format!("the {} tables of the source", source.len()),
        if missing.is_empty() && extra.is_empty() {
            format!("{} tables", copy.len())
        } else {
            format!(
                "missing: {}; unexpected: {}",
                list(&missing),
                list(&extra.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            )
        },
    );
    rec.check(
        "row counts",
        lost.is_empty(),
        "every table's row count as in the source",
        if lost.is_empty() {
            "equal".into()
        } else {
            lost.join("; ")
        },
    );
    rec.check(
        "checksums",
        altered.is_empty(),
        "every table's rows as in the source",
        if altered.is_empty() {
            "equal".into()
        } else {
            format!("rows differ in {}", altered.join(", "))
        },
    );
    Ok(())
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// Row count and ordered checksum of every table, by qualified name.
async fn checksums(
    tools: &Tools,
    url: &url::Url,
    schemas: &[String],
) -> Result<BTreeMap<String, (u64, String)>, String> {
    let filter = if schemas.is_empty() {
        "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'".to_owned()
    } else {
        format!(
            "n.nspname IN ({})",
            schemas
                .iter()
                .map(|s| quote_literal(s))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let listing = tools
        .psql(
            url,
            &format!(
                "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND {filter} ORDER BY 1"
            ),
        )
        .await
        .map_err(|e| format!("cannot list the tables of {}: {e}", display_url(url)))?;
    let tables: Vec<&str> = listing.lines().filter(|l| !l.is_empty()).collect();
    let mut out = BTreeMap::new();
    if tables.is_empty() {
        return Ok(out);
    }
    // Rows hashed one by one, the hashes sorted and hashed again: the same
    // rows in any physical order give the same checksum.
    let query = tables
        .iter()
        .map(|t| {
            format!(
                "SELECT {}, count(*), coalesce(md5(string_agg(h, '' ORDER BY h)), '') FROM (SELECT md5(r::text) AS h FROM {t} r) s",
                quote_literal(t)
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let rows = tools
        .psql(url, &query)
        .await
        .map_err(|e| format!("cannot checksum the tables of {}: {e}", display_url(url)))?;
    for line in rows.lines().filter(|l| !l.is_empty()) {
        let fields: Vec<&str> = line.split(FIELD).collect();
        let [name, count, sum] = fields.as_slice() else {
            return Err(format!("unexpected psql output `{line}`"));
        };
        let count: u64 = count
            .parse()
            .map_err(|_| format!("unexpected row count `{count}`"))?;
        out.insert((*name).to_owned(), (count, (*sum).to_owned()));
    }
    Ok(out)
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn scratch_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("shipgate_drill_{}_{:x}", std::process::id(), nanos)
}

fn percent_decoded(text: &str) -> String {
    url::form_urlencoded::parse(format!("p={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// A private folder for the dump, removed when dropped.
struct WorkDir {
    path: PathBuf,
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn tempfile_dir() -> Result<WorkDir, String> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let path =
        std::env::temp_dir().join(format!("shipgate-drill-{}-{nanos:x}", std::process::id()));
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(&path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    Ok(WorkDir { path })
}
