//! The Compose pack: a model of the Compose specification over
//! position-exact YAML, and the rules that judge it, one module per theme.

mod exposure;
mod images;
pub mod interpolate;
mod model;
mod mounts;
mod privileges;
mod reliability;
mod structure;

pub use model::{
    Build, Capability, Command, Compose, Dependency, EnvFile, EnvVar, Extends, Healthcheck, Image,
    ImageRef, Mount, MountKind, Port, Reference, SecurityOpt, Service, Word, boolean, text,
    value_when_unset,
};

use shipgate_core::{Finding, Location, SourceSpan};
use shipgate_syntax::yaml::{NodeRef, YamlStream};

use crate::RuleDef;
use crate::sink::FileSink;

pub type CheckFn = fn(&Compose<'_>, &mut FileSink<'_>);

pub const RULES: &[RuleDef] = &[
    images::IMAGE_TAG,
    images::IMAGE_DIGEST,
    privileges::PRIVILEGED,
    privileges::HOST_NETWORK,
    privileges::HOST_PID,
    privileges::HOST_IPC,
    privileges::DANGEROUS_CAPABILITY,
    privileges::CAPABILITIES_DROP_ALL,
    privileges::NO_NEW_PRIVILEGES,
    privileges::SECURITY_PROFILE_DISABLED,
    privileges::READ_ONLY_ROOT_FILESYSTEM,
    privileges::RUN_AS_ROOT_USER,
    mounts::DOCKER_SOCKET_MOUNT,
    mounts::HOST_PATH_MOUNT,
    exposure::SECRET_IN_ENV,
    exposure::DATABASE_PORT_EXPOSED,
    exposure::AUTHENTICATION_DISABLED,
    exposure::DEVELOPMENT_MODE,
    reliability::HEALTHCHECK_MISSING,
    reliability::RESTART_POLICY_MISSING,
    reliability::MEMORY_LIMIT_MISSING,
    reliability::DEPENDS_ON_HEALTHY,
    structure::UNDEFINED_REFERENCE,
    structure::CONTAINER_NAME,
    structure::VERSION_OBSOLETE,
];

const SPEC_SERVICES: &str = "https://docs.docker.com/reference/compose-file/services/";
const SPEC_DEPLOY: &str = "https://docs.docker.com/reference/compose-file/deploy/";
const DOCKER_SECURITY: &str = "https://docs.docker.com/engine/security/";
const OWASP: &str =
    "https://cheatsheetseries.owasp.org/cheatsheets/Docker_Security_Cheat_Sheet.html";
const CIS: &str = "https://www.cisecurity.org/benchmark/docker";

/// A small service that passes every rule: the passing example of the rules
/// whose fix is the common hardened baseline.
const HARDENED: &str = "services:
  api:
    image: ghcr.io/acme/api:1.4.2
    read_only: true
    tmpfs:
      - /tmp
    security_opt:
      - no-new-privileges:true
    cap_drop:
      - ALL
    healthcheck:
      test: [\"CMD\", \"/app/healthcheck\"]
      interval: 10s
      timeout: 3s
      retries: 3
    restart: unless-stopped
    deploy:
      resources:
        limits:
          memory: 512M
";

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

/// A finding about `node`, a setting of `service`.
pub(crate) fn at_node<'s>(
    sink: &'s mut FileSink<'_>,
    service: &Service<'_>,
    node: NodeRef<'_>,
    field: &str,
    message: impl Into<String>,
) -> &'s mut Finding {
    at_span(sink, service, node.span(), field, message)
}

/// A finding about the region `span` of a setting of `service`. A setting
/// inherited through `extends` or a YAML anchor is written outside the
/// service; the finding then lies at the service's key, where the setting
/// takes effect, and shows where it is written as related.
pub(crate) fn at_span<'s>(
    sink: &'s mut FileSink<'_>,
    service: &Service<'_>,
    span: SourceSpan,
    field: &str,
    message: impl Into<String>,
) -> &'s mut Finding {
    let logical = logical(service, field);
    if service.contains(span) {
        return sink.at(span, logical, message);
    }
    let related = Location::at(sink.path(), span);
    sink.at(service.key.span(), logical, message)
        .add_related(related, "inherited from here")
}

/// A finding about something `service` lacks, at its key under `services:`.
pub(crate) fn at_service<'s>(
    sink: &'s mut FileSink<'_>,
    service: &Service<'_>,
    field: &str,
    message: impl Into<String>,
) -> &'s mut Finding {
    sink.at(service.key.span(), logical(service, field), message)
}

/// `services.api.environment.DB_PASSWORD`: stable across line moves, so that
/// baselines survive reformatting.
fn logical(service: &Service<'_>, field: &str) -> String {
    if field.is_empty() {
        format!("services.{}", service.name)
    } else {
        format!("services.{}.{field}", service.name)
    }
}

/// Services whose absent settings can be judged: a fragment merged onto
/// another file, or a service extending one we cannot see, may get them
/// from elsewhere.
pub(crate) fn complete<'c, 'a>(compose: &'c Compose<'a>) -> impl Iterator<Item = &'c Service<'a>> {
    compose
        .services
        .iter()
        .filter(|s| !s.is_partial() && !s.inherits_unseen)
}

#[cfg(test)]
pub(crate) mod testing {
    use shipgate_core::Finding;
    use shipgate_syntax::yaml::{self, Limits, Schema};

    use super::{Compose, FileSink};
    use crate::registry::registry;

    /// Runs one rule on a Compose text.
    pub fn findings(rule: &str, text: &str) -> Vec<Finding> {
        let stream = yaml::parse(text, Schema::Yaml12, Limits::default());
        assert!(stream.errors.is_empty(), "{:?}", stream.errors);
        let def = registry().get(rule).expect("rule exists");
        let crate::Check::Compose(check) = def.check else {
            panic!("{rule} is not a Compose rule");
        };
        let mut found = Vec::new();
        if let Some(model) = stream.root(0).and_then(Compose::new) {
            check(
                &model,
                &mut FileSink::new(&def.meta, "docker-compose.yml", &mut found),
            );
        }
        found
    }

    /// (line, column) of each finding.
    pub fn positions(found: &[Finding]) -> Vec<(u32, u32)> {
        found
            .iter()
            .filter_map(|f| f.location.span.map(|s| (s.start.line, s.start.column)))
            .collect()
    }
}
