//! The GitHub Actions workflow pack.

use shipgate_core::Finding;
use shipgate_syntax::yaml::{NodeRef, YamlStream};

use crate::RuleDef;
use crate::sink::FileSink;

/// The workflow a rule judges. Replaced by the real model.
pub struct Workflow<'a> {
    pub root: NodeRef<'a>,
}

pub type CheckFn = fn(&Workflow<'_>, &mut FileSink<'_>);

pub const RULES: &[RuleDef] = &[];

/// Runs the enabled workflow rules on a workflow file.
pub(crate) fn run(
    rules: &[&'static RuleDef],
    path: &str,
    stream: &YamlStream,
    findings: &mut Vec<Finding>,
) {
    for index in 0..stream.documents.len() {
        let Some(root) = stream.root(index) else {
            continue;
        };
        let model = Workflow { root };
        for rule in rules {
            if let crate::Check::Workflow(check) = rule.check {
                check(&model, &mut FileSink::new(&rule.meta, path, findings));
            }
        }
    }
}
