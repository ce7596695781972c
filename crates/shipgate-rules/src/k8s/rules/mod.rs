//! The Kubernetes rules, one module per theme. Each module exposes `RULES`.

mod api;
mod images;
mod objects;
mod probes;
mod relations;
mod resources;
mod schema;
mod security;
mod semantics;

use crate::RuleDef;

pub(super) const ALL: &[&[RuleDef]] = &[
    resources::RULES,
    relations::RULES,
    probes::RULES,
    images::RULES,
    objects::RULES,
    security::RULES,
    schema::RULES,
    api::RULES,
    semantics::RULES,
];

/// What the rule modules' tests share: run one rule on a manifest.
#[cfg(test)]
mod testing {
    use shipgate_core::Finding;

    use crate::{ArtifactKind, Engine, EngineConfig};

    /// The findings of `rule` alone on `yaml`.
    pub(super) fn check(rule: &str, yaml: &str) -> Vec<Finding> {
        let engine = Engine::new(EngineConfig {
            select: vec![rule.to_owned()],
            ..EngineConfig::default()
        })
        .expect("rule selection");
        let kind = ArtifactKind::from_path("test.yaml", false);
        let outcome = engine.check_text("test.yaml", yaml, kind);
        outcome
            .findings
            .into_iter()
            .filter(|f| f.rule == rule)
            .collect()
    }

    pub(super) fn position(finding: &Finding) -> (u32, u32) {
        let span = finding.location.span.expect("a position");
        (span.start.line, span.start.column)
    }
}
