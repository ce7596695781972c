use super::*;

const SHOP: &str = include_str!("../../../examples/shop/docker-compose.yml");
const STOREFRONT: &str = include_str!("../../shipgate/tests/fixtures/generate/compose.yaml");

fn no_files(_: &str) -> Option<String> {
    None
}

fn generate(text: &str, options: &Options) -> Kit {
    kubernetes(text, options, &no_files).expect("generates")
}

#[test]
fn generating_twice_gives_identical_bytes() {
    let options = Options {
        helm: true,
        public: vec!["api".into()],
        ..Options::default()
    };
    assert_eq!(generate(SHOP, &options), generate(SHOP, &options));
}

#[test]
fn databases_become_statefulsets_with_claims_and_apps_deployments() {
    let kit = generate(SHOP, &Options::default());
    let postgres = kit.text("base/postgres.yaml").expect("postgres");
    assert!(postgres.contains("kind: StatefulSet"), "{postgres}");
    assert!(postgres.contains("volumeClaimTemplates:"));
    assert!(postgres.contains("clusterIP: None"));
    let api = kit.text("base/api.yaml").expect("api");
    assert!(api.contains("kind: Deployment"));
    assert!(api.contains("kind: PodDisruptionBudget"));
    assert!(api.contains("automountServiceAccountToken: false"));
    assert!(api.contains("readOnlyRootFilesystem: true"));
    assert!(api.contains("runAsUser: 10001"));
    assert!(api.contains("readinessProbe:") && api.contains("startupProbe:"));
    // Liveness only asks whether the port answers.
    assert!(
        api.contains("livenessProbe:\n            tcpSocket:"),
        "{api}"
    );
}

#[test]
fn credentials_are_secret_references_never_values() {
    let with_chart = Options {
        helm: true,
        ..Options::default()
    };
    let kit = generate(STOREFRONT, &with_chart);
    assert!(kit.text("chart/values.yaml").is_some());
    for (path, bytes) in &kit.files {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains("hunter2"),
            "{path} leaks a literal credential"
        );
    }
    let api = kit.text("base/api.yaml").expect("api");
    assert!(
        api.contains("value: \"postgres://store:$(DB_PASSWORD)@db:5432/store\""),
        "{api}"
    );
    assert!(api.contains("secretKeyRef:"));
    let secrets = kit.text("base/secrets.yaml").expect("secrets");
    for key in [
        "DB_PASSWORD",
        "RABBITMQ_PASSWORD",
        "JWT_SECRET",
        "SMTP_PASSWORD",
    ] {
        assert!(
            secrets.contains(&format!("  {key}: \"\"")),
            "{key} in {secrets}"
        );
    }
    // YAML 1.1 would read a bare `on` as a boolean.
    assert!(api.contains("FEATURE_FLAGS: \"on\""), "{api}");
}

#[test]
fn network_policies_follow_depends_on_and_shared_networks() {
    let kit = generate(STOREFRONT, &Options::default());
    let policies = kit
        .text("components/network-policy/network-policies.yaml")
        .expect("policies");
    assert!(policies.contains("name: default-deny"));
    assert!(policies.contains("k8s-app: kube-dns"));
    let edges = kit::edges(&compose::read(STOREFRONT, &Options::default(), &no_files).unwrap());
    assert!(edges.contains(&("api".into(), "db".into())));
    assert!(edges.contains(&("web".into(), "api".into())));
    // web shares no network with db and does not depend on it.
    assert!(!edges.contains(&("web".into(), "db".into())));
}

#[test]
fn public_services_get_an_ingress_with_tls_and_prod_an_autoscaler() {
    let kit = generate(STOREFRONT, &Options::default());
    let web = kit.text("base/web.yaml").expect("web");
    assert!(web.contains("kind: Ingress"));
    assert!(web.contains("cert-manager.io/cluster-issuer: letsencrypt"));
    let prod = kit.text("overlays/prod/kustomization.yaml").expect("prod");
    assert!(prod.contains("value: web.example.com"), "{prod}");
    assert!(kit.text("overlays/prod/hpa.yaml").is_some());
    assert!(kit.text("overlays/dev/hpa.yaml").is_none());
    let dev = kit.text("overlays/dev/kustomization.yaml").expect("dev");
    assert!(dev.contains("value: web.dev.example.com"));
}

