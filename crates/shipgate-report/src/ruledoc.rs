//! A rule's documentation as Markdown: printed by `shipgate explain` and
//! written to `docs/rules/`, so the two can never disagree.

use shipgate_core::RuleMeta;

pub fn rule_markdown(meta: &RuleMeta) -> String {
    let mut out = String::new();
    out.push_str(&format!("# {}\n\n", meta.id));
    out.push_str(&format!("**{}**\n\n", meta.title));
    let default = if meta.enabled_by_default {
        "on by default"
    } else {
        "opt-in (enable with `--select`)"
    };
    out.push_str(&format!(
        "Severity: {} · Category: {} · {default}\n\n",
        meta.severity, meta.category
    ));
    out.push_str("## Why\n\n");
    out.push_str(meta.rationale);
    out.push_str("\n\n## How to fix\n\n");
    out.push_str(meta.remediation);
    out.push_str("\n\n");
    if !meta.aliases.is_empty() {
        out.push_str("## Equivalent checks\n\n");
        for alias in meta.aliases {
            out.push_str(&format!("- {}: `{}`\n", alias.tool, alias.id));
        }
        out.push('\n');
    }
    if !meta.references.is_empty() {
        out.push_str("## References\n\n");
        for reference in meta.references {
            out.push_str(&format!("- <{reference}>\n"));
        }
        out.push('\n');
    }
    let fence = |content: &str| -> String {
        // A fence longer than any backtick run inside keeps examples intact.
        let longest = content.split(|c| c != '`').map(str::len).max().unwrap_or(0);
        "`".repeat(longest.max(2) + 1)
    };
    for (heading, example) in [("Fails", &meta.failing), ("Passes", &meta.passing)] {
        let f = fence(example.content);
        let lang = if example.file.ends_with(".yaml") || example.file.ends_with(".yml") {
            "yaml"
        } else if example.file.to_ascii_lowercase().contains("dockerfile") {
            "dockerfile"
        } else {
            ""
        };
        out.push_str(&format!(
            "## {heading}\n\n`{}`:\n\n{f}{lang}\n",
            example.file
        ));
        out.push_str(&example.content.replace('\u{0}', "\\0"));
        if !example.content.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("{f}\n\n"));
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}
