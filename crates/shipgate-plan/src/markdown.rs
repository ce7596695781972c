//! Any Markdown file read as a plan.
//!
//! Headings are phases, kept nested; checklist items are the plan's items,
//! or, in a file without a single checkbox, the list items under headings
//! that announce work (tasks, deliverables, requirements) or criteria (gate
//! criteria, acceptance, success criteria), and the rows of tables under
//! them. Risk and decision tables are recognised by their header cells, and
//! decisions written as headings with `Date:`/`Status:` lines too. A ticked
//! box, or a leading ✅, is recorded as a claim: it proves nothing.
//!
//! No item is ever dropped: an item the reader cannot place is still an item,
//! at its line.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use regex::Regex;

use crate::error::LineIndex;
use crate::model::{Decision, DecisionStatus, Level, Risk, RiskStatus};
use crate::text::{has_any, slug, stems};

/// A Markdown plan as read.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkdownPlan {
    /// The text of the first heading when it stands above all others.
    pub title: Option<String>,
    pub style: Style,
    pub sections: Vec<Section>,
    pub items: Vec<Item>,
    pub risks: Vec<Risk>,
    pub decisions: Vec<Decision>,
}

/// How the file marks its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// With `- [ ]` boxes: every box is an item.
    Checklist,
    /// Without a single box: list items under task, deliverable and criteria
    /// headings are the items.
    Bullets,
}

/// A heading and what it announces.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub level: u8,
    pub title: String,
    pub line: u32,
    /// The enclosing heading.
    pub parent: Option<usize>,
    pub role: Role,
    /// The heading carries a ✅: someone says the whole section is done.
    pub claimed: bool,
    /// What comes before the first `:` of a heading such as `WP2: CI/CD`,
    /// by which other sections name it.
    pub label: Option<String>,
    /// The sections this one says it depends on (`Dependencies: WP1, WP2`),
    /// as written.
    pub depends_on: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Nothing said: a phase or a group.
    Plain,
    /// Tasks, deliverables, requirements: the work.
    Items,
    /// Gate, acceptance, success criteria: what proves the work.
    Criteria,
    /// A decisions log written as headings.
    Decisions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Task,
    Criterion,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemSource {
    ListItem,
    TableRow,
}

/// One item of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Unique within the plan; made of the item's first words.
    pub id: String,
    /// 1-based line of the item's marker (`- [ ]`, `1.`, the table row).
    pub line: u32,
    pub text: String,
    /// The nearest heading above the item.
    pub section: Option<usize>,
    /// The heading that stands for the item's phase.
    pub phase: Option<usize>,
    /// The item this one is nested under.
    pub parent: Option<usize>,
    /// `Some(true)` for `[x]`, `Some(false)` for `[ ]`, `None` without a box.
    pub checkbox: Option<bool>,
    /// Ticked, or marked done with ✅: a claim without evidence.
    pub claimed: bool,
    pub kind: ItemKind,
    pub source: ItemSource,
    /// Checks named by a `<!-- shipgate: ... -->` comment on the item.
    pub bindings: Vec<String>,
    /// Plain bullets nested under a checklist item: kept with it.
    pub notes: Vec<String>,
}

impl MarkdownPlan {
    /// The headings above `section`, outermost first, without the title.
    pub fn heading_path(&self, section: Option<usize>) -> Vec<&str> {
        let mut path = Vec::new();
        let mut at = section;
        while let Some(i) = at {
            let s = &self.sections[i];
            if !(self.title.is_some() && i == 0) {
                path.push(s.title.as_str());
            }
            at = s.parent;
        }
        path.reverse();
        path
    }

    /// The heading path of an item, as one string.
    pub fn item_phase(&self, item: &Item) -> String {
        self.heading_path(item.section).join(" > ")
    }
}

static PARENTHESES: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\([^)]*\)").expect("valid"));

static NUMBERED_DECISION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:decision|adr)[\s#-]*([0-9]+)\s*[:.\-–—]?\s*(.*)$").expect("valid")
});

static BINDING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)<!--\s*shipgate:(.*?)-->").expect("valid"));

const CRITERIA_WORDS: &[&str] = &[
    "criteria",
    "criterion",
    "acceptance",
    "definition of done",
    "done when",
    "exit condition",
    "go no go",
    "go live check",
    "sign off",
    "signoff",
    "approval",
];

