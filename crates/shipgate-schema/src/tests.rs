use shipgate_syntax::yaml::{Limits, Schema, YamlStream, parse};

use super::*;

const V135: Release = Release::new(1, 35);

fn stream(yaml: &str) -> YamlStream {
    parse(yaml, Schema::Yaml11, Limits::default())
}

fn errors(set: &SchemaSet, yaml: &str, release: Release) -> Vec<SchemaError> {
    let stream = stream(yaml);
    match set.validate(stream.root(0).expect("a document"), release) {
        Validation::Checked(errors) => errors,
        Validation::Unknown => panic!("no schema for the object"),
    }
}

fn at(error: &SchemaError) -> (u32, u32) {
    (error.span.start.line, error.span.start.column)
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          ports:
            - containerPort: 8080
          resources:
            requests: {cpu: 250m, memory: 256Mi}
";

#[test]
fn a_valid_deployment_has_no_errors() {
    let set = SchemaSet::new();
    assert_eq!(errors(&set, DEPLOYMENT, V135), Vec::new());
}

#[test]
fn an_unknown_field_points_at_its_key_and_suggests_the_real_one() {
    let set = SchemaSet::new();
    let yaml = DEPLOYMENT.replace(
        "          image: ghcr.io/acme/api:1.4.2\n",
        "          image: ghcr.io/acme/api:1.4.2\n          imagePullPolcy: Always\n",
    );
    let found = errors(&set, &yaml, V135);
    assert_eq!(found.len(), 1, "{found:#?}");
    let e = &found[0];
    assert_eq!(e.kind, ErrorKind::UnknownField);
    assert_eq!(at(e), (16, 11));
    assert_eq!(
        e.message,
        "unknown field `spec.template.spec.containers[0].imagePullPolcy`; did you mean `imagePullPolicy`?"
    );
    assert_eq!(e.pointer, "/spec/template/spec/containers/0/imagePullPolcy");
    assert_eq!(e.path, "spec.template.spec.containers[0].imagePullPolcy");
}

#[test]
fn a_wrong_type_points_at_the_value() {
    let set = SchemaSet::new();
    let yaml = DEPLOYMENT.replace("replicas: 2", "replicas: \"3\"");
    let found = errors(&set, &yaml, V135);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ErrorKind::Type);
    assert_eq!(at(&found[0]), (6, 13));
    assert_eq!(
        found[0].message,
        "`spec.replicas` must be an integer, found string \"3\""
    );
}

#[test]
fn yaml_1_1_words_are_booleans_as_kubernetes_reads_them() {
    let set = SchemaSet::new();
    let yaml = DEPLOYMENT.replace("replicas: 2", "replicas: 2\n  paused: no");
    assert_eq!(errors(&set, &yaml, V135), Vec::new());
    let yaml = DEPLOYMENT.replace("replicas: 2", "replicas: yes");
    let found = errors(&set, &yaml, V135);
    assert_eq!(
        found[0].message,
        "`spec.replicas` must be an integer, found boolean true"
    );
}

#[test]
fn a_missing_required_field_points_at_the_mappings_first_key() {
    let set = SchemaSet::new();
    let yaml = DEPLOYMENT.replace("        - name: api\n          image:", "        - image:");
    let found = errors(&set, &yaml, V135);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ErrorKind::Required);
    assert_eq!(at(&found[0]), (14, 11));
    assert_eq!(
        found[0].message,
        "missing required field `spec.template.spec.containers[0].name`"
    );
    assert_eq!(found[0].pointer, "/spec/template/spec/containers/0/name");
}

#[test]
fn a_missing_top_level_field_points_at_the_kind() {
    let set = SchemaSet::new();
    let found = errors(
        &set,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  template: {}\n",
        V135,
    );
    let selector = found
        .iter()
        .find(|e| e.path == "spec.selector")
        .expect("selector is required");
    assert_eq!(at(selector), (5, 3));
}

