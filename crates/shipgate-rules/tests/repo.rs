//! The repository pack over synthetic repositories: a complete one is
//! quiet, each single omission or mistake is reported where it belongs, and
//! nothing is judged outside the roots that are repositories.

use shipgate_core::{Finding, Report};
use shipgate_rules::{ArtifactKind, Engine, EngineConfig};

const MIT: &str = "MIT License\n\nCopyright (c) 2026 Example\n\nPermission is hereby granted, free \
    of charge, to any person obtaining a copy of this software and associated documentation \
    files (the \"Software\"), to deal in the Software without restriction.\n\nThe above copyright \
    notice and this permission notice shall be included in all copies or substantial portions \
    of the Software.\n";

/// A repository that does everything the pack asks.
fn complete() -> Vec<(&'static str, String)> {
    let files: &[(&str, &str)] = &[
        ("LICENSE", MIT),
        ("README.md", "# orders\n"),
        (
            ".github/SECURITY.md",
            "# Security\n\nMail security@example.com.\n",
        ),
        ("CHANGELOG.md", "# Changelog\n"),
        (".github/CODEOWNERS", "* @example/orders\n"),
        (
            ".github/workflows/ci.yml",
            "on: push\npermissions: {}\njobs: {}\n",
        ),
        (".dockerignore", ".git\n.env*\n!.env.example\n"),
        ("Dockerfile", "FROM python:3.12-slim\nCOPY . /app\n"),
        (
            "services/api/Dockerfile",
            "FROM node:22-slim\nCOPY . /app\n",
        ),
        (
            ".env.example",
            "DATABASE_URL=postgres://change-me@db/orders\n",
        ),
        (
            "package.json",
            "{\n  \"name\": \"web\",\n  \"workspaces\": [\"web\"],\n  \"devDependencies\": {\n    \"prettier\": \"^3.3.0\"\n  }\n}\n",
        ),
        ("package-lock.json", "{}\n"),
        (
            "web/package.json",
            "{\n  \"name\": \"web-app\",\n  \"dependencies\": {\n    \"react\": \"^18.3.1\"\n  },\n  \"peerDependencies\": {\n    \"vite\": \"*\"\n  }\n}\n",
        ),
        (
            "requirements.txt",
            "flask==3.0.3 \\\n    --hash=sha256:34e815dfaa43340d1d15a5c3a02b8476004037eb4840b34910c6e21679d288f3\ngunicorn==23.0.0\n",
        ),
        (
            "requirements/dev.txt",
            "-r ../requirements.txt\npytest==8.3.3\n",
        ),
        (
            "tools/pyproject.toml",
            "[project]\nname = \"tools\"\n\n[tool.poetry]\npackage-mode = false\n",
        ),
        ("tools/poetry.lock", "# lock\n"),
        (
            "cli/go.mod",
            "module example.com/cli\n\ngo 1.23\n\nrequire github.com/spf13/cobra v1.8.1\n",
        ),
        ("cli/go.sum", "github.com/spf13/cobra v1.8.1 h1:x\n"),
        (
            "agent/Cargo.toml",
            "[package]\nname = \"agent\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
        ),
        ("agent/src/main.rs", "fn main() {}\n"),
        ("agent/Cargo.lock", "version = 4\n"),
        ("Gemfile", "source 'https://rubygems.org'\ngem 'rails'\n"),
        ("Gemfile.lock", "GEM\n"),
        (
            "php/composer.json",
            "{\"require\": {\"monolog/monolog\": \"^3.0\"}}\n",
        ),
        ("php/composer.lock", "{}\n"),
    ];
    files.iter().map(|(p, t)| (*p, (*t).to_owned())).collect()
}

fn engine(roots: &[&str]) -> Engine {
    Engine::new(EngineConfig {
        select: vec!["repo".into()],
        repository_roots: roots.iter().map(|r| r.to_string()).collect(),
        ..EngineConfig::default()
    })
    .expect("engine")
}

fn check(roots: &[&str], files: &[(&str, String)]) -> Report {
    let engine = engine(roots);
    let outcomes = files
        .iter()
        .map(|(path, text)| engine.check_text(path, text, ArtifactKind::from_path(path, false)))
        .collect();
    engine.finish(vec![".".into()], outcomes, None)
}

fn describe(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("{} {} {}", f.location, f.rule, f.message))
        .collect::<Vec<_>>()
        .join("\n")
}