const ITEM_WORDS: &[&str] = &[
    "task",
    "todo",
    "to do",
    "deliverable",
    "action",
    "work item",
    "requirement",
    "specification",
    "checklist",
    "check list",
    "expected output",
    "output",
    "outcome",
    "implemented",
    "completed",
    "created",
    "delivered",
    "feature",
    "milestone",
    "backlog",
];

fn classify(title: &str) -> Role {
    let s = stems(title);
    let numbered_after = |word: &str| {
        s.iter().position(|w| w == word).is_some_and(|i| {
            s.get(i + 1)
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
    };
    if has_any(&s, &["decision", "adr"]) && !s.iter().any(|w| w.bytes().all(|b| b.is_ascii_digit()))
    {
        return Role::Decisions;
    }
    let gate = s.iter().any(|w| w == "gate") && !numbered_after("gate");
    if gate || has_any(&s, CRITERIA_WORDS) {
        return Role::Criteria;
    }
    if has_any(&s, ITEM_WORDS) {
        return Role::Items;
    }
    Role::Plain
}

/// Marks a line as done: a claim, not evidence.
const CHECK_MARKS: &[char] = &['✅', '✔', '☑', '✓', '\u{fe0f}'];

fn strip_claim(text: &str) -> (String, bool) {
    let trimmed = text.trim();
    let start = trimmed.trim_start_matches(|c: char| CHECK_MARKS.contains(&c) || c.is_whitespace());
    let both = start.trim_end_matches(|c: char| CHECK_MARKS.contains(&c) || c.is_whitespace());
    let claimed = both.len() != trimmed.len();
    (both.to_owned(), claimed)
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Debug)]
struct RawItem {
    range: Range<usize>,
    parent: Option<usize>,
    checkbox: Option<bool>,
    text: String,
    section: Option<usize>,
}

#[derive(Debug, Default)]
struct RawTable {
    section: Option<usize>,
    header: Vec<String>,
    rows: Vec<RawRow>,
}

#[derive(Debug, Default)]
struct RawRow {
    range: Range<usize>,
    cells: Vec<String>,
}

#[derive(Debug)]
struct Paragraph {
    section: Option<usize>,
    /// The paragraph's lines: line number and text.
    lines: Vec<(u32, String)>,
}

/// Reads `text` as a plan; `origin` names the file in the `source` of the
/// risks and decisions found.
pub fn parse(text: &str, origin: &str) -> MarkdownPlan {
    let index = LineIndex::new(text);
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS | Options::ENABLE_STRIKETHROUGH;

    let mut sections: Vec<Section> = Vec::new();
    let mut raw_items: Vec<RawItem> = Vec::new();
    let mut open_items: Vec<usize> = Vec::new();
    let mut tables: Vec<RawTable> = Vec::new();
    let mut paragraphs: Vec<Paragraph> = Vec::new();

    let mut heading: Option<(u8, usize, String)> = None;
    let mut table: Option<RawTable> = None;
    let mut cell: Option<String> = None;
    let mut paragraph: Option<Paragraph> = None;
    let mut code_block = 0usize;
    let mut current_section: Option<usize> = None;

    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some((level as u8, range.start, String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, start, title)) = heading.take() {
                    let (title, claimed) = strip_claim(&collapse(&title));
                    let title = title.trim_end_matches(':').trim().to_owned();
                    let mut parent = current_section;
                    while let Some(p) = parent {
                        if sections[p].level < level {
                            break;
                        }
                        parent = sections[p].parent;
                    }
                    let label = title
                        .split_once(':')
                        .map(|(head, _)| head.trim().to_owned())
                        .filter(|head| !head.is_empty() && head.split_whitespace().count() <= 3);
                    sections.push(Section {
                        level,
                        role: classify(&title),
                        title,
                        line: index.line(start),
                        parent,
                        claimed,
                        label,
                        depends_on: Vec::new(),
                    });
                    current_section = Some(sections.len() - 1);
                }
            }
            Event::Start(Tag::Item) => {
                raw_items.push(RawItem {
                    range: range.clone(),
                    parent: open_items.last().copied(),
                    checkbox: None,
                    text: String::new(),
                    section: current_section,
                });
                open_items.push(raw_items.len() - 1);
            }
            Event::End(TagEnd::Item) => {
                open_items.pop();
            }
            Event::TaskListMarker(done) => {
                if let Some(&i) = open_items.last() {
                    raw_items[i].checkbox = Some(done);
                }
            }
            Event::Start(Tag::Table(_)) => {
                table = Some(RawTable {
                    section: current_section,
                    ..RawTable::default()
                });
            }
            Event::End(TagEnd::Table) => {
                if let Some(t) = table.take() {
                    tables.push(t);
                }
            }
            Event::Start(Tag::TableRow) => {
                if let Some(t) = table.as_mut() {
                    t.rows.push(RawRow {
                        range: range.clone(),
                        cells: Vec::new(),
                    });
                }
            }
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => {
                if let (Some(t), Some(c)) = (table.as_mut(), cell.take()) {
                    let c = collapse(&c);
                    match t.rows.last_mut() {
                        Some(row) => row.cells.push(c),
                        None => t.header.push(c),
                    }
                }
            }
            Event::Start(Tag::CodeBlock(_)) => code_block += 1,
            Event::End(TagEnd::CodeBlock) => code_block = code_block.saturating_sub(1),
            Event::Start(Tag::Paragraph) if open_items.is_empty() && heading.is_none() => {
                paragraph = Some(Paragraph {
                    section: current_section,
                    lines: vec![(index.line(range.start), String::new())],
                });
            }
            Event::End(TagEnd::Paragraph) => {
                if let Some(p) = paragraph.take() {
                    paragraphs.push(p);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(p) = paragraph.as_mut() {
                    p.lines.push((index.line(range.end), String::new()));
                } else {
                    push_text(
                        &mut heading,
                        &mut cell,
                        code_block,
                        &open_items,
                        &mut raw_items,
                        None,
                        " ",
                    );
                }
            }
            Event::Text(t) => {
                push_text(
                    &mut heading,
                    &mut cell,
                    code_block,
                    &open_items,
                    &mut raw_items,
                    paragraph.as_mut(),
                    &t,
                );
            }
            Event::Code(t) => {
                let quoted = format!("`{t}`");
                push_text(
                    &mut heading,
                    &mut cell,
                    code_block,
                    &open_items,
                    &mut raw_items,
                    paragraph.as_mut(),
                    &quoted,
                );
            }
            _ => {}
        }
    }

    let title = match sections.first() {
        Some(first) if sections[1..].iter().all(|s| s.level > first.level) => {
            Some(first.title.clone())
        }
        _ => None,
    };

    let mut plan = MarkdownPlan {
        title,
        style: if raw_items.iter().any(|r| r.checkbox.is_some()) {
            Style::Checklist
        } else {
            Style::Bullets
        },
        sections,
        items: Vec::new(),
        risks: Vec::new(),
        decisions: Vec::new(),
    };

    read_dependencies(&mut plan.sections, &paragraphs);
    let claimed_tables = read_tables(&mut plan, &tables, origin, &index);
    read_decision_headings(&mut plan, &paragraphs, origin);
    collect_items(
        &mut plan,
        text,
        &index,
        &raw_items,
        &tables,
        &claimed_tables,
    );
    plan
}

