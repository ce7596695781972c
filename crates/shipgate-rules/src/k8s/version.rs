//! The Kubernetes release a run targets, as `--kube-version` names it.

use std::fmt;
use std::str::FromStr;

/// A Kubernetes minor release. Patch releases never add or remove APIs, so
/// `1.31.4` and `v1.31` mean the same target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubeVersion {
    pub major: u16,
    pub minor: u16,
}

impl KubeVersion {
    pub const fn new(major: u16, minor: u16) -> Self {
        KubeVersion { major, minor }
    }

    /// The oldest release still maintained upstream in November 2026: most
    /// clusters run it or something newer, so APIs it no longer serves are
    /// the ones about to break a deployment.
    pub const DEFAULT: KubeVersion = KubeVersion::new(1, 35);
}

impl Default for KubeVersion {
    fn default() -> Self {
        KubeVersion::DEFAULT
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for KubeVersion {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || format!("`{text}` is not a Kubernetes version such as 1.31 or v1.31.2");
        let trimmed = text.trim();
        let bare = trimmed.strip_prefix('v').unwrap_or(trimmed);
        let mut parts = bare.split('.');
        let major = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(invalid)?;
        let minor = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(invalid)?;
        match parts.next() {
            None => {}
            Some(patch) if patch.parse::<u32>().is_ok() => {}
            Some(_) => return Err(invalid()),
        }
        if parts.next().is_some() {
            return Err(invalid());
        }
        Ok(KubeVersion { major, minor })
    }
}

#[cfg(test)]
mod tests {
    use super::KubeVersion;

    #[test]
    fn parses_the_forms_people_write() {
        for text in ["1.31", "v1.31", "1.31.4", "v1.31.0"] {
            assert_eq!(
                text.parse::<KubeVersion>(),
                Ok(KubeVersion::new(1, 31)),
                "{text}"
            );
        }
        for text in ["", "1", "one.two", "1.31.x", "1.31.0.1", "1.-2"] {
            assert!(text.parse::<KubeVersion>().is_err(), "{text}");
        }
    }

    #[test]
    fn orders_by_minor_release() {
        assert!(KubeVersion::new(1, 9) < KubeVersion::new(1, 25));
        assert_eq!(KubeVersion::new(1, 25).to_string(), "1.25");
    }
}
