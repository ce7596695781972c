//! Reliability: services that notice they are broken, come back after a
//! crash or a reboot, cannot starve their neighbours, and start in order.

use shipgate_core::{Category, Example, RuleMeta, Severity};

use super::{
    CIS, Compose, HARDENED, OWASP, SPEC_DEPLOY, SPEC_SERVICES, at_node, at_service, complete,
};
use crate::sink::FileSink;
use crate::{Check, RuleDef};

const STARTUP_ORDER: &str = "https://docs.docker.com/compose/how-tos/startup-order/";

pub(super) const HEALTHCHECK_MISSING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "compose/healthcheck-missing",
        title: "Long-running services have a healthcheck",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "Without a healthcheck Docker only knows whether the process exists: a \
            service that deadlocks, loses its database or serves errors stays \"running\", \
            dependants cannot wait for it to be ready, and `docker compose up --wait` \
            returns too early. One-shot services (`restart: \"no\"`, a job `deploy.mode`, \
            or awaited with `service_completed_successfully`) are not judged. A HEALTHCHECK \
            in the image also counts, but a file-level check cannot see it: declare it \
            here too, or suppress with that reason.",
        remediation: "Probe what the service does, cheaply and with a timeout:\n\n```yaml\n\
            services:\n  postgres:\n    healthcheck:\n      test: [\"CMD-SHELL\", \
            \"pg_isready -U orders -d orders\"]\n      interval: 5s\n      timeout: 3s\n      \
            retries: 10\n      start_period: 10s\n```",
        references: &[
            "https://docs.docker.com/reference/compose-file/services/#healthcheck",
            STARTUP_ORDER,
            CIS,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "docker-compose.yml",
            content: "services:\n  api:\n    image: ghcr.io/acme/api:1.4.2\n    restart: unless-stopped\n",
        },
        passing: Example {
            file: "docker-compose.yml",
            content: "services:\n  api:\n    image: ghcr.io/acme/api:1.4.2\n    restart: unless-stopped\n    healthcheck:\n      test: [\"CMD\", \"/app/healthcheck\"]\n  migrate:\n    image: ghcr.io/acme/api:1.4.2\n    command: [\"migrate\"]\n    restart: \"no\"\n",
        },
    },
    check: Check::Compose(healthcheck_missing),
};

fn healthcheck_missing(compose: &Compose<'_>, sink: &mut FileSink<'_>) {
    for service in complete(compose) {
        if compose.is_one_shot(service) {
            continue;
        }
        match service.healthcheck() {
            // An explicit opt-out is a decision, not an omission.
            Some(h) if h.disabled => {}
            Some(h) if h.test.is_none() => {
                at_node(
                    sink,
                    service,
                    h.node,
                    "healthcheck",
                    format!(
                        "service `{}` has a healthcheck with no test; it relies on the image's",
                        service.name
                    ),
                );
            }
            Some(_) => {}
            None => {
                at_service(
                    sink,
                    service,
                    "healthcheck",
                    format!("service `{}` has no healthcheck", service.name),
                );
            }
        }
    }
}

pub(super) const RESTART_POLICY_MISSING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "compose/restart-policy-missing",
        title: "Long-running services have a restart policy",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "Compose's default is `restart: \"no\"`: a service that crashes, or the \
            whole stack after the host reboots or the Docker daemon restarts, stays down \
            until someone notices. Services meant to run once say so with `restart: \
            \"no\"` and are not reported, nor are services others await with \
            `service_completed_successfully`.",
        remediation: "Set a policy on every long-running service:\n\n```yaml\nservices:\n  \
            api:\n    restart: unless-stopped\n```\n\nor, with `docker stack deploy`, \
            `deploy.restart_policy.condition: any`.",
        references: &[
            "https://docs.docker.com/reference/compose-file/services/#restart",
            "https://docs.docker.com/engine/containers/start-containers-automatically/",
            SPEC_DEPLOY,
            CIS,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "docker-compose.yml",
            content: "services:\n  api:\n    image: ghcr.io/acme/api:1.4.2\n",
        },
        passing: HARDENED_EXAMPLE,
    },
    check: Check::Compose(restart_policy_missing),
};

const HARDENED_EXAMPLE: Example = Example {
    file: "docker-compose.yml",
    content: HARDENED,
};

fn restart_policy_missing(compose: &Compose<'_>, sink: &mut FileSink<'_>) {
    for service in complete(compose) {
        if service.restart().is_some()
            || service.restart_condition().is_some()
            || compose.is_one_shot(service)
        {
            continue;
        }
        at_service(
            sink,
            service,
            "restart",
            format!(
                "service `{}` has no restart policy: it stays down after a crash or a reboot",
                service.name
            ),
        )
        .set_help("add `restart: unless-stopped`");
    }
}

pub(super) const MEMORY_LIMIT_MISSING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "compose/memory-limit-missing",
        title: "Services have a memory limit",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "A container without a memory limit can use all of the host's memory: a \
            leak or a burst in one service makes the kernel's OOM killer pick victims among \
            all of them, the database included, or freezes the host in swap. A limit \
            confines the damage to the service at fault, which its restart policy then \
            brings back. CPU limits are a matter of taste and are not required.",
        remediation: "Set a limit a little above the service's measured peak:\n\n```yaml\n\
            services:\n  api:\n    deploy:\n      resources:\n        limits:\n          \
            memory: 512M\n        reservations:\n          memory: 256M\n```\n\nThe legacy \
            `mem_limit: 512m` is accepted too.",
        references: &[
            SPEC_DEPLOY,
            "https://docs.docker.com/engine/containers/resource_constraints/",
            OWASP,
            CIS,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "docker-compose.yml",
            content: "services:\n  api:\n    image: ghcr.io/acme/api:1.4.2\n    deploy:\n      resources:\n        limits:\n          cpus: \"1\"\n",
        },
        passing: HARDENED_EXAMPLE,
    },
    check: Check::Compose(memory_limit_missing),
};

