//! `docs/rules/` is generated from the registry, never written by hand. This
//! test fails when the committed pages differ from what the registry says;
//! `UPDATE_DOCS=1 cargo test -p shipgate --test docs` rewrites them.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use shipgate_rules::registry;

fn docs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules")
}

fn expected() -> BTreeMap<PathBuf, String> {
    let mut pages = BTreeMap::new();
    let mut index = String::from(
        "# Rules\n\nGenerated from the rule registry by `UPDATE_DOCS=1 cargo test -p shipgate --test docs`; \
         do not edit by hand. `shipgate explain ID` prints the same page.\n",
    );
    let mut current_pack = "";
    for rule in registry().rules() {
        let meta = &rule.meta;
        let (pack, name) = meta.id.split_once('/').unwrap_or(("misc", meta.id));
        if pack != current_pack {
            index.push_str(&format!(
                "\n## {pack}\n\n| rule | severity | title |\n|---|---|---|\n"
            ));
            current_pack = pack;
        }
        let opt_in = if meta.enabled_by_default {
            ""
        } else {
            " (opt-in)"
        };
        index.push_str(&format!(
            "| [`{}`]({pack}/{name}.md) | {}{opt_in} | {} |\n",
            meta.id, meta.severity, meta.title
        ));
        pages.insert(
            PathBuf::from(pack).join(format!("{name}.md")),
            shipgate_report::rule_markdown(meta),
        );
    }
    pages.insert(PathBuf::from("README.md"), index);
    pages
}

fn committed(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut found = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(text) = fs::read_to_string(&path) {
                let relative = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
                found.insert(relative, text);
            }
        }
    }
    found
}

#[test]
fn rule_docs_are_generated_from_the_registry() {
    let dir = docs_dir();
    let expected = expected();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let _ = fs::remove_dir_all(&dir);
        for (path, text) in &expected {
            let full = dir.join(path);
            fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
            fs::write(full, text).expect("write");
        }
        return;
    }
    let actual = committed(&dir);
    let stale: Vec<String> = expected
        .iter()
        .filter(|(path, text)| actual.get(*path) != Some(text))
        .map(|(path, _)| path.display().to_string())
        .chain(
            actual
                .keys()
                .filter(|path| !expected.contains_key(*path))
                .map(|path| format!("{} (no such rule)", path.display())),
        )
        .collect();
    assert!(
        stale.is_empty(),
        "docs/rules is out of date; run `UPDATE_DOCS=1 cargo test -p shipgate --test docs`:\n{}",
        stale.join("\n")
    );
}