#[allow(clippy::too_many_arguments)]
fn push_text(
    heading: &mut Option<(u8, usize, String)>,
    cell: &mut Option<String>,
    code_block: usize,
    open_items: &[usize],
    raw_items: &mut [RawItem],
    paragraph: Option<&mut Paragraph>,
    text: &str,
) {
    if let Some((_, _, title)) = heading.as_mut() {
        title.push_str(text);
    } else if let Some(cell) = cell.as_mut() {
        cell.push_str(text);
    } else if code_block > 0 {
        // A command listing inside an item is not the item's words.
    } else if let Some(&i) = open_items.last() {
        raw_items[i].text.push_str(text);
    } else if let Some(p) = paragraph
        && let Some((_, line)) = p.lines.last_mut()
    {
        line.push_str(text);
    }
}

/// `Key: value` lines of a paragraph.
fn fields(paragraph: &Paragraph) -> impl Iterator<Item = (u32, String, String)> + '_ {
    paragraph.lines.iter().filter_map(|(line, text)| {
        let (key, value) = text.split_once(':')?;
        let key = key.trim();
        if key.is_empty() || key.split_whitespace().count() > 4 {
            return None;
        }
        Some((*line, key.to_lowercase(), value.trim().to_owned()))
    })
}

const DEPENDENCY_KEYS: &[&str] = &[
    "dependencies",
    "dependency",
    "depends on",
    "needs",
    "requires",
    "prerequisites",
    "blocked by",
    "after",
];

