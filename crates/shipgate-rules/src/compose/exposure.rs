//! Exposure: credentials written into the file, databases reachable from
//! the network, and services running with their protections switched off.

use std::ops::Range;

use shipgate_core::{Category, Example, RuleMeta, Severity, SourceSpan};

use super::interpolate::{self, Var};
use super::{CIS, Command, Compose, EnvVar, OWASP, SPEC_SERVICES, Service, at_node, at_span};
use crate::credentials::{credential_name, embedded_password, not_a_literal};
use crate::sink::FileSink;
use crate::{Check, RuleDef};

const USE_SECRETS: &str = "https://docs.docker.com/compose/how-tos/use-secrets/";
const INTERPOLATION: &str = "https://docs.docker.com/reference/compose-file/interpolation/";

pub(super) const SECRET_IN_ENV: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "compose/secret-in-env",
        title: "Credentials are not written into the Compose file",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "A password, token or key written in `environment:`, `build.args` or on \
            the command line (`--requirepass`) is in git history for good, in every clone and CI log, and in `docker inspect` for \
            anyone with access to the Docker API; build args are also baked into the image \
            history. A literal default such as `${DB_PASSWORD:-hunter2}` is the same thing: \
            it is what runs whenever the variable is not set. Values filled in from the \
            environment (`${DB_PASSWORD}`, `${DB_PASSWORD:?}`) are not reported.",
        remediation: "Give the service the credential as a file through a top-level secret, \
            and point the image's `*_FILE` variable at it:\n\n```yaml\nservices:\n  \
            postgres:\n    environment:\n      POSTGRES_PASSWORD_FILE: \
            /run/secrets/postgres_password\n    secrets:\n      - postgres_password\n\
            secrets:\n  postgres_password:\n    file: ./secrets/postgres_password.txt  # \
            untracked\n```\n\nWhere the image reads only a plain variable, interpolate it \
            from an untracked `.env` and require it: `POSTGRES_PASSWORD: \
            ${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}`. Rotate any value that was \
            committed.",
        references: &[USE_SECRETS, INTERPOLATION, OWASP, CIS],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "docker-compose.yml",
            content: "services:\n  postgres:\n    image: postgres:16.4-bookworm\n    environment:\n      POSTGRES_USER: orders\n      POSTGRES_PASSWORD: \"Sh0p-0rders-2024!\"\n",
        },
        passing: Example {
            file: "docker-compose.yml",
            content: "services:\n  postgres:\n    image: postgres:16.4-bookworm\n    environment:\n      POSTGRES_USER: orders\n      POSTGRES_PASSWORD_FILE: /run/secrets/postgres_password\n    secrets:\n      - postgres_password\n  api:\n    image: ghcr.io/acme/api:1.4.2\n    environment:\n      DB_PASSWORD: ${DB_PASSWORD:?set DB_PASSWORD}\n      DATABASE_URL: postgres://orders:${DB_PASSWORD}@postgres:5432/orders\nsecrets:\n  postgres_password:\n    file: ./secrets/postgres_password.txt\n",
        },
    },
    check: Check::Compose(secret_in_env),
};

/// What kind of literal credential a value holds, and where in the value.
#[derive(Clone, Copy)]
enum Leak<'v> {
    /// The whole value.
    Value,
    /// A password inside a URL or connection string.
    Embedded,
    /// The default of a substitution.
    Default(&'v str),
}

/// Finds a credential someone wrote down in `value`, a variable called
/// `name`. What Compose substitutes is never judged, only what is written.
fn literal_credential<'v>(name: &str, value: &'v str) -> Option<(Range<usize>, Leak<'v>)> {
    let vars = interpolate::variables(value);
    if vars.is_empty() {
        if let Some(range) = embedded_password(value) {
            return Some((range, Leak::Embedded));
        }
        if credential_name(name) && !not_a_literal(value) {
            return Some((0..value.len(), Leak::Value));
        }
        return None;
    }
    // Masking keeps offsets, and a password found in the masked text is
    // one written next to the substitutions (`u:hunter2@${HOST}`).
    if let Some(range) = embedded_password(&interpolate::mask(value)) {
        return Some((range, Leak::Embedded));
    }
    vars.iter().find_map(|var| literal_default(name, var))
}

