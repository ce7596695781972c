//! Package URLs, the identity of every component.

use packageurl::PackageUrl;

use crate::model::{Ecosystem, pep503};

/// The name and group a component is shown with, and its purl. `None` when
/// no valid purl can be made (an empty name, say).
pub(crate) struct Identity {
    pub group: Option<String>,
    pub name: String,
    pub purl: String,
}

pub(crate) fn identity(
    ecosystem: Ecosystem,
    name: &str,
    version: &str,
    qualifiers: &[(&'static str, String)],
) -> Option<Identity> {
    let name = name.trim();
    let version = version.trim();
    if name.is_empty() || version.is_empty() {
        return None;
    }
    let (group, name) = match ecosystem {
        Ecosystem::Npm => match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
            Some((scope, rest)) if !scope.is_empty() && !rest.is_empty() => {
                (Some(format!("@{scope}")), rest.to_string())
            }
            _ => (None, name.to_string()),
        },
        Ecosystem::PyPI => (None, pep503(name)),
        Ecosystem::Cargo | Ecosystem::Go => (None, name.to_string()),
    };
    // Go module paths go into the purl as namespace and name, split at the
    // last `/`, as the golang purl type asks.
    let (namespace, purl_name) = match ecosystem {
        Ecosystem::Go => match name.rsplit_once('/') {
            Some((ns, last)) => (Some(ns.to_string()), last.to_string()),
            None => (None, name.clone()),
        },
        _ => (group.clone(), name.clone()),
    };
    let mut purl = PackageUrl::new(ecosystem.as_str(), purl_name.as_str()).ok()?;
    if let Some(ns) = &namespace {
        purl.with_namespace(ns.as_str()).ok()?;
    }
    purl.with_version(version).ok()?;
    for (key, value) in qualifiers {
        purl.add_qualifier(*key, value.as_str()).ok()?;
    }
    Some(Identity {
        group,
        name,
        purl: purl.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purl(eco: Ecosystem, name: &str, version: &str) -> String {
        identity(eco, name, version, &[]).unwrap().purl
    }

    #[test]
    fn each_ecosystem() {
        assert_eq!(
            purl(Ecosystem::Cargo, "serde", "1.0.200"),
            "pkg:cargo/serde@1.0.200"
        );
        assert_eq!(
            purl(Ecosystem::Npm, "@babel/core", "7.24.0"),
            "pkg:npm/%40babel/core@7.24.0"
        );
        assert_eq!(purl(Ecosystem::Npm, "ms", "2.1.3"), "pkg:npm/ms@2.1.3");
        assert_eq!(
            purl(Ecosystem::PyPI, "Typing_Extensions", "4.12.2"),
            "pkg:pypi/typing-extensions@4.12.2"
        );
        assert_eq!(
            purl(Ecosystem::PyPI, "zope.interface", "6.4"),
            "pkg:pypi/zope-interface@6.4"
        );
        assert_eq!(
            purl(Ecosystem::Go, "github.com/pkg/errors", "v0.9.1"),
            "pkg:golang/github.com/pkg/errors@v0.9.1"
        );
        // `+` is not allowed bare in a purl version.
        assert_eq!(
            purl(
                Ecosystem::Go,
                "github.com/docker/docker",
                "v24.0.9+incompatible"
            ),
            "pkg:golang/github.com/docker/docker@v24.0.9%2Bincompatible"
        );
    }

    #[test]
    fn npm_scope_becomes_the_group() {
        let id = identity(Ecosystem::Npm, "@types/node", "20.11.5", &[]).unwrap();
        assert_eq!(id.group.as_deref(), Some("@types"));
        assert_eq!(id.name, "node");
    }

    #[test]
    fn qualifiers_are_encoded() {
        let id = identity(
            Ecosystem::Cargo,
            "internal",
            "0.3.0",
            &[("repository_url", "https://cargo.example.com/index".into())],
        )
        .unwrap();
        assert_eq!(
            id.purl,
            "pkg:cargo/internal@0.3.0?repository_url=https:%2F%2Fcargo.example.com%2Findex"
        );
    }

    #[test]
    fn nothing_to_name() {
        assert!(identity(Ecosystem::Npm, "", "1.0.0", &[]).is_none());
        assert!(identity(Ecosystem::Npm, "x", " ", &[]).is_none());
    }
}