fn read_dependencies(sections: &mut [Section], paragraphs: &[Paragraph]) {
    for paragraph in paragraphs {
        let Some(section) = paragraph.section else {
            continue;
        };
        for (_, key, value) in fields(paragraph) {
            if !DEPENDENCY_KEYS.contains(&key.as_str()) {
                continue;
            }
            let without_notes = PARENTHESES.replace_all(&value, "");
            for part in without_notes
                .split([',', ';', '&', '/'])
                .flat_map(|p| p.split(" and "))
            {
                let part = part.trim().trim_end_matches('.');
                let lower = part.to_lowercase();
                if part.is_empty()
                    || matches!(lower.as_str(), "none" | "n/a" | "-" | "nothing" | "tbd")
                {
                    continue;
                }
                sections[section].depends_on.push(part.to_owned());
            }
        }
    }
}

fn no_one(name: &str) -> bool {
    let n = name.trim().trim_matches(['*', '_']).to_lowercase();
    matches!(
        n.as_str(),
        "" | "tbd" | "tba" | "-" | "—" | "n/a" | "na" | "?" | "none" | "unassigned" | "todo"
    )
}

fn owner_name(cell: &str) -> Option<String> {
    (!no_one(cell)).then(|| cell.trim().to_owned())
}

/// Which column holds what, by the header cells' words.
fn column(header: &[Vec<String>], words: &[&str]) -> Option<usize> {
    header.iter().position(|cell| has_any(cell, words))
}

/// The column of identifiers: `ID`, `Ref`, `No.` or `#`.
fn id_column(raw: &[String], header: &[Vec<String>]) -> Option<usize> {
    raw.iter()
        .position(|cell| cell.trim() == "#")
        .or_else(|| column(header, &["id", "ref", "no", "number", "key"]))
}

/// Recognises risk and decision tables; returns the indexes of the tables
/// taken, whose rows are then not items.
fn read_tables(
    plan: &mut MarkdownPlan,
    tables: &[RawTable],
    origin: &str,
    index: &LineIndex<'_>,
) -> Vec<usize> {
    let mut taken = Vec::new();
    for (t, table) in tables.iter().enumerate() {
        let header: Vec<Vec<String>> = table.header.iter().map(|h| stems(h)).collect();
        let cell = |row: &RawRow, col: Option<usize>| -> Option<String> {
            col.and_then(|c| row.cells.get(c))
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
        };

        let risk_col = column(&header, &["risk", "threat", "hazard"]);
        let likelihood = column(&header, &["likelihood", "probability", "chance", "odds"]);
        let impact = column(&header, &["impact", "severity", "consequence", "effect"]);
        let mitigation = column(
            &header,
            &[
                "mitigation",
                "mitigate",
                "contingency",
                "response",
                "countermeasure",
            ],
        );
        let is_risks = (risk_col.is_some()
            && (likelihood.is_some() || impact.is_some() || mitigation.is_some()))
            || (likelihood.is_some() && impact.is_some());
        if is_risks {
            taken.push(t);
            let id_col = id_column(&table.header, &header).filter(|c| Some(*c) != risk_col);
            let title_col = risk_col
                .or_else(|| {
                    column(
                        &header,
                        &["description", "issue", "concern", "scenario", "title"],
                    )
                })
                .or(Some(0));
            let owner = column(&header, &["owner", "assignee", "responsible", "who"]);
            let status = column(&header, &["status", "state"]);
            for row in &table.rows {
                let Some(title) = cell(row, title_col) else {
                    continue;
                };
                let n = plan.risks.len() + 1;
                let line = index.line(row.range.start);
                plan.risks.push(Risk {
                    id: cell(row, id_col)
                        .map(|id| slug_id(&id, 'R'))
                        .filter(|id| !id.is_empty())
                        .unwrap_or_else(|| format!("R{n}")),
                    title,
                    likelihood: cell(row, likelihood).and_then(|c| Level::parse_loose(&c)),
                    impact: cell(row, impact).and_then(|c| Level::parse_loose(&c)),
                    owner: cell(row, owner).and_then(|c| owner_name(&c)),
                    mitigation: cell(row, mitigation),
                    mitigated_by: Vec::new(),
                    status: cell(row, status).and_then(|c| RiskStatus::parse_loose(&c)),
                    source: Some(format!("{origin}:{line}")),
                });
            }
            continue;
        }

        let decision_col = column(&header, &["decision", "choice"]).or(column(&header, &["adr"]));
        let date = column(&header, &["date", "when", "decided on"]);
        let status = column(&header, &["status", "state"]);
        let rationale = column(
            &header,
            &["rationale", "reason", "why", "justification", "reasoning"],
        );
        let owner = column(
            &header,
            &["owner", "decided by", "decider", "who", "approver"],
        );
        let context = column(
            &header,
            &["alternative", "context", "consequence", "outcome"],
        );
        if decision_col.is_some()
            && (date.is_some()
                || status.is_some()
                || rationale.is_some()
                || owner.is_some()
                || context.is_some())
        {
            taken.push(t);
            let id_col = id_column(&table.header, &header)
                .or(column(&header, &["adr"]))
                .filter(|c| Some(*c) != decision_col);
            let title_col = column(&header, &["title", "topic", "subject", "question"]);
            for row in &table.rows {
                let what = cell(row, decision_col);
                let Some(title) = cell(row, title_col).or_else(|| what.clone()) else {
                    continue;
                };
                let n = plan.decisions.len() + 1;
                let line = index.line(row.range.start);
                plan.decisions.push(Decision {
                    id: cell(row, id_col)
                        .map(|id| slug_id(&id, 'D'))
                        .filter(|id| !id.is_empty())
                        .unwrap_or_else(|| format!("D{n}")),
                    title,
                    date: cell(row, date).and_then(|d| d.parse().ok()),
                    status: cell(row, status).and_then(|s| DecisionStatus::parse_loose(&s)),
                    owner: cell(row, owner).and_then(|c| owner_name(&c)),
                    decision: if title_col.is_some() { what } else { None },
                    rationale: cell(row, rationale),
                    source: Some(format!("{origin}:{line}")),
                });
            }
        }
    }
    taken
}

