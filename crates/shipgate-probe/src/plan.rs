//! The probes of a plan file, read without the plan model: the `[targets]`
//! table, `[[probe]]` tables, and any `probe` table of a gate's check
//! (`[[phase.gate.check]] probe = { kind = ..., ... }`). Every other key of
//! the file belongs to the plan and is left alone.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::config::{ProbeSpec, Target};

/// A probe with the name reports use for it.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedProbe {
    pub name: String,
    pub spec: ProbeSpec,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProbeFile {
    pub targets: BTreeMap<String, Target>,
    pub probes: Vec<NamedProbe>,
}

impl ProbeFile {
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Reads `text`; every problem is reported, one per line, prefixed with
    /// `origin`.
    pub fn parse(text: &str, origin: &str) -> Result<Self, String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        let mut errors = Vec::new();
        let mut file = ProbeFile::default();
        if let Some(targets) = table.get("targets") {
            match BTreeMap::<String, Target>::deserialize(targets.clone()) {
                Ok(t) => file.targets = t,
                Err(e) => errors.push(format!("{origin}: [targets]: {e}")),
            }
        }
        let mut add = |name: String, table: &toml::Table, errors: &mut Vec<String>| {
            match ProbeSpec::from_table(table.clone()) {
                Ok(spec) => file.probes.push(NamedProbe { name, spec }),
                Err(e) => errors.push(format!("{origin}: probe `{name}`: {e}")),
            }
        };
        match table.get("probe") {
            None => {}
            Some(toml::Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let Some(probe) = item.as_table() else {
                        errors.push(format!(
                            "{origin}: [[probe]] number {} is not a table",
                            i + 1
                        ));
                        continue;
                    };
                    let mut probe = probe.clone();
                    let name = match probe.remove("name") {
                        Some(toml::Value::String(n)) if !n.trim().is_empty() => n,
                        Some(_) => {
                            errors.push(format!(
                                "{origin}: [[probe]] number {}: `name` is a non-empty string",
                                i + 1
                            ));
                            continue;
                        }
                        None => format!(
                            "{}-{}",
                            probe
                                .get("kind")
                                .and_then(|k| k.as_str())
                                .unwrap_or("probe"),
                            i + 1
                        ),
                    };
                    add(name, &probe, &mut errors);
                }
            }
            Some(_) => errors.push(format!(
                "{origin}: `probe` is an array of tables ([[probe]])"
            )),
        }
        for (name, probe) in gate_probes(&table) {
            add(name, &probe, &mut errors);
        }
        let mut seen = BTreeMap::new();
        for p in &file.probes {
            if seen.insert(p.name.clone(), ()).is_some() {
                errors.push(format!("{origin}: two probes are named `{}`", p.name));
            }
        }
        for p in &file.probes {
            match p.spec.endpoint() {
                (Some(_), Some(_)) => errors.push(format!(
                    "{origin}: probe `{}`: a probe names either a `target` or a `url`, not both",
                    p.name
                )),
                (None, None) => errors.push(format!(
                    "{origin}: probe `{}`: a probe needs a `target` or a `url`",
                    p.name
                )),
                (Some(t), None) if !file.targets.contains_key(t) => errors.push(format!(
                    "{origin}: probe `{}`: no target `{t}` in [targets]",
                    p.name
                )),
                _ => {}
            }
        }
        if errors.is_empty() {
            Ok(file)
        } else {
            Err(errors.join("\n"))
        }
    }

    /// Applies `NAME=URL` overrides from the command line. A name the file
    /// does not declare is an error, so a typo never leaves the real target
    /// in place.
    pub fn override_targets(&mut self, overrides: &[String]) -> Result<(), String> {
        for spec in overrides {
            let Some((name, url)) = spec.split_once('=') else {
                return Err(format!("--target {spec}: expected NAME=URL"));
            };
            let (name, url) = (name.trim(), url.trim());
            url::Url::parse(url)
                .map_err(|e| format!("--target {name}: `{url}` is not a URL: {e}"))?;
            match self.targets.get_mut(name) {
                Some(target) => target.url = url.to_owned(),
                None => {
                    let known: Vec<&str> = self.targets.keys().map(String::as_str).collect();
                    return Err(format!(
                        "--target {name}: the plan declares no such target (known: {})",
                        if known.is_empty() {
                            "none".into()
                        } else {
                            known.join(", ")
                        }
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The probe tables of the plan's gates, named `phase/gate/check`.
fn gate_probes(plan: &toml::Table) -> Vec<(String, toml::Table)> {
    let mut out = Vec::new();
    let id = |t: &toml::Table, i: usize| {
        t.get("id")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| (i + 1).to_string())
    };
    let tables = |t: &toml::Table, key: &str| -> Vec<toml::Table> {
        t.get(key)
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_table().cloned()).collect())
            .unwrap_or_default()
    };
    for (pi, phase) in tables(plan, "phase").iter().enumerate() {
        for (gi, gate) in tables(phase, "gate").iter().enumerate() {
            for (ci, check) in tables(gate, "check").iter().enumerate() {
                if let Some(probe) = check.get("probe").and_then(|p| p.as_table()) {
                    let name = format!("{}/{}/{}", id(phase, pi), id(gate, gi), id(check, ci));
                    out.push((name, probe.clone()));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[targets]
api = "http://127.0.0.1:8080"
secure = { url = "https://127.0.0.1:8443", ca-file = "ca.pem" }

[[probe]]
name = "health"
kind = "http"
target = "api"
path = "/health"

[[probe]]
kind = "tls"
target = "secure"

[[phase]]
id = "validate"
[[phase.gate]]
id = "live"
[[phase.gate.check]]
id = "ready"
probe = { kind = "http", target = "api", path = "/ready" }
"#;

    #[test]
    fn reads_targets_probes_and_gate_probes() {
        let file = ProbeFile::parse(FILE, "shipgate.toml").unwrap();
        let names: Vec<&str> = file.probes.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["health", "tls-2", "validate/live/ready"]);
        assert_eq!(file.targets["secure"].ca_file.as_deref(), Some("ca.pem"));
    }

    #[test]
    fn overrides_replace_urls_and_refuse_unknown_names() {
        let mut file = ProbeFile::parse(FILE, "shipgate.toml").unwrap();
        file.override_targets(&["api=http://127.0.0.1:9999".into()])
            .unwrap();
        assert_eq!(file.targets["api"].url, "http://127.0.0.1:9999");
        let err = file.override_targets(&["apx=http://x".into()]).unwrap_err();
        assert!(
            err.contains("no such target") && err.contains("api, secure"),
            "{err}"
        );
    }

    #[test]
    fn every_problem_is_reported() {
        let text = "[[probe]]\nkind = \"http\"\ntarget = \"nowhere\"\n\n[[probe]]\nname = \"x\"\nkind = \"load\"\nurl = \"http://h\"\nrate = 10\nduration = \"1s\"\np99 = 5\n";
        let err = ProbeFile::parse(text, "p.toml").unwrap_err();
        assert!(err.contains("probe `http-1`: no target `nowhere`"), "{err}");
        assert!(err.contains("probe `x`:"), "{err}");
        assert_eq!(err.lines().count(), 2, "{err}");
    }
}
