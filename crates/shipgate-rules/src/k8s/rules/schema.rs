//! Objects checked against the API's own schema for the target release:
//! fields it does not know, values of the wrong type or format, fields it
//! requires, and kinds it has no schema for.

use shipgate_core::{Category, Example, RuleMeta, Severity};
use shipgate_schema::{ErrorKind, Release, SchemaError, Validation};

use crate::k8s::{KubeVersion, Object, Sink};
use crate::{Check, RuleDef};

pub(super) const RULES: &[RuleDef] = &[SCHEMA_UNKNOWN_FIELD, SCHEMA_INVALID, UNKNOWN_KIND];

const API_REFERENCE: &str = "https://kubernetes.io/docs/reference/kubernetes-api/";
const FIELD_VALIDATION: &str =
    "https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation";
const CRD_VALIDATION: &str = "https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#validation";

const SCHEMA_UNKNOWN_FIELD: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/schema-unknown-field",
        title: "Objects use only fields their API defines",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "A misspelt or misplaced field is not an error Kubernetes always shows: \
            with lenient field validation the API server drops it and applies the rest, so \
            `imagePullPolcy: Always` or a `resources` block one level too deep silently does \
            nothing, and with strict validation the deploy fails. Either way the manifest does \
            not say what will run. The field is checked against the schema of the object's \
            apiVersion and kind at the target release (`--kube-version`).",
        remediation: "Fix the field's spelling or indentation; the message names the nearest \
            known field when there is one. `kubectl explain` lists the fields of a kind:\n\n\
            ```sh\nkubectl explain deployment.spec.template.spec.containers\n```\n\n\
            For a custom resource, check the files hold its CustomResourceDefinition, or \
            give its JSON Schema with `--schema-dir`.",
        references: &[FIELD_VALIDATION, API_REFERENCE, CRD_VALIDATION],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "deployment.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          imagePullPolcy: Always
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          imagePullPolicy: Always
",
        },
    },
    check: Check::Object(schema_unknown_field),
};

fn schema_unknown_field(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Validation::Checked(errors) = validate(object, sink) else {
        return;
    };
    for error in errors.iter().filter(|e| e.kind == ErrorKind::UnknownField) {
        sink.at(object, error.span, &error.path, error.message.clone());
    }
}

const SCHEMA_INVALID: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/schema-invalid",
        title: "Field values match the types and formats their API requires",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "The API server decodes a manifest into typed fields before anything else \
            happens, and refuses the whole object when one value does not fit: `replicas: \
            \"3\"` is a string where an integer belongs, `memory: 1GB` is not a quantity, a \
            Secret's `data` must be base64, and required fields such as a container's `name` \
            must be there. These failures surface only at deploy time, often in a pipeline \
            far from the change that caused them.",
        remediation: "Write the value in the type the message names, and add missing required \
            fields. YAML reads unquoted `yes`, `no`, `on` and `off` as booleans and quoted \
            numbers as strings, so quote strings and leave numbers bare:\n\n\
            ```yaml\nspec:\n  replicas: 3            # not \"3\"\n  template:\n    spec:\n      \
            containers:\n        - name: api        # required\n          resources:\n            \
            limits:\n              memory: 1Gi  # not 1GB\n```",
        references: &[API_REFERENCE, FIELD_VALIDATION, CRD_VALIDATION],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "deployment.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: \"3\"
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - image: ghcr.io/acme/api:1.4.2
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
",
        },
    },
    check: Check::Object(schema_invalid),
};

fn schema_invalid(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Validation::Checked(errors) = validate(object, sink) else {
        return;
    };
    for error in errors.iter().filter(|e| e.kind != ErrorKind::UnknownField) {
        if reported_as_quantity(object, error) {
            continue;
        }
        sink.at(object, error.span, &error.path, error.message.clone());
    }
}

/// `k8s/invalid-quantity` already reports unparsable requests, limits and
/// emptyDir size limits of pods, with advice specific to them.
fn reported_as_quantity(object: &Object<'_>, error: &SchemaError) -> bool {
    let about_quantity = error.kind == ErrorKind::Format
        || (error.kind == ErrorKind::Type && error.message.contains("a quantity"));
    if !about_quantity || !object.is_workload() {
        return false;
    }
    let p = error.pointer.as_str();
    p.contains("/resources/requests/")
        || p.contains("/resources/limits/")
        || p.ends_with("/emptyDir/sizeLimit")
}

const UNKNOWN_KIND: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/unknown-kind",
        title: "Every object has a schema to be validated against",
        severity: Severity::Info,
        category: Category::Correctness,
        rationale: "An object whose apiVersion and kind have no known schema cannot be \
            checked for misspelt fields or wrong values, so a clean report would say nothing \
            about it. This names such objects instead of passing them silently: custom \
            resources whose CustomResourceDefinition is not among the checked files, kinds \
            the target release does not serve, and typos in `apiVersion` or `kind` \
            themselves.",
        remediation: "Check the spelling of `apiVersion` and `kind`. For a custom resource, \
            check its CustomResourceDefinition along with it, or give its JSON Schema:\n\n\
            ```sh\nshipgate check --schema-dir schemas/ k8s/\n# schemas/monitoring.coreos.com/servicemonitor_v1.json\n```\n\n\
            Files in `--schema-dir` are named `GROUP/KIND_VERSION.json`, \
            `KIND-GROUP-VERSION.json` or `KIND_VERSION.json`; CRDs there are read too. \
            Set `--kube-version` to the release the objects are deployed to.",
        references: &[CRD_VALIDATION, API_REFERENCE],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "widget.yaml",
            content: "apiVersion: example.com/v1