/// An identifier from a table cell; a bare number gets the register's
/// letter, so that risk 3 and decision 3 stay apart.
fn slug_id(text: &str, letter: char) -> String {
    let id: String = text
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        format!("{letter}{id}")
    } else {
        id
    }
}

/// Decisions written as a heading each under a decisions-log heading, with
/// `Date:`, `Status:`, `Decision:` lines.
fn read_decision_headings(plan: &mut MarkdownPlan, paragraphs: &[Paragraph], origin: &str) {
    let logs: Vec<usize> = (0..plan.sections.len())
        .filter(|&i| plan.sections[i].role == Role::Decisions)
        .collect();
    for log in logs {
        let children: Vec<usize> = (0..plan.sections.len())
            .filter(|&i| plan.sections[i].parent == Some(log))
            .collect();
        for child in children {
            let section = &plan.sections[child];
            let mut decision = Decision {
                id: String::new(),
                title: section.title.clone(),
                date: None,
                status: None,
                owner: None,
                decision: None,
                rationale: None,
                source: Some(format!("{origin}:{}", section.line)),
            };
            let number = NUMBERED_DECISION
                .captures(&section.title)
                .map(|c| (c[1].to_owned(), c[2].trim().to_owned()));
            if let Some((n, rest)) = number {
                decision.id = format!("D{n}");
                if !rest.is_empty() {
                    decision.title = rest;
                }
            }
            let mut any_field = false;
            for paragraph in paragraphs.iter().filter(|p| p.section == Some(child)) {
                for (_, key, value) in fields(paragraph) {
                    any_field = true;
                    match key.as_str() {
                        "date" | "decided" | "decided on" => decision.date = value.parse().ok(),
                        "status" | "state" => decision.status = DecisionStatus::parse_loose(&value),
                        "owner" | "decided by" | "decider" => decision.owner = owner_name(&value),
                        "decision" | "outcome" | "choice" => decision.decision = Some(value),
                        "reasoning" | "rationale" | "reason" | "why" => {
                            decision.rationale = Some(value)
                        }
                        _ => {}
                    }
                }
            }
            if !any_field {
                continue;
            }
            if decision.id.is_empty() {
                decision.id = format!("D{}", plan.decisions.len() + 1);
            }
            plan.decisions.push(decision);
        }
    }
}