fn without(files: &[(&'static str, String)], path: &str) -> Vec<(&'static str, String)> {
    assert!(
        files.iter().any(|(p, _)| *p == path),
        "{path} not in the repository"
    );
    files.iter().filter(|(p, _)| *p != path).cloned().collect()
}

fn with(
    files: &[(&'static str, String)],
    path: &'static str,
    text: &str,
) -> Vec<(&'static str, String)> {
    let mut files: Vec<_> = files.iter().filter(|(p, _)| *p != path).cloned().collect();
    files.push((path, text.to_owned()));
    files
}

#[test]
fn a_complete_repository_is_quiet() {
    let report = check(&["."], &complete());
    assert!(report.findings.is_empty(), "{}", describe(&report.findings));
}

/// One change to the complete repository, the rule that must fire, and
/// where: the path, and the text of the line (none for a missing file,
/// which is reported at the root without a position).
struct Case {
    name: &'static str,
    files: fn() -> Vec<(&'static str, String)>,
    rule: &'static str,
    path: &'static str,
    line: Option<&'static str>,
}

const CASES: &[Case] = &[
    Case {
        name: "no LICENSE",
        files: || without(&complete(), "LICENSE"),
        rule: "repo/license-missing",
        path: ".",
        line: None,
    },
    Case {
        name: "a LICENSE nobody can identify",
        files: || with(&complete(), "LICENSE", "\nUse it for good, not evil.\n"),
        rule: "repo/license-unrecognised",
        path: "LICENSE",
        line: Some("Use it for good, not evil."),
    },
    Case {
        name: "no README",
        files: || without(&complete(), "README.md"),
        rule: "repo/readme-missing",
        path: ".",
        line: None,
    },
    Case {
        name: "no SECURITY.md",
        files: || without(&complete(), ".github/SECURITY.md"),
        rule: "repo/security-policy-missing",
        path: ".",
        line: None,
    },
    Case {
        name: "SECURITY.md too deep to be found",
        files: || {
            let files = without(&complete(), ".github/SECURITY.md");
            with(&files, "docs/policies/SECURITY.md", "# Security\n")
        },
        rule: "repo/security-policy-missing",
        path: ".",
        line: None,
    },
    Case {
        name: "no CHANGELOG",
        files: || without(&complete(), "CHANGELOG.md"),
        rule: "repo/changelog-missing",
        path: ".",
        line: None,
    },
    Case {
        name: "no CODEOWNERS",
        files: || without(&complete(), ".github/CODEOWNERS"),
        rule: "repo/codeowners-missing",
        path: ".",
        line: None,
    },
    Case {
        name: "no .dockerignore anywhere",
        files: || without(&complete(), ".dockerignore"),
        rule: "repo/dockerignore-missing",
        path: "services/api/Dockerfile",
        line: Some("FROM node:22-slim"),
    },
    Case {
        name: "a .dockerignore that lets .env files through",
        files: || {
            with(
                &complete(),
                ".dockerignore",
                "# context\n.git\nnode_modules\n",
            )
        },
        rule: "repo/dockerignore-incomplete",
        path: ".dockerignore",
        line: Some("# context"),
    },
    Case {
        name: "a .dockerignore that re-includes .git",
        files: || {
            with(
                &complete(),
                "services/api/.dockerignore",
                "*\n!src\n!.git\n.env*\n",
            )
        },
        rule: "repo/dockerignore-incomplete",
        path: "services/api/.dockerignore",
        line: Some("*"),
    },
    Case {
        name: "a committed .env.production",
        files: || {
            with(
                &complete(),
                "deploy/.env.production",
                "# prod\nexport API_KEY=sk_live_123\n",
            )
        },
        rule: "repo/env-file-committed",
        path: "deploy/.env.production",
        line: Some("export API_KEY=sk_live_123"),
    },
    Case {
        name: "package.json without any lockfile",
        files: || without(&complete(), "package-lock.json"),
        rule: "repo/lockfile-missing",
        path: "package.json",
        line: Some("  \"devDependencies\": {"),
    },
    Case {
        name: "a poetry project without poetry.lock",
        files: || without(&complete(), "tools/poetry.lock"),
        rule: "repo/lockfile-missing",
        path: "tools/pyproject.toml",
        line: Some("[tool.poetry]"),
    },
    Case {
        name: "go.mod with requirements and no go.sum",
        files: || without(&complete(), "cli/go.sum"),
        rule: "repo/lockfile-missing",
        path: "cli/go.mod",
        line: Some("require github.com/spf13/cobra v1.8.1"),
    },
    Case {
        name: "Gemfile without Gemfile.lock",
        files: || without(&complete(), "Gemfile.lock"),
        rule: "repo/lockfile-missing",
        path: "Gemfile",
        line: Some("source 'https://rubygems.org'"),
    },
    Case {
        name: "composer.json without composer.lock",
        files: || without(&complete(), "php/composer.lock"),
        rule: "repo/lockfile-missing",
        path: "php/composer.json",
        line: Some("{\"require\": {\"monolog/monolog\": \"^3.0\"}}"),
    },
    Case {
        name: "a Rust binary without Cargo.lock",
        files: || without(&complete(), "agent/Cargo.lock"),
        rule: "repo/cargo-lock-missing",
        path: "agent/Cargo.toml",
        line: Some("[package]"),
    },
    Case {
        name: "a range in requirements.txt",
        files: || {
            with(
                &complete(),
                "requirements/dev.txt",
                "-r ../requirements.txt\npytest>=8  # tests\n",
            )
        },
        rule: "repo/dependency-unpinned",
        path: "requirements/dev.txt",
        line: Some("pytest>=8  # tests"),
    },
    Case {
        name: "latest in package.json",
        files: || {
            with(
                &complete(),
                "web/package.json",
                "{\n  \"dependencies\": {\n    \"react\": \"latest\"\n  }\n}\n",
            )
        },
        rule: "repo/dependency-unpinned",
        path: "web/package.json",
        line: Some("    \"react\": \"latest\""),
    },
];

#[test]
fn each_omission_is_reported_where_it_belongs() {
    let mut problems = Vec::new();
    for case in CASES {
        let files = (case.files)();
        let report = check(&["."], &files);
        let hits: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.rule == case.rule && f.location.path == case.path)
            .collect();
        let Some(finding) = hits.first() else {
            problems.push(format!(
                "{}: expected {} at {}, got:\n{}",
                case.name,
                case.rule,
                case.path,
                describe(&report.findings)
            ));
            continue;
        };
        match case.line {
            None if finding.location.span.is_some() => {
                problems.push(format!("{}: a missing file has no position", case.name))
            }
            None => {}
            Some(expected) => {
                let text = &files.iter().find(|(p, _)| *p == case.path).expect("file").1;
                let line = finding.location.line().unwrap_or(0);
                let actual = text.lines().nth(line.saturating_sub(1) as usize);
                if actual != Some(expected) {
                    problems.push(format!(
                        "{}: reported on line {line} ({actual:?}), expected {expected:?}",
                        case.name
                    ));
                }
            }
        }
        let others: Vec<Finding> = report
            .findings
            .iter()
            .filter(|f| f.rule != case.rule)
            .cloned()
            .collect();
        if !others.is_empty() {
            problems.push(format!(
                "{}: other rules fired:\n{}",
                case.name,
                describe(&others)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn the_repository_pack_is_silent_without_repository_roots() {
    let files = vec![
        ("Dockerfile", "FROM alpine:3.20\n".to_owned()),
        (".env", "TOKEN=secret\n".to_owned()),
        ("requirements.txt", "flask\n".to_owned()),
    ];
    let report = check(&[], &files);
    assert!(report.findings.is_empty(), "{}", describe(&report.findings));
    // The same files in a repository are judged.
    let report = check(&["."], &files);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule == "repo/env-file-committed")
    );
}

#[test]
fn only_files_under_a_repository_root_are_judged() {
    let files = vec![
        ("shop/README.md", "# shop\n".to_owned()),
        ("shop/.env", "TOKEN=secret\n".to_owned()),
        ("scratch/.env", "TOKEN=other\n".to_owned()),
        ("scratch/requirements.txt", "flask\n".to_owned()),
    ];
    let report = check(&["shop"], &files);
    let paths: Vec<&str> = report
        .findings
        .iter()
        .map(|f| f.location.path.as_str())
        .collect();
    assert!(paths.contains(&"shop/.env"), "{paths:?}");
    assert!(paths.contains(&"shop"), "{paths:?}");
    assert!(paths.iter().all(|p| p.starts_with("shop")), "{paths:?}");
    // A missing LICENSE is reported once, at the root it is missing from.
    let license: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.rule == "repo/license-missing")
        .collect();
    assert_eq!(license.len(), 1);
    assert_eq!(license[0].location.path, "shop");
}

#[test]
fn each_root_is_a_repository_of_its_own() {
    let files = vec![
        ("a/LICENSE", MIT.to_owned()),
        ("b/README.md", "# b\n".to_owned()),
    ];
    let report = check(&["a", "b"], &files);
    let missing = |rule: &str| -> Vec<String> {
        report
            .findings
            .iter()
            .filter(|f| f.rule == rule)
            .map(|f| f.location.path.clone())
            .collect()
    };
    assert_eq!(missing("repo/license-missing"), ["b"]);
    assert_eq!(missing("repo/readme-missing"), ["a"]);
}

#[test]
fn env_values_are_redacted_from_snippets() {
    let text = "API_KEY=sk_live_123\n";
    let report = check(&["."], &[(".env", text.to_owned())]);
    let finding = report
        .findings
        .iter()
        .find(|f| f.rule == "repo/env-file-committed")
        .expect("finding");
    let span = finding.location.span.expect("span");
    assert_eq!(
        &text[span.start_byte as usize..span.end_byte as usize],
        "API_KEY"
    );
    let redacted = finding.redact.first().expect("redaction");
    assert_eq!(
        &text[redacted.start_byte as usize..redacted.end_byte as usize],
        "sk_live_123"
    );
    assert!(!finding.message.contains("sk_live"));
}

#[test]
fn workspace_members_use_the_lockfile_above_them() {
    // `web/package.json` has dependencies and no lockfile of its own: the
    // root's covers it, as npm, yarn and pnpm workspaces do.
    let report = check(&["."], &complete());
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.location.path == "web/package.json")
    );
    let files = without(&complete(), "package-lock.json");
    let report = check(&["."], &files);
    let paths: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.rule == "repo/lockfile-missing")
        .map(|f| f.location.path.as_str())
        .collect();
    assert_eq!(paths, ["package.json", "web/package.json"]);
}
