//! The project's reference plans: real plans as teams write them, two as
//! checklists and three as bullet lists under task headings.

use std::path::{Path, PathBuf};

use shipgate_plan::coverage::coverage;
use shipgate_plan::import::{ImportOptions, import, to_toml};
use shipgate_plan::markdown::{ItemSource, Style, parse};

fn seeds() -> Vec<(PathBuf, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seeds");
    let mut found: Vec<(PathBuf, String)> = std::fs::read_dir(&dir)
        .expect("the seeds folder")
        .map(|e| e.expect("entry").path())
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("text");
            (p, text)
        })
        .collect();
    found.sort();
    assert_eq!(found.len(), 5);
    found
}

/// Lines that open a checklist item, counted on the text itself.
fn checkbox_lines(text: &str) -> usize {
    let mut in_fence = false;
    text.lines()
        .filter(|line| {
            let t = line.trim_start();
            if t.starts_with("```") {
                in_fence = !in_fence;
                return false;
            }
            !in_fence
                && [
                    "- [ ] ", "- [x] ", "- [X] ", "* [ ] ", "* [x] ", "+ [ ] ", "+ [x] ",
                ]
                .iter()
                .any(|marker| t.starts_with(marker))
        })
        .count()
}

#[test]
fn checklists_keep_every_box() {
    let mut checklists = 0;
    for (path, text) in seeds() {
        let plan = parse(&text, &path.display().to_string());
        let boxes = checkbox_lines(&text);
        if boxes == 0 {
            assert_eq!(plan.style, Style::Bullets, "{}", path.display());
            continue;
        }
        checklists += 1;
        assert_eq!(plan.style, Style::Checklist);
        assert_eq!(plan.items.len(), boxes, "{}", path.display());
        // Each item is at the line of its box, with its text.
        let lines: Vec<&str> = text.lines().collect();
        for item in &plan.items {
            let line = lines[item.line as usize - 1];
            assert!(
                line.contains("[ ]") || line.contains("[x]"),
                "{}:{}",
                path.display(),
                item.line
            );
            let first_word = item.text.split_whitespace().next().unwrap_or("");
            assert!(
                line.contains(first_word),
                "{}:{}: {line:?} vs {:?}",
                path.display(),
                item.line,
                item.text
            );
        }
        let claimed = plan.items.iter().filter(|i| i.claimed).count();
        let ticked = text
            .lines()
            .filter(|l| l.trim_start().starts_with("- [x]"))
            .count();
        assert_eq!(claimed, ticked);
    }
    assert_eq!(checklists, 2);
}

#[test]
fn bullet_plans_take_the_lists_under_work_and_criteria_headings() {
    for (path, text) in seeds() {
        if checkbox_lines(&text) > 0 {
            continue;
        }
        let plan = parse(&text, &path.display().to_string());
        assert!(
            plan.items.len() > 50,
            "{}: {}",
            path.display(),
            plan.items.len()
        );
        let lines: Vec<&str> = text.lines().collect();
        for item in &plan.items {
            let line = lines[item.line as usize - 1].trim_start();
            let opens = match item.source {
                ItemSource::TableRow => line.starts_with('|'),
                ItemSource::ListItem => {
                    line.starts_with("- ")
                        || line.starts_with("* ")
                        || line
                            .split_once(". ")
                            .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
                }
            };
            assert!(opens, "{}:{}: {line:?}", path.display(), item.line);
            assert!(!plan.heading_path(item.section).is_empty());
        }
    }
}

#[test]
fn risks_decisions_and_claims_are_read() {
    let (path, text) = &seeds()[0];
    let plan = parse(text, &path.display().to_string());
    assert_eq!(plan.risks.len(), 9);
    assert_eq!(plan.decisions.len(), 4);
    assert!(
        plan.risks
            .iter()
            .all(|r| r.likelihood.is_some() && r.impact.is_some())
    );
    assert_eq!(plan.items.iter().filter(|i| i.claimed).count(), 9);

    // A report that says it is done claims its success criteria with ✅.
    let (path, text) = &seeds()[2];
    let plan = parse(text, &path.display().to_string());
    assert!(plan.items.iter().filter(|i| i.claimed).count() >= 8);
}

#[test]
fn almost_half_of_every_seed_gets_a_check() {
    let mut report = String::new();
    let mut low = Vec::new();
    for (path, text) in seeds() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let c = coverage(&parse(&text, &name));
        assert_eq!(c.total, c.bound + c.suggested + c.manual);
        report.push_str(&format!(
            "{name}: {} items, {} bound, {} suggested, {} manual: {:.1}%\n",
            c.total,
            c.bound,
            c.suggested,
            c.manual,
            c.percent()
        ));
        if c.percent() < 45.0 {
            low.push(name);
        }
    }
    eprint!("{report}");
    assert!(low.is_empty(), "below 45%: {low:?}\n{report}");
}

#[test]
fn every_seed_imports_with_a_gate_per_item() {
    for (path, text) in seeds() {
        let origin = path.file_name().unwrap().to_string_lossy().into_owned();
        let markdown = parse(&text, &origin);
        for accept_suggestions in [false, true] {
            let options = ImportOptions {
                origin: origin.clone(),
                accept_suggestions,
            };
            let plan = import(&markdown, &options).expect("imports");
            let gates: usize = plan.phases.iter().map(|p| p.gates.len()).sum();
            assert_eq!(gates, markdown.items.len(), "{origin}");
            let back =
                shipgate_plan::parse_toml(&to_toml(&plan), "shipgate.toml").expect("reads back");
            assert_eq!(back, plan);
        }
    }
}
