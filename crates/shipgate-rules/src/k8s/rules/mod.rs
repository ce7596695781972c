//! The Kubernetes rules, one module per theme. Each module exposes `RULES`.

mod images;
mod objects;
mod probes;
mod relations;
mod resources;
mod security;

use crate::RuleDef;

pub(super) const ALL: &[&[RuleDef]] = &[
    resources::RULES,
    relations::RULES,
    probes::RULES,
    images::RULES,
    objects::RULES,
    security::RULES,
];
