//! Images: which build of the software a service actually runs.

use shipgate_core::{Category, Example, RuleMeta, Severity};

use super::{CIS, Compose, HARDENED, ImageRef, OWASP, SPEC_SERVICES, Service, at_node};
use crate::sink::FileSink;
use crate::{Check, RuleDef};

pub(super) const IMAGE_TAG: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "compose/image-tag",
        title: "Service images are pinned to a version tag or a digest",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "An image without a tag, or tagged `latest`, names whatever was pushed \
            last: `docker compose pull` on two hosts, or on one host a week apart, runs \
            different software from the same file, and going back to an older commit does \
            not bring the older software back. A version tag (or a digest) makes the file \
            say what runs.",
        remediation: "Name a version, and change it through the normal review process:\n\n\
            ```yaml\nservices:\n  redis:\n    image: redis:7.4.1-alpine\n    # or, \
            immutable:\n    # image: redis:7.4.1-alpine@sha256:<digest>\n```\n\n\
            Interpolated images are judged by their default (`${TAG:-latest}` is \
            reported, `${TAG:?set TAG}` is not). Services with `build:` are not judged: \
            `image:` then names the image Compose builds.",
        references: &[
            SPEC_SERVICES,
            "https://docs.docker.com/reference/cli/docker/image/pull/#pull-an-image-by-digest-immutable-identifier",
            OWASP,
            CIS,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "docker-compose.yml",
            content: "services:\n  cache:\n    image: redis:latest\n  proxy:\n    image: nginx\n",
        },
        passing: Example {
            file: "docker-compose.yml",
            content: HARDENED,
        },
    },
    check: Check::Compose(image_tag),
};

/// The image a service pulls, when it pulls one and the file decides which.
fn pulled<'a>(service: &Service<'a>) -> Option<(super::Image<'a>, String)> {
    if service.build().is_some() {
        return None;
    }
    let image = service.image()?;
    let resolved = image.when_unset()?;
    let resolved = resolved.trim().to_owned();
    (!resolved.is_empty()).then_some((image, resolved))
}

fn image_tag(compose: &Compose<'_>, sink: &mut FileSink<'_>) {
    for service in &compose.services {
        let Some((image, resolved)) = pulled(service) else {
            continue;
        };
        let reference = ImageRef::parse(&resolved);
        if reference.digest.is_some() {
            continue;
        }
        let defaulted = if super::interpolate::is_interpolated(image.text) {
            " when its variables are unset"
        } else {
            ""
        };
        let message = match reference.tag {
            None => format!(
                "service `{}` runs `{}` with no tag{defaulted}, which pulls `latest`",
                service.name, reference.name
            ),
            Some(tag) if tag.eq_ignore_ascii_case("latest") => format!(
                "service `{}` runs `{}:{tag}`{defaulted}, whatever was pushed last",
                service.name, reference.name
            ),
            Some(_) => continue,
        };
        at_node(sink, service, image.node, "image", message)
            .set_help("pin a version tag such as `redis:7.4.1-alpine`, or a digest");
    }
}

pub(super) const IMAGE_DIGEST: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "compose/image-digest",
        title: "Service images are pinned to a digest",
        severity: Severity::Info,
        category: Category::Security,
        rationale: "A tag is a name the registry can move: a re-pushed `7.4.1` or a \
            compromised registry account changes what runs without any change to the file. \
            A digest names the exact content and is verified on pull. It costs an update \
            tool (Renovate, Dependabot) to keep digests fresh, so the rule is opt-in.",
        remediation: "Append the digest the tag resolves to (`docker buildx imagetools \
            inspect redis:7.4.1-alpine`), keeping the tag for readers:\n\n```yaml\n\
            services:\n  redis:\n    image: redis:7.4.1-alpine@sha256:<digest>\n```",
        references: &[
            "https://docs.docker.com/reference/cli/docker/image/pull/#pull-an-image-by-digest-immutable-identifier",
            SPEC_SERVICES,
            OWASP,
        ],
        aliases: &[],
        enabled_by_default: false,
        failing: Example {
            file: "docker-compose.yml",
            content: "services:\n  cache:\n    image: redis:7.4.1-alpine\n",
        },
        passing: Example {
            file: "docker-compose.yml",
            content: "services:\n  cache:\n    image: redis:7.4.1-alpine@sha256:c35af3bbcef51a62c8bae5a9a563c6f1b60d7ebaea4cb5a3ccbcc157580ae098\n",
        },
    },
    check: Check::Compose(image_digest),
};

fn image_digest(compose: &Compose<'_>, sink: &mut FileSink<'_>) {
    for service in &compose.services {
        let Some((image, resolved)) = pulled(service) else {
            continue;
        };
        // A digest supplied by a variable is still a digest.
        if image.text.contains('@') || ImageRef::parse(&resolved).digest.is_some() {
            continue;
        }
        at_node(
            sink,
            service,
            image.node,
            "image",
            format!(
                "service `{}` pulls `{resolved}` by tag, not by digest",
                service.name
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::compose::testing::{findings, positions};

    #[test]
    fn floating_tags_and_interpolated_defaults() {
        let text = "services:
  a:
    image: redis
  b:
    image: redis:${TAG:-latest}
  c:
    image: redis:${TAG:-7.4.1}
  d:
    image: ${IMAGE:?set IMAGE}
  e:
    image: registry:5000/team/app
  f:
    image: registry:5000/team/app:2.0
  g:
    build: .
    image: acme/app:latest
  h:
    image: redis@sha256:abc
";
        let found = findings("compose/image-tag", text);
        assert_eq!(positions(&found), vec![(3, 12), (5, 12), (11, 12)]);
        assert!(found[1].message.contains("when its variables are unset"));
    }

    #[test]
    fn digests_are_opt_in_and_accept_interpolated_digests() {
        let text = "services:
  a:
    image: redis:7.4.1
  b:
    image: redis:7.4.1@${REDIS_DIGEST}
";
        assert_eq!(
            positions(&findings("compose/image-digest", text)),
            vec![(3, 12)]
        );
    }
}
