//! Rewriting a Markdown plan's checkboxes from evidence: a box is ticked
//! only when its item's gate passed, and a box ticked by hand without that
//! evidence is called out.

use shipgate_core::{PlanVerdict, Verdict};

use crate::markdown::MarkdownPlan;

/// One checkbox whose state the evidence changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub line: u32,
    pub text: String,
    pub ticked: bool,
}

/// An item ticked in the plan whose gate did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub line: u32,
    pub text: String,
    /// The gate's verdict, or `None` when no gate stands for the item.
    pub verdict: Option<Verdict>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synced {
    /// The plan with every checkbox set from evidence.
    pub text: String,
    pub changes: Vec<Change>,
    /// Boxes ticked by hand without evidence, as the plan stood.
    pub unverified: Vec<Claim>,
}

/// The verdict of the gate that imported the item at `line`.
fn verdict_at(verdict: &PlanVerdict, line: u32) -> Option<Verdict> {
    verdict
        .gates
        .iter()
        .find(|gate| {
            gate.source
                .as_deref()
                .and_then(|s| s.rsplit_once(':'))
                .and_then(|(_, l)| l.parse::<u32>().ok())
                == Some(line)
        })
        .map(|gate| gate.verdict)
}

/// Sets every checkbox of `text` (whose parse is `markdown`) from
/// `verdict`, the evaluation of the plan imported from it.
pub fn sync(text: &str, markdown: &MarkdownPlan, verdict: &PlanVerdict) -> Synced {
    let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
    let mut changes = Vec::new();
    let mut unverified = Vec::new();
    for item in &markdown.items {
        let Some(checked) = item.checkbox else {
            continue;
        };
        let gate = verdict_at(verdict, item.line);
        let passed = gate == Some(Verdict::Pass);
        if checked && !passed {
            unverified.push(Claim {
                line: item.line,
                text: item.text.clone(),
                verdict: gate,
            });
        }
        if checked == passed {
            continue;
        }
        let Some(line) = lines.get_mut(item.line as usize - 1) else {
            continue;
        };
        if let Some(rewritten) = set_box(line, passed) {
            *line = rewritten;
            changes.push(Change {
                line: item.line,
                text: item.text.clone(),
                ticked: passed,
            });
        }
    }
    Synced {
        text: lines.join("\n"),
        changes,
        unverified,
    }
}

/// The line with its first checkbox set to `ticked`; `None` when the line
/// holds no box.
fn set_box(line: &str, ticked: bool) -> Option<String> {
    let start = ["[ ]", "[x]", "[X]"]
        .iter()
        .filter_map(|b| line.find(b))
        .min()?;
    let mark = if ticked { "[x]" } else { "[ ]" };
    Some(format!("{}{mark}{}", &line[..start], &line[start + 3..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::{Checker, Outcome, Run, evaluate};
    use crate::import::{ImportOptions, import};
    use crate::model::Check;

    /// Passes the checks bound to secrets rules, fails the others.
    struct Bound;

    impl Checker for Bound {
        fn run(&self, _: &str, _: &str, check: &Check) -> Outcome {
            if check.definition().contains("secrets/") {
                Outcome::new(Verdict::Pass, "ok")
            } else {
                Outcome::new(Verdict::Fail, "no")
            }
        }
    }

    #[test]
    fn ticks_what_passed_and_calls_out_hand_ticked_claims() {
        let text = "# Launch\n\n## Security\n\
                    - [ ] No hardcoded secrets <!-- shipgate: secrets/* -->\n\
                    - [x] Pin image tags <!-- shipgate: k8s/image-tag -->\n\
                    - [x] Backups tested\n\
                    - [ ] Celebrate\n";
        let markdown = crate::markdown::parse(text, "PLAN.md");
        let options = ImportOptions {
            origin: "PLAN.md".into(),
            accept_suggestions: false,
        };
        let plan = import(&markdown, &options).expect("import");
        let run = Run {
            origin: "PLAN.md".into(),
            commit: None,
            at: "2026-11-23T00:00:00Z".into(),
        };
        let verdict = evaluate(&plan, &Bound, &run);
        let synced = sync(text, &markdown, &verdict);
        let lines: Vec<&str> = synced.text.lines().collect();
        assert!(
            lines[3].starts_with("- [x] No hardcoded secrets"),
            "{}",
            lines[3]
        );
        assert!(lines[4].starts_with("- [ ] Pin image tags"), "{}", lines[4]);
        assert!(lines[5].starts_with("- [ ] Backups tested"), "{}", lines[5]);
        assert!(lines[6].starts_with("- [ ] Celebrate"));
        assert_eq!(synced.changes.len(), 3);
        let claims: Vec<u32> = synced.unverified.iter().map(|c| c.line).collect();
        assert_eq!(claims, [5, 6]);
        // The rest of the text is kept byte for byte.
        assert_eq!(synced.text.len(), text.len());
        assert!(synced.text.ends_with('\n'));
    }

    #[test]
    fn only_the_first_box_of_a_line_is_set() {
        assert_eq!(
            set_box("- [ ] a [x] b", true).as_deref(),
            Some("- [x] a [x] b")
        );
        assert_eq!(
            set_box("  * [X] done", false).as_deref(),
            Some("  * [ ] done")
        );
        assert_eq!(set_box("- plain", true), None);
    }
}