#[test]
fn unsupported_features_are_listed_in_the_notes() {
    let kit = generate(STOREFRONT, &Options::default());
    let notes = kit.text("NOTES.md").expect("notes");
    assert!(notes.contains("`ulimits` is not carried over"), "{notes}");
    assert!(notes.contains("`SMTP_PASSWORD` holds a literal credential"));
    assert!(notes.contains("reaches `smtp.example.com`, outside the Compose file"));
    // Services of the file are reached through policies already.
    assert!(!notes.contains("reaches `api`") && !notes.contains("reaches `db`"));
    assert!(notes.contains("`JWT_SECRET`") || notes.contains("JWT_SECRET"));
}

#[test]
fn postgres_gets_a_backup_and_the_rules_cover_every_signal() {
    let kit = generate(SHOP, &Options::default());
    let backup = kit.text("components/backup/backup.yaml").expect("backup");
    assert!(backup.contains("kind: CronJob"));
    assert!(backup.contains("pg_dump"));
    let monitoring = kit
        .text("components/monitoring/monitoring.yaml")
        .expect("monitoring");
    for alert in [
        "ShopDeploymentUnavailable",
        "ShopHighErrorRate",
        "ShopHighLatencyP95",
        "ShopContainerRestarting",
        "ShopVolumeFillingUp",
    ] {
        assert!(monitoring.contains(alert), "{alert}");
    }
}

#[test]
fn malformed_input_is_a_positioned_diagnostic() {
    let options = Options::default();
    let cases = [
        // The parser notices the unclosed sequence where the input ends.
        ("services:\n  api:\n    image: [unclosed\n", 4),
        ("services:\n  api: 5\n", 2),
        ("- a\n- b\n", 1),
        ("services: {}\n", 1),
        ("version: '3'\n", 1),
        (
            "services:\n  api:\n    build: .\n  db:\n    command: x\n",
            4,
        ),
    ];
    for (text, line) in cases {
        let error = kubernetes(text, &options, &no_files).expect_err(text);
        assert_eq!(error.line, line, "{text:?}: {error}");
        assert!(error.to_string().starts_with("compose.yaml:"), "{error}");
    }
    let error = kubernetes(
        SHOP,
        &Options {
            public: vec!["nope".into()],
            ..Options::default()
        },
        &no_files,
    )
    .expect_err("unknown public service");
    assert!(error.message.contains("nope"));
}

#[test]
fn compose_units_become_kubernetes_quantities() {
    assert_eq!(compose::memory("512m").as_deref(), Some("512Mi"));
    assert_eq!(compose::memory("1g").as_deref(), Some("1Gi"));
    assert_eq!(compose::memory("1536M").as_deref(), Some("1536Mi"));
    assert_eq!(compose::memory("268435456").as_deref(), Some("256Mi"));
    assert_eq!(compose::memory("lots"), None);
    assert_eq!(compose::cpu("0.5").as_deref(), Some("500m"));
    assert_eq!(compose::duration("1m30s"), Some(90));
    assert_eq!(compose::duration("500ms"), Some(1));
    assert_eq!(compose::duration("soon"), None);
}

#[test]
fn a_cache_gets_room_above_its_maxmemory_and_host_ports_are_noted() {
    let kit = generate(SHOP, &Options::default());
    let redis = kit.text("base/redis.yaml").expect("redis");
    assert!(redis.contains("memory: \"512Mi\""), "{redis}");
    let notes = kit.text("NOTES.md").expect("notes");
    assert!(notes.contains("`127.0.0.1:${API_PORT:-8000}:8000` is published on the host"));
}

#[test]
fn a_scheduler_is_a_singleton_never_autoscaled() {
    let kit = generate(STOREFRONT, &Options::default());
    let scheduler = kit.text("base/scheduler.yaml").expect("scheduler");
    assert!(scheduler.contains("type: Recreate"), "{scheduler}");
    assert!(!scheduler.contains("kind: PodDisruptionBudget"));
    let hpa = kit.text("overlays/prod/hpa.yaml").expect("hpa");
    assert!(!hpa.contains("name: scheduler"));
    assert!(hpa.contains("name: worker"));
}

