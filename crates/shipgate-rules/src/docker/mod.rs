//! The Dockerfile pack.

use shipgate_core::Finding;
use shipgate_syntax::LineIndex;

use crate::RuleDef;
use crate::sink::FileSink;

/// The parsed Dockerfile a rule judges. Replaced by the real model.
pub struct Dockerfile<'a> {
    pub text: &'a str,
}

pub type CheckFn = fn(&Dockerfile<'_>, &mut FileSink<'_>);

pub const RULES: &[RuleDef] = &[];

/// Parses a Dockerfile and runs the enabled Dockerfile rules on it.
pub(crate) fn run(
    rules: &[&'static RuleDef],
    path: &str,
    text: &str,
    lines: &LineIndex,
    findings: &mut Vec<Finding>,
) {
    let _ = lines;
    let model = Dockerfile { text };
    for rule in rules {
        if let crate::Check::Dockerfile(check) = rule.check {
            check(&model, &mut FileSink::new(&rule.meta, path, findings));
        }
    }
}
