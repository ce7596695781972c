//! Structure: references Compose cannot resolve, and settings that no
//! longer do what their authors think.

use shipgate_core::{Category, Example, RuleMeta, Severity};

use super::{Compose, HARDENED, MountKind, SPEC_SERVICES, at_node, value_when_unset};
use crate::sink::FileSink;
use crate::{Check, RuleDef};

pub(super) const UNDEFINED_REFERENCE: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "compose/undefined-reference",
        title: "Services refer only to what the file defines",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "A service that depends on, extends, or uses a service, named volume, \
            network, secret or config the file does not define makes `docker compose up` \
            fail, usually after a rename that missed one place. Files that `include:` \
            others, and override fragments meant to be merged onto another file, are not \
            judged: what they refer to may be defined there.",
        remediation: "Fix the name, or declare what it refers to at the top level:\n\n\
            ```yaml\nservices:\n  api:\n    volumes:\n      - uploads:/var/lib/api\n    \
            secrets:\n      - api_key\nvolumes:\n  uploads:\nsecrets:\n  api_key:\n    \
            file: ./secrets/api_key.txt\n```",
        references: &[
            SPEC_SERVICES,
            "https://docs.docker.com/reference/compose-file/volumes/",
            "https://docs.docker.com/reference/compose-file/secrets/",
            "https://docs.docker.com/reference/compose-file/networks/",
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "docker-compose.yml",
            content: "services:\n  api:\n    image: ghcr.io/acme/api:1.4.2\n    depends_on:\n      - postgres\n    volumes:\n      - uploads:/var/lib/api\n  db:\n    image: postgres:16.4-bookworm\n",
        },
        passing: Example {
            file: "docker-compose.yml",
            content: "services:\n  api:\n    image: ghcr.io/acme/api:1.4.2\n    depends_on:\n      - db\n    volumes:\n      - uploads:/var/lib/api\n      - ./config:/etc/api:ro\n    networks: [default, backend]\n    secrets: [api_key]\n  db:\n    image: postgres:16.4-bookworm\nvolumes:\n  uploads:\nnetworks:\n  backend:\nsecrets:\n  api_key:\n    file: ./secrets/api_key.txt\n",
        },
    },
    check: Check::Compose(undefined_reference),
};

fn undefined_reference(compose: &Compose<'_>, sink: &mut FileSink<'_>) {
    if compose.is_partial() {
        return;
    }
    for service in &compose.services {
        let name = service.name;
        let mut report = |node, field: String, message: String| {
            at_node(sink, service, node, &field, message);
        };
        for dep in service.depends_on() {
            if compose.service(dep.service).is_none() {
                report(
                    dep.node,
                    format!("depends_on.{}", dep.service),
                    format!(
                        "service `{name}` depends on `{}`, which is not defined",
                        dep.service
                    ),
                );
            }
        }
        if let Some(extends) = service.extends()
            && extends.file.is_none()
            && let Some(base) = extends.service
            && let Some(base_name) = base.as_text()
            && compose.service(base_name).is_none()
        {
            report(
                base,
                "extends".to_owned(),
                format!("service `{name}` extends `{base_name}`, which is not defined"),
            );
        }
        for (section, what, refs) in [
            ("secrets", "secret", service.secrets()),
            ("configs", "config", service.configs()),
        ] {
            for reference in refs {
                if !compose.declares(section, reference.source) {
                    report(
                        reference.source_node,
                        format!("{section}.{}", reference.source),
                        format!(
                            "service `{name}` uses {what} `{}`, which the top-level `{section}:` does not define",
                            reference.source
                        ),
                    );
                }
            }
        }
        for mount in service.volumes() {
            if mount.kind != MountKind::Volume {
                continue;
            }
            let Some(volume) = mount.source_when_unset() else {
                continue;
            };
            if !volume.is_empty() && !compose.declares("volumes", &volume) {
                report(
                    mount.node,
                    format!("volumes[{volume}]"),
                    format!(
                        "service `{name}` mounts volume `{volume}`, which the top-level `volumes:` does not define"
                    ),
                );
            }
        }
        for (network, node) in service.networks() {
            if network != "default" && !compose.declares("networks", network) {
                report(
                    node,
                    format!("networks.{network}"),
                    format!(
                        "service `{name}` joins network `{network}`, which the top-level `networks:` does not define"
                    ),
                );
            }
        }
    }
}

