//! One object of a rendering, and how kustomize picks objects out.

use regex::Regex;
use shipgate_syntax::yaml::OwnedNode;

/// Which data a generated object's name hash covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashKind {
    ConfigMap,
    Secret,
}

#[derive(Debug, Clone)]
pub struct Resource {
    pub node: OwnedNode,
    /// Every name the object had before its current one, oldest first:
    /// references and selectors written against an earlier name still find it.
    pub previous: Vec<String>,
    /// Set on generated objects whose name gets a content hash at the end.
    pub hash: Option<HashKind>,
}

impl Resource {
    pub fn new(node: OwnedNode) -> Self {
        Resource {
            node,
            previous: Vec::new(),
            hash: None,
        }
    }

    pub fn api_version(&self) -> &str {
        self.node
            .get("apiVersion")
            .and_then(OwnedNode::as_text)
            .unwrap_or("")
    }

    pub fn group(&self) -> &str {
        match self.api_version().rsplit_once('/') {
            Some((group, _)) => group,
            None => "",
        }
    }

    pub fn version(&self) -> &str {
        match self.api_version().rsplit_once('/') {
            Some((_, version)) => version,
            None => self.api_version(),
        }
    }

    pub fn kind(&self) -> &str {
        self.node
            .get("kind")
            .and_then(OwnedNode::as_text)
            .unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.node
            .path(&["metadata", "name"])
            .and_then(OwnedNode::as_text)
            .unwrap_or("")
    }

    pub fn namespace(&self) -> &str {
        self.node
            .path(&["metadata", "namespace"])
            .and_then(OwnedNode::as_text)
            .unwrap_or("")
    }

    /// The current name and every earlier one.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name()).chain(self.previous.iter().map(String::as_str))
    }

    pub fn answers_to(&self, name: &str) -> bool {
        self.names().any(|n| n == name)
    }

    /// Renames the object, remembering the old name.
    pub fn rename(&mut self, name: String, cause: shipgate_core::SourceSpan) {
        let old = self.name().to_owned();
        if old == name {
            return;
        }
        self.previous.push(old);
        let metadata = self.node.ensure_map("metadata", cause);
        match metadata.get_mut("name") {
            Some(slot) => {
                // The name now comes from what renamed it.
                *slot = OwnedNode::string(name, cause);
            }
            None => metadata.insert("name", OwnedNode::string(name, cause)),
        }
    }

    pub fn labels(&self) -> Vec<(&str, &str)> {
        string_map(self.node.path(&["metadata", "labels"]))
    }

    pub fn annotations(&self) -> Vec<(&str, &str)> {
        string_map(self.node.path(&["metadata", "annotations"]))
    }

    /// `group_version_kind` with kustomize's `~G`/`~V`/`~K` for empty parts,
    /// the key its legacy ordering compares.
    pub fn gvk_key(&self) -> String {
        let or = |s: &str, e: &'static str| {
            if s.is_empty() {
                e.to_owned()
            } else {
                s.to_owned()
            }
        };
        format!(
            "{}_{}_{}",
            or(self.group(), "~G"),
            or(self.version(), "~V"),
            or(self.kind(), "~K")
        )
    }

    pub fn describe(&self) -> String {
        let ns = self.namespace();
        if ns.is_empty() {
            format!("{} {}", self.kind(), self.name())
        } else {
            format!("{} {}/{}", self.kind(), ns, self.name())
        }
    }
}

fn string_map(node: Option<&OwnedNode>) -> Vec<(&str, &str)> {
    node.map(|m| {
        m.entries()
            .iter()
            .filter_map(|(k, v)| Some((k.scalar_text()?, v.as_text().unwrap_or(""))))
            .collect()
    })
    .unwrap_or_default()
}

/// A patch's `target:`: every field optional, names and kinds as anchored
/// regular expressions, label and annotation selectors as Kubernetes writes them.
#[derive(Debug, Clone, Default)]
pub struct Selector {
    pub group: Option<Regex>,
    pub version: Option<Regex>,
    pub kind: Option<Regex>,
    pub name: Option<Regex>,
    pub namespace: Option<Regex>,
    pub labels: Option<LabelSelector>,
    pub annotations: Option<LabelSelector>,
}