fn literal_default<'v>(name: &str, var: &Var<'v>) -> Option<(Range<usize>, Leak<'v>)> {
    if !var.op.has_default() || interpolate::is_interpolated(var.arg) {
        return None;
    }
    let start = var.arg_range.start;
    if let Some(range) = embedded_password(var.arg) {
        return Some((
            start + range.start..start + range.end,
            Leak::Default(var.name),
        ));
    }
    ((credential_name(name) || credential_name(var.name)) && !not_a_literal(var.arg))
        .then(|| (var.arg_range.clone(), Leak::Default(var.name)))
}

fn secret_in_env(compose: &Compose<'_>, sink: &mut FileSink<'_>) {
    for service in &compose.services {
        for var in service.environment() {
            report_credential(sink, service, &var, "environment", "variable");
        }
        if let Some(build) = service.build() {
            for var in &build.args {
                report_credential(sink, service, var, "build.args", "build arg");
            }
        }
        for (field, command) in [
            ("command", service.command()),
            ("entrypoint", service.entrypoint()),
        ] {
            if let Some(command) = command {
                report_command_credentials(sink, service, &command, field);
            }
        }
    }
}

/// Flags whose value is a credential: Redis's and most CLIs' password options.
const CREDENTIAL_FLAGS: &[&str] = &[
    "--requirepass",
    "--masterauth",
    "--password",
    "--pass",
    "--db-password",
    "--admin-password",
    "--root-password",
    "--token",
    "--auth-token",
    "--api-key",
    "--secret",
];

/// `--requirepass hunter2` and `--password=hunter2` on a command line, which
/// `docker inspect` and `ps` on the host show to anyone.
fn report_command_credentials(
    sink: &mut FileSink<'_>,
    service: &Service<'_>,
    command: &Command<'_>,
    field: &str,
) {
    let words = command.words();
    for (index, word) in words.iter().enumerate() {
        let (flag, value, range) = match word.text.split_once('=') {
            Some((flag, value)) if CREDENTIAL_FLAGS.contains(&flag) => {
                (flag, value, flag.len() + 1..word.text.len())
            }
            Some(_) => continue,
            None if CREDENTIAL_FLAGS.contains(&word.bare()) => {
                let Some(next) = words.get(index + 1) else {
                    continue;
                };
                let span = next.span();
                if is_literal_argument(next.text) {
                    credential_argument(sink, service, field, word.bare(), span);
                }
                continue;
            }
            None => continue,
        };
        if is_literal_argument(value) {
            credential_argument(sink, service, field, flag, word.subspan(range));
        }
    }
}

fn is_literal_argument(value: &str) -> bool {
    let value = value.trim_matches(|c| c == '"' || c == '\'');
    !value.starts_with('-') && !interpolate::is_interpolated(value) && !not_a_literal(value)
}

fn credential_argument(
    sink: &mut FileSink<'_>,
    service: &Service<'_>,
    field: &str,
    flag: &str,
    span: SourceSpan,
) {
    at_span(
        sink,
        service,
        span,
        &format!("{field}[{flag}]"),
        format!(
            "`{flag}` of service `{}` is given a literal credential on the command line",
            service.name
        ),
    )
    .add_redaction(span)
    .set_help("read it from a secret file or an environment variable interpolated at deploy time");
}

