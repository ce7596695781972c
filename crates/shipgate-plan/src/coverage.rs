//! How much of a Markdown plan is backed by checks: items bound by a
//! `<!-- shipgate: ... -->` comment, items the catalogue has a check for,
//! and the manual rest.

use serde::Serialize;

use crate::markdown::{Item, MarkdownPlan};
use crate::suggest::{Suggested, about_writing, suggest_in};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub total: usize,
    /// Items bound to checks by a comment.
    pub bound: usize,
    /// Unbound items the catalogue proposes a check for.
    pub suggested: usize,
    /// Items only a person can vouch for.
    pub manual: usize,
    pub items: Vec<CoveredItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoveredItem {
    /// 1-based line of the item in the plan.
    pub line: u32,
    pub text: String,
    /// The headings above the item, outermost first, joined with ` > `.
    pub phase: String,
    pub bound: Vec<String>,
    pub suggested: Vec<String>,
}

/// The words an item is judged by: its own text and the plain notes kept
/// with it.
pub fn item_text(item: &Item) -> String {
    let mut text = item.text.clone();
    for note in &item.notes {
        text.push_str("; ");
        text.push_str(note);
    }
    text
}

/// Suggestions for every item of the plan, in order; a bound item has its
/// checks already and gets none.
///
/// A nested item is read in its parent's light: a bare file name lives in
/// the folder the parent names, and a short part of a deliverable ("Base
/// configuration" under "Kustomize overlays") that names nothing checkable
/// itself is covered by what covers its parent.
pub fn plan_suggestions(plan: &MarkdownPlan) -> Vec<Vec<Suggested>> {
    let mut all: Vec<Vec<Suggested>> = Vec::with_capacity(plan.items.len());
    for item in &plan.items {
        if !item.bindings.is_empty() {
            all.push(Vec::new());
            continue;
        }
        let text = item_text(item);
        let parent = item.parent.map(|p| &all[p]);
        let folder = parent.and_then(|suggested| {
            suggested.iter().find_map(|s| match s {
                Suggested::File { path } if path.ends_with('/') => Some(path.as_str()),
                _ => None,
            })
        });
        let mut own = suggest_in(&text, folder);
        if own.is_empty()
            && let Some(parent) = parent
            && is_part(&item.text)
            && !about_writing(&text)
        {
            own = parent.clone();
        }
        all.push(own);
    }
    all
}

/// A short noun phrase, once its parenthesised remarks are set aside.
fn is_part(text: &str) -> bool {
    let mut depth = 0usize;
    let mut outside = String::new();
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => outside.push(c),
            _ => {}
        }
    }
    let words: Vec<&str> = outside.split_whitespace().collect();
    let acts = words.first().is_some_and(|w| {
        ACTIONS.contains(
            &w.to_lowercase()
                .trim_matches(|c: char| !c.is_alphanumeric()),
        )
    });
    (1..=5).contains(&words.len()) && !acts
}

/// Verbs that open a task of its own rather than a part of the parent's
/// deliverable.
const ACTIONS: &[&str] = &[
    "add",
    "apply",
    "audit",
    "build",
    "check",
    "configure",
    "confirm",
    "create",
    "define",
    "delete",
    "deploy",
    "disable",
    "document",
    "enable",
    "ensure",
    "fix",
    "generate",
    "hunt",
    "implement",
    "import",
    "include",
    "install",
    "migrate",
    "monitor",
    "notify",
    "provide",
    "provision",
    "publish",
    "push",
    "remove",
    "resolve",
    "restrict",
    "review",
    "rotate",
    "run",
    "scan",
    "schedule",
    "set",
    "setup",
    "store",
    "test",
    "update",
    "upgrade",
    "validate",
    "verify",
    "write",
];

pub fn coverage(plan: &MarkdownPlan) -> Coverage {
    let suggested = plan_suggestions(plan);
    let items: Vec<CoveredItem> = plan
        .items
        .iter()
        .zip(&suggested)
        .map(|(item, suggestions)| {
            let mut labels: Vec<String> = Vec::new();
            for label in suggestions.iter().map(Suggested::label) {
                if !labels.contains(&label) {
                    labels.push(label);
                }
            }
            CoveredItem {
                line: item.line,
                text: item.text.clone(),
                phase: plan.item_phase(item),
                bound: item.bindings.clone(),
                suggested: labels,
            }
        })
        .collect();
    let bound = items.iter().filter(|i| !i.bound.is_empty()).count();
    let suggested = items
        .iter()
        .filter(|i| i.bound.is_empty() && !i.suggested.is_empty())
        .count();
    Coverage {
        total: items.len(),
        bound,
        suggested,
        manual: items.len() - bound - suggested,
        items,
    }
}

impl Coverage {
    /// The share of items with a bound or suggested check, in percent.
    pub fn percent(&self) -> f64 {
        if self.total == 0 {
            return 100.0;
        }
        (self.bound + self.suggested) as f64 * 100.0 / self.total as f64
    }
}

/// Cuts `text` to `width` characters, marking the cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

impl Coverage {
    /// A table for people: items grouped under their headings, each with
    /// its line, whether it is bound, suggested or manual, and its checks.
    pub fn render_human(&self) -> String {
        let mut out = String::new();
        let mut phase: Option<&str> = None;
        let width = self
            .items
            .iter()
            .map(|i| i.line.to_string().len())
            .max()
            .unwrap_or(1);
        for item in &self.items {
            if phase != Some(item.phase.as_str()) {
                let title = if item.phase.is_empty() {
                    "(no heading)"
                } else {
                    &item.phase
                };
                if phase.is_some() {
                    out.push('\n');
                }
                out.push_str(&format!("{}\n", fit(title, 100)));
                phase = Some(item.phase.as_str());
            }
            let (status, checks) = if !item.bound.is_empty() {
                ("bound", &item.bound)
            } else if !item.suggested.is_empty() {
                ("suggested", &item.suggested)
            } else {
                ("manual", &item.suggested)
            };
            let shown: Vec<&str> = checks.iter().take(3).map(String::as_str).collect();
            let mut checks = shown.join(", ");
            if item.bound.len().max(item.suggested.len()) > 3 && status != "manual" {
                checks.push_str(&format!(" +{} more", checks_len(item) - 3));
            }
            out.push_str(&format!(
                "  {:>width$}  {:<9}  {:<60}  {}\n",
                item.line,
                status,
                fit(&item.text, 60),
                checks
            ));
        }
        if !self.items.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!(
            "{} items: {} bound, {} suggested, {} manual; {:.1}% have a check\n",
            self.total,
            self.bound,
            self.suggested,
            self.manual,
            self.percent()
        ));
        out
    }
}

fn checks_len(item: &CoveredItem) -> usize {
    if item.bound.is_empty() {
        item.suggested.len()
    } else {
        item.bound.len()
    }
}
