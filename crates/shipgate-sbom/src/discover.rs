//! Finding lockfiles in a tree.

use std::path::Path;

use ignore::WalkBuilder;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockfileKind {
    /// `Cargo.lock`, formats 1 to 4.
    Cargo,
    /// `package-lock.json` or `npm-shrinkwrap.json`, lockfileVersion 1 to 3.
    Npm,
    /// `pnpm-lock.yaml`, lockfileVersion 5 to 9.
    Pnpm,
    /// `yarn.lock`, Yarn 1 or Berry (2 and later).
    Yarn,
    /// `poetry.lock`.
    Poetry,
    /// `uv.lock`.
    Uv,
    /// `requirements*.txt`, or any `.txt` in a `requirements/` folder.
    Requirements,
    /// `go.sum`.
    GoSum,
}

impl LockfileKind {
    /// The kind a path names, from its file name and, for requirements,
    /// its folder.
    pub fn detect(path: &str) -> Option<LockfileKind> {
        let mut parts = path.rsplit(['/', '\\']);
        let name = parts.next()?;
        let parent = parts.next();
        Some(match name {
            "Cargo.lock" => LockfileKind::Cargo,
            "package-lock.json" | "npm-shrinkwrap.json" => LockfileKind::Npm,
            "pnpm-lock.yaml" => LockfileKind::Pnpm,
            "yarn.lock" => LockfileKind::Yarn,
            "poetry.lock" => LockfileKind::Poetry,
            "uv.lock" => LockfileKind::Uv,
            "go.sum" => LockfileKind::GoSum,
            _ if name.ends_with(".txt")
                && (name.starts_with("requirements") || parent == Some("requirements")) =>
            {
                LockfileKind::Requirements
            }
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LockfileKind::Cargo => "Cargo.lock",
            LockfileKind::Npm => "package-lock.json",
            LockfileKind::Pnpm => "pnpm-lock.yaml",
            LockfileKind::Yarn => "yarn.lock",
            LockfileKind::Poetry => "poetry.lock",
            LockfileKind::Uv => "uv.lock",
            LockfileKind::Requirements => "requirements",
            LockfileKind::GoSum => "go.sum",
        }
    }

    pub const ALL: [LockfileKind; 8] = [
        LockfileKind::Cargo,
        LockfileKind::Npm,
        LockfileKind::Pnpm,
        LockfileKind::Yarn,
        LockfileKind::Poetry,
        LockfileKind::Uv,
        LockfileKind::Requirements,
        LockfileKind::GoSum,
    ];
}

/// Installed or vendored copies of dependencies: their lockfiles describe
/// other projects, and walking them costs more than the rest of the tree.
const SKIPPED_DIRS: [&str; 5] = [".git", "node_modules", "target", "vendor", ".venv"];

/// A lockfile found by [`discover`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    /// Relative to the root, with `/` separators.
    pub path: String,
    pub kind: LockfileKind,
}

/// Every lockfile under `root`, sorted by path. `.gitignore` and `.ignore`
/// files inside the tree are honoured; nothing outside it is read (no parent
/// folders' ignore files, no global excludes, no `.git/info/exclude`), so the
/// result depends only on the tree.
pub fn discover(root: &Path) -> Vec<Found> {
    let mut found = Vec::new();
    let walker = WalkBuilder::new(root)
        .hidden(false)
        .parents(false)
        .git_global(false)
        .git_exclude(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            !(is_dir && entry.depth() > 0 && SKIPPED_DIRS.iter().any(|d| entry.file_name() == *d))
        })
        .build();
    for entry in walker.flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(root) else {
            continue;
        };
        let path: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let path = path.join("/");
        if let Some(kind) = LockfileKind::detect(&path) {
            found.push(Found { path, kind });
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_kinds() {
        assert_eq!(
            LockfileKind::detect("Cargo.lock"),
            Some(LockfileKind::Cargo)
        );
        assert_eq!(
            LockfileKind::detect("web/npm-shrinkwrap.json"),
            Some(LockfileKind::Npm)
        );
        assert_eq!(
            LockfileKind::detect("requirements-dev.txt"),
            Some(LockfileKind::Requirements)
        );
        assert_eq!(
            LockfileKind::detect("api/requirements/prod.txt"),
            Some(LockfileKind::Requirements)
        );
        assert_eq!(LockfileKind::detect("notes.txt"), None);
        assert_eq!(LockfileKind::detect("docs/requirements.md"), None);
        assert_eq!(LockfileKind::detect("go.mod"), None);
    }

    #[test]
    fn walk_skips_ignored_and_vendored_trees() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let write = |rel: &str| {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        };
        write("Cargo.lock");
        write("web/package-lock.json");
        write("web/node_modules/left-pad/package-lock.json");
        write("target/debug/Cargo.lock");
        write("vendor/x/go.sum");
        write(".venv/lib/requirements.txt");
        write("services/api/requirements/base.txt");
        write("old/yarn.lock");
        write(".github/requirements.txt");
        std::fs::write(root.join(".gitignore"), "old/\n").unwrap();
        let paths: Vec<String> = discover(root).into_iter().map(|f| f.path).collect();
        assert_eq!(
            paths,
            [
                ".github/requirements.txt",
                "Cargo.lock",
                "services/api/requirements/base.txt",
                "web/package-lock.json",
            ]
        );
    }
}
