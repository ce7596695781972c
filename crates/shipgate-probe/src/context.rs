//! What every probe needs besides its options: the targets, the
//! environment secrets come from, and the redaction of those secrets.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::config::Target;

type EnvLookup = dyn Fn(&str) -> Option<String> + Send + Sync;

/// The targets and the source of secrets for a run of probes.
pub struct Context {
    targets: BTreeMap<String, Target>,
    env: Arc<EnvLookup>,
    secrets: Mutex<Vec<String>>,
}

/// Where one probe goes, resolved from a target or a literal URL.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub target: Option<String>,
    pub url: url::Url,
    pub ca_file: Option<String>,
}

impl Context {
    /// Secrets come from the process environment.
    pub fn new(targets: BTreeMap<String, Target>) -> Self {
        Self::with_env(targets, |name| std::env::var(name).ok())
    }

    /// Secrets come from `env`, so that a caller (or a test) decides what a
    /// probe may read.
    pub fn with_env(
        targets: BTreeMap<String, Target>,
        env: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        Context {
            targets,
            env: Arc::new(env),
            secrets: Mutex::new(Vec::new()),
        }
    }

    pub fn targets(&self) -> &BTreeMap<String, Target> {
        &self.targets
    }

    /// The value of an environment variable holding a secret. The value is
    /// remembered so that it is redacted from everything the probe reports.
    pub fn secret(&self, variable: &str) -> Result<String, String> {
        match (self.env)(variable) {
            Some(value) if !value.is_empty() => {
                self.remember(&value);
                Ok(value)
            }
            Some(_) => Err(format!("the environment variable {variable} is empty")),
            None => Err(format!("the environment variable {variable} is not set")),
        }
    }

    /// Registers a value that must never appear in a report.
    pub fn remember(&self, value: &str) {
        // Very short values would blank out unrelated text, and are not
        // secrets worth the name anyway.
        if value.len() >= 4 {
            let mut secrets = self.secrets.lock().unwrap_or_else(|e| e.into_inner());
            if !secrets.iter().any(|s| s == value) {
                secrets.push(value.to_owned());
                // Longest first, so a secret containing another is removed whole.
                secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
            }
        }
    }

    /// `text` with every known secret replaced.
    pub fn redact(&self, text: &str) -> String {
        let secrets = self.secrets.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = text.to_owned();
        for secret in secrets.iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        out
    }

    /// Every string in `value` redacted.
    pub fn redact_json(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(s) => {
                let redacted = self.redact(s);
                if redacted != *s {
                    *s = redacted;
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.redact_json(v)),
            serde_json::Value::Object(map) => map.values_mut().for_each(|v| self.redact_json(v)),
            _ => {}
        }
    }

    /// The URL of a probe: `target` joined with `path`, or `url` as given.
    pub fn resolve(
        &self,
        target: Option<&str>,
        url: Option<&str>,
        path: Option<&str>,
    ) -> Result<Resolved, String> {
        let (name, base, ca_file) = match (target, url) {
            (Some(_), Some(_)) => {
                return Err("a probe names either a `target` or a `url`, not both".into());
            }
            (None, None) => return Err("a probe needs a `target` or a `url`".into()),
            (Some(name), None) => {
                let Some(t) = self.targets.get(name) else {
                    return Err(format!(
                        "no target `{name}`; known targets: {}",
                        self.known_targets()
                    ));
                };
                (Some(name.to_owned()), t.url.as_str(), t.ca_file.clone())
            }
            (None, Some(url)) => (None, url, None),
        };
        let base = url::Url::parse(base)
            .map_err(|e| format!("`{}` is not a URL: {e}", redact_url_text(base)))?;
        let url = match path {
            Some(path) => join_path(&base, path)?,
            None => base,
        };
        if let Some(password) = url.password() {
            let decoded = percent_decode(password);
            self.remember(&decoded);
            self.remember(password);
        }
        Ok(Resolved {
            target: name,
            url,
            ca_file,
        })
    }

    fn known_targets(&self) -> String {
        if self.targets.is_empty() {
            "none".into()
        } else {
            self.targets
                .keys()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

pub const REDACTED: &str = "[redacted]";

/// A path appended to a base URL, keeping the base's own path as a prefix
/// (`https://host/api` + `/health` is `https://host/api/health`).
fn join_path(base: &url::Url, path: &str) -> Result<url::Url, String> {
    if path.contains("://") {
        return Err(format!("`path` is a path, not a URL: `{path}`"));
    }
    let mut url = base.clone();
    let (path_part, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let prefix = base.path().trim_end_matches('/');
    let suffix = path_part.trim_start_matches('/');
    url.set_path(&format!("{prefix}/{suffix}"));
    if query.is_some() {
        url.set_query(query);
    }
    Ok(url)
}

/// A URL for a report: the password, if any, replaced.
pub fn display_url(url: &url::Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        // Set as a placeholder the URL need not escape, then shown as the
        // same marker every other redaction uses.
        let _ = shown.set_password(Some("SHIPGATEREDACTED"));
        return shown.as_str().replacen("SHIPGATEREDACTED", REDACTED, 1);
    }
    shown.to_string()
}

fn redact_url_text(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(u) => display_url(&u),
        Err(_) => match (text.find("://"), text.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                format!("{}{REDACTED}{}", &text[..scheme + 3], &text[at..])
            }
            _ => text.to_owned(),
        },
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(hi << 4 | lo);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_under_the_base_path() {
        let base = url::Url::parse("https://h.example/api/").unwrap();
        assert_eq!(
            join_path(&base, "/health?x=1").unwrap().as_str(),
            "https://h.example/api/health?x=1"
        );
        let base = url::Url::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            join_path(&base, "ready").unwrap().as_str(),
            "http://127.0.0.1:8080/ready"
        );
    }

    #[test]
    fn secrets_and_url_passwords_are_redacted() {
        let ctx = Context::with_env(BTreeMap::new(), |name| {
            (name == "TOKEN").then(|| "s3cr3t-token".to_owned())
        });
        assert_eq!(ctx.secret("TOKEN").unwrap(), "s3cr3t-token");
        assert!(ctx.secret("MISSING").unwrap_err().contains("MISSING"));
        let r = ctx
            // shipgate:ignore secrets/postgres-connection-string -- a made-up URL the test redacts
            .resolve(None, Some("postgres://app:p%40ss-word@db:5432/shop"), None)
            .unwrap();
        assert_eq!(
            display_url(&r.url),
            "postgres://app:[redacted]@db:5432/shop"
        );
        let mut v = serde_json::json!({"a": ["Bearer s3cr3t-token", "pw p@ss-word"]});
        ctx.redact_json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"a": ["Bearer [redacted]", "pw [redacted]"]})
        );
    }
}