fn report_credential(
    sink: &mut FileSink<'_>,
    service: &Service<'_>,
    var: &EnvVar<'_>,
    field: &str,
    what: &str,
) {
    let Some(value) = var.value else { return };
    let Some((range, leak)) = literal_credential(var.name, value) else {
        return;
    };
    let (name, service_name) = (var.name, service.name);
    // The message names the variable only: reports travel further than the
    // repository, and renderers mask the `redact` region wherever they quote.
    let message = match leak {
        Leak::Value => {
            format!("{what} `{name}` of service `{service_name}` holds a literal credential")
        }
        Leak::Embedded => {
            format!("{what} `{name}` of service `{service_name}` embeds a literal password")
        }
        Leak::Default(variable) => format!(
            "{what} `{name}` of service `{service_name}` falls back to a literal credential \
             when `{variable}` is unset"
        ),
    };
    let help = match leak {
        Leak::Default(variable) => format!(
            "drop the default so the value must come from the environment: \
             `${{{variable}:?set {variable}}}`; rotate the exposed value"
        ),
        Leak::Embedded => "keep the password out of the written value: interpolate it \
            (`://user:${PASSWORD:?}@host`) or read it from a secret file; rotate the exposed value"
            .to_owned(),
        Leak::Value if what == "variable" => format!(
            "mount it as a secret and set `{name}_FILE: /run/secrets/<name>` if the image \
             supports it, or use `${{{name}:?}}`; rotate the exposed value"
        ),
        Leak::Value => "pass it as a build secret (`build.secrets`, `RUN --mount=type=secret`), \
            not an arg; rotate the exposed value"
            .to_owned(),
    };
    at_node(sink, service, var.node, &format!("{field}.{name}"), message)
        .add_redaction(var.span(range))
        .set_help(help);
}

/// Data stores and brokers that must not face the network unauthenticated.
const DATABASE_PORTS: &[(u16, &str)] = &[
    (1433, "SQL Server"),
    (1521, "Oracle"),
    (2181, "ZooKeeper"),
    (2379, "etcd"),
    (3306, "MySQL"),
    (4222, "NATS"),
    (5432, "PostgreSQL"),
    (5672, "RabbitMQ"),
    (5984, "CouchDB"),
    (6379, "Redis"),
    (7474, "Neo4j"),
    (7687, "Neo4j"),
    (8086, "InfluxDB"),
    (8123, "ClickHouse"),
    (8529, "ArangoDB"),
    (9042, "Cassandra"),
    (9092, "Kafka"),
    (9200, "Elasticsearch"),
    (9300, "Elasticsearch"),
    (11211, "Memcached"),
    (15672, "RabbitMQ management"),
    (26257, "CockroachDB"),
    (27017, "MongoDB"),
    (27018, "MongoDB"),
    (27019, "MongoDB"),
    (28015, "RethinkDB"),
];

pub(super) const DATABASE_PORT_EXPOSED: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "compose/database-port-exposed",
        title: "Database ports are not published on every interface",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "A port published without an address (`\"5432:5432\"`, or just \
            `\"5432\"`) listens on every interface of the host, and Docker writes its own \
            iptables rules ahead of the host firewall, so `ufw deny` does not close it. \
            Internet-wide scans find such PostgreSQL, Redis, MongoDB and Elasticsearch \
            ports within hours. Other services on the same Compose network reach the \
            database without any published port.",
        remediation: "Do not publish the port at all if only other services use it; if \
            tools on the host need it, bind it to the loopback address:\n\n```yaml\n\
            services:\n  postgres:\n    ports:\n      - \"127.0.0.1:5432:5432\"\n```\n\n\
            Reported container ports: PostgreSQL 5432, MySQL 3306, SQL Server 1433, Oracle \
            1521, MongoDB 27017-27019, Redis 6379, Memcached 11211, Elasticsearch 9200 and \
            9300, RabbitMQ 5672 and 15672, Cassandra 9042, InfluxDB 8086, CouchDB 5984, \
            Neo4j 7474 and 7687, ZooKeeper 2181, Kafka 9092, CockroachDB 26257, ClickHouse \
            8123, NATS 4222, etcd 2379, ArangoDB 8529 and RethinkDB 28015.",
        references: &[
            "https://docs.docker.com/reference/compose-file/services/#ports",
            "https://docs.docker.com/engine/network/packet-filtering-firewalls/",
            OWASP,
            CIS,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "docker-compose.yml",
            content: "services:\n  postgres:\n    image: postgres:16.4-bookworm\n    ports:\n      - \"5432:5432\"\n",
        },
        passing: Example {
            file: "docker-compose.yml",
            content: "services:\n  postgres:\n    image: postgres:16.4-bookworm\n    ports:\n      - \"127.0.0.1:5432:5432\"\n  api:\n    image: ghcr.io/acme/api:1.4.2\n    ports:\n      - \"8080:8080\"\n",
        },
    },
    check: Check::Compose(database_port_exposed),
};

