//! Schemas from the command line: `--schema-dir`, CRDs on standard input,
//! and the release `--kube-version` names.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn shipgate() -> Command {
    let mut cmd = Command::cargo_bin("shipgate").expect("binary");
    cmd.env_remove("NO_COLOR");
    cmd
}

fn write(dir: &Path, path: &str, content: &str) {
    let full = dir.join(path);
    fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
    fs::write(full, content).expect("write");
}

const SCHEMA_RULES: &str = "k8s/schema-unknown-field,k8s/schema-invalid,k8s/unknown-kind";

const GADGET: &str = "apiVersion: example.com/v1
kind: Gadget
metadata: {name: g, namespace: shop}
spec:
  size: 3
  colour: red
";

#[test]
fn schema_dirs_name_kinds_by_folder_and_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "k8s/gadget.yaml", GADGET);
    write(
        dir.path(),
        "schemas/example.com/gadget_v1.json",
        r#"{"type": "object", "additionalProperties": false,
            "properties": {"apiVersion": {}, "kind": {}, "metadata": {},
              "spec": {"type": "object", "additionalProperties": false,
                       "properties": {"size": {"type": "integer"}}}}}"#,
    );
    shipgate()
        .current_dir(dir.path())
        .args([
            "check",
            "k8s",
            "--format",
            "github",
            "--select",
            SCHEMA_RULES,
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("k8s/unknown-kind"));
    shipgate()
        .current_dir(dir.path())
        .args([
            "check",
            "k8s",
            "--schema-dir",
            "schemas",
            "--format",
            "github",
        ])
        .args(["--select", SCHEMA_RULES])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "file=k8s/gadget.yaml,line=6,col=3",
        ))
        .stdout(predicate::str::contains("unknown field `spec.colour`"))
        .stdout(predicate::str::contains("k8s/unknown-kind").not());
}

#[test]
fn a_schema_dir_that_does_not_exist_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "k8s/gadget.yaml", GADGET);
    shipgate()
        .current_dir(dir.path())
        .args(["check", "k8s", "--schema-dir", "missing"])
        .assert()
        .code(2);
}

#[test]
fn crds_on_standard_input_validate_resources_before_them() {
    let crd = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets}
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
";
    shipgate()
        .args(["check", "-", "--format", "github", "--select", SCHEMA_RULES])
        .write_stdin(format!("{GADGET}---\n{crd}"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("line=6,col=3"))
        .stdout(predicate::str::contains("unknown field `spec.colour`"));
}

#[test]
fn the_target_release_decides_which_kinds_exist() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "flow.yaml",
        "apiVersion: flowcontrol.apiserver.k8s.io/v1beta3
kind: FlowSchema
metadata: {name: f}
spec:
  priorityLevelConfiguration: {name: global-default}
  matchingPrecedence: high
",
    );
    shipgate()
        .current_dir(dir.path())
        .args([
            "check",
            "flow.yaml",
            "--kube-version",
            "1.28",
            "--format",
            "github",
        ])
        .args(["--select", SCHEMA_RULES])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "`spec.matchingPrecedence` must be an integer",
        ));
    shipgate()
        .current_dir(dir.path())
        .args([
            "check",
            "flow.yaml",
            "--kube-version",
            "1.35",
            "--format",
            "github",
        ])
        .args(["--select", SCHEMA_RULES])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("is not served by Kubernetes 1.35"));
}

#[test]
fn bundled_cert_manager_issuers_are_checked_without_their_crds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let issuer = "apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: letsencrypt}
spec:
  acme:
    server: https://acme-v02.api.letsencrypt.org/directory
    privateKeySecretRef: {name: letsencrypt-account}
    solvers:
      - http01:
          ingress: {ingressClassName: nginx}
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: internal-ca, namespace: shop}
spec:
  ca: {secretName: internal-ca-key-pair}
";
    write(dir.path(), "issuers.yaml", issuer);
    shipgate()
        .current_dir(dir.path())
        .args(["check", "issuers.yaml", "--format", "github"])
        .args(["--select", SCHEMA_RULES])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("k8s/unknown-kind").not());
    write(
        dir.path(),
        "issuers.yaml",
        &issuer
            .replace("{ingressClassName: nginx}", "{ingressClasName: nginx}")
            .replace("{secretName: internal-ca-key-pair}", "{secretName: [ca]}"),
    );
    shipgate()
        .current_dir(dir.path())
        .args(["check", "issuers.yaml", "--format", "github"])
        .args(["--select", SCHEMA_RULES])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("file=issuers.yaml,line=10,col=21"))
        .stdout(predicate::str::contains(
            "unknown field `spec.acme.solvers[0].http01.ingress.ingressClasName`",
        ))
        .stdout(predicate::str::contains("file=issuers.yaml,line=16,col=20"))
        .stdout(predicate::str::contains(
            "`spec.ca.secretName` must be a string",
        ))
        .stdout(predicate::str::contains("k8s/unknown-kind").not());
}