#[test]
fn quantities_and_integer_widths_are_checked_as_the_api_server_does() {
    let set = SchemaSet::new();
    let yaml = DEPLOYMENT
        .replace("replicas: 2", "replicas: 3000000000")
        .replace("memory: 256Mi", "memory: 1GB");
    let found = errors(&set, &yaml, V135);
    let kinds: Vec<ErrorKind> = found.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![ErrorKind::Other, ErrorKind::Format],
        "{found:#?}"
    );
    assert_eq!(
        found[0].message,
        "`spec.replicas` must fit in a 32-bit integer, found integer 3000000000"
    );
    assert_eq!(at(&found[1]), (19, 43));
    assert_eq!(
        found[1].message,
        "`spec.template.spec.containers[0].resources.requests.memory` must be a valid quantity \
         (such as `500m`, `1.5`, `512Mi` or `2G`), found string \"1GB\""
    );
    let yaml = DEPLOYMENT.replace("memory: 256Mi", "memory: true");
    let found = errors(&set, &yaml, V135);
    assert_eq!(
        found[0].message,
        "`spec.template.spec.containers[0].resources.requests.memory` must be a quantity \
         such as `500m` or `1Gi`, found boolean true"
    );
}

#[test]
fn int_or_string_fields_take_either_and_null() {
    let set = SchemaSet::new();
    let service = |port: &str| {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: s}}\nspec:\n  ports:\n    - port: 80\n      targetPort: {port}\n"
        )
    };
    for ok in ["8080", "http", "~", "\"8080\""] {
        assert_eq!(errors(&set, &service(ok), V135), Vec::new(), "{ok}");
    }
    for bad in ["1.5", "true", "[1]"] {
        let found = errors(&set, &service(bad), V135);
        assert_eq!(found.len(), 1, "{bad}: {found:#?}");
        assert!(
            found[0]
                .message
                .starts_with("`spec.ports[0].targetPort` must be an integer or a string"),
            "{}",
            found[0].message
        );
    }
}

#[test]
fn secret_data_must_be_base64() {
    let set = SchemaSet::new();
    let found = errors(
        &set,
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  ok: aGVsbG8=\n  bad: hunter2\n",
        V135,
    );
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ErrorKind::Format);
    assert_eq!(found[0].path, "data.bad");
}

#[test]
fn kinds_follow_the_target_release() {
    let set = SchemaSet::new();
    let yaml =
        "apiVersion: flowcontrol.apiserver.k8s.io/v1beta3\nkind: FlowSchema\nmetadata: {name: f}\n";
    let s = stream(yaml);
    let root = s.root(0).expect("root");
    assert!(matches!(
        set.validate(root, Release::new(1, 28)),
        Validation::Checked(_)
    ));
    assert_eq!(set.validate(root, Release::new(1, 33)), Validation::Unknown);
    let releases = set.releases_with("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema");
    assert_eq!(releases.first(), Some(&Release::new(1, 26)));
    assert_eq!(releases.last(), Some(&Release::new(1, 31)));
    // Targets outside the bundle use its nearest release.
    assert!(set.knows("apps/v1", "Deployment", Release::new(1, 99)));
    assert!(set.knows("apps/v1", "Deployment", Release::new(1, 10)));
}

#[test]
fn unknown_kinds_are_unknown_not_valid() {
    let set = SchemaSet::new();
    let s =
        stream("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 3}\n");
    assert_eq!(
        set.validate(s.root(0).expect("root"), V135),
        Validation::Unknown
    );
}

#[test]
fn bundled_custom_resources_are_strict() {
    let set = SchemaSet::new();
    let found = errors(
        &set,
        "apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: api
  lables: {team: shop}
spec:
  selector:
    matchLabels: {app: api}
  endpoints:
    - port: http
      interval: 30s
      scheme: htp
      honorLabels: maybe
",
        V135,
    );
    let messages: Vec<&str> = found.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(found.len(), 3, "{messages:#?}");
    assert_eq!(
        messages[0],
        "unknown field `metadata.lables`; did you mean `labels`?"
    );
    assert_eq!(found[1].path, "spec.endpoints[0].scheme");
    assert_eq!(found[2].kind, ErrorKind::Type);
    let cert = errors(
        &set,
        "apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web}
spec:
  secretName: web-tls
  dnsNames: [shop.example.com]
  issuerRef: {name: letsencrypt, kind: ClusterIssuer}
",
        V135,
    );
    assert_eq!(cert, Vec::new());
}

const WIDGET_CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer, minimum: 1}
                port: {x-kubernetes-int-or-string: true}
                extra:
                  type: object
                  x-kubernetes-preserve-unknown-fields: true
