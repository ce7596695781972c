use super::*;
use crate::artifact::ArtifactKind;
use crate::{Engine, EngineConfig};

/// What the scanner finds in `text`: each rule id with the secret's text.
fn hits(path: &str, text: &str) -> Vec<(String, String)> {
    let scanner = scanner();
    let on = vec![true; DETECTOR_COUNT];
    scanner
        .scan(path, text.as_bytes(), &on)
        .into_iter()
        .map(|h| {
            (
                scanner.detector(h.detector).spec.rule.meta.id.to_owned(),
                text[h.secret.clone()].to_owned(),
            )
        })
        .collect()
}

fn check(path: &str, text: &str) -> shipgate_core::Report {
    let engine = Engine::new(EngineConfig::default()).expect("engine");
    let kind = ArtifactKind::from_path(path, false);
    let outcome = engine.check_text(path, text, kind);
    engine.finish(vec![".".into()], vec![outcome], None)
}

fn secrets_findings(report: &shipgate_core::Report) -> Vec<&Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.rule.starts_with("secrets/"))
        .collect()
}

/// Whether `text` holds a run of `len` characters each one past the last:
/// the mark of the examples' ramps.
fn has_ramp(text: &[u8], len: usize) -> bool {
    text.windows(len)
        .any(|w| w.windows(2).all(|p| p[1] == p[0] + 1))
}

#[test]
fn every_example_credential_is_an_obvious_ramp() {
    let engine = Engine::new(EngineConfig {
        select: vec!["secrets/*".into()],
        ..EngineConfig::default()
    })
    .expect("engine");
    for rule in RULES {
        let example = &rule.meta.failing;
        let kind = ArtifactKind::from_path(example.file, false);
        let outcome = engine.check_text(example.file, example.content, kind);
        let own: Vec<&Finding> = outcome
            .findings
            .iter()
            .filter(|f| f.rule == rule.meta.id)
            .collect();
        assert!(!own.is_empty(), "{}: example raised nothing", rule.meta.id);
        for finding in own {
            for span in &finding.redact {
                let secret =
                    &example.content.as_bytes()[span.start_byte as usize..span.end_byte as usize];
                let decoded = filters::base64_decode(secret).unwrap_or_default();
                assert!(
                    has_ramp(secret, 6) || has_ramp(&decoded, 6),
                    "{}: the example's credential `{}` holds no ramp: build it from \
                     `0123456789abcdef…` or `ABCDEF…` so that it is obviously fake",
                    rule.meta.id,
                    String::from_utf8_lossy(secret)
                );
            }
        }
    }
}

#[test]
fn the_pack_has_a_hundred_rules_documented_and_unique() {
    assert!(RULES.len() >= 100, "{} rules", RULES.len());
    let mut ids: Vec<&str> = RULES.iter().map(|r| r.meta.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), RULES.len());
    for rule in RULES {
        let meta = &rule.meta;
        assert!(meta.id.starts_with("secrets/"), "{}", meta.id);
        assert!(
            meta.remediation.starts_with("Rotate first"),
            "{}: rotate first, then remove",
            meta.id
        );
        assert!(
            meta.references.iter().any(|r| r.starts_with("https://")),
            "{}",
            meta.id
        );
    }
}

#[test]
fn entropy_is_shannon_bits_per_byte() {
    assert_eq!(filters::entropy(b""), 0.0);
    assert_eq!(filters::entropy(b"aaaa"), 0.0);
    assert!((filters::entropy(b"ab") - 1.0).abs() < 1e-6);
    assert!((filters::entropy(b"0123456789abcdef") - 4.0).abs() < 1e-6);
}

#[test]
fn base64_decodes_standard_and_url_safe_text() {
    assert_eq!(filters::base64_decode(b"aGk=").as_deref(), Some(&b"hi"[..]));
    assert_eq!(filters::base64_decode(b"aGk").as_deref(), Some(&b"hi"[..]));
    assert_eq!(
        filters::base64_decode(b"-_8").as_deref(),
        Some(&[0xfb, 0xff][..])
    );
    assert_eq!(filters::base64_decode(b"a"), None);
    assert_eq!(filters::base64_decode(b"a$b="), None);
}

