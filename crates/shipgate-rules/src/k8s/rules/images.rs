//! Container images: which build of the software a pod actually runs.

use shipgate_core::{Alias, Category, Example, RuleMeta, Severity, Tool};
use shipgate_syntax::yaml::NodeRef;

use crate::k8s::{Container, Object, Sink};
use crate::{Check, RuleDef};

pub(super) const RULES: &[RuleDef] = &[IMAGE_TAG, IMAGE_DIGEST, IMAGE_PULL_POLICY];

const NSA_CISA: &str = "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF";

/// An image reference split the way container runtimes read it:
/// `[registry[:port]/]path[:tag][@digest]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ImageRef<'a> {
    pub name: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    pub(crate) fn parse(image: &'a str) -> Self {
        let (name, digest) = match image.split_once('@') {
            Some((name, digest)) => (name, Some(digest).filter(|d| !d.is_empty())),
            None => (image, None),
        };
        // A colon before the last slash belongs to a registry port
        // (`registry:5000/app`); only one after it separates a tag.
        let last = name.rfind('/').map_or(0, |i| i + 1);
        match name[last..].find(':') {
            Some(colon) => ImageRef {
                name: &name[..last + colon],
                tag: Some(&name[last + colon + 1..]).filter(|t| !t.is_empty()),
                digest,
            },
            None => ImageRef {
                name,
                tag: None,
                digest,
            },
        }
    }

    /// A tag that names no particular build: absent (which pulls `latest`) or `latest`.
    fn floating(&self) -> bool {
        self.digest.is_none() && self.tag.is_none_or(|t| t.eq_ignore_ascii_case("latest"))
    }
}

/// The container's image, unless a templating or substitution step fills it
/// in later: what we read is then not what runs, so we cannot judge it.
fn literal_image<'a>(container: &Container<'a>) -> Option<(NodeRef<'a>, &'a str)> {
    let node = container.image()?;
    let text = node.as_text()?.trim();
    if text.is_empty() || ["{{", "${", "$("].iter().any(|m| text.contains(m)) {
        return None;
    }
    Some((node, text))
}

const IMAGE_TAG: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/image-tag",
        title: "Container images are pinned to a version tag or a digest",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "An image without a tag, or tagged `latest`, names whatever was pushed last: \
            two nodes can run different builds of the same Deployment, a rescheduled pod can \
            silently upgrade, and a rollback restores the manifest but not the software. A \
            version tag or a digest makes every pod of a revision run the same build.",
        remediation: "Reference an explicit version, or better a digest, and change it \
            through the normal release process:\n\n```yaml\ncontainers:\n  - name: api\n    \
            image: ghcr.io/acme/api:1.4.2\n    # or, immutable:\n    # image: \
            ghcr.io/acme/api:1.4.2@sha256:<digest>\n```\n\nImages filled in at deploy time \
            (`{{ ... }}`, `${VAR}`) are not judged. If a kustomization's `images:` sets the \
            tag, suppress the finding on the base with a reason.",
        references: &[
            "https://kubernetes.io/docs/concepts/containers/images/#image-names",
            "https://kubernetes.io/docs/concepts/configuration/overview/",
            NSA_CISA,
        ],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_14"),
            Alias::new(Tool::Polaris, "tagNotSpecified"),
            Alias::new(Tool::KubeScore, "container-image-tag"),
            Alias::new(Tool::KubeLinter, "latest-tag"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: "redis.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: redis
  namespace: shop
spec:
  replicas: 1
  selector:
    matchLabels: {app: redis}
  template:
    metadata:
      labels: {app: redis}
    spec:
      containers:
        - name: redis
          image: redis:latest
          ports:
            - name: redis
              containerPort: 6379
",
        },
        passing: Example {
            file: "redis.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: redis
  namespace: shop
spec:
  replicas: 1
  selector:
    matchLabels: {app: redis}
  template:
    metadata:
      labels: {app: redis}
    spec:
      initContainers:
        - name: wait
          image: registry.internal:5000/tools/wait-for@sha256:4f5e6d8a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2
      containers:
        - name: redis
          image: redis:7.4.1-bookworm
          ports:
            - name: redis
              containerPort: 6379
",
        },
    },
    check: Check::Object(image_tag),
};

