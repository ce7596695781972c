use shipgate_syntax::yaml::{self, Limits, NodeRef, Schema, YamlStream};

use super::*;

/// host_ip, published, target, protocol, long form.
type PortParts<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    bool,
);
/// kind, source, target, read-only, long form.
type MountParts<'a> = (MountKind, Option<&'a str>, Option<&'a str>, bool, bool);

fn parse(text: &str) -> YamlStream {
    let stream = yaml::parse(text, Schema::Yaml12, Limits::default());
    assert!(stream.errors.is_empty(), "{:?}", stream.errors);
    stream
}

fn model(stream: &YamlStream) -> Compose<'_> {
    stream
        .root(0)
        .and_then(Compose::new)
        .expect("a Compose mapping")
}

fn at(node: NodeRef<'_>) -> (u32, u32) {
    let span = node.span();
    (span.start.line, span.start.column)
}

fn service<'c, 'a>(compose: &'c Compose<'a>, name: &str) -> &'c Service<'a> {
    compose.service(name).expect("service")
}

#[test]
fn top_level_sections_and_extensions() {
    let stream = parse(
        "version: \"3.9\"
name: shop
x-defaults: &defaults
  restart: always
include:
  - common.yml
  - path: [a.yml, b.yml]
    project_directory: ..
services:
  api:
    <<: *defaults
    image: x:1
  x-template:
    image: y:1
networks:
  backend:
volumes:
  data:
secrets:
  key:
    file: ./key
configs:
  cfg:
    file: ./cfg
",
    );
    let compose = model(&stream);
    let names: Vec<&str> = compose.services.iter().map(|s| s.name).collect();
    assert_eq!(names, vec!["api"]);
    assert_eq!(compose.version.map(|(k, _)| at(k)), Some((1, 1)));
    assert_eq!(compose.name.and_then(text), Some("shop"));
    assert_eq!(
        compose
            .include
            .iter()
            .filter_map(|n| text(*n))
            .collect::<Vec<_>>(),
        vec!["common.yml", "a.yml", "b.yml"]
    );
    assert!(compose.declares("networks", "backend"));
    assert!(compose.declares("volumes", "data"));
    assert!(compose.declares("secrets", "key"));
    assert!(compose.declares("configs", "cfg"));
    assert!(!compose.declares("volumes", "other"));
    let api = service(&compose, "api");
    assert_eq!(at(api.key), (10, 3));
    // The merged key comes from the anchor, outside the service.
    let restart = api.restart().expect("merged restart");
    assert_eq!(at(restart), (4, 12));
    assert!(!api.contains(restart.span()));
    assert!(api.contains(api.image().expect("image").node.span()));
}

#[test]
fn extends_resolves_same_file_services_and_flags_unseen_ones() {
    let stream = parse(
        "services:
  base:
    image: x:1
    environment: {A: base, B: base}
    cap_drop: [ALL]
    deploy:
      resources:
        limits: {memory: 64M}
  mid:
    extends: base
    environment: {A: mid}
    deploy:
      replicas: 2
  leaf:
    extends:
      service: mid
    cap_drop: [NET_RAW]
  remote:
    extends: {file: other.yml, service: web}
  orphan:
    extends: nowhere
  loop_a:
    extends: loop_b
  loop_b:
    extends: loop_a
",
    );
    let compose = model(&stream);
    let leaf = service(&compose, "leaf");
    assert!(!leaf.inherits_unseen);
    assert_eq!(leaf.image().map(|i| i.text), Some("x:1"));
    let env: Vec<(&str, Option<&str>)> = leaf
        .environment()
        .iter()
        .map(|v| (v.name, v.value))
        .collect();
    assert_eq!(env, vec![("A", Some("mid")), ("B", Some("base"))]);
    // Sequences are appended, mappings merged key by key.
    let caps: Vec<String> = leaf.cap_drop().into_iter().map(|c| c.name).collect();
    assert_eq!(caps, vec!["NET_RAW", "ALL"]);
    assert_eq!(leaf.memory_limit().and_then(text), Some("64M"));
    assert_eq!(leaf.replicas().and_then(text), Some("2"));
    assert!(service(&compose, "remote").inherits_unseen);
    assert!(service(&compose, "orphan").inherits_unseen);
    assert!(!service(&compose, "loop_a").inherits_unseen);
    assert_eq!(
        service(&compose, "remote")
            .extends()
            .and_then(|e| e.file)
            .and_then(text),
        Some("other.yml")
    );
}