#[test]
fn references_and_placeholders_are_never_findings() {
    let quiet = [
        (".env", "GITHUB_TOKEN=${GITHUB_TOKEN}\n"),
        (".env", "API_KEY=<your-api-key>\n"),
        (".env", "API_KEY=your_api_key_here\n"),
        (".env", "PASSWORD_FILE=/run/secrets/db-password\n"),
        (".env", "DB_PASSWORD=$DB_PASSWORD_FROM_VAULT\n"),
        (".env", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"),
        (".env", "AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX\n"),
        ("values.yaml", "password: {{ .Values.db.password }}\n"),
        ("ci.yml", "token: ${{ secrets.DEPLOY_TOKEN }}\n"),
        ("app.py", "api_key = os.environ[\"API_KEY\"]\n"),
        ("app.py", "secret = settings.SECRET_KEY_FROM_ENV\n"),
        ("app.js", "const token = process.env.GITHUB_TOKEN;\n"),
        ("app.go", "password := os.Getenv(\"DB_PASSWORD_VALUE\")\n"),
        (
            ".env",
            "DATABASE_URL=postgres://app:${DB_PASSWORD}@db:5432/app\n",
        ),
        (
            ".env",
            "DATABASE_URL=postgres://postgres:postgres@localhost:5432/app\n",
        ),
        (
            ".env",
            "DATABASE_URL=postgres://user:password@localhost:5432/app\n",
        ),
        (
            "README.md",
            "Set `STRIPE_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx` in production.\n",
        ),
        (
            "deploy.yaml",
            "image: nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
        ),
        (
            "ci.yml",
            "uses: docker://alpine:3.20@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
        ),
        (
            "ids.json",
            "{\"request_token\": \"123e4567-e89b-12d3-a456-426614174000\"}\n",
        ),
        (
            "package.json",
            "{\"integrity\": \"sha512-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/==\"}\n",
        ),
        (
            "index.html",
            "<img src=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==\">\n",
        ),
        (
            "tls.crt",
            "-----BEGIN CERTIFICATE-----\nABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\n-----END CERTIFICATE-----\n",
        ),
        (
            "docs.md",
            "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n",
        ),
        (
            "yarn.lock",
            "  token \"0123456789abcdefghijklmnopqrstuvwxyzABCDEF\"\n",
        ),
    ];
    for (path, text) in quiet {
        assert_eq!(
            hits(path, text),
            Vec::<(String, String)>::new(),
            "{path}: {text}"
        );
    }
}

#[test]
fn key_blocks_are_found_indented_in_yaml_and_escaped_in_json() {
    let body = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let yaml = format!(
        "tls:\n  key: |\n    -----BEGIN EC PRIVATE KEY-----\n    {body}\n    {body}\n    -----END EC PRIVATE KEY-----\n"
    );
    let json = format!(
        "{{\"key\": \"-----BEGIN PRIVATE KEY-----\\n{body}\\n{body}\\n-----END PRIVATE KEY-----\\n\"}}\n"
    );
    for (path, text) in [("values.yaml", yaml), ("config.json", json)] {
        let found = hits(path, &text);
        assert_eq!(found.len(), 1, "{path}: {found:?}");
        assert_eq!(found[0].0, "secrets/private-key");
        let normalized = filters::normalize(found[0].1.as_bytes());
        assert_eq!(normalized, format!("{body}{body}").as_bytes(), "{path}");
    }
}

#[test]
fn a_provider_format_wins_over_a_generic_assignment() {
    let found = hits(
        ".env",
        "API_KEY=ghp_0123456789abcdefghijklmnopqrstuvwxyz\nGIT_URL=https://x-access-token:ghp_0123456789abcdefghijklmnopqrstuvwxyz@github.com/a/b\n",
    );
    let rules: Vec<&str> = found.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(rules, ["secrets/github-pat", "secrets/github-pat"]);
}

#[test]
fn generic_assignments_need_a_credential_name_and_a_random_value() {
    let found = hits(
        "config.env",
        "DB_PASSWORD=Zq8fL2mX9vR4tK7w\nPASSWORD_MIN_LENGTH=0123456789abcdef\nBYPASS=Zq8fL2mX9vR4tK7w\nPASSWORD=correcthorsebatterystaple\n",
    );
    assert_eq!(
        found,
        [(
            "secrets/generic-password".to_owned(),
            "Zq8fL2mX9vR4tK7w".to_owned()
        )]
    );
    // A base64 key may start with a slash and still be no path.
    assert_eq!(
        hits(
            "creds.json",
            "{\"aws_secret_access_key\": \"/QsSNl/qW2OZc2kdrV3L5Mq3KXOIZTBWoHnoJQrc\"}\n"
        )
        .len(),
        1
    );
    // Type annotations sit between the name and the value.
    assert_eq!(
        hits(
            "app.ts",
            "export const dbPassword: string = \"Zq8fL2mX9vR4tK7w\";\n"
        )
        .len(),
        1
    );
    assert_eq!(
        hits(
            "app.ts",
            "const herokuApiKey: string = \"338d8870-1076-4a39-b1c5-1b88933f8329\";\n"
        ),
        [(
            "secrets/heroku-api-key".to_owned(),
            "338d8870-1076-4a39-b1c5-1b88933f8329".to_owned()
        )]
    );
    // In code an unquoted value is an expression.
    assert!(hits("app.py", "password = Zq8fL2mX9vR4tK7w\n").is_empty());
    assert_eq!(hits("app.py", "password = \"Zq8fL2mX9vR4tK7w\"\n").len(), 1);
}

#[test]
fn findings_name_the_secret_by_prefix_and_digest_only() {
    let secret = "ghp_0123456789abcdefghijklmnopqrstuvwxyz";
    let text = format!("# settings\nGITHUB_TOKEN={secret}\n");
    let report = check(".env.production", &text);
    let found = secrets_findings(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    let finding = found[0];
    assert_eq!(finding.rule, "secrets/github-pat");
    assert_eq!(finding.location.line(), Some(2));
    assert!(
        finding.message.contains("`ghp_…` (sha256:"),
        "{}",
        finding.message
    );
    let serialized = serde_json::to_string(&report).expect("json");
    assert!(!serialized.contains(&secret[4..]), "{serialized}");
    let span = finding.redact[0];
    assert_eq!(
        &text[span.start_byte as usize..span.end_byte as usize],
        secret
    );
}

#[test]
fn fingerprints_survive_line_shifts_and_hold_no_secret() {
    let secret = "sk_live_0123456789abcdefghijklmnopqrstuvwxyz";
    let before = check("app.env", &format!("STRIPE_KEY={secret}\n"));
    let after = check(
        "app.env",
        &format!("# payments\n\nMODE=live\nSTRIPE_KEY={secret}\n"),
    );
    let (a, b) = (secrets_findings(&before), secrets_findings(&after));
    assert_eq!(a.len(), 1);
    assert_eq!(b.len(), 1);
    assert_ne!(a[0].location.line(), b[0].location.line());
    assert_eq!(a[0].fingerprint, b[0].fingerprint);
    assert!(!a[0].fingerprint.0.contains(&secret[8..16]));
    let baseline = crate::baseline::Baseline::from_view(&before).unwrap();
    let stored = serde_json::to_string(&baseline).expect("json");
    assert!(!stored.contains(&secret[8..]), "{stored}");
    // Another secret in the same place is another finding.
    let other = check(
        "app.env",
        "STRIPE_KEY=sk_live_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdef\n",
    );
    assert_ne!(secrets_findings(&other)[0].fingerprint, a[0].fingerprint);
}

#[test]
fn peers_pragmas_silence_secrets_rules_on_their_line_only() {
    let text = "\
TOKEN_A=ghp_0123456789abcdefghijklmnopqrstuvwxyz # gitleaks:allow -- revoked test token
TOKEN_B=ghp_123456789abcdefghijklmnopqrstuvwxyzA # pragma: allowlist secret -- fixture
TOKEN_C=ghp_23456789abcdefghijklmnopqrstuvwxyzAB
";
    let report = check(".env", text);
    let open: Vec<u32> = secrets_findings(&report)
        .iter()
        .filter_map(|f| f.location.line())
        .collect();
    assert_eq!(open, [3]);
    let by: Vec<&str> = report.suppressed.iter().map(|s| s.by.as_str()).collect();
    assert_eq!(by, ["gitleaks", "detect-secrets"]);
    // Without a reason the suppression still applies, and says so.
    let report = check(
        ".env",
        "TOKEN=ghp_0123456789abcdefghijklmnopqrstuvwxyz # gitleaks:allow\n",
    );
    assert!(secrets_findings(&report).is_empty());
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule == "meta/suppression-missing-reason")
    );
}

