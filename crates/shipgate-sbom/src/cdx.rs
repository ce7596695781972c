//! The subset of CycloneDX 1.6 that shipgate writes, as serde structs whose
//! field order is the order written: the header first, as CycloneDX's own
//! tools write it, so the file reads well.

use serde::Serialize;
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;

use crate::{Scan, Subject};

pub const SPEC_VERSION: &str = "1.6";
const SCHEMA_URL: &str = "http://cyclonedx.org/schema/bom-1.6.schema.json";
/// The property naming the lockfile a component was read from; repeated
/// when several lockfiles list it.
pub const LOCKFILE_PROPERTY: &str = "shipgate:lockfile";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bom {
    #[serde(rename = "$schema")]
    pub schema: String,
    pub bom_format: String,
    pub spec_version: String,
    pub serial_number: String,
    pub version: u32,
    pub metadata: BomMetadata,
    pub components: Vec<BomComponent>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<BomDependency>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BomMetadata {
    pub timestamp: String,
    pub tools: BomTools,
    pub component: BomComponent,
}

/// CycloneDX 1.5 and later describe tools as components; the bare list of
/// earlier versions is deprecated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BomTools {
    pub components: Vec<BomComponent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BomComponent {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    pub bom_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hashes: Vec<BomHash>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<BomProperty>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BomHash {
    pub alg: String,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BomProperty {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BomDependency {
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(rename = "dependsOn")]
    pub depends_on: Vec<String>,
}

impl BomComponent {
    fn application(bom_ref: Option<String>, name: &str, version: &str) -> BomComponent {
        BomComponent {
            kind: "application".into(),
            bom_ref,
            group: None,
            name: name.to_string(),
            version: Some(version.to_string()),
            scope: None,
            hashes: Vec::new(),
            purl: None,
            properties: Vec::new(),
        }
    }
}

/// The `bom-ref` of the repository itself. Components are referred to by
/// their purls, which start with `pkg:`, so this cannot collide with one.
pub fn root_ref(subject: &Subject) -> String {
    format!("{}@{}", subject.name, subject.version)
}

pub(crate) fn build(scan: &Scan, subject: &Subject) -> Bom {
    let root = root_ref(subject);
    let components = scan
        .components
        .iter()
        .map(|c| BomComponent {
            kind: "library".into(),
            bom_ref: Some(c.purl.clone()),
            group: c.group.clone(),
            name: c.name.clone(),
            version: Some(c.version.clone()),
            scope: c.scope.map(|s| s.as_str().to_string()),
            hashes: c
                .hashes
                .iter()
                .map(|h| BomHash {
                    alg: h.alg.as_str().into(),
                    content: h.hex.clone(),
                })
                .collect(),
            purl: Some(c.purl.clone()),
            properties: c
                .lockfiles
                .iter()
                .map(|path| BomProperty {
                    name: LOCKFILE_PROPERTY.into(),
                    value: path.clone(),
                })
                .collect(),
        })
        .collect();

    let mut dependencies = Vec::new();
    // An entry says "these and only these": it is written only where a
    // lockfile told, never as an empty list standing for "unknown".
    if !scan.root_dependencies.is_empty() {
        dependencies.push(BomDependency {
            reference: root.clone(),
            depends_on: scan.root_dependencies.clone(),
        });
    }
    for c in &scan.components {
        if let Some(deps) = &c.depends_on {
            dependencies.push(BomDependency {
                reference: c.purl.clone(),
                depends_on: deps.clone(),
            });
        }
    }
    dependencies.sort_by(|a, b| a.reference.cmp(&b.reference));

    let mut bom = Bom {
        schema: SCHEMA_URL.into(),
        bom_format: "CycloneDX".into(),
        spec_version: SPEC_VERSION.into(),
        serial_number: String::new(),
        version: 1,
        metadata: BomMetadata {
            timestamp: timestamp(subject.timestamp),
            tools: BomTools {
                components: vec![BomComponent::application(
                    None,
                    &subject.tool_name,
                    &subject.tool_version,
                )],
            },
            component: BomComponent::application(Some(root), &subject.name, &subject.version),
        },
        components,
        dependencies,
    };
    bom.serial_number = serial_number(crate::to_json(&bom).as_bytes());
    bom
}

/// RFC 3339 in UTC to the second, the form CycloneDX examples use.
fn timestamp(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// `urn:uuid:` from the SHA-256 of `content` (the document as written with
/// an empty serial number).
///
/// A BOM's serial number usually comes from a random v4 UUID, which would
/// make every run's output differ. Deriving it from the content keeps two runs
/// at one commit byte-identical, while any change in what the document says
/// (a component, the subject's version, the timestamp) changes it. The first
/// 16 bytes of the digest get the version 4 and RFC 4122 variant bits: the
/// CycloneDX 1.6 specification asks for an RFC 4122 UUID, and that RFC only
/// knows versions 1 to 5, so version 8 (RFC 9562's "custom" layout, the more
/// literal label) could be refused by strict readers; version 4 asks only
/// that the other 122 bits be unpredictable, which a SHA-256 output is.
pub fn serial_number(content: &[u8]) -> String {
    let digest = Sha256::digest(content);
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_numbers_are_uuid_v4_shaped_and_content_bound() {
        let a = serial_number(b"one");
        let b = serial_number(b"two");
        assert_ne!(a, b);
        assert_eq!(a, serial_number(b"one"));
        let uuid = a.strip_prefix("urn:uuid:").unwrap();
        let groups: Vec<&str> = uuid.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(groups[2].starts_with('4'));
        assert!(matches!(groups[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
    }

    #[test]
    fn timestamps_are_utc_seconds() {
        let t = time::macros::datetime!(2026-11-03 12:15:30.123456 +02:00);
        assert_eq!(timestamp(t), "2026-11-03T10:15:30Z");
    }
}
