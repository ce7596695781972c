use crate::compose::testing::{findings, positions};

fn redacted<'t>(text: &'t str, finding: &shipgate_core::Finding) -> Vec<&'t str> {
    finding
        .redact
        .iter()
        .map(|r| &text[r.start_byte as usize..r.end_byte as usize])
        .collect()
}

#[test]
fn literal_credentials_are_named_and_redacted_never_quoted() {
    let secret = "Sh0p-0rders-2024!";
    let text = format!(
        "services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: \"{secret}\"
  api:
    image: x:1
    environment:
      - API_TOKEN={secret}
      - DATABASE_URL=postgres://orders:hunter2@db:5432/orders
"
    );
    let found = findings("compose/secret-in-env", &text);
    assert_eq!(positions(&found), vec![(5, 26), (9, 9), (10, 9)]);
    for finding in &found {
        assert!(!finding.message.contains(secret));
        assert!(!finding.message.contains("hunter2"));
        assert!(!format!("{finding:?}").contains(secret));
    }
    assert!(found[0].message.contains("POSTGRES_PASSWORD"));
    assert_eq!(redacted(&text, &found[0]), vec![secret]);
    assert_eq!(redacted(&text, &found[1]), vec![secret]);
    assert_eq!(redacted(&text, &found[2]), vec!["hunter2"]);
    let r = found[1].redact[0];
    assert_eq!((r.start.line, r.start.column), (9, 19));
    assert!(
        found[0]
            .help
            .as_deref()
            .is_some_and(|h| h.contains("POSTGRES_PASSWORD_FILE"))
    );
}

#[test]
fn interpolated_values_are_never_flagged_but_literal_defaults_are() {
    let text = "services:
  api:
    image: x:1
    environment:
      DB_PASSWORD: ${DB_PASSWORD}
      API_TOKEN: $API_TOKEN
      JWT_SECRET: ${JWT_SECRET:?set JWT_SECRET}
      SESSION_SECRET: ${SESSION_SECRET:-}
      DATABASE_URL: postgresql://orders:${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}@postgres:5432/orders
      REDIS_PASSWORD: ${REDIS_PASSWORD:-hunter2}
      CACHE_URL: ${CACHE_URL:-redis://:s3cr3t@cache:6379/0}
      ADMIN_PASSWORD: pa$$word
      DB_PASSWORD_FILE: /run/secrets/db
      LOG_LEVEL: ${LOG_LEVEL:-info}
      AUTH_SECRET: ${AUTH_SECRET:-${OTHER_SECRET}}
";
    let found = findings("compose/secret-in-env", text);
    assert_eq!(
        positions(&found),
        vec![(10, 23), (11, 18), (12, 23)],
        "{found:#?}"
    );
    assert!(found[0].message.contains("when `REDIS_PASSWORD` is unset"));
    assert_eq!(redacted(text, &found[0]), vec!["hunter2"]);
    assert_eq!(redacted(text, &found[1]), vec!["s3cr3t"]);
    assert_eq!(redacted(text, &found[2]), vec!["pa$$word"]);
}

#[test]
fn build_args_are_checked_too() {
    let text = "services:
  api:
    build:
      context: .
      args:
        NPM_TOKEN: npm_abcdefghijklmnop
        NODE_VERSION: \"22\"
";
    let found = findings("compose/secret-in-env", text);
    assert_eq!(positions(&found), vec![(6, 20)]);
    assert!(found[0].message.starts_with("build arg `NPM_TOKEN`"));
}

#[test]
fn database_ports_on_every_interface() {
    let text = "services:
  db:
    image: postgres:16
    ports:
      - \"127.0.0.1:5432:5432\"
      - \"5433:5432\"
      - 5432
      - \"0.0.0.0:6379:6379\"
      - \"[::1]:27017:27017\"
      - \":::9200:9200\"
      - \"8080-8081:80-81/udp\"
      - \"${DB_BIND:-127.0.0.1}:3306:3306\"
      - \"${DB_BIND:-0.0.0.0}:3307:3306\"
      - target: 11211
        published: \"11211\"
      - target: 5672
        host_ip: 127.0.0.1
        published: 5672
";
    let found = findings("compose/database-port-exposed", text);
    assert_eq!(
        positions(&found),
        vec![(6, 9), (7, 9), (8, 9), (10, 9), (13, 9), (14, 9)],
        "{found:#?}"
    );
    assert!(found[1].message.contains("ephemeral"));
    assert!(found[0].message.contains("PostgreSQL"));
}

#[test]
fn authentication_switches() {
    let text = "services:
  es:
    image: elasticsearch:8.15.3
    environment:
      - xpack.security.enabled=false
      - discovery.type=single-node
  pg:
    image: postgres:16
    environment:
      POSTGRES_HOST_AUTH_METHOD: trust
      ALLOW_EMPTY_PASSWORD: \"yes\"
      GF_AUTH_ANONYMOUS_ENABLED: \"false\"
      AUTH_ENABLED: ${AUTH_ENABLED:-false}
  mysql:
    image: mysql:8
    command: [\"mysqld\", \"--skip-grant-tables\"]
";
    let found = findings("compose/authentication-disabled", text);
    assert_eq!(
        positions(&found),
        vec![(5, 9), (10, 34), (11, 29), (13, 21), (16, 26)],
        "{found:#?}"
    );
}

#[test]
fn development_modes() {
    let text = "services:
  vault:
    image: hashicorp/vault:1.18
    command: server -dev -dev-root-token-id=root
  bao:
    image: openbao/openbao:2
    entrypoint: [\"sh\", \"-c\", \"bao server -dev\"]
  kc:
    image: quay.io/keycloak/keycloak:26
    command: start-dev
  api:
    image: x:1
    environment:
      FLASK_DEBUG: 1
      NODE_ENV: development
      DEBUG: \"false\"
      APP_ENV: production
      SPRING_PROFILES_ACTIVE: dev,metrics
  web:
    image: x:1
    command: npm run build -- --devtool none
";
    let found = findings("compose/development-mode", text);
    assert_eq!(
        positions(&found),
        vec![(4, 21), (7, 42), (10, 14), (14, 20), (15, 17), (18, 31)],
        "{found:#?}"
    );
}

#[test]
fn command_line_credentials() {
    let text = "services:
  redis:
    image: redis:7
    command: redis-server --requirepass hunter2 --appendonly yes
  cli:
    image: x:1
    entrypoint: [\"app\", \"--password=s3cr3t\", \"--token\", \"${TOKEN}\", \"--pass\", \"--verbose\"]
";
    let found = findings("compose/secret-in-env", text);
    assert_eq!(positions(&found), vec![(4, 41), (7, 37)], "{found:#?}");
    assert_eq!(redacted(text, &found[0]), vec!["hunter2"]);
    assert_eq!(redacted(text, &found[1]), vec!["s3cr3t"]);
    assert!(!found[0].message.contains("hunter2"));
}
