//! `.env` files: local configuration, usually with credentials, that
//! belongs in a secret store and not in the repository.

use shipgate_core::{Category, Example, RuleMeta, Severity, SourceSpan};
use shipgate_syntax::LineIndex;

use super::{RepoView, byte_span};
use crate::sink::RepoSink;
use crate::{Check, RuleDef};

/// Suffixes that mark a template meant to be committed: `.env.example`,
/// `.env.local.sample`, dotenv-vault's encrypted `.env.vault`.
const TEMPLATE_PARTS: &[&str] = &[
    "example", "examples", "sample", "template", "tmpl", "tpl", "dist", "default", "defaults",
    "schema", "vault",
];

/// Whether `name` is an environment file that holds real values: `.env`,
/// `.env.production`, `.env.local`..., but not a template.
pub(crate) fn is_env_file(name: &str) -> bool {
    if name == ".env" {
        return true;
    }
    let Some(rest) = name.strip_prefix(".env.") else {
        return false;
    };
    !rest.is_empty()
        && !rest
            .split('.')
            .any(|part| TEMPLATE_PARTS.contains(&part.to_ascii_lowercase().as_str()))
}

pub(super) const ENV_FILE_COMMITTED: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "repo/env-file-committed",
        title: "No .env file is committed",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "`.env` files hold the values a service reads at start-up: database URLs with \
            passwords, API keys, signing secrets. Once committed they are in every clone, fork \
            and CI cache, and in the history after deletion, so the credentials must be \
            rotated. Environment files that are not ignored are committed sooner or later.",
        remediation: "Remove the file, rotate what it held, ignore the pattern and commit a \
            template instead:\n\n\
            ```sh\ngit rm --cached .env\nprintf '.env*\\n!.env.example\\n' >> .gitignore\n```\n\n\
            In production, inject configuration from the platform's secret store (Kubernetes \
            Secrets, a vault, the CI's secrets).",
        references: &[
            "https://12factor.net/config",
            "https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/removing-sensitive-data-from-a-repository",
            "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html",
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: ".env",
            content: "DATABASE_URL=postgres://orders:hunter2@db:5432/orders\n",
        },
        passing: Example {
            file: ".env.example",
            content: "DATABASE_URL=postgres://orders:change-me@db:5432/orders\n",
        },
    },
    check: Check::Repo(env_file_committed),
};

fn env_file_committed(view: &RepoView, sink: &mut RepoSink<'_>) {
    for repository in view.repositories() {
        for entry in repository.files.iter().filter(|e| is_env_file(e.name())) {
            let (span, value, count) = match entry.text() {
                Some(text) => {
                    let assignments = assignments(text);
                    let Some(first) = assignments.first() else {
                        // Nothing is set, so nothing leaks.
                        continue;
                    };
                    let lines = LineIndex::new(text);
                    let key = byte_span(text, &lines, first.key.start, first.key.end);
                    let value = (first.value.end > first.value.start)
                        .then(|| byte_span(text, &lines, first.value.start, first.value.end));
                    (key, value, assignments.len())
                }
                None => (SourceSpan::line(1), None, 0),
            };
            let what = match count {
                0 => String::new(),
                1 => " (1 variable)".to_owned(),
                n => format!(" ({n} variables)"),
            };
            let finding = sink.at(
                &entry.file.path,
                Some(span),
                entry.rel,
                format!(
                    "`{}`{what} is in the repository and not ignored; environment files hold \
                     credentials",
                    entry.rel
                ),
            );
            // Renderers show the line: the value must not appear in the report.
            if let Some(value) = value {
                finding.redact.push(value);
            }
            finding.set_help(
                "remove it, rotate its secrets, ignore `.env*` and commit a `.env.example`",
            );
        }
    }
}

struct Assignment {
    key: std::ops::Range<usize>,
    value: std::ops::Range<usize>,
}

/// `KEY=value` lines (with an optional `export `), as byte ranges.
fn assignments(text: &str) -> Vec<Assignment> {
    let mut found = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start();
        let lead = content.len() - trimmed.len();
        let body = trimmed.strip_prefix("export ").unwrap_or(trimmed);
        let skipped = trimmed.len() - body.len();
        let Some(eq) = body.find('=') else {
            continue;
        };
        let key = body[..eq].trim_end();
        let valid = !key.is_empty()
            && !key.starts_with('#')
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-');
        if !valid {
            continue;
        }
        let key_start = start + lead + skipped;
        let value_start = key_start + eq + 1;
        found.push(Assignment {
            key: key_start..key_start + key.len(),
            value: value_start..start + content.len(),
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_real_env_files_from_templates() {
        for name in [".env", ".env.production", ".env.local", ".env.keys"] {
            assert!(is_env_file(name), "{name}");
        }
        for name in [
            ".env.example",
            ".env.local.sample",
            ".env.vault",
            ".envrc",
            "app.env",
            ".env.",
        ] {
            assert!(!is_env_file(name), "{name}");
        }
    }

    #[test]
    fn reads_assignments() {
        let text = "# comment\nexport A=1\r\n  B = two\nnot an assignment\n";
        let found = assignments(text);
        assert_eq!(found.len(), 2);
        assert_eq!(&text[found[0].key.clone()], "A");
        assert_eq!(&text[found[0].value.clone()], "1");
        assert_eq!(&text[found[1].key.clone()], "B");
    }
}