#[test]
fn shipgate_ignore_works_in_any_comment_syntax() {
    let text = "\
// shipgate:ignore secrets/stripe-secret-key -- the test-mode key of the demo account
const key = \"sk_test_0123456789abcdefghijklmnopqrstuvwxyz\";
const other = \"sk_test_123456789abcdefghijklmnopqrstuvwxyzA\";
";
    let report = check("demo.js", text);
    let lines: Vec<u32> = secrets_findings(&report)
        .iter()
        .filter_map(|f| f.location.line())
        .collect();
    assert_eq!(lines, [3]);
    assert_eq!(report.suppressed.len(), 1);
}

#[test]
fn kubernetes_secret_data_is_decoded_and_string_data_is_judged() {
    let token = "ghp_0123456789abcdefghijklmnopqrstuvwxyz";
    let encoded = "Z2hwXzAxMjM0NTY3ODlhYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5eg==";
    assert_eq!(
        filters::base64_decode(encoded.as_bytes()).unwrap(),
        token.as_bytes()
    );
    let text = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ci\n  namespace: shop\ndata:\n  token: {encoded}\n  username: Y2k=\nstringData:\n  password: Zq8fL2mX9vR4tK7w\n  host: db.internal\n"
    );
    let report = check("secret.yaml", &text);
    let found = secrets_findings(&report);
    let summary: Vec<(&str, Option<u32>)> = found
        .iter()
        .map(|f| (f.rule.as_str(), f.location.line()))
        .collect();
    assert_eq!(
        summary,
        [
            ("secrets/kubernetes-secret-value", Some(7)),
            ("secrets/kubernetes-secret-value", Some(10)),
        ]
    );
    assert!(
        found[0]
            .message
            .contains("decodes to a GitHub personal access token")
    );
    for finding in found {
        assert!(!finding.message.contains("Zq8fL2mX9vR4tK7w"));
        assert!(!finding.message.contains(&token[4..]));
    }
}

