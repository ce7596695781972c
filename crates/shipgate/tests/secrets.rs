//! The secrets pack through the real binary, on a repository generated at
//! test time: freshly random credentials of every format in `.env` files,
//! shell scripts, source code, YAML, JSON, TOML and key files must each be
//! found on their line, decoys never, and no output format may print one.
//!
//! Nothing here is a credential until the test runs: every value is drawn
//! from the operating system's random source, and the seed is printed so a
//! failure can be replayed with `SHIPGATE_TEST_SEED`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::path::Path;

use assert_cmd::Command;

mod common;

use common::{B32, B62, B64URL, HEX, Rng, base64};

/// A credential to plant: the rule that must report it, the variable it
/// is assigned to, its value, and the parts of the value that are secret
/// (what no output may show).
struct Credential {
    rule: &'static str,
    name: &'static str,
    value: String,
    secret: String,
}

fn credentials(rng: &mut Rng) -> Vec<Credential> {
    let mut out = Vec::new();
    let mut add = |rule, name, value: String, secret: String| {
        out.push(Credential {
            rule,
            name,
            value,
            secret,
        })
    };
    let password = |rng: &mut Rng| rng.string(B62, 14) + "~" + &rng.string(B62, 5);
    let s = rng.string(B32, 16);
    add(
        "secrets/aws-access-key",
        "AWS_ACCESS_KEY_ID",
        format!("AKIA{s}"),
        s,
    );
    let s = rng.string(B62, 38) + "+/";
    add(
        "secrets/aws-secret-key",
        "AWS_SECRET_ACCESS_KEY",
        s.clone(),
        s,
    );
    let s = rng.string(B62, 35);
    add(
        "secrets/gcp-api-key",
        "GOOGLE_API_KEY",
        format!("AIza{s}"),
        s,
    );
    let s = base64(&rng.bytes(64), false);
    add(
        "secrets/azure-storage-connection-string",
        "AZURE_STORAGE",
        format!(
            "DefaultEndpointsProtocol=https;AccountName=shop;AccountKey={s};EndpointSuffix=core.windows.net"
        ),
        s,
    );
    let header = base64(br#"{"alg":"RS256","typ":"JWT"}"#, true);
    let claims = base64(
        format!(r#"{{"sub":"{}","iat":1700000000}}"#, rng.string(B62, 12)).as_bytes(),
        true,
    );
    let s = base64(&rng.bytes(64), true);
    add(
        "secrets/jwt",
        "SERVICE_JWT",
        format!("{header}.{claims}.{s}"),
        s,
    );
    for (rule, name, scheme) in [
        (
            "secrets/postgres-connection-string",
            "DATABASE_URL",
            "postgresql",
        ),
        ("secrets/mysql-connection-string", "MYSQL_URL", "mysql"),
        (
            "secrets/mongodb-connection-string",
            "MONGO_URL",
            "mongodb+srv",
        ),
        ("secrets/redis-connection-string", "REDIS_URL", "rediss"),
        ("secrets/amqp-connection-string", "BROKER_URL", "amqp"),
    ] {
        let s = password(rng);
        add(
            rule,
            name,
            format!("{scheme}://app:{s}@db.internal:5432/app"),
            s,
        );
    }
    let s = rng.string(B62, 36);
    add("secrets/github-pat", "GITHUB_TOKEN", format!("ghp_{s}"), s);
    let s = rng.string(B62, 59);
    add(
        "secrets/github-fine-grained-pat",
        "GH_TOKEN",
        format!("github_pat_{}_{s}", rng.string(B62, 22)),
        s,
    );
    let s = rng.string(B62, 36);
    add(
        "secrets/github-app-token",
        "GITHUB_APP_TOKEN",
        format!("ghs_{s}"),
        s,
    );
    let s = rng.string(B62, 36);
    add(
        "secrets/github-oauth-token",
        "GITHUB_OAUTH",
        format!("gho_{s}"),
        s,
    );
    let s = rng.string(B62, 20);
    add(
        "secrets/gitlab-pat",
        "GITLAB_TOKEN",
        format!("glpat-{s}"),
        s,
    );
    let s = rng.string(B62, 24);
    add(
        "secrets/slack-bot-token",
        "SLACK_BOT_TOKEN",
        format!(
            "xoxb-{}-{}-{s}",
            rng.string("0123456789", 11),
            rng.string("0123456789", 13)
        ),
        s,
    );
    let s = rng.string(B62, 24);
    add(
        "secrets/slack-webhook",
        "SLACK_WEBHOOK_URL",
        format!(
            "https://hooks.slack.com/services/T{}/B{}/{s}",
            rng.string(B32, 8),
            rng.string(B32, 10)
        ),
        s,
    );
    let s = rng.string(B62, 99);
    add(
        "secrets/stripe-secret-key",
        "STRIPE_SECRET_KEY",
        format!("sk_live_{s}"),
        s,
    );
    let s = rng.string(HEX, 32);
    add(
        "secrets/twilio-api-key",
        "TWILIO_API_KEY",
        format!("SK{s}"),
        s,
    );
    let s = rng.string(B64URL, 43);
    add(
        "secrets/sendgrid-api-key",
        "SENDGRID_API_KEY",
        format!("SG.{}.{s}", rng.string(B64URL, 22)),
        s,
    );
    let s = rng.string(B64URL, 74);
    add(
        "secrets/openai-api-key",
        "OPENAI_API_KEY",
        format!("sk-proj-{}T3BlbkFJ{s}", rng.string(B64URL, 74)),
        s,
    );
    let s = rng.string(B64URL, 93);
    add(
        "secrets/anthropic-api-key",
        "ANTHROPIC_API_KEY",
        format!("sk-ant-api03-{s}AA"),
        s,
    );
    let s = rng.string(&B62[..52], 34);
    add(
        "secrets/huggingface-token",
        "HF_TOKEN",
        format!("hf_{s}"),
        s,
    );
    let s = rng.string(B62, 36);
    add("secrets/npm-token", "NPM_TOKEN", format!("npm_{s}"), s);
    let s = rng.string(B64URL, 120);
    add(
        "secrets/pypi-token",
        "PYPI_TOKEN",
        format!("pypi-AgEIcHlwaS5vcmc{s}"),
        s,
    );
    let s = rng.string(B64URL, 27);
    add(
        "secrets/dockerhub-token",
        "DOCKERHUB_TOKEN",
        format!("dckr_pat_{s}"),
        s,
    );
    let s = rng.string(HEX, 32);
    add("secrets/datadog-api-key", "DD_API_KEY", s.clone(), s);
    let s = rng.string(HEX, 64);
    add(
        "secrets/sentry-user-token",
        "SENTRY_AUTH_TOKEN",
        format!("sntryu_{s}"),
        s,
    );
    let s = [8, 4, 4, 4, 12]
        .iter()
        .map(|n| rng.string(HEX, *n))
        .collect::<Vec<_>>()
        .join("-");
    add("secrets/heroku-api-key", "HEROKU_API_KEY", s.clone(), s);
    let s = rng.string(HEX, 32);
    add(
        "secrets/shopify-access-token",
        "SHOPIFY_ACCESS_TOKEN",
        format!("shpat_{s}"),
        s,
    );
    let s = rng.string(HEX, 32);
    add(
        "secrets/mailgun-api-key",
        "MAILGUN_API_KEY",
        format!("key-{s}"),
        s,
    );
    let s = rng.string(B64URL, 33);
    add(
        "secrets/telegram-bot-token",
        "TELEGRAM_BOT_TOKEN",
        format!("{}:AA{s}", 100_000_000 + rng.below(899_999_999)),
        s,
    );
    let s = rng.string(B64URL, 38);
    add(
        "secrets/discord-bot-token",
        "DISCORD_BOT_TOKEN",
        format!(
            "{}.{}.{s}",
            base64(
                format!(
                    "{}",
                    100_000_000_000_000_000u64 + rng.next() % 800_000_000_000_000_000
                )
                .as_bytes(),
                true
            ),
            rng.string(B64URL, 6)
        ),
        s,
    );
    let s = password(rng);
    add("secrets/generic-password", "DB_PASSWORD", s.clone(), s);
    let s = rng.string(B62, 32);
    add("secrets/generic-secret", "CLIENT_SECRET", s.clone(), s);
    let s = rng.string(B62, 40);
    add("secrets/generic-token", "AUTH_TOKEN", s.clone(), s);
    let s = rng.string(B62, 32);
    add("secrets/generic-api-key", "PAYMENTS_API_KEY", s.clone(), s);
    out
}

fn camel(name: &str) -> String {
    let mut out = String::new();
    for (i, part) in name.split('_').enumerate() {
        let lower = part.to_ascii_lowercase();
        if i == 0 {
            out.push_str(&lower);
        } else {
            out.push_str(&lower[..1].to_ascii_uppercase());
            out.push_str(&lower[1..]);
        }
    }
    out
}

/// The file kinds credentials are planted in, and how each assigns a value.
const KINDS: &[(&str, &str, &str)] = &[
    // (file, header, footer)
    (".env", "# local settings\n", ""),
    (
        "deploy.sh",
        "#!/usr/bin/env bash\nset -euo pipefail\n",
        "echo deployed\n",
    ),
    ("app/settings.py", "import os\n\n", "\nDEBUG = False\n"),
    (
        "web/config.js",
        "'use strict';\n\n",
        "\nmodule.exports = {};\n",
    ),
    ("svc/main.go", "package main\n\nfunc config() {\n", "}\n"),
    ("config/app.yaml", "config:\n", ""),
    ("config/app.json", "{\n", "  \"end\": true\n}\n"),
    ("config/app.toml", "[app]\n", ""),
];

fn assign(file: &str, name: &str, value: &str) -> String {
    match file.rsplit('.').next().unwrap_or("") {
        "env" => format!("{name}={value}"),
        "sh" => format!("export {name}=\"{value}\""),
        "py" => format!("{name} = \"{value}\""),
        "js" => format!("const {} = \"{value}\";", camel(name)),
        "go" => format!("\t{} := \"{value}\"", camel(name)),
        "yaml" => format!("  {}: \"{value}\"", name.to_ascii_lowercase()),
        "json" => format!("  \"{}\": \"{value}\",", name.to_ascii_lowercase()),
        _ => format!("{} = \"{value}\"", name.to_ascii_lowercase()),
    }
}

/// Lines a scanner must leave alone, in every file kind.
fn decoys(rng: &mut Rng, file: &str) -> Vec<String> {
    let uuid = [8, 4, 4, 4, 12]
        .iter()
        .map(|n| rng.string(HEX, *n))
        .collect::<Vec<_>>()
        .join("-");
    let values = [
        (
            "IMAGE",
            format!(
                "registry.example.org/shop/api@sha256:{}",
                rng.string(HEX, 64)
            ),
        ),
        ("REQUEST_ID", uuid.clone()),
        ("TOKEN_ID", uuid),
        ("GIT_COMMIT", rng.string(HEX, 40)),
        (
            "RESOLVED",
            format!(
                "git+ssh://git@github.com/shop/lib.git#{}",
                rng.string(HEX, 40)
            ),
        ),
        (
            "INTEGRITY",
            format!("sha512-{}", base64(&rng.bytes(64), false)),
        ),
        (
            "ICON",
            format!("data:image/png;base64,{}", base64(&rng.bytes(240), false)),
        ),
        ("CHECKSUM", rng.string(HEX, 64)),
        ("API_KEY", "<your-api-key>".to_owned()),
        ("DB_PASSWORD", "changeme".to_owned()),
        ("STRIPE_SECRET_KEY", format!("sk_live_{}", "x".repeat(24))),
        ("GITHUB_TOKEN", format!("ghp_{}", "x".repeat(36))),
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE".to_owned()),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned(),
        ),
        ("AUTH_TOKEN", "your-token-here".to_owned()),
        ("DEPLOY_TOKEN", "${DEPLOY_TOKEN}".to_owned()),
        ("DB_PASSWORD", "{{ .Values.db.password }}".to_owned()),
        ("CI_TOKEN", "${{ secrets.CI_TOKEN }}".to_owned()),
        (
            "DATABASE_URL",
            "postgres://app:${DB_PASSWORD}@db:5432/app".to_owned(),
        ),
        ("DB_PASSWORD_FILE", "/run/secrets/db-password".to_owned()),
    ];
    let mut lines: Vec<String> = values
        .iter()
        .map(|(name, value)| assign(file, name, value))
        .collect();
    if file.ends_with(".py") {
        lines.push("API_KEY = os.environ[\"API_KEY\"]".into());
        lines.push("SECRET = os.getenv(\"CLIENT_SECRET\")".into());
    }
    if file.ends_with(".js") {
        lines.push("const clientSecret = process.env.CLIENT_SECRET;".into());
    }
    lines
}

fn pem(rng: &mut Rng, label: &str, indent: &str, newline: &str) -> (String, Vec<String>) {
    let body = base64(&rng.bytes(360), false);
    let lines: Vec<String> = body
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let mut text = format!("{indent}-----BEGIN {label}-----{newline}");
    if label.contains("PGP") {
        text.push_str(newline);
    }
    for line in &lines {
        text.push_str(&format!("{indent}{line}{newline}"));
    }
    text.push_str(&format!("{indent}-----END {label}-----"));
    (text, lines)
}

/// A generated repository: the files, where each credential is, and the
/// secret parts no output may show.
struct Tree {
    files: BTreeMap<String, String>,
    expected: BTreeSet<(String, u32, &'static str)>,
    secrets: Vec<String>,
}

fn generate(rng: &mut Rng) -> Tree {
    let mut tree = Tree {
        files: BTreeMap::new(),
        expected: BTreeSet::new(),
        secrets: Vec::new(),
    };
    for (file, header, footer) in KINDS {
        let mut lines: Vec<String> = header.lines().map(str::to_owned).collect();
        let mut decoy_lines = decoys(rng, file);
        for credential in credentials(rng) {
            // Some filler and a decoy between plants, as in real files.
            lines.push(String::new());
            if let Some(decoy) = decoy_lines.pop() {
                lines.push(decoy);
            }
            lines.push(assign(file, credential.name, &credential.value));
            tree.expected
                .insert((file.to_string(), lines.len() as u32, credential.rule));
            tree.secrets.push(credential.secret);
        }
        lines.extend(decoy_lines);
        lines.extend(footer.lines().map(str::to_owned));
        tree.files.insert(file.to_string(), lines.join("\n") + "\n");
    }
    // Key blocks: PEM files of every flavour, indented in YAML, escaped in JSON.
    for (file, label, rule) in [
        ("keys/server.key", "RSA PRIVATE KEY", "secrets/private-key"),
        ("keys/ec.pem", "EC PRIVATE KEY", "secrets/private-key"),
        ("keys/pkcs8.pem", "PRIVATE KEY", "secrets/private-key"),
        (
            "keys/encrypted.pem",
            "ENCRYPTED PRIVATE KEY",
            "secrets/private-key",
        ),
        (
            "keys/id_ed25519",
            "OPENSSH PRIVATE KEY",
            "secrets/openssh-private-key",
        ),
        (
            "keys/signing.asc",
            "PGP PRIVATE KEY BLOCK",
            "secrets/pgp-private-key",
        ),
    ] {
        let (text, body) = pem(rng, label, "", "\n");
        tree.files.insert(file.to_owned(), format!("{text}\n"));
        tree.expected.insert((file.to_owned(), 1, rule));
        tree.secrets.extend(body);
    }
    let (block, body) = pem(rng, "EC PRIVATE KEY", "    ", "\n");
    tree.files.insert(
        "charts/values.yaml".into(),
        format!("tls:\n  crt: ./tls.crt\n  key: |\n{block}\n"),
    );
    tree.expected
        .insert(("charts/values.yaml".into(), 4, "secrets/private-key"));
    tree.secrets.extend(body);
    let (escaped, body) = pem(rng, "PRIVATE KEY", "", "\\n");
    tree.files.insert(
        "deploy/sa.json".into(),
        format!(
            "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"shop\",\n  \"private_key\": \"{escaped}\\n\",\n  \"client_email\": \"ci@shop.iam.gserviceaccount.com\"\n}}\n"
        ),
    );
    tree.expected.insert((
        "deploy/sa.json".into(),
        4,
        "secrets/gcp-service-account-key",
    ));
    tree.secrets.extend(body);
    // A Kubernetes Secret: `data` is only base64.
    let token = rng.string(B62, 36);
    tree.files.insert(
        "k8s/secret.yaml".into(),
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ci\n  namespace: shop\ntype: Opaque\ndata:\n  token: {}\n  username: {}\n",
            base64(format!("ghp_{token}").as_bytes(), false),
            base64(b"ci", false)
        ),
    );
    tree.expected.insert((
        "k8s/secret.yaml".into(),
        8,
        "secrets/kubernetes-secret-value",
    ));
    tree.secrets.push(token);
    // Lockfiles are not searched at all, whatever they hold.
    tree.files.insert(
        "package-lock.json".into(),
        format!(
            "{{\n  \"packages\": {{\n    \"node_modules/left-pad\": {{\n      \"integrity\": \"sha512-{}\"\n    }}\n  }}\n}}\n",
            base64(&rng.bytes(64), false)
        ),
    );
    tree
}

fn write(root: &Path, tree: &Tree) {
    for (path, text) in &tree.files {
        let full = root.join(path);
        fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        fs::write(full, text).expect("write");
    }
}

fn shipgate(root: &Path, args: &[&str]) -> (String, i32) {
    let output = Command::cargo_bin("shipgate")
        .expect("binary")
        .current_dir(root)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("run");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        output.status.code().unwrap_or(-1),
    )
}