pub(super) const CONTAINER_NAME: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "compose/container-name",
        title: "Services leave container names to Compose",
        severity: Severity::Info,
        category: Category::Operability,
        rationale: "A fixed `container_name` is unique on the host, so the service cannot be \
            scaled (`--scale api=2` fails), two checkouts or CI jobs of the same project \
            cannot run side by side, and a blue-green switch must stop the old container \
            before starting the new one. Compose's own names (`project-api-1`) avoid all \
            three; other services reach it by service name anyway.",
        remediation: "Remove `container_name` and use the service name for DNS, or set the \
            project name (`name:` at the top, or `-p`) to make container names \
            predictable:\n\n```yaml\nname: shop\nservices:\n  api:\n    image: \
            ghcr.io/acme/api:1.4.2\n```",
        references: &[
            "https://docs.docker.com/reference/compose-file/services/#container_name",
            "https://docs.docker.com/reference/compose-file/version-and-name/",
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "docker-compose.yml",
            content: "services:\n  api:\n    image: ghcr.io/acme/api:1.4.2\n    container_name: api\n",
        },
        passing: Example {
            file: "docker-compose.yml",
            content: HARDENED,
        },
    },
    check: Check::Compose(container_name),
};

fn container_name(compose: &Compose<'_>, sink: &mut FileSink<'_>) {
    for service in &compose.services {
        let Some(node) = service.container_name() else {
            continue;
        };
        let fixed = value_when_unset(node).unwrap_or_default();
        at_node(
            sink,
            service,
            node,
            "container_name",
            format!(
                "service `{}` has the fixed container name `{fixed}`, so it cannot be scaled or run twice",
                service.name
            ),
        );
    }
}

pub(super) const VERSION_OBSOLETE: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "compose/version-obsolete",
        title: "Compose files do not declare the obsolete `version`",
        severity: Severity::Info,
        category: Category::Operability,
        rationale: "The Compose specification dropped the top-level `version`: Compose \
            ignores it and prints a warning on every command. Readers still take `3.8` to \
            mean something (that `deploy:` is for Swarm only, that newer keys are \
            unavailable), which it no longer does.",
        remediation: "Delete the `version:` line; the file is read by the current \
            specification either way.",
        references: &["https://docs.docker.com/reference/compose-file/version-and-name/"],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "docker-compose.yml",
            content: "version: \"3.8\"\nservices:\n  api:\n    image: ghcr.io/acme/api:1.4.2\n",
        },
        passing: Example {
            file: "docker-compose.yml",
            content: HARDENED,
        },
    },
    check: Check::Compose(version_obsolete),
};

fn version_obsolete(compose: &Compose<'_>, sink: &mut FileSink<'_>) {
    if let Some((key, value)) = compose.version {
        let version = value.as_text().unwrap_or("");
        sink.at(
            key.span(),
            "version",
            format!("`version: {version}` is obsolete and ignored by Compose"),
        )
        .set_help("delete the line");
    }
}

#[cfg(test)]
mod tests {
    use crate::compose::testing::{findings, positions};

    #[test]
    fn undefined_names_of_every_kind() {
        let text = "services:
  api:
    image: x:1
    extends: nothing
    depends_on: [db, ghost]
    secrets:
      - source: api_key
        target: key
      - missing_secret
    configs: [cfg]
    volumes:
      - data:/data
      - undeclared:/u
      - ./local:/l
      - type: volume
        source: other
        target: /o
      - /anonymous
    networks:
      backend:
      frontend:
  db:
    image: y:1
volumes:
  data:
secrets:
  api_key:
    file: k
configs:
  cfg:
    file: c
networks:
  backend:
";
        let found = findings("compose/undefined-reference", text);
        assert_eq!(
            positions(&found),
            vec![(5, 22), (4, 14), (9, 9), (13, 9), (15, 9), (21, 7)],
            "{found:#?}"
        );
    }

    #[test]
    fn included_and_fragment_files_are_not_judged() {
        let text =
            "include:\n  - common.yml\nservices:\n  api:\n    image: x:1\n    depends_on: [db]\n";
        assert!(findings("compose/undefined-reference", text).is_empty());
        let text = "services:\n  api:\n    depends_on: [db]\n";
        assert!(findings("compose/undefined-reference", text).is_empty());
    }

    #[test]
    fn version_and_container_name() {
        let text =
            "version: '3'\nservices:\n  api:\n    image: x:1\n    container_name: shop-api\n";
        assert_eq!(
            positions(&findings("compose/version-obsolete", text)),
            vec![(1, 1)]
        );
        let found = findings("compose/container-name", text);
        assert_eq!(positions(&found), vec![(5, 21)]);
        assert!(found[0].message.contains("shop-api"));
    }
}