#[test]
fn images_and_builds_in_both_forms() {
    let stream = parse(
        "services:
  a:
    image: registry:5000/team/app:1.2@sha256:abc
    build: ./app
  b:
    image: ${REGISTRY:-ghcr.io/acme}/app:${TAG:-dev}
    build:
      context: .
      dockerfile: Dockerfile.prod
      target: runtime
      args:
        - VERSION=1.2
        - TOKEN
",
    );
    let compose = model(&stream);
    let a = service(&compose, "a");
    let reference = ImageRef::parse(a.image().expect("image").text);
    assert_eq!(
        (reference.name, reference.tag, reference.digest),
        ("registry:5000/team/app", Some("1.2"), Some("sha256:abc"))
    );
    let build = a.build().expect("build");
    assert_eq!(build.context.and_then(text), Some("./app"));
    assert!(build.dockerfile.is_none());
    let b = service(&compose, "b");
    assert_eq!(
        b.image().and_then(|i| i.when_unset()).as_deref(),
        Some("ghcr.io/acme/app:dev")
    );
    let build = b.build().expect("build");
    assert_eq!(build.dockerfile.and_then(text), Some("Dockerfile.prod"));
    assert_eq!(build.target.and_then(text), Some("runtime"));
    let args: Vec<(&str, Option<&str>)> = build.args.iter().map(|v| (v.name, v.value)).collect();
    assert_eq!(args, vec![("VERSION", Some("1.2")), ("TOKEN", None)]);
    assert_eq!(ImageRef::parse("nginx").tag, None);
}