fn database_port_exposed(compose: &Compose<'_>, sink: &mut FileSink<'_>) {
    for service in &compose.services {
        for port in service.ports() {
            let Some(targets) = port.target_ports() else {
                continue;
            };
            let Some((number, product)) = DATABASE_PORTS
                .iter()
                .find(|(number, _)| targets.contains(number))
            else {
                continue;
            };
            if !port.on_all_interfaces() {
                continue;
            }
            let how = if port.published.is_some() {
                "on every interface of the host"
            } else {
                "on an ephemeral port of every interface of the host"
            };
            at_node(
                sink,
                service,
                port.node,
                &format!("ports[{number}]"),
                format!(
                    "service `{}` publishes {product} (port {number}) {how}",
                    service.name
                ),
            )
            .set_help(format!(
                "remove the port, or bind it to loopback: \"127.0.0.1:{number}:{number}\""
            ));
        }
    }
}

/// Evaluates an environment value the way a service sees it when nobody
/// sets the variables it mentions.
fn env_value(var: &EnvVar<'_>) -> Option<String> {
    interpolate::value_when_unset(var.value?.trim())
}

fn truthy(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "true" | "1" | "yes" | "on" | "y"
    )
}

fn falsy(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "false" | "0" | "no" | "off" | "n"
    )
}

/// `xpack.security.enabled` and `XPACK_SECURITY_ENABLED` alike.
fn normalise(name: &str) -> String {
    name.trim().to_ascii_uppercase().replace(['.', '-'], "_")
}

/// Whether `name` is `setting` or ends with `_setting` (`GF_AUTH_ANONYMOUS_ENABLED`).
fn names(name: &str, setting: &str) -> bool {
    name == setting
        || name
            .strip_suffix(setting)
            .is_some_and(|prefix| prefix.ends_with('_'))
}

/// Settings that switch authentication off when false.
const AUTH_WHEN_TRUE: &[&str] = &[
    "AUTH_ENABLED",
    "AUTHENTICATION_ENABLED",
    "SECURITY_ENABLED",
    "AUTH_REQUIRED",
    "REQUIRE_AUTH",
];

/// Settings that switch authentication off when true.
const NO_AUTH_WHEN_TRUE: &[&str] = &[
    "DISABLE_SECURITY_PLUGIN",
    "PLUGINS_SECURITY_DISABLED",
    "DISABLE_AUTH",
    "AUTH_DISABLED",
    "AUTHENTICATION_DISABLED",
    "ALLOW_EMPTY_PASSWORD",
    "ALLOW_EMPTY_ROOT_PASSWORD",
    "AUTH_ANONYMOUS_ENABLED",
    "ALLOW_ANONYMOUS_LOGIN",
];

/// Command-line flags that start a server without authentication.
const NO_AUTH_FLAGS: &[&str] = &["--skip-grant-tables", "--noauth", "--no-auth"];

