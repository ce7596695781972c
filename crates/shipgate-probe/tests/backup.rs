//! The backup drill against a real PostgreSQL, which scripts/test starts
//! and names in SHIPGATE_TEST_POSTGRES_URL: an honest dump passes, a dump
//! that restores without error but has lost or changed rows fails, and so
//! do a slow restore and old tools.

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use shipgate_probe::config::ProbeSpec;
use shipgate_probe::{Context, Observation, Outcome, run_probe};

/// The server's URL. Under scripts/test or CI a missing server fails the
/// tests; elsewhere they say why they did nothing.
fn server() -> Option<url::Url> {
    match std::env::var("SHIPGATE_TEST_POSTGRES_URL") {
        Ok(url) => Some(url::Url::parse(&url).expect("SHIPGATE_TEST_POSTGRES_URL is a URL")),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "PostgreSQL is required: scripts/test starts one and sets SHIPGATE_TEST_POSTGRES_URL"
            );
            eprintln!("backup drills not tested: run scripts/test");
            None
        }
    }
}

fn psql(url: &url::Url, sql: &str) -> String {
    let out = Command::new("psql")
        .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
        .arg(format!("--dbname={url}"))
        .args(["-c", sql])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql failed on {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A source database with a few tables of varied types, dropped with it.
struct Source {
    admin: url::Url,
    url: url::Url,
    name: String,
}

impl Source {
    fn new(admin: &url::Url) -> Source {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "drill_src_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        psql(admin, &format!("CREATE DATABASE {name}"));
        let mut url = admin.clone();
        url.set_path(&format!("/{name}"));
        psql(
            &url,
            "CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, joined date);
             INSERT INTO customers (name, joined)
               SELECT 'customer ' || i, date '2024-01-01' + i FROM generate_series(1, 3000) i;
             CREATE SCHEMA shop;
             CREATE TABLE shop.orders (id bigint PRIMARY KEY, customer int REFERENCES customers,
               total numeric(10, 2), note text, created timestamptz, tags text[], doc jsonb);
             INSERT INTO shop.orders
               SELECT i, 1 + i % 3000, i * 1.25, CASE WHEN i % 7 = 0 THEN NULL ELSE 'n' || i END,
                      timestamptz '2025-06-01 12:00+02' + i * interval '1 minute',
                      ARRAY['a', 'b' || i], jsonb_build_object('i', i, 'f', i / 3.0)
               FROM generate_series(1, 5000) i;
             CREATE TABLE shop.\"Order Items\" (order_id bigint, line int, sku text, qty real);
             INSERT INTO shop.\"Order Items\" SELECT i / 3 + 1, i % 3, 'sku-' || i, i / 7.0
               FROM generate_series(0, 8999) i;
             CREATE TABLE empty_table (x int);",
        );
        Source {
            admin: admin.clone(),
            url,
            name,
        }
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .arg(format!("--dbname={}", self.admin))
            .args([
                "-c",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .output();
    }
}

async fn drill(options: &str) -> Observation {
    let table: toml::Table = toml::from_str(options).unwrap();
    let spec = ProbeSpec::from_kind_and_options("backup-drill", &table).unwrap();
    let ctx = Context::with_env(Default::default(), |_| None);
    run_probe(&ctx, "drill", &spec).await
}

fn failed(o: &Observation) -> Vec<&str> {
    o.failed_checks().map(|c| c.name.as_str()).collect()
}

fn scratch_exists(admin: &url::Url, o: &Observation) -> bool {
    let name = o.evidence["scratch_database"].as_str().unwrap();
    psql(
        admin,
        &format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'"),
    ) != "0"
}

#[tokio::test]
async fn an_honest_dump_restores_every_row() {
    let Some(admin) = server() else { return };
    let source = Source::new(&admin);
    let o = drill(&format!("url = \"{}\"\nrto = \"2m\"", source.url)).await;
    assert_eq!(o.outcome, Outcome::Pass, "{o:#?}");
    let names: Vec<&str> = o.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "client version",
            "restore",
            "restore time",
            "tables",
            "row counts",
            "checksums",
            "scratch dropped"
        ]
    );
    assert_eq!(o.measurements["tables"], 4);
    assert_eq!(o.measurements["source_rows"], 17_000);
    assert_eq!(o.measurements["restored_rows"], 17_000);
    assert!(o.measurements["restore_ms"].as_f64().unwrap() > 0.0);
    assert!(
        !scratch_exists(&admin, &o),
        "the scratch database is dropped"
    );
    let tables = o.evidence["tables"].as_array().unwrap();
    let items = tables
        .iter()
        .find(|t| t["table"] == "shop.\"Order Items\"")
        .unwrap();
    assert_eq!(items["source_checksum"], items["restored_checksum"]);
}

/// The failure a drill exists for: pg_restore is content, and the data is
/// not all there.
#[tokio::test]
async fn a_dump_that_restores_cleanly_but_lost_rows_fails() {
    let Some(admin) = server() else { return };
    let source = Source::new(&admin);
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("nightly.dump");
    let status = Command::new("pg_dump")
        .args(["--format=custom", "--no-owner"])
        .arg(format!("--file={}", dump.display()))
        .arg(format!("--dbname={}", source.url))
        .status()
        .unwrap();
    assert!(status.success());
    // Written after the backup was taken: a restore of it loses these.
    psql(
        &source.url,
        "INSERT INTO shop.orders SELECT i, 1, 1, NULL, now(), NULL, NULL FROM generate_series(5001, 5040) i;
         UPDATE customers SET name = 'renamed' WHERE id = 17;",
    );
    let o = drill(&format!(
        "url = \"{}\"\ndump = \"{}\"",
        source.url,
        dump.display()
    ))
    .await;
    assert_eq!(o.outcome, Outcome::Fail, "{o:#?}");
    assert_eq!(failed(&o), ["row counts", "checksums"], "{o:#?}");
    let restore = o.checks.iter().find(|c| c.name == "restore").unwrap();
    assert!(restore.passed, "the restore itself succeeded");
    let counts = o.checks.iter().find(|c| c.name == "row counts").unwrap();
    assert_eq!(counts.actual, "shop.orders: 5040 -> 5000");
    let sums = o.checks.iter().find(|c| c.name == "checksums").unwrap();
    assert_eq!(sums.actual, "rows differ in public.customers");
    assert!(!scratch_exists(&admin, &o));
    assert!(dump.is_file(), "a given dump is left where it was");
}

#[tokio::test]
async fn a_slow_restore_and_old_tools_fail() {
    let Some(admin) = server() else { return };
    let source = Source::new(&admin);
    let o = drill(&format!(
        "url = \"{}\"\nrto = \"1ms\"\nmin-client-version = 99",
        source.url
    ))
    .await;
    assert_eq!(failed(&o), ["client version", "restore time"], "{o:#?}");
    let version = o
        .checks
        .iter()
        .find(|c| c.name == "client version")
        .unwrap();
    assert!(version.expected.contains("at least 99"), "{version:?}");
}

#[tokio::test]
async fn missing_tools_and_a_missing_dump_are_errors() {
    let Some(admin) = server() else { return };
    let o = drill(&format!("url = \"{admin}\"\nbin-dir = \"/nonexistent\"")).await;
    assert_eq!(o.outcome, Outcome::Error);
    assert!(o.summary.contains("postgresql-client"), "{}", o.summary);
    let o = drill(&format!("url = \"{admin}\"\ndump = \"/nonexistent.dump\"")).await;
    assert_eq!(o.outcome, Outcome::Error);
}

#[tokio::test]
async fn a_password_never_reaches_the_report() {
    let Some(admin) = server() else { return };
    // Trust authentication ignores the password; the report must not show it.
    let mut url = admin.clone();
    url.set_password(Some("hunter2-very-secret")).unwrap();
    let o = drill(&format!("url = \"{url}\"\nschemas = [\"nothing_here\"]")).await;
    let json = serde_json::to_string(&o).unwrap();
    assert!(!json.contains("hunter2"), "{json}");
    assert!(
        o.url.as_deref().unwrap().contains("[redacted]"),
        "{:?}",
        o.url
    );
}
