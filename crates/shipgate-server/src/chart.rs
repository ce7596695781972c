//! A project's history as an inline SVG, drawn on the server so the page
//! needs no script: finding counts as stacked bars, and under each bar the
//! run's verdict and the share of its gates that passed.

use std::fmt::Write as _;

use crate::store::RunRow;

const WIDTH: f64 = 720.0;
const BARS_TOP: f64 = 16.0;
const BARS_HEIGHT: f64 = 120.0;
const STRIP_TOP: f64 = 144.0;
const STRIP_HEIGHT: f64 = 14.0;
const HEIGHT: f64 = 176.0;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `runs` oldest first.
pub fn history(runs: &[RunRow]) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-label=\"Findings and gate verdicts of the last {} runs\" \
         xmlns=\"http://www.w3.org/2000/svg\">",
        runs.len()
    );
    if runs.is_empty() {
        svg.push_str("<text x=\"8\" y=\"40\" class=\"axis\">no runs yet</text></svg>");
        return svg;
    }
    let most = runs
        .iter()
        .map(|r| r.errors + r.warnings)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    // A few runs keep narrow bars from the left, rather than a bar the
    // width of the chart.
    let slot = (WIDTH / runs.len() as f64).min(24.0);
    let bar = (slot * 0.7).max(1.0);
    let _ = write!(
        svg,
        "<text x=\"2\" y=\"11\" class=\"axis\">{} findings</text>\
         <line x1=\"0\" y1=\"{y}\" x2=\"{WIDTH}\" y2=\"{y}\" class=\"base\"/>",
        most as i64,
        y = BARS_TOP + BARS_HEIGHT
    );
    for (i, run) in runs.iter().enumerate() {
        let x = i as f64 * slot + (slot - bar) / 2.0;
        let errors = run.errors as f64 / most * BARS_HEIGHT;
        let warnings = run.warnings as f64 / most * BARS_HEIGHT;
        let base = BARS_TOP + BARS_HEIGHT;
        let title = format!(
            "run {} · {} · {} · {} errors, {} warnings · gates {}/{}",
            run.id,
            crate::format_time(run.received_at),
            run.verdict,
            run.errors,
            run.warnings,
            run.gates_passed,
            run.gates_total
        );
        let _ = write!(
            svg,
            "<a href=\"/runs/{}\"><title>{}</title>\
             <rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{errors:.1}\" class=\"err\"/>\
             <rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{warnings:.1}\" class=\"warn\"/>\
             <rect x=\"{x:.1}\" y=\"{STRIP_TOP}\" width=\"{bar:.1}\" height=\"{STRIP_HEIGHT}\" class=\"v-{}\"/>",
            run.id,
            escape(&title),
            base - errors,
            base - errors - warnings,
            escape(&run.verdict),
        );
        if run.gates_total > 0 {
            let share = run.gates_passed as f64 / run.gates_total as f64;
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"4\" class=\"share\"/>",
                STRIP_TOP + STRIP_HEIGHT + 3.0,
                bar * share
            );
        }
        svg.push_str("</a>");
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: i64, verdict: &str, errors: i64) -> RunRow {
        RunRow {
            id,
            project: "p".into(),
            received_at: 0,
            commit_sha: None,
            verdict: verdict.into(),
            level: None,
            blocker: None,
            gates_total: 4,
            gates_passed: 2,
            errors,
            warnings: 1,
            infos: 0,
            tool_version: "0".into(),
            phases: "[]".into(),
        }
    }

    #[test]
    fn one_bar_and_one_verdict_per_run_linked_to_it() {
        let svg = history(&[run(1, "fail", 3), run(2, "pass", 0)]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("href=\"/runs/1\"") && svg.contains("href=\"/runs/2\""));
        assert_eq!(svg.matches("class=\"v-fail\"").count(), 1);
        assert_eq!(svg.matches("class=\"v-pass\"").count(), 1);
        assert!(history(&[]).contains("no runs yet"));
    }
}