/// Why an environment variable switches authentication off, if it does.
fn disables_auth(var: &EnvVar<'_>) -> Option<&'static str> {
    let name = normalise(var.name);
    let value = env_value(var)?;
    if AUTH_WHEN_TRUE.iter().any(|s| names(&name, s)) && falsy(&value) {
        return Some("turns authentication off");
    }
    if NO_AUTH_WHEN_TRUE.iter().any(|s| names(&name, s)) && truthy(&value) {
        return Some("turns authentication off");
    }
    if name == "POSTGRES_HOST_AUTH_METHOD" && value.trim().eq_ignore_ascii_case("trust") {
        return Some("lets anyone connect without a password");
    }
    None
}

pub(super) const AUTHENTICATION_DISABLED: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "compose/authentication-disabled",
        title: "Services do not switch authentication off",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "Images that ship with security on let a single variable turn it off \
            for local convenience: `xpack.security.enabled=false` (Elasticsearch), \
            `DISABLE_SECURITY_PLUGIN=true` (OpenSearch), `POSTGRES_HOST_AUTH_METHOD=trust`, \
            `ALLOW_EMPTY_PASSWORD=yes`, `MYSQL_ALLOW_EMPTY_PASSWORD`, anonymous Grafana, \
            `AUTH_ENABLED=false`, `--skip-grant-tables`. Anyone who can reach the port, \
            including every other container on the network, then has full access.",
        remediation: "Keep authentication on and give the service its credential as a \
            secret:\n\n```yaml\nservices:\n  opensearch:\n    environment:\n      \
            OPENSEARCH_INITIAL_ADMIN_PASSWORD: ${OPENSEARCH_ADMIN_PASSWORD:?set it}\n  \
            postgres:\n    environment:\n      POSTGRES_PASSWORD_FILE: \
            /run/secrets/postgres_password\n```\n\nKeep a development-only override \
            (`compose.override.yaml`, not deployed) for the convenience setting if the \
            team needs one.",
        references: &[
            "https://www.elastic.co/guide/en/elasticsearch/reference/current/security-settings.html",
            "https://opensearch.org/docs/latest/security/configuration/disable-enable-security/",
            "https://hub.docker.com/_/postgres",
            OWASP,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "docker-compose.yml",
            content: "services:\n  search:\n    image: opensearchproject/opensearch:2.17.1\n    environment:\n      - discovery.type=single-node\n      - DISABLE_SECURITY_PLUGIN=true\n",
        },
        passing: Example {
            file: "docker-compose.yml",
            content: "services:\n  search:\n    image: opensearchproject/opensearch:2.17.1\n    environment:\n      - discovery.type=single-node\n      - OPENSEARCH_INITIAL_ADMIN_PASSWORD=${OPENSEARCH_ADMIN_PASSWORD:?set it}\n",
        },
    },
    check: Check::Compose(authentication_disabled),
};

fn authentication_disabled(compose: &Compose<'_>, sink: &mut FileSink<'_>) {
    for service in &compose.services {
        for var in service.environment() {
            if let Some(what) = disables_auth(&var) {
                at_node(
                    sink,
                    service,
                    var.node,
                    &format!("environment.{}", var.name),
                    format!("`{}` of service `{}` {what}", var.name, service.name),
                );
            }
        }
        for command in [service.command(), service.entrypoint()]
            .into_iter()
            .flatten()
        {
            for word in command.words() {
                if NO_AUTH_FLAGS.contains(&word.bare()) {
                    at_span(
                        sink,
                        service,
                        word.span(),
                        "command",
                        format!(
                            "service `{}` starts with `{}`, without authentication",
                            service.name,
                            word.bare()
                        ),
                    );
                }
            }
        }
    }
}

/// Words of a command that start a development server.
fn development_word(word: &str) -> bool {
    matches!(
        word,
        "start-dev" | "-dev" | "--dev" | "runserver" | "--reload"
    ) || word.starts_with("-dev-")
        || word.starts_with("--reload=")
}

/// Debug switches, true when on.
const DEBUG_SWITCHES: &[&str] = &[
    "DEBUG",
    "APP_DEBUG",
    "FLASK_DEBUG",
    "DJANGO_DEBUG",
    "WP_DEBUG",
];

/// Variables naming the environment an application believes it runs in.
const ENVIRONMENT_NAMES: &[&str] = &[
    "NODE_ENV",
    "FLASK_ENV",
    "APP_ENV",
    "RAILS_ENV",
    "RACK_ENV",
    "MIX_ENV",
    "DJANGO_ENV",
    "ASPNETCORE_ENVIRONMENT",
    "DOTNET_ENVIRONMENT",
    "APP_ENVIRONMENT",
    "ENVIRONMENT",
    "SPRING_PROFILES_ACTIVE",
];