#[test]
fn keywords_inside_other_keywords_still_trigger_their_detectors() {
    // `secret` ends before `-key-1` and `password` starts with `pass`.
    let text = "note: the secret is AGE-SECRET-KEY-1ACDEFGHJKLMNPQRSTUVWXYZ023456789ACDEFGHJKLMNPQRSTUVWXYZ023\n";
    let found = hits("keys.txt", text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "secrets/age-secret-key");
    let found = hits(
        ".netrc",
        "machine api.example.org login ci password Zq8fL2mX9vR4tK7w\n",
    );
    assert_eq!(found[0].0, "secrets/netrc-password");
}

/// Values that random draws produced and the pack once let through: a
/// password with a dot read as `object.field`, and a Datadog key whose hex
/// digits happen to repeat.
#[test]
fn random_values_that_resemble_names_or_repeat_are_still_found() {
    let password = ["wiQt60cvd8", "TsUC.gIu"].concat();
    let found = hits(".env.local", &format!("DB_PASSWORD={password}\n"));
    assert!(found.iter().any(|(_, s)| *s == password), "{found:?}");
    // Names keep being names: one digit run, or one case.
    for reference in [
        "settings.dbPassword2",
        "config.db_password",
        "self.v1Secret",
    ] {
        let found = hits("app.py", &format!("DB_PASSWORD = {reference}\n"));
        assert!(found.is_empty(), "{reference}: {found:?}");
    }
    let key = ["a25ababfa84aafd8", "0028a0aaff88b439"].concat();
    let found = hits("app.ts", &format!("export const ddApiKey = \"{key}\";\n"));
    assert!(
        found
            .iter()
            .any(|(id, s)| id == "secrets/datadog-api-key" && *s == key),
        "{found:?}"
    );
}