fn memory_limit_missing(compose: &Compose<'_>, sink: &mut FileSink<'_>) {
    for service in complete(compose) {
        if service.memory_limit().is_some() {
            continue;
        }
        let message = format!(
            "service `{}` has no memory limit and can exhaust the host's memory",
            service.name
        );
        let limits = service
            .lookup(&["deploy", "resources"])
            .and_then(|r| r.entry("limits"));
        match limits {
            Some((key, _)) => at_node(sink, service, key, "deploy.resources.limits", message),
            None => at_service(sink, service, "deploy.resources.limits", message),
        }
        .set_help("set deploy.resources.limits.memory");
    }
}

pub(super) const DEPENDS_ON_HEALTHY: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "compose/depends-on-healthy",
        title: "Services wait for dependencies with a healthcheck to be healthy",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "A plain `depends_on` (or `condition: service_started`) only waits for \
            the dependency's container to start, not for the database to accept \
            connections, so the dependant crashes or fails its first requests on every \
            cold start. When the dependency has a healthcheck, `condition: \
            service_healthy` makes Compose wait for it.",
        remediation: "Use the long form with a condition:\n\n```yaml\nservices:\n  api:\n    \
            depends_on:\n      postgres:\n        condition: service_healthy\n      \
            migrate:\n        condition: service_completed_successfully\n```",
        references: &[
            STARTUP_ORDER,
            "https://docs.docker.com/reference/compose-file/services/#depends_on",
            SPEC_SERVICES,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "docker-compose.yml",
            content: "services:\n  api:\n    image: ghcr.io/acme/api:1.4.2\n    depends_on:\n      - postgres\n  postgres:\n    image: postgres:16.4-bookworm\n    healthcheck:\n      test: [\"CMD-SHELL\", \"pg_isready -U postgres\"]\n",
        },
        passing: Example {
            file: "docker-compose.yml",
            content: "services:\n  api:\n    image: ghcr.io/acme/api:1.4.2\n    depends_on:\n      postgres:\n        condition: service_healthy\n  postgres:\n    image: postgres:16.4-bookworm\n    healthcheck:\n      test: [\"CMD-SHELL\", \"pg_isready -U postgres\"]\n",
        },
    },
    check: Check::Compose(depends_on_healthy),
};

fn depends_on_healthy(compose: &Compose<'_>, sink: &mut FileSink<'_>) {
    for service in &compose.services {
        for dep in service.depends_on() {
            let Some(target) = compose.service(dep.service) else {
                continue;
            };
            if !target.has_healthcheck()
                || matches!(
                    dep.condition(),
                    "service_healthy" | "service_completed_successfully"
                )
            {
                continue;
            }
            at_node(
                sink,
                service,
                dep.condition.unwrap_or(dep.node),
                &format!("depends_on.{}", dep.service),
                format!(
                    "service `{}` starts once `{}` has started, not once its healthcheck passes",
                    service.name, dep.service
                ),
            )
            .set_help(format!(
                "depends_on:\n  {}:\n    condition: service_healthy",
                dep.service
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::compose::testing::{findings, positions};

    const STACK: &str = "services:
  api:
    image: x:1
    depends_on:
      - db
      - cache
      - migrate
      - ghost
  worker:
    image: x:1
    restart: always
    depends_on:
      db:
        condition: service_started
      migrate:
        condition: service_completed_successfully
  db:
    image: postgres:16
    mem_limit: 1g
    restart: unless-stopped
    healthcheck:
      test: [\"CMD-SHELL\", \"pg_isready\"]
  cache:
    image: redis:7
    healthcheck:
      disable: true
    deploy:
      restart_policy:
        condition: on-failure
      resources:
        limits:
          cpus: \"1\"
  migrate:
    image: x:1
  overlay:
    deploy:
      replicas: 3
";

    #[test]
    fn healthchecks_skip_one_shots_opt_outs_and_fragments() {
        let found = findings("compose/healthcheck-missing", STACK);
        assert_eq!(positions(&found), vec![(2, 3), (9, 3)]);
    }

    #[test]
    fn restart_policies_accept_deploy_and_skip_one_shots() {
        let found = findings("compose/restart-policy-missing", STACK);
        assert_eq!(positions(&found), vec![(2, 3)]);
    }

    #[test]
    fn memory_limits_accept_the_legacy_key_and_point_at_limits() {
        let found = findings("compose/memory-limit-missing", STACK);
        assert_eq!(positions(&found), vec![(2, 3), (9, 3), (31, 9), (33, 3)]);
    }

    #[test]
    fn depends_on_points_at_the_item_or_the_condition() {
        let found = findings("compose/depends-on-healthy", STACK);
        assert_eq!(positions(&found), vec![(5, 9), (14, 20)]);
    }

    #[test]
    fn extends_inherits_healthchecks_and_limits() {
        let text = "services:
  base:
    image: x:1
    restart: always
    healthcheck:
      test: [\"CMD\", \"true\"]
    deploy:
      resources:
        limits:
          memory: 64M
  child:
    extends:
      service: base
    deploy:
      replicas: 2
  remote:
    extends:
      file: common.yml
      service: web
";
        for rule in [
            "compose/healthcheck-missing",
            "compose/restart-policy-missing",
            "compose/memory-limit-missing",
        ] {
            assert!(findings(rule, text).is_empty(), "{rule}");
        }
    }
}
