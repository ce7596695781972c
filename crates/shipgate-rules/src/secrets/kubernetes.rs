//! Kubernetes Secret manifests: `data` values are base64, an encoding and
//! not encryption, so they are decoded and searched like any text;
//! `stringData` values are plain text already.

use sha2::{Digest, Sha256};
use shipgate_core::{Category, Example, RuleMeta, Severity};
use shipgate_syntax::yaml::NodeRef;

use super::filters;
use super::scan::{describe, prefix, scanner};
use crate::credentials::{credential_name, not_a_literal};
use crate::k8s::{Object, Sink};
use crate::{Check, RuleDef};

pub(super) const SECRET_VALUE: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "secrets/kubernetes-secret-value",
        title: "Kubernetes Secret manifests hold no credential values",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "A Secret's `data` is base64, which anyone can decode, and its \
            `stringData` is plain text: a committed Secret manifest publishes every value it \
            holds to everyone who can read the repository. Each `data` value is decoded and \
            searched for known credential formats; a literal under a credential's name, in \
            `data` or `stringData`, is reported too.",
        remediation: "Rotate first: change every credential the manifest held. Then keep the \
            manifest out of the repository and create the Secret from a secret store: \
            encrypt it (Sealed Secrets, SOPS) or sync it (External Secrets Operator), for \
            example:\n\n```yaml\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n\
            metadata:\n  name: orders-db\n  namespace: shop\nspec:\n  encryptedData:\n    \
            password: AgB4…\n```",
        references: &[
            "https://kubernetes.io/docs/concepts/configuration/secret/",
            "https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
            "https://external-secrets.io/latest/",
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "secret.yaml",
            content: "apiVersion: v1\nkind: Secret\nmetadata:\n  name: orders-db\n  namespace: shop\ntype: Opaque\nstringData:\n  username: orders\n  password: 0123456789abcdef\n",
        },
        passing: Example {
            file: "secret.yaml",
            content: "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: orders-db\n  namespace: shop\nspec:\n  encryptedData:\n    password: AgB4ABCDEFGH\n",
        },
    },
    check: Check::Object(secret_value),
};

fn secret_value(object: &Object<'_>, sink: &mut Sink<'_>) {
    if object.kind != "Secret" || object.api_version != "v1" {
        return;
    }
    let name = object.name.unwrap_or("?");
    for (field, encoded) in [("data", true), ("stringData", false)] {
        let Some(map) = object.node.get(field) else {
            continue;
        };
        for (key, value) in map.entries() {
            let (Some(key), Some(text)) = (key.as_text(), value.as_text()) else {
                continue;
            };
            judge(object, sink, name, field, key, value, text, encoded);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn judge(
    object: &Object<'_>,
    sink: &mut Sink<'_>,
    name: &str,
    field: &str,
    key: &str,
    node: NodeRef<'_>,
    text: &str,
    encoded: bool,
) {
    let decoded;
    let value: &[u8] = if encoded {
        match filters::base64_decode(text.as_bytes()) {
            Some(bytes) => {
                decoded = bytes;
                &decoded
            }
            // Kubernetes rejects it; a templating placeholder, not a value.
            None => return,
        }
    } else {
        text.as_bytes()
    };
    let literal = String::from_utf8_lossy(value);
    if literal.trim().is_empty() || not_a_literal(&literal) {
        return;
    }
    // The key names the value, as a variable's name would.
    let mut assignment = Vec::with_capacity(key.len() + 1 + value.len());
    assignment.extend_from_slice(key.as_bytes());
    assignment.push(b'=');
    assignment.extend_from_slice(value);
    let scanner = scanner();
    let on = vec![true; super::DETECTOR_COUNT];
    let hits = scanner.scan(key, &assignment, &on);
    let location = format!("{field}[{key}]");
    let message = if let Some(hit) = hits.first() {
        let what = scanner.detector(hit.detector).spec.detect.what;
        let verb = if encoded { "decodes to" } else { "holds" };
        format!(
            "Secret `{name}` {location} {verb} {}",
            describe(what, &hit.prefix, &hit.digest)
        )
    } else if credential_name(key) || looks_like_a_credential(key, value) {
        if filters::is_placeholder(value) {
            return;
        }
        let digest: [u8; 32] = Sha256::digest(value).into();
        let how = if encoded {
            "base64 of a literal"
        } else {
            "a literal"
        };
        format!(
            "Secret `{name}` {location} is {how}: {}",
            describe("a credential", &prefix(value), &digest)
        )
    } else {
        return;
    };
    let span = node.span();
    sink.node(object, node, &location, message)
        .add_redaction(span)
        .set_help("rotate the values, then create the Secret from a secret store or encrypt it (Sealed Secrets, SOPS)");
}

/// A one-line value of some randomness under a key that does not name
/// where a credential is used (`username`, `host`, `ca.crt`): a Secret's
/// values are credentials unless they say otherwise.
fn looks_like_a_credential(key: &str, value: &[u8]) -> bool {
    !value.contains(&b'\n')
        && value.len() >= 8
        && filters::entropy(value) >= 3.0
        && !describes_public_value(key)
}

/// Keys whose values describe where a credential is used, not the
/// credential itself.
fn describes_public_value(key: &str) -> bool {
    const PUBLIC: &[&str] = &[
        "user",
        "username",
        "login",
        "email",
        "host",
        "hostname",
        "server",
        "port",
        "database",
        "db",
        "dbname",
        "name",
        "namespace",
        "region",
        "zone",
        "endpoint",
        "url",
        "uri",
        "scheme",
        "protocol",
        "type",
        "version",
        "crt",
        "cert",
        "certificate",
        "ca",
        "pub",
        "id",
        "account",
        "project",
        "bucket",
        "path",
        "mode",
    ];
    let last = key
        .rsplit(|c: char| !c.is_ascii_alphanumeric())
        .find(|part| !part.is_empty())
        .unwrap_or(key)
        .to_ascii_lowercase();
    PUBLIC.contains(&last.as_str())
}