";

#[test]
fn crds_add_their_kinds() {
    let set = SchemaSet::new();
    let crd = stream(WIDGET_CRD);
    let added = set.add_crd(crd.root(0).expect("root")).expect("a CRD");
    assert_eq!(
        added,
        vec![("example.com/v1".to_owned(), "Widget".to_owned())]
    );
    let found = errors(
        &set,
        "apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: shop}
spec:
  size: 0
  port: http
  colour: red
  extra: {anything: [1, 2]}
",
        V135,
    );
    let kinds: Vec<ErrorKind> = found.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![ErrorKind::Other, ErrorKind::UnknownField],
        "{found:#?}"
    );
    assert_eq!(
        found[0].message,
        "`spec.size` must be at least 1, found integer 0"
    );
    assert_eq!(at(&found[1]), (7, 3));
    assert_eq!(
        set.add_crds_from_text("crds.yaml", &format!("---\n{WIDGET_CRD}")),
        1
    );
}

#[test]
fn json_schema_files_are_named_by_their_path() {
    let set = SchemaSet::new();
    let schema = r#"{"type": "object", "properties": {"apiVersion": {}, "kind": {}, "metadata": {},
        "spec": {"type": "object", "additionalProperties": false,
                 "properties": {"size": {"type": "integer"}}}}}"#;
    assert_eq!(
        set.add_json_schema_file("example.com/gadget_v1.json", schema),
        Ok("example.com/v1 gadget".to_owned())
    );
    assert_eq!(
        set.add_json_schema_file("thing_v2.json", schema),
        Ok("thing v2 (any group)".to_owned())
    );
    assert_eq!(
        set.add_json_schema_file("doohickey-example.org-v1beta1.json", schema),
        Ok("example.org/v1beta1 doohickey".to_owned())
    );
    assert!(set.add_json_schema_file("nonsense.json", schema).is_err());
    assert!(set.knows("example.com/v1", "Gadget", V135));
    assert!(set.knows("anything.io/v2", "Thing", V135));
    assert!(!set.knows("example.com/v2", "Gadget", V135));
    let found = errors(
        &set,
        "apiVersion: example.com/v1\nkind: Gadget\nspec: {size: big}\n",
        V135,
    );
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].message,
        "`spec.size` must be an integer, found string \"big\""
    );
}

#[test]
fn identical_objects_laid_out_differently_get_their_own_positions() {
    let set = SchemaSet::new();
    let a = errors(
        &set,
        "apiVersion: v1\nkind: Service\nspec: {prots: []}\n",
        V135,
    );
    let b = errors(
        &set,
        "# a comment\napiVersion: v1\nkind: Service\nspec:\n    prots: []\n",
        V135,
    );
    assert_eq!(at(&a[0]), (3, 8));
    assert_eq!(at(&b[0]), (5, 5));
    assert_eq!(a[0].message, b[0].message);
}

#[test]
fn the_bundle_names_its_sources() {
    let sources = SchemaSet::bundled_sources();
    assert!(sources.iter().any(|s| s.package == "kubernetes-validate"));
    assert!(
        sources
            .iter()
            .any(|s| s.registry == "npm" && s.package == "@kubernetes-models/cert-manager")
    );
    assert!(sources.iter().all(|s| s.sha256.len() == 64));
    let (oldest, newest) = SchemaSet::bundled_releases().expect("releases");
    assert!(oldest <= Release::new(1, 28) && newest >= Release::new(1, 37));
}

#[test]
fn misspelt_kinds_get_a_suggestion() {
    let set = SchemaSet::new();
    assert_eq!(
        set.suggest_kind("apps/v1", "Deploymnet", V135).as_deref(),
        Some("Deployment")
    );
    assert_eq!(set.suggest_kind("apps/v1", "Gizmo", V135), None);
    assert_eq!(
        set.suggest_kind("v1", "configmap", V135).as_deref(),
        Some("ConfigMap")
    );
}

