//! The Compose pack: a model of the Compose specification over
//! position-exact YAML, and the rules that judge it, one module per theme.

mod credentials;
pub mod interpolate;
mod model;

pub use model::{
    Build, Capability, Command, Compose, Dependency, EnvFile, EnvVar, Extends, Healthcheck, Image,
    ImageRef, Mount, MountKind, Port, Reference, SecurityOpt, Service, Word, boolean, text,
    value_when_unset,
};

use shipgate_core::Finding;
use shipgate_syntax::yaml::YamlStream;

use crate::RuleDef;
use crate::sink::FileSink;

pub type CheckFn = fn(&Compose<'_>, &mut FileSink<'_>);

pub const RULES: &[RuleDef] = &[];

/// Runs the enabled Compose rules on every document of a Compose file.
pub(crate) fn run(
    rules: &[&'static RuleDef],
    path: &str,
    stream: &YamlStream,
    findings: &mut Vec<Finding>,
) {
    for index in 0..stream.documents.len() {
        let Some(model) = stream.root(index).and_then(Compose::new) else {
            continue;
        };
        for rule in rules {
            if let crate::Check::Compose(check) = rule.check {
                check(&model, &mut FileSink::new(&rule.meta, path, findings));
            }
        }
    }
}