/// The heading that stands for a section's phase: the nearest heading named
/// like a phase (`Phase 2`, `WP3`, `Stage 1`) when the plan has such
/// headings, or else the outermost heading under the title.
fn phase_of(plan: &MarkdownPlan, section: Option<usize>, phase_level: Option<u8>) -> Option<usize> {
    let mut chain = Vec::new();
    let mut at = section;
    while let Some(i) = at {
        if !(plan.title.is_some() && i == 0) {
            chain.push(i);
        }
        at = plan.sections[i].parent;
    }
    if let Some(level) = phase_level
        && let Some(&found) = chain.iter().find(|&&i| plan.sections[i].level == level)
    {
        return Some(found);
    }
    chain.last().copied().or(section)
}

fn phase_level(plan: &MarkdownPlan) -> Option<u8> {
    let named =
        Regex::new(r"(?i)^(phase|stage|step|wp|work ?package|milestone|sprint|week|part)\s*[0-9]")
            .ok()?;
    let skip = usize::from(plan.title.is_some());
    plan.sections
        .iter()
        .skip(skip)
        .filter(|s| named.is_match(&s.title))
        .map(|s| s.level)
        .min()
}

fn collect_items(
    plan: &mut MarkdownPlan,
    text: &str,
    index: &LineIndex<'_>,
    raw: &[RawItem],
    tables: &[RawTable],
    taken_tables: &[usize],
) {
    let level = phase_level(plan);
    let role_of = |plan: &MarkdownPlan, section: Option<usize>| -> Role {
        let mut at = section;
        while let Some(i) = at {
            match plan.sections[i].role {
                Role::Plain => at = plan.sections[i].parent,
                role => return role,
            }
        }
        Role::Plain
    };

    // The source of an item without the items nested in it, for bindings.
    let own_source = |r: usize| -> String {
        let mut own = String::new();
        let mut from = raw[r].range.start;
        for child in raw.iter().filter(|c| c.parent == Some(r)) {
            if child.range.start > from {
                own.push_str(&text[from..child.range.start]);
            }
            from = from.max(child.range.end);
        }
        if raw[r].range.end > from {
            own.push_str(&text[from..raw[r].range.end]);
        }
        own
    };

    let chosen: Vec<bool> = match plan.style {
        Style::Checklist => raw.iter().map(|r| r.checkbox.is_some()).collect(),
        Style::Bullets => {
            let under_work: Vec<bool> = raw
                .iter()
                .map(|r| matches!(role_of(plan, r.section), Role::Items | Role::Criteria))
                .collect();
            let any_table_rows = tables.iter().enumerate().any(|(t, table)| {
                !taken_tables.contains(&t)
                    && matches!(role_of(plan, table.section), Role::Items | Role::Criteria)
            });
            if under_work.iter().any(|&b| b) || any_table_rows {
                under_work
            } else {
                // A bare list with no headings to go by: the list is the plan.
                vec![true; raw.len()]
            }
        }
    };

    // (start offset, chosen parent's raw index, item)
    let mut rows: Vec<(usize, Option<usize>, Item)> = Vec::new();
    let mut item_of_raw: BTreeMap<usize, usize> = BTreeMap::new();
    for (r, entry) in raw.iter().enumerate() {
        if !chosen[r] {
            continue;
        }
        let (text_only, glyph) = strip_claim(&collapse(&entry.text));
        let bindings = bindings_in(&own_source(r));
        let mut parent = entry.parent;
        while let Some(p) = parent {
            if chosen[p] {
                break;
            }
            parent = raw[p].parent;
        }
        let kind = if role_of(plan, entry.section) == Role::Criteria {
            ItemKind::Criterion
        } else {
            ItemKind::Task
        };
        item_of_raw.insert(r, rows.len());
        rows.push((
            entry.range.start,
            parent,
            Item {
                id: String::new(),
                line: index.line(entry.range.start),
                text: text_only,
                section: entry.section,
                phase: phase_of(plan, entry.section, level),
                parent: None,
                checkbox: entry.checkbox,
                claimed: entry.checkbox == Some(true) || glyph,
                kind,
                source: ItemSource::ListItem,
                bindings,
                notes: Vec::new(),
            },
        ));
    }
    // Plain bullets under a checklist item stay with it.
    if plan.style == Style::Checklist {
        for (r, entry) in raw.iter().enumerate() {
            if chosen[r] || entry.text.trim().is_empty() {
                continue;
            }
            let mut parent = entry.parent;
            while let Some(p) = parent {
                if chosen[p] {
                    break;
                }
                parent = raw[p].parent;
            }
            if let Some(p) = parent.and_then(|p| item_of_raw.get(&p)) {
                rows[*p].2.notes.push(collapse(&entry.text));
            }
        }
    }

    if plan.style == Style::Bullets {
        for (t, table) in tables.iter().enumerate() {
            if taken_tables.contains(&t) {
                continue;
            }
            let role = role_of(plan, table.section);
            if !matches!(role, Role::Items | Role::Criteria) {
                continue;
            }
            for row in &table.rows {
                let cells: Vec<&str> = row
                    .cells
                    .iter()
                    .map(|c| c.trim())
                    .filter(|c| !c.is_empty())
                    .collect();
                if cells.is_empty() {
                    continue;
                }
                let joined = match cells.as_slice() {
                    [one] => one.to_string(),
                    [first, rest @ ..] => format!("{first}: {}", rest.join(" — ")),
                    [] => continue,
                };
                let (text_only, glyph) = strip_claim(&joined);
                rows.push((
                    row.range.start,
                    None,
                    Item {
                        id: String::new(),
                        line: index.line(row.range.start),
                        text: text_only,
                        section: table.section,
                        phase: phase_of(plan, table.section, level),
                        parent: None,
                        checkbox: None,
                        claimed: glyph,
                        kind: if role == Role::Criteria {
                            ItemKind::Criterion
                        } else {
                            ItemKind::Task
                        },
                        source: ItemSource::TableRow,
                        bindings: bindings_in(&text[row.range.clone()]),
                        notes: Vec::new(),
                    },
                ));
            }
        }
    }

    // Document order, with parents mapped from list entries to items.
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| rows[i].0);
    let mut final_of_row = vec![0; rows.len()];
    for (final_index, &row) in order.iter().enumerate() {
        final_of_row[row] = final_index;
    }
    let mut items: Vec<Item> = Vec::with_capacity(rows.len());
    let mut taken: BTreeMap<String, usize> = BTreeMap::new();
    for &row in &order {
        let mut item = rows[row].2.clone();
        item.parent = rows[row]
            .1
            .and_then(|raw_parent| item_of_raw.get(&raw_parent))
            .map(|&row_index| final_of_row[row_index]);
        let mut base = slug(&item.text, 48);
        if base.is_empty() {
            base = format!("item-{}", item.line);
        }
        let count = taken.entry(base.clone()).or_insert(0);
        *count += 1;
        item.id = if *count == 1 {
            base
        } else {
            format!("{base}-{count}")
        };
        items.push(item);
    }
    plan.items = items;
}