const ACME_ISSUER: &str = "apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: letsencrypt
spec:
  acme:
    server: https://acme-v02.api.letsencrypt.org/directory
    email: ops@example.com
    profile: tlsserver
    privateKeySecretRef:
      name: letsencrypt-account
    solvers:
      - http01:
          ingress:
            ingressClassName: nginx
            podTemplate:
              spec:
                nodeSelector: {kubernetes.io/os: linux}
                tolerations:
                  - {key: dedicated, operator: Equal, value: edge, effect: NoSchedule}
                resources:
                  requests: {cpu: 10m, memory: 64Mi}
      - selector:
          dnsZones: [example.com]
        dns01:
          webhook:
            groupName: acme.example.com
            solverName: example
            config: {apiUrl: https://dns.example.com, ttl: 60}
";

#[test]
fn bundled_cert_manager_issuers_validate_without_a_crd() {
    let set = SchemaSet::new();
    assert!(set.knows("cert-manager.io/v1", "Issuer", V135));
    assert!(set.knows("cert-manager.io/v1", "ClusterIssuer", V135));
    assert_eq!(errors(&set, ACME_ISSUER, V135), Vec::new());
    for issuer in [
        "apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: internal-ca, namespace: shop}
spec:
  ca: {secretName: internal-ca-key-pair}
",
        "apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: bootstrap}
spec:
  selfSigned: {}
",
        "apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: dns, namespace: shop}
spec:
  acme:
    server: https://acme-staging-v02.api.letsencrypt.org/directory
    privateKeySecretRef: {name: dns-account}
    solvers:
      - dns01:
          cloudflare:
            apiTokenSecretRef: {name: cloudflare, key: token}
      - dns01:
          route53: {region: eu-west-1, role: arn:aws:iam::123456789012:role/dns}
      - http01:
          gatewayHTTPRoute:
            parentRefs: [{name: edge, namespace: gateways, kind: Gateway}]
",
        "apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: vault, namespace: shop}
spec:
  vault:
    server: https://vault.example.com
    path: pki/sign/shop
    auth:
      kubernetes:
        role: shop
        mountPath: /v1/auth/kubernetes
        serviceAccountRef: {name: shop-issuer}
",
    ] {
        assert_eq!(errors(&set, issuer, V135), Vec::new(), "{issuer}");
    }
}

#[test]
fn bundled_cert_manager_issuers_are_strict() {
    let set = SchemaSet::new();
    let yaml = ACME_ISSUER
        .replace("ingressClassName: nginx", "ingresClassName: nginx")
        .replace(
            "email: ops@example.com",
            "email: ops@example.com\n    skipTLSVerify: \"no\"",
        )
        .replace(
            "effect: NoSchedule}",
            "effect: NoSchedule, tolerationSeconds: soon}",
        )
        .replace("memory: 64Mi", "memory: 64MB");
    let found = errors(&set, &yaml, V135);
    assert_eq!(found.len(), 4, "{found:#?}");
    assert_eq!(found[0].kind, ErrorKind::Type);
    assert_eq!(found[0].path, "spec.acme.skipTLSVerify");
    assert_eq!(at(&found[0]), (9, 20));
    assert_eq!(
        found[0].message,
        "`spec.acme.skipTLSVerify` must be a boolean, found string \"no\""
    );
    assert_eq!(found[1].kind, ErrorKind::UnknownField);
    assert_eq!(
        found[1].path,
        "spec.acme.solvers[0].http01.ingress.ingresClassName"
    );
    assert_eq!(at(&found[1]), (16, 13));
    assert!(
        found[1]
            .message
            .ends_with("did you mean `ingressClassName`?"),
        "{}",
        found[1].message
    );
    // Kubernetes' own types inside the issuer are checked as in a Pod.
    assert_eq!(found[2].kind, ErrorKind::Type);
    assert_eq!(
        found[2].path,
        "spec.acme.solvers[0].http01.ingress.podTemplate.spec.tolerations[0].tolerationSeconds"
    );
    assert_eq!(found[3].kind, ErrorKind::Format);
    assert_eq!(
        found[3].path,
        "spec.acme.solvers[0].http01.ingress.podTemplate.spec.resources.requests.memory"
    );
    let missing = errors(
        &set,
        "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: ca}\nspec:\n  ca: {}\n",
        V135,
    );
    assert_eq!(missing.len(), 1, "{missing:#?}");
    assert_eq!(missing[0].kind, ErrorKind::Required);
    assert_eq!(missing[0].path, "spec.ca.secretName");
}