fn image_tag(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    for container in pod.containers() {
        let Some((node, image)) = literal_image(&container) else {
            continue;
        };
        let parsed = ImageRef::parse(image);
        if !parsed.floating() {
            continue;
        }
        let message = match parsed.tag {
            Some(_) => format!("image `{image}` uses the mutable `latest` tag"),
            None => format!("image `{image}` has no tag, so it runs whatever `latest` is"),
        };
        sink.node(object, node, &container.field("image"), message)
            .set_help(format!(
                "pin a version such as `{}:<version>`, or a digest",
                parsed.name
            ));
    }
}

const IMAGE_DIGEST: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/image-digest",
        title: "Container images are pinned by digest",
        severity: Severity::Info,
        category: Category::Security,
        rationale: "A tag is a movable pointer: whoever can push to the repository can make \
            `1.4.2` mean different bytes tomorrow, and a compromised registry or a mistaken \
            re-push changes what runs without any change to the manifest. A digest names \
            the exact content, so what was reviewed and scanned is what runs. Digests make \
            updates a deliberate change, which some teams prefer to automate, so the rule \
            is opt-in.",
        remediation: "Append the digest of the image you tested (keeping the tag for people \
            to read), and let a bot such as Renovate update both:\n\n```yaml\nimage: \
            ghcr.io/acme/api:1.4.2@sha256:4f5e6d8a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2\n```",
        references: &[
            "https://kubernetes.io/docs/concepts/containers/images/#image-names",
            "https://kubernetes.io/docs/concepts/security/supply-chain-security/",
            NSA_CISA,
        ],
        aliases: &[Alias::new(Tool::Checkov, "CKV_K8S_43")],
        enabled_by_default: false,
        failing: Example {
            file: "api.yaml",
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
        passing: Example {
            file: "api.yaml",
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
          image: ghcr.io/acme/api:1.4.2@sha256:4f5e6d8a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2
",
        },
    },
    check: Check::Object(image_digest),
};

fn image_digest(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    for container in pod.containers() {
        let Some((node, image)) = literal_image(&container) else {
            continue;
        };
        if ImageRef::parse(image).digest.is_none() {
            sink.node(
                object,
                node,
                &container.field("image"),
                format!("image `{image}` is not pinned by digest"),
            )
            .set_help("append `@sha256:<digest>` of the image you tested");
        }
    }
}

const IMAGE_PULL_POLICY: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/image-pull-policy",
        title: "Containers pull their image on every start",
        severity: Severity::Info,
        category: Category::Security,
        rationale: "With `IfNotPresent`, a pod reuses any copy of the image already on its \
            node, without the registry checking that the pod's credentials may read it: on \
            a shared node, one tenant can run another tenant's private image. `Always` makes \
            the registry authorise every start (cheaply: only the manifest is fetched when \
            the layers are cached). Clusters that enable the `AlwaysPullImages` admission \
            plugin, or that are single-tenant, do not need this, so the rule is opt-in.",
        remediation: "Set the policy explicitly on every container:\n\n```yaml\ncontainers:\n  \
            - name: api\n    image: ghcr.io/acme/api:1.4.2\n    imagePullPolicy: Always\n```\n\n\
            Or enable the `AlwaysPullImages` admission plugin cluster-wide.",
        references: &[
            "https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy",
            "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#alwayspullimages",
            "https://www.cisecurity.org/benchmark/kubernetes",
        ],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_15"),
            Alias::new(Tool::Polaris, "pullPolicyNotAlways"),
            Alias::new(Tool::KubeScore, "container-image-pull-policy"),
        ],
        enabled_by_default: false,
        failing: Example {
            file: "api.yaml",
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
          imagePullPolicy: IfNotPresent
",
        },
        passing: Example {
            file: "api.yaml",
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
          imagePullPolicy: Always
",
        },
    },
    check: Check::Object(image_pull_policy),
};