/// (path, line, rule) of every secrets finding in a JSON report.
fn secrets_found(json: &str) -> BTreeSet<(String, u32, String)> {
    let report: serde_json::Value = serde_json::from_str(json).expect("json report");
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| {
            f["rule"]
                .as_str()
                .is_some_and(|r| r.starts_with("secrets/"))
        })
        .map(|f| {
            (
                f["location"]["path"].as_str().unwrap_or("").to_owned(),
                f["location"]["span"]["start"]["line"].as_u64().unwrap_or(0) as u32,
                f["rule"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_planted_credential_is_found_on_its_line_and_nothing_else() {
    let (mut rng, seed) = Rng::from_entropy();
    let tree = generate(&mut rng);
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), &tree);
    let (json, code) = shipgate(
        dir.path(),
        &["check", ".", "--select", "secrets/*", "--format", "json"],
    );
    assert_eq!(code, 1, "seed {seed}: {json}");
    let found = secrets_found(&json);
    let expected: BTreeSet<(String, u32, String)> = tree
        .expected
        .iter()
        .map(|(p, l, r)| (p.clone(), *l, (*r).to_owned()))
        .collect();
    let missed: Vec<_> = expected.difference(&found).collect();
    let extra: Vec<_> = found.difference(&expected).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "seed {seed} (replay with SHIPGATE_TEST_SEED={seed})\nmissed: {missed:#?}\nunexpected: {extra:#?}"
    );
    // Every format of the issue is planted in every kind of file.
    assert!(expected.len() > 300, "{}", expected.len());
}

/// Every run of `len` bytes of `text`.
fn windows(text: &str, len: usize) -> HashSet<&[u8]> {
    text.as_bytes().windows(len).collect()
}

#[test]
fn no_output_format_ever_prints_a_secret() {
    let (mut rng, seed) = Rng::from_entropy();
    let tree = generate(&mut rng);
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), &tree);
    const SHOWN: usize = 12;
    for format in ["human", "json", "sarif", "junit", "github"] {
        let (output, code) = shipgate(dir.path(), &["check", ".", "--format", format, "--verbose"]);
        assert_eq!(code, 1, "{format}: {output}");
        assert!(
            output.contains("secrets/"),
            "{format}: no secrets finding shown"
        );
        let shown = windows(&output, SHOWN);
        for secret in &tree.secrets {
            for piece in secret.as_bytes().windows(SHOWN.min(secret.len())) {
                assert!(
                    !shown.contains(piece),
                    "seed {seed}: {format} output shows `{}` of a planted secret",
                    String::from_utf8_lossy(piece)
                );
            }
        }
    }
    // The baseline stores fingerprints, rules and paths: no secret either.
    let (_, code) = shipgate(
        dir.path(),
        &[
            "check",
            ".",
            "--select",
            "secrets/*",
            "--write-baseline",
            "baseline.json",
        ],
    );
    assert!(code == 0 || code == 1);
    let baseline = fs::read_to_string(dir.path().join("baseline.json")).expect("baseline");
    let shown = windows(&baseline, SHOWN);
    for secret in &tree.secrets {
        for piece in secret.as_bytes().windows(SHOWN.min(secret.len())) {
            assert!(
                !shown.contains(piece),
                "seed {seed}: the baseline holds a secret"
            );
        }
    }
}

#[test]
fn a_baseline_keeps_matching_when_lines_move() {
    let (mut rng, seed) = Rng::from_entropy();
    let tree = generate(&mut rng);
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), &tree);
    let (_, code) = shipgate(
        dir.path(),
        &[
            "check",
            ".",
            "--select",
            "secrets/*",
            "--write-baseline",
            "baseline.json",
        ],
    );
    assert!(code == 0 || code == 1);
    // Insert lines above every credential of the `.env` file.
    let env = dir.path().join(".env");
    let text = fs::read_to_string(&env).expect("read");
    fs::write(&env, format!("# moved\n\n# down\n{text}")).expect("write");
    let (json, code) = shipgate(
        dir.path(),
        &[
            "check",
            ".",
            "--select",
            "secrets/*",
            "--baseline",
            "baseline.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "seed {seed}: {:#?}", secrets_found(&json));
}