fn bindings_in(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for capture in BINDING.captures_iter(source) {
        for token in capture[1].split(|c: char| c.is_whitespace() || c == ',') {
            let token = token.trim();
            if !token.is_empty() && !found.iter().any(|f| f == token) {
                found.push(token.to_owned());
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checklist_items_keep_lines_nesting_claims_and_bindings() {
        let text = "# Launch\n\n## Phase 1: Build\n\n### Tasks\n- [ ] Pin image tags <!-- shipgate: k8s/image-tag docker/base-image-tag -->\n  - [x] Base images\n  - a note\n- [x] Write the **runbook**\n\n### Gate Criteria\n- [ ] `make test` passes\n\nSome prose.\n- not an item\n";
        let plan = parse(text, "plan.md");
        assert_eq!(plan.style, Style::Checklist);
        assert_eq!(plan.title.as_deref(), Some("Launch"));
        let got: Vec<(u32, &str, Option<usize>, bool)> = plan
            .items
            .iter()
            .map(|i| (i.line, i.text.as_str(), i.parent, i.claimed))
            .collect();
        assert_eq!(
            got,
            vec![
                (6, "Pin image tags", None, false),
                (7, "Base images", Some(0), true),
                (9, "Write the runbook", None, true),
                (12, "`make test` passes", None, false),
            ]
        );
        assert_eq!(
            plan.items[0].bindings,
            ["k8s/image-tag", "docker/base-image-tag"]
        );
        assert!(plan.items[1].bindings.is_empty());
        assert_eq!(plan.items[0].notes, ["a note"]);
        assert_eq!(plan.items[3].kind, ItemKind::Criterion);
        assert_eq!(
            plan.item_phase(&plan.items[3]),
            "Phase 1: Build > Gate Criteria"
        );
        assert_eq!(
            plan.sections[plan.items[3].phase.unwrap()].title,
            "Phase 1: Build"
        );
    }

    #[test]
    fn bullets_count_under_work_headings_only() {
        let text = "# Plan\n\n## Background\n- context, not work\n\n## Deliverables\n1. **Manifests** (`k8s/`)\n   - Deployments\n   - Services\n\n## Acceptance\n| Metric | Target |\n|---|---|\n| p95 latency | < 200ms |\n\n## Done ✅\n- ✅ Shipped the chart\n";
        let plan = parse(text, "plan.md");
        assert_eq!(plan.style, Style::Bullets);
        let got: Vec<(u32, &str, Option<usize>)> = plan
            .items
            .iter()
            .map(|i| (i.line, i.text.as_str(), i.parent))
            .collect();
        assert_eq!(
            got,
            vec![
                (7, "Manifests (`k8s/`)", None),
                (8, "Deployments", Some(0)),
                (9, "Services", Some(0)),
                (14, "p95 latency: < 200ms", None),
            ]
        );
        assert_eq!(plan.items[3].kind, ItemKind::Criterion);
        assert!(plan.sections.last().unwrap().claimed);
    }

    #[test]
    fn a_bare_list_is_the_plan() {
        let plan = parse("- one\n- two\n  - three\n", "p");
        assert_eq!(plan.items.len(), 3);
        assert_eq!(plan.items[2].parent, Some(1));
    }

    #[test]
    fn recognises_risk_and_decision_tables_in_other_words() {
        let text = "## Threats\n\n| # | Threat | Probability | Severity | Countermeasure | Responsible |\n|---|---|---|---|---|---|\n| T-1 | Cert expiry | likely | severe | cert-manager renewals | Ops |\n\n## ADRs\n\n| ADR | Choice | Decided on | State | Why |\n|---|---|---|---|---|\n| 7 | Use Postgres | 2025-03-01 | Approved | Team knows it |\n";
        let plan = parse(text, "plan.md");
        assert_eq!(plan.risks.len(), 1);
        let risk = &plan.risks[0];
        assert_eq!(risk.id, "T-1");
        assert_eq!(risk.title, "Cert expiry");
        assert_eq!(risk.likelihood, Some(Level::High));
        assert_eq!(risk.impact, Some(Level::Critical));
        assert_eq!(risk.owner.as_deref(), Some("Ops"));
        assert_eq!(risk.source.as_deref(), Some("plan.md:5"));
        assert_eq!(plan.decisions.len(), 1);
        let decision = &plan.decisions[0];
        assert_eq!(decision.id, "D7");
        assert_eq!(decision.title, "Use Postgres");
        assert_eq!(decision.status, Some(DecisionStatus::Accepted));
        assert_eq!(
            decision.date.as_ref().map(|d| d.as_str()),
            Some("2025-03-01")
        );
        assert!(plan.items.is_empty());
    }

    #[test]
    fn reads_decisions_written_as_headings_and_dependencies() {
        let text = "# P\n\n## WP1: Infra\n**Dependencies:** None\n\n### Tasks\n- a\n\n## WP2: CI\n**Dependencies:** WP1 (partial), WP3\n\n### Tasks\n- b\n\n## Decision Log\n\n### Decision 4: Gate on tests\n**Date**: 2026-02-09\n**Decision**: Require all tests.\n**Status**: Pending approval\n**Owner**: TBD\n";
        let plan = parse(text, "plan.md");
        let wp2 = plan.sections.iter().find(|s| s.title == "WP2: CI").unwrap();
        assert_eq!(wp2.depends_on, ["WP1", "WP3"]);
        assert_eq!(wp2.label.as_deref(), Some("WP2"));
        assert!(plan.sections[1].depends_on.is_empty());
        assert_eq!(plan.decisions.len(), 1);
        let d = &plan.decisions[0];
        assert_eq!((d.id.as_str(), d.title.as_str()), ("D4", "Gate on tests"));
        assert_eq!(d.status, Some(DecisionStatus::Proposed));
        assert_eq!(d.owner, None);
        assert_eq!(d.decision.as_deref(), Some("Require all tests."));
        assert_eq!(plan.items.len(), 2);
    }

    #[test]
    fn boxes_in_code_blocks_are_not_items_and_ids_are_unique() {
        let text = "```\n- [ ] not an item\n```\n- [ ] Same\n- [ ] Same\n";
        let plan = parse(text, "p");
        let ids: Vec<&str> = plan.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["same", "same-2"]);
        assert_eq!(plan.items[0].line, 4);
    }
}