kind: Widget
metadata:
  name: api
  namespace: shop
spec:
  size: 3
",
        },
        passing: Example {
            file: "widget.yaml",
            content: "apiVersion: apiextensions.k8s.io/v1
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
              properties:
                size: {type: integer}
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: api
  namespace: shop
spec:
  size: 3
",
        },
    },
    check: Check::Object(unknown_kind),
};

fn unknown_kind(object: &Object<'_>, sink: &mut Sink<'_>) {
    if validate(object, sink) != Validation::Unknown {
        return;
    }
    let target = sink.config().kube_version;
    let schemas = &sink.config().schemas;
    let served = schemas.releases_with(object.api_version, object.kind);
    let (api_version, kind) = (object.api_version, object.kind);
    let message = match (served.first(), served.last()) {
        (Some(first), _) if release(target) < *first => format!(
            "{api_version} {kind} is first served by Kubernetes {first}, newer than the \
             target {target} (--kube-version); it was not validated"
        ),
        (_, Some(last)) => format!(
            "{api_version} {kind} is not served by Kubernetes {target} (the last release \
             serving it is {last}); it was not validated"
        ),
        _ if is_builtin_group(api_version) => {
            match schemas.suggest_kind(api_version, kind, release(target)) {
                Some(near) => format!(
                    "{api_version} has no kind `{kind}` in Kubernetes {target}; did you mean \
                     `{near}`? The object was not validated"
                ),
                None => format!(
                    "Kubernetes {target} serves no {api_version} {kind}, so it was not \
                     validated; check the spelling of apiVersion and kind"
                ),
            }
        }
        _ => format!(
            "no schema is known for {api_version} {kind}, so it was not validated; check its \
             CustomResourceDefinition along with it or give its JSON Schema with --schema-dir"
        ),
    };
    sink.object(object, message);
}

/// Groups only Kubernetes itself defines: no CRD can add kinds to them
/// (`*.k8s.io` is reserved), so an unknown kind there is a typo or an API
/// the release does not serve, not a missing CRD.
fn is_builtin_group(api_version: &str) -> bool {
    match api_version.rsplit_once('/') {
        None => true,
        Some((group, _)) => !group.contains('.') || group.ends_with(".k8s.io"),
    }
}

fn release(version: KubeVersion) -> Release {
    Release::new(version.major, version.minor)
}

/// The object's validation at the target release. The three rules ask in
/// turn about the same object; the schema set answers repeats from memory.
/// A CustomResourceDefinition met while checking teaches the set its kinds,
/// so custom resources after it in the same stream are validated too (a
/// scan also reads every CRD of the tree before checking anything).
fn validate(object: &Object<'_>, sink: &Sink<'_>) -> Validation {
    let config = sink.config();
    if object.kind == "CustomResourceDefinition"
        && object.api_version.starts_with("apiextensions.k8s.io/")
    {
        let _ = config.schemas.add_crd(object.node);
    }
    config
        .schemas
        .validate(object.node, release(config.kube_version))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, position};

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
          resources:
            limits: {memory: 1GB}
";

    #[test]
    fn unknown_fields_and_invalid_values_are_separate_rules() {
        let yaml = DEPLOYMENT
            .replace("replicas: 2", "replicas: \"2\"\n  replica: 2")
            .replace(
                "name: api\n          image",
                "name: api\n          imagePullPolcy: Always\n          image",
            );
        let unknown = check("k8s/schema-unknown-field", &yaml);
        let positions: Vec<(u32, u32)> = unknown.iter().map(position).collect();
        assert_eq!(positions, vec![(7, 3), (16, 11)], "{unknown:#?}");
        assert!(unknown[0].message.contains("did you mean `replicas`?"));
        assert!(
            unknown[1]
                .location
                .logical
                .ends_with("> spec.template.spec.containers[0].imagePullPolcy")
        );
        let invalid = check("k8s/schema-invalid", &yaml);
        let positions: Vec<(u32, u32)> = invalid.iter().map(position).collect();
        // The memory limit is k8s/invalid-quantity's to report.
        assert_eq!(positions, vec![(6, 13)], "{invalid:#?}");
    }

    #[test]
    fn unknown_kinds_say_why() {
        let custom = check(
            "k8s/unknown-kind",
            "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
        );
        assert_eq!(custom.len(), 1);
        assert_eq!(position(&custom[0]), (2, 7));
        assert!(custom[0].message.contains("no schema is known"));
        // Alone, it says the API is gone; with `k8s/removed-api` enabled the
        // engine keeps that rule's finding, which names the replacement.
        let removed = check(
            "k8s/unknown-kind",
            "apiVersion: flowcontrol.apiserver.k8s.io/v1beta2\nkind: FlowSchema\nmetadata: {name: f}\n",
        );
        assert!(
            removed[0]
                .message
                .contains("the last release serving it is 1.28"),
            "{}",
            removed[0].message
        );
        let typo = check(
            "k8s/unknown-kind",
            "apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: d}\n",
        );
        assert!(
            typo[0].message.contains("did you mean `Deployment`?"),
            "{}",
            typo[0].message
        );
    }
}
