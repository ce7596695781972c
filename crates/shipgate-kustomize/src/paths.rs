//! Paths as kustomize sees them: `/`-separated, relative to where the
//! caller started, `..` resolved lexically so that the same file reached
//! through two routes is recognised as one.

/// Joins `entry` to `dir` and normalises the result. A `..` that climbs
/// above the start is kept, so callers can tell that the path escapes.
pub fn join(dir: &str, entry: &str) -> String {
    if entry.starts_with('/') {
        return normalize(entry);
    }
    if dir.is_empty() || dir == "." {
        return normalize(entry);
    }
    normalize(&format!("{dir}/{entry}"))
}

pub fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if absolute => {}
                _ => parts.push(".."),
            },
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// Whether `path` is `dir` or lies under it.
pub fn is_within(path: &str, dir: &str) -> bool {
    if dir == "." {
        return !path.starts_with("..") && !path.starts_with('/');
    }
    path == dir
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Entries kustomize would fetch over the network: URLs, `git@` remotes and
/// the `github.com/org/repo` shorthand.
pub fn is_remote(entry: &str) -> bool {
    let lower = entry.to_ascii_lowercase();
    lower.contains("://")
        || lower.starts_with("git@")
        || lower.starts_with("github.com/")
        || lower.starts_with("gitlab.com/")
        || lower.starts_with("bitbucket.org/")
        || lower.contains("?ref=")
        || lower.contains(".git//")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_and_normalises() {
        assert_eq!(join("a/overlays/prod", "../../base"), "a/base");
        assert_eq!(join(".", "base"), "base");
        assert_eq!(join("", "./x/../y"), "y");
        assert_eq!(join("a", "../../b"), "../b");
        assert_eq!(normalize("/x/../../y"), "/y");
        assert_eq!(join("a", ".."), ".");
    }

    #[test]
    fn knows_what_is_inside() {
        assert!(is_within("a/b/c.yaml", "a/b"));
        assert!(!is_within("a/bc.yaml", "a/b"));
        assert!(is_within("x.yaml", "."));
        assert!(!is_within("../x.yaml", "."));
    }

    #[test]
    fn recognises_remote_entries() {
        assert!(is_remote("https://github.com/org/repo//deploy?ref=v1"));
        assert!(is_remote("github.com/org/repo/deploy?ref=main"));
        assert!(is_remote("git@github.com:org/repo.git"));
        assert!(!is_remote("../base"));
    }
}