fn development_env(var: &EnvVar<'_>) -> bool {
    let name = normalise(var.name);
    let Some(value) = env_value(var) else {
        return false;
    };
    let value = value.trim().to_ascii_lowercase();
    if DEBUG_SWITCHES.contains(&name.as_str()) {
        return truthy(&value);
    }
    if name == "GIN_MODE" {
        return value == "debug";
    }
    ENVIRONMENT_NAMES.contains(&name.as_str())
        && value
            .split(',')
            .any(|v| matches!(v.trim(), "development" | "dev" | "local"))
}

pub(super) const DEVELOPMENT_MODE: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "compose/development-mode",
        title: "Services do not run in development mode",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "Development modes trade safety for convenience: `vault server -dev` keeps \
            everything in memory, unsealed, over plain HTTP with a printed root token; \
            Keycloak's `start-dev` disables TLS and caching and uses a throwaway database; \
            debug flags (`DEBUG=true`, `FLASK_DEBUG=1`) show stack traces and often an \
            interactive console to anyone who triggers an error; `NODE_ENV=development` \
            switches off optimisations and hardening in many frameworks.",
        remediation: "Run the production mode and keep development settings in an override \
            file that is never deployed:\n\n```yaml\nservices:\n  keycloak:\n    command: \
            start --optimized\n  api:\n    environment:\n      NODE_ENV: production\n```\n\n\
            Reported: the command words `start-dev`, `-dev` (Vault, OpenBao, Consul, \
            Nomad), `--dev`, `runserver`, `--reload`; `DEBUG`, `APP_DEBUG`, `FLASK_DEBUG`, \
            `DJANGO_DEBUG` and `WP_DEBUG` when true; `GIN_MODE=debug`; `NODE_ENV`, \
            `FLASK_ENV`, `APP_ENV`, `RAILS_ENV`, `ASPNETCORE_ENVIRONMENT` and similar set to \
            `development`, `dev` or `local`.",
        references: &[
            "https://developer.hashicorp.com/vault/docs/concepts/dev-server",
            "https://www.keycloak.org/server/configuration#_starting_keycloak_in_development_mode",
            "https://flask.palletsprojects.com/en/stable/debugging/",
            SPEC_SERVICES,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "docker-compose.yml",
            content: "services:\n  vault:\n    image: hashicorp/vault:1.18.1\n    command: server -dev\n  keycloak:\n    image: quay.io/keycloak/keycloak:26.0.5\n    command: [\"start-dev\"]\n",
        },
        passing: Example {
            file: "docker-compose.yml",
            content: "services:\n  keycloak:\n    image: quay.io/keycloak/keycloak:26.0.5\n    command: [\"start\", \"--optimized\"]\n  api:\n    image: ghcr.io/acme/api:1.4.2\n    environment:\n      NODE_ENV: production\n      DEBUG: \"false\"\n",
        },
    },
    check: Check::Compose(development_mode),
};

fn development_mode(compose: &Compose<'_>, sink: &mut FileSink<'_>) {
    for service in &compose.services {
        for (field, command) in [
            ("command", service.command()),
            ("entrypoint", service.entrypoint()),
        ] {
            let Some(word) = command
                .iter()
                .flat_map(|c| c.words())
                .find(|w| development_word(w.bare()))
            else {
                continue;
            };
            at_span(
                sink,
                service,
                word.span(),
                field,
                format!(
                    "service `{}` starts in development mode (`{}`)",
                    service.name,
                    word.bare()
                ),
            );
        }
        for var in service.environment() {
            if development_env(&var) {
                at_node(
                    sink,
                    service,
                    var.node,
                    &format!("environment.{}", var.name),
                    format!(
                        "`{}` of service `{}` selects development or debug mode",
                        var.name, service.name
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests;