fn image_pull_policy(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    for container in pod.containers() {
        let name = container.name().unwrap_or("?");
        match container.get("imagePullPolicy").filter(|p| !p.is_null()) {
            Some(policy) => {
                let value = policy.as_text().unwrap_or("");
                if value != "Always" {
                    sink.node(
                        object,
                        policy,
                        &container.field("imagePullPolicy"),
                        format!("container `{name}` pulls its image with policy `{value}`"),
                    )
                    .set_help("set imagePullPolicy: Always");
                }
            }
            None => {
                // Kubernetes defaults to `Always` only for untagged and `latest`
                // images; anything pinned defaults to `IfNotPresent`.
                let Some((_, image)) = literal_image(&container) else {
                    continue;
                };
                let parsed = ImageRef::parse(image);
                let defaults_to_always =
                    parsed.digest.is_none() && parsed.tag.is_none_or(|t| t == "latest");
                if !defaults_to_always {
                    sink.container(
                        object,
                        &container,
                        format!(
                            "container `{name}` sets no imagePullPolicy, so it defaults to `IfNotPresent`"
                        ),
                    )
                    .set_help("set imagePullPolicy: Always");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ImageRef;
    use crate::{ArtifactKind, Engine, EngineConfig};

    fn findings(rule: &str, text: &str) -> Vec<shipgate_core::Finding> {
        let engine = Engine::new(EngineConfig {
            select: vec![rule.to_owned()],
            ..EngineConfig::default()
        })
        .expect("selection");
        let outcome = engine.check_text(
            "deploy.yaml",
            text,
            ArtifactKind::from_path("deploy.yaml", false),
        );
        engine
            .finish(vec![".".into()], vec![outcome], None)
            .findings
            .into_iter()
            .filter(|f| f.rule == rule)
            .collect()
    }

    fn pod(images: &[&str]) -> String {
        let mut text = String::from(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  containers:\n",
        );
        for (i, image) in images.iter().enumerate() {
            text.push_str(&format!("    - name: c{i}\n      image: {image}\n"));
        }
        text
    }

    #[test]
    fn parses_registry_ports_tags_and_digests() {
        let r = ImageRef::parse("registry.internal:5000/team/app");
        assert_eq!(
            (r.name, r.tag, r.digest),
            ("registry.internal:5000/team/app", None, None)
        );
        let r = ImageRef::parse("registry.internal:5000/team/app:1.2");
        assert_eq!(
            (r.name, r.tag),
            ("registry.internal:5000/team/app", Some("1.2"))
        );
        let r = ImageRef::parse("app@sha256:abc");
        assert_eq!((r.name, r.tag, r.digest), ("app", None, Some("sha256:abc")));
        let r = ImageRef::parse("app:1.0@sha256:abc");
        assert_eq!((r.tag, r.digest), (Some("1.0"), Some("sha256:abc")));
        let r = ImageRef::parse("app:");
        assert_eq!((r.name, r.tag), ("app", None));
    }

    #[test]
    fn image_tag_flags_untagged_and_latest_but_not_ports_digests_or_templates() {
        let text = pod(&[
            "redis",
            "redis:latest",
            "registry.internal:5000/app",
            "registry.internal:5000/app:2.1",
            "app@sha256:4f5e6d8a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2",
            "\"${REGISTRY}/app:${TAG}\"",
        ]);
        let found = findings("k8s/image-tag", &text);
        let lines: Vec<u32> = found.iter().filter_map(|f| f.location.line()).collect();
        assert_eq!(lines, vec![9, 11, 13], "{found:#?}");
        // The finding points at the image value itself.
        let span = found[1].location.span.expect("span");
        assert_eq!((span.start.line, span.start.column), (11, 14));
        assert!(found[1].message.contains("`latest`"));
        assert_eq!(
            found[1].location.logical,
            "Pod/shop/p > spec.containers[c1].image"
        );
    }

    #[test]
    fn image_digest_flags_tags_only() {
        let text = pod(&["app:1.0", "app:1.0@sha256:abc"]);
        let found = findings("k8s/image-digest", &text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].location.line(), Some(9));
    }

    #[test]
    fn pull_policy_follows_kubernetes_defaults() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: pinned\n      image: app:1.0\n    - name: floating\n      image: app\n    - name: explicit\n      image: app:1.0\n      imagePullPolicy: Never\n";
        let found = findings("k8s/image-pull-policy", text);
        let lines: Vec<u32> = found.iter().filter_map(|f| f.location.line()).collect();
        // `pinned` defaults to IfNotPresent (at its name), `floating` to Always,
        // `explicit` says Never (at the value).
        assert_eq!(lines, vec![7, 13], "{found:#?}");
    }
}