pub fn anchored(pattern: &str) -> Result<Regex, String> {
    Regex::new(&format!("^(?:{pattern})$")).map_err(|e| format!("invalid pattern `{pattern}`: {e}"))
}

impl Selector {
    pub fn matches(&self, r: &Resource) -> bool {
        let test =
            |re: &Option<Regex>, value: &str| re.as_ref().is_none_or(|re| re.is_match(value));
        test(&self.group, r.group())
            && test(&self.version, r.version())
            && test(&self.kind, r.kind())
            && self
                .name
                .as_ref()
                .is_none_or(|re| r.names().any(|n| re.is_match(n)))
            && test(&self.namespace, r.namespace())
            && self.labels.as_ref().is_none_or(|s| s.matches(&r.labels()))
            && self
                .annotations
                .as_ref()
                .is_none_or(|s| s.matches(&r.annotations()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A Kubernetes label selector string: `a=b,c!=d,e in (x,y),!f,g`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelSelector(Vec<Requirement>);

impl LabelSelector {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut requirements = Vec::new();
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let requirement = if let Some(key) = part.strip_prefix('!') {
                Requirement::NotExists(key.trim().to_owned())
            } else if let Some((key, value)) = part.split_once("!=") {
                Requirement::NotEquals(key.trim().to_owned(), value.trim().to_owned())
            } else if let Some((key, value)) = part.split_once("==") {
                Requirement::Equals(key.trim().to_owned(), value.trim().to_owned())
            } else if let Some((key, value)) = part.split_once('=') {
                Requirement::Equals(key.trim().to_owned(), value.trim().to_owned())
            } else if let Some((key, values)) = set_requirement(part, " notin ") {
                Requirement::NotIn(key, values?)
            } else if let Some((key, values)) = set_requirement(part, " in ") {
                Requirement::In(key, values?)
            } else if part.contains(char::is_whitespace) || part.contains(['(', ')']) {
                return Err(format!("cannot read selector requirement `{part}`"));
            } else {
                Requirement::Exists(part.to_owned())
            };
            requirements.push(requirement);
        }
        Ok(LabelSelector(requirements))
    }

    pub fn matches(&self, labels: &[(&str, &str)]) -> bool {
        let get = |key: &str| labels.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        self.0.iter().all(|r| match r {
            Requirement::Equals(k, v) => get(k) == Some(v.as_str()),
            Requirement::NotEquals(k, v) => get(k) != Some(v.as_str()),
            Requirement::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Requirement::NotIn(k, vs) => get(k).is_none_or(|x| !vs.iter().any(|v| v == x)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::NotExists(k) => get(k).is_none(),
        })
    }
}

fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn set_requirement(part: &str, op: &str) -> Option<(String, Result<Vec<String>, String>)> {
    let (key, rest) = part.split_once(op)?;
    let rest = rest.trim();
    let values = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .map(|inner| inner.split(',').map(|v| v.trim().to_owned()).collect())
        .ok_or_else(|| format!("`{part}`: the values of `{}` go in parentheses", op.trim()));
    Some((key.trim().to_owned(), values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_label_selectors() {
        let s =
            LabelSelector::parse("app=web, tier in (front,back),!legacy,env!=dev,team").unwrap();
        assert!(s.matches(&[("app", "web"), ("tier", "front"), ("team", "x")]));
        assert!(!s.matches(&[("app", "web"), ("tier", "front")]));
        assert!(!s.matches(&[("app", "web"), ("tier", "mid"), ("team", "x")]));
        assert!(!s.matches(&[
            ("app", "web"),
            ("tier", "front"),
            ("team", "x"),
            ("legacy", "")
        ]));
        assert!(LabelSelector::parse("a in x").is_err());
        let notin = LabelSelector::parse("env notin (dev)").unwrap();
        assert!(notin.matches(&[]));
        assert!(!notin.matches(&[("env", "dev")]));
    }
}