#[test]
fn commands_as_strings_and_lists_with_word_positions() {
    let stream = parse(
        "services:
  a:
    image: x:1
    command: server  -dev
    entrypoint: [\"sh\", \"-c\", \"exec app --reload\"]
",
    );
    let compose = model(&stream);
    let a = service(&compose, "a");
    let command = a.command().expect("command");
    assert!(!command.exec);
    let words: Vec<(&str, u32)> = command
        .words()
        .iter()
        .map(|w| (w.text, w.span().start.column))
        .collect();
    assert_eq!(words, vec![("server", 14), ("-dev", 22)]);
    let entrypoint = a.entrypoint().expect("entrypoint");
    assert!(entrypoint.exec);
    let last = *entrypoint.words().last().expect("words");
    assert_eq!(last.text, "--reload");
    assert_eq!((last.span().start.line, last.span().start.column), (5, 40));
}

#[test]
fn environment_in_both_forms_with_value_positions() {
    let stream = parse(
        "services:
  a:
    image: x:1
    environment:
      PLAIN: value
      NUMBER: 5
      FLAG: true
      EMPTY: \"\"
      FROM_SHELL:
  b:
    image: x:1
    environment:
      - KEY=value=with=equals
      - \"QUOTED=a b\"
      - BARE
    env_file:
      - .env
      - path: ./optional.env
        required: false
  c:
    image: x:1
    env_file: .env.prod
",
    );
    let compose = model(&stream);
    let a = service(&compose, "a");
    let env: Vec<(&str, Option<&str>)> =
        a.environment().iter().map(|v| (v.name, v.value)).collect();
    assert_eq!(
        env,
        vec![
            ("PLAIN", Some("value")),
            ("NUMBER", Some("5")),
            ("FLAG", Some("true")),
            ("EMPTY", Some("")),
            ("FROM_SHELL", None)
        ]
    );
    let plain = a.environment()[0];
    assert_eq!(at(plain.name_node), (5, 7));
    let span = plain.value_span();
    assert_eq!(
        (span.start.line, span.start.column, span.end.column),
        (5, 14, 19)
    );
    let b = service(&compose, "b");
    let vars = b.environment();
    let env: Vec<(&str, Option<&str>)> = vars.iter().map(|v| (v.name, v.value)).collect();
    assert_eq!(
        env,
        vec![
            ("KEY", Some("value=with=equals")),
            ("QUOTED", Some("a b")),
            ("BARE", None)
        ]
    );
    // `- KEY=value...`: the value starts after `KEY=`.
    let span = vars[0].value_span();
    assert_eq!((span.start.line, span.start.column), (13, 13));
    // Inside quotes, after the opening quote and `QUOTED=`.
    let span = vars[1].value_span();
    assert_eq!((span.start.line, span.start.column), (14, 17));
    let files: Vec<(&str, bool)> = b.env_files().iter().map(|f| (f.path, f.required)).collect();
    assert_eq!(files, vec![(".env", true), ("./optional.env", false)]);
    let files: Vec<&str> = service(&compose, "c")
        .env_files()
        .iter()
        .map(|f| f.path)
        .collect();
    assert_eq!(files, vec![".env.prod"]);
}

#[test]
fn ports_in_short_and_long_syntax() {
    let stream = parse(
        "services:
  a:
    image: x:1
    ports:
      - \"127.0.0.1:5432:5432\"
      - \"5432\"
      - 8080:80
      - \"8080-8081:80-81/udp\"
      - \"[::1]:6379:6379\"
      - \"${BIND:-0.0.0.0}:${PORT:-8000}:8000\"
      - target: 80
        published: \"8000-8001\"
        host_ip: 127.0.0.1
        protocol: tcp
        mode: host
      - target: 9200
",
    );
    let compose = model(&stream);
    let ports = service(&compose, "a").ports();
    let parts: Vec<PortParts<'_>> = ports
        .iter()
        .map(|p| (p.host_ip, p.published, p.target, p.protocol, p.long))
        .collect();
    assert_eq!(
        parts,
        vec![
            (Some("127.0.0.1"), Some("5432"), Some("5432"), None, false),
            (None, None, Some("5432"), None, false),
            (None, Some("8080"), Some("80"), None, false),
            (None, Some("8080-8081"), Some("80-81"), Some("udp"), false),
            (Some("::1"), Some("6379"), Some("6379"), None, false),
            (
                Some("${BIND:-0.0.0.0}"),
                Some("${PORT:-8000}"),
                Some("8000"),
                None,
                false
            ),
            (
                Some("127.0.0.1"),
                Some("8000-8001"),
                Some("80"),
                Some("tcp"),
                true
            ),
            (None, None, Some("9200"), None, true),
        ]
    );
    assert_eq!(ports[3].target_ports(), Some(80..=81));
    let everywhere: Vec<bool> = ports.iter().map(Port::on_all_interfaces).collect();
    assert_eq!(
        everywhere,
        vec![false, true, true, true, false, true, false, true]
    );
    assert_eq!(at(ports[0].node), (5, 9));
    assert_eq!(at(ports[6].node), (11, 9));
}

#[test]
fn volumes_in_short_and_long_syntax() {
    let stream = parse(
        "services:
  a:
    image: x:1
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock:ro
      - data:/var/lib/data
      - ./config:/etc/app:ro,z
      - /anonymous
      - ~/.aws:/root/.aws
      - C:\\data:/data
      - ${DATA:-./data}:/data:rw
      - type: bind
        source: /etc
        target: /host/etc
        read_only: true
      - type: volume
        source: cache
        target: /cache
      - type: tmpfs
        target: /tmp
    tmpfs: /run
",
    );
    let compose = model(&stream);
    let a = service(&compose, "a");
    let mounts: Vec<MountParts<'_>> = a
        .volumes()
        .iter()
        .map(|m| (m.kind, m.source, m.target, m.read_only, m.long))
        .collect();
    assert_eq!(
        mounts,
        vec![
            (
                MountKind::Bind,
                Some("/var/run/docker.sock"),
                Some("/var/run/docker.sock"),
                true,
                false
            ),
            (
                MountKind::Volume,
                Some("data"),
                Some("/var/lib/data"),
                false,
                false
            ),
            (
                MountKind::Bind,
                Some("./config"),
                Some("/etc/app"),
                true,
                false
            ),
            (MountKind::Volume, None, Some("/anonymous"), false, false),
            (
                MountKind::Bind,
                Some("~/.aws"),
                Some("/root/.aws"),
                false,
                false
            ),
            (
                MountKind::Bind,
                Some("C:\\data"),
                Some("/data"),
                false,
                false
            ),
            (
                MountKind::Bind,
                Some("${DATA:-./data}"),
                Some("/data"),
                false,
                false
            ),
            (MountKind::Bind, Some("/etc"), Some("/host/etc"), true, true),
            (
                MountKind::Volume,
                Some("cache"),
                Some("/cache"),
                false,
                true
            ),
            (MountKind::Tmpfs, None, Some("/tmp"), false, true),
        ]
    );
    assert_eq!(
        a.tmpfs()
            .iter()
            .filter_map(|n| text(*n))
            .collect::<Vec<_>>(),
        vec!["/run"]
    );
    assert_eq!(at(a.volumes()[7].node), (12, 9));
}

#[test]
fn security_settings() {
    let stream = parse(
        "services:
  a:
    image: x:1
    privileged: ${PRIVILEGED:-false}
    read_only: \"true\"
    network_mode: host
    pid: \"service:b\"
    ipc: HOST
    user: \"1000:1000\"
    cap_add: [CAP_NET_ADMIN, sys_time]
    cap_drop:
      - all
    security_opt:
      - no-new-privileges
      - seccomp=unconfined
      - label:type:container_t
",
    );
    let compose = model(&stream);
    let a = service(&compose, "a");
    assert_eq!(a.flag("privileged").map(|(_, v)| v), Some(Some(false)));
    assert_eq!(a.flag("read_only").map(|(_, v)| v), Some(Some(true)));
    assert!(a.flag("init").is_none());
    assert!(a.host_namespace("network_mode").is_some());
    assert!(a.host_namespace("pid").is_none());
    assert!(a.host_namespace("ipc").is_some());
    assert_eq!(a.user().and_then(text), Some("1000:1000"));
    let added: Vec<String> = a.cap_add().into_iter().map(|c| c.name).collect();
    assert_eq!(added, vec!["NET_ADMIN", "SYS_TIME"]);
    assert_eq!(a.cap_drop()[0].name, "ALL");
    let opts: Vec<(&str, Option<&str>)> =
        a.security_opt().iter().map(|o| (o.key, o.value)).collect();
    assert_eq!(
        opts,
        vec![
            ("no-new-privileges", None),
            ("seccomp", Some("unconfined")),
            ("label", Some("type:container_t"))
        ]
    );
    assert!(a.no_new_privileges().is_some_and(|o| o.enabled()));
}

#[test]
fn lifecycle_settings() {
    let stream = parse(
        "services:
  a:
    image: x:1
    restart: \"no\"
    healthcheck:
      test: curl -f http://localhost/ || exit 1
      interval: 10s
    mem_limit: 512m
    cpus: 0.5
    mem_reservation: 256m
    scale: 2
    profiles: [debug]
    depends_on: [b]
    container_name: fixed
  b:
    image: x:1
    restart: unless-stopped
    healthcheck:
      test: [\"NONE\"]
    deploy:
      mode: replicated
      replicas: 3
      restart_policy:
        condition: none
      resources:
        limits: {memory: 1G, cpus: \"2\"}
        reservations: {memory: 512M}
    depends_on:
      a:
        condition: service_completed_successfully
        restart: true
      c:
        required: false
    secrets:
      - key
      - source: other
        target: /run/secrets/x
    configs: [cfg]
    networks:
      front:
        aliases: [web]
      back:
  c:
    image: x:1
    restart: no
    healthcheck:
      disable: true
    deploy:
      mode: replicated-job
    networks: [front]
",
    );
    let compose = model(&stream);
    let a = service(&compose, "a");
    assert!(a.never_restarts());
    assert!(a.has_healthcheck());
    assert_eq!(a.memory_limit().and_then(text), Some("512m"));
    assert_eq!(a.cpu_limit().and_then(text), Some("0.5"));
    assert_eq!(a.memory_reservation().and_then(text), Some("256m"));
    assert_eq!(a.replicas().and_then(text), Some("2"));
    assert_eq!(
        a.profiles()
            .iter()
            .filter_map(|p| text(*p))
            .collect::<Vec<_>>(),
        vec!["debug"]
    );
    assert_eq!(a.container_name().and_then(text), Some("fixed"));
    let deps = a.depends_on();
    assert_eq!(
        (deps[0].service, deps[0].condition(), deps[0].long),
        ("b", "service_started", false)
    );
    assert!(compose.is_one_shot(a));

    let b = service(&compose, "b");
    assert!(b.never_restarts());
    assert!(!b.has_healthcheck());
    assert!(b.healthcheck().is_some_and(|h| h.disabled));
    assert_eq!(b.memory_limit().and_then(text), Some("1G"));
    assert_eq!(b.cpu_limit().and_then(text), Some("2"));
    assert_eq!(b.memory_reservation().and_then(text), Some("512M"));
    assert_eq!(b.replicas().and_then(text), Some("3"));
    assert_eq!(b.deploy_mode(), Some("replicated"));
    let deps: Vec<(&str, &str, bool)> = b
        .depends_on()
        .iter()
        .map(|d| (d.service, d.condition(), d.long))
        .collect();
    assert_eq!(
        deps,
        vec![
            ("a", "service_completed_successfully", true),
            ("c", "service_started", true)
        ]
    );
    assert_eq!(at(b.depends_on()[0].node), (29, 7));
    let secrets: Vec<&str> = b.secrets().iter().map(|s| s.source).collect();
    assert_eq!(secrets, vec!["key", "other"]);
    assert_eq!(at(b.secrets()[1].source_node), (36, 17));
    assert_eq!(b.configs()[0].source, "cfg");
    let networks: Vec<&str> = b.networks().iter().map(|(n, _)| *n).collect();
    assert_eq!(networks, vec!["front", "back"]);

    let c = service(&compose, "c");
    // YAML 1.2: a plain `no` is the string Compose expects.
    assert!(c.never_restarts());
    assert!(c.healthcheck().is_some_and(|h| h.disabled));
    assert_eq!(c.deploy_mode(), Some("replicated-job"));
    assert_eq!(c.networks()[0].0, "front");
    assert!(!compose.is_partial());
}

#[test]
fn fragments_are_partial() {
    let stream = parse("services:\n  api:\n    deploy:\n      replicas: 3\n");
    let compose = model(&stream);
    assert!(service(&compose, "api").is_partial());
    assert!(compose.is_partial());
}

#[test]
fn non_mappings_are_not_compose_files() {
    let stream = parse("- a\n- b\n");
    assert!(stream.root(0).and_then(Compose::new).is_none());
}

#[test]
fn booleans_read_as_compose_does() {
    let stream = parse("a: true\nb: \"Yes\"\nc: ${X:-on}\nd: off\ne: maybe\nf: ${X:?required}\n");
    let root = stream.root(0).expect("root");
    let values: Vec<Option<bool>> = ["a", "b", "c", "d", "e", "f"]
        .iter()
        .map(|k| root.get(k).and_then(boolean))
        .collect();
    assert_eq!(
        values,
        vec![Some(true), Some(true), Some(true), Some(false), None, None]
    );
}