#[test]
fn odd_but_well_formed_compose_files_never_panic() {
    let cases = [
        "services:\n  a:\n    image: x:1\n    ports: 5\n    environment: 5\n    healthcheck: x\n",
        "services:\n  a:\n    image: x:1\n    deploy: {replicas: abc, resources: {limits: {memory: 99999999999999999999g, cpus: -1}}}\n",
        "services:\n  a:\n    image: x:1\n    healthcheck: {test: [CMD, x], interval: 99999999999999999999h, retries: -5}\n",
        "services:\n  a:\n    image: x:1\n    volumes: [{}, '', 'named:', ':/x', 'C:\\\\data:/data']\n    command: {}\n",
        "services:\n  db_1:\n    image: x:1\n  db-1:\n    image: x:1\n  ___:\n    image: x:1\n",
        "services:\n  a:\n    image: x:1\n    command: redis-server --maxmemory 18446744073709551615gb\n",
        "services:\n  a:\n    image: x:1\n    environment: ['=x', 'A', 'B=${', 'C=$${D}', 'PASSWORD=${P:?}${Q}']\n",
        "services:\n  a:\n    image: x:1\n    depends_on: {missing: {condition: service_healthy}}\n    networks: {n: null}\n    expose: ['1-99999', abc]\n",
        "services:\n  ä:\n    image: \"${IMG:-x}:1\"\n    user: \"0\"\n    ports: ['${P}:80', '70000:70000']\n",
        "services:\n  a:\n    extends: a\n    image: x:1\n  b:\n    extends: {service: a, file: other.yaml}\n",
    ];
    for text in cases {
        let options = Options {
            helm: true,
            ..Options::default()
        };
        if let Ok(kit) = kubernetes(text, &options, &no_files) {
            for (path, bytes) in &kit.files {
                assert!(std::str::from_utf8(bytes).is_ok(), "{path}");
            }
        }
    }
}

#[test]
fn a_variable_no_configmap_key_can_hold_is_set_on_the_container() {
    let text = "services:\n  a:\n    image: x:1\n    environment:\n      \"MY VAR\": \"1\"\n      OK: \"2\"\n";
    let kit = generate(text, &Options::default());
    let a = kit.text("base/a.yaml").expect("a");
    assert!(a.contains("  OK: \"2\""), "{a}");
    assert!(
        a.contains("- name: \"MY VAR\"\n              value: \"1\""),
        "{a}"
    );
}

#[test]
fn files_beside_the_compose_file_become_configmap_keys_and_env_files_are_read() {
    let text = "services:\n  proxy:\n    image: nginxinc/nginx-unprivileged:1.27.2\n    volumes:\n      - ./nginx.conf:/etc/nginx/conf.d/default.conf:ro\n    env_file: app.env\n    configs:\n      - source: banner\n        target: /srv/banner.txt\nconfigs:\n  banner:\n    content: hello\n";
    let read = |path: &str| match path {
        "./nginx.conf" => Some("server { listen 8080; }\n".to_owned()),
        "app.env" => Some("LOG=debug\nAPI_TOKEN=abc123\n".to_owned()),
        _ => None,
    };
    let kit = kubernetes(text, &Options::default(), &read).expect("generates");
    let proxy = kit.text("base/proxy.yaml").expect("proxy");
    assert!(
        proxy.contains("  nginx.conf: |\n    server { listen 8080; }\n"),
        "{proxy}"
    );
    assert!(proxy.contains("  banner: hello"));
    assert!(proxy.contains("subPath: nginx.conf"));
    assert!(proxy.contains("LOG: debug"));
    assert!(!proxy.contains("abc123"));
    assert!(
        kit.text("base/secrets.yaml")
            .expect("secrets")
            .contains("API_TOKEN")
    );
    assert!(
        !kit.text("NOTES.md")
            .expect("notes")
            .contains("nginx binds port 80")
    );
}
