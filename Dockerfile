# The shipgate command line as an image, built from the repository's root:
#   docker build -t shipgate .
#   docker run --rm -v "$PWD:/src" shipgate check .
# The runtime image has no shell and no package manager, and runs as an
# unprivileged user. shipgate reads git history with gix, so no git is
# needed at runtime; helm and kubectl are not in the image, so charts are
# reported as not rendered and Kustomize overlays are rendered natively.
# Base images follow deploy/server/Dockerfile: the same builder and runtime.
# The cache mounts below need BuildKit, Docker's builder since 23.0.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
# The registry and the target folder live in BuildKit caches, so a rebuild
# after a source change recompiles the workspace, not its dependencies. The
# binary is copied out of the cached target folder in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked -p shipgate \
    && cp target/release/shipgate /usr/local/bin/shipgate

FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="shipgate" \
      org.opencontainers.image.description="Checks a repository's deployment artifacts and judges its production plan's gates on evidence" \
      org.opencontainers.image.source="https://github.com/shipgate/shipgate" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /usr/local/bin/shipgate /usr/local/bin/shipgate
USER 65532:65532
# Mount the repository to check here.
WORKDIR /src
# A one-shot command, not a service: nothing to probe.
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/shipgate"]
CMD ["check", "."]
