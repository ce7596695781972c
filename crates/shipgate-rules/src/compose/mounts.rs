//! Mounts: which parts of the host a container can read or change.

use shipgate_core::{Category, Example, RuleMeta, Severity};

use super::{CIS, Compose, DOCKER_SECURITY, HARDENED, Mount, MountKind, OWASP, at_node};
use crate::sink::FileSink;
use crate::{Check, RuleDef};

/// Sockets that give whoever can write to them control of the container
/// runtime, and so of the host.
const RUNTIME_SOCKETS: &[&str] = &[
    "docker.sock",
    "podman.sock",
    "containerd.sock",
    "crio.sock",
    "cri-dockerd.sock",
];

/// Directories that hold those sockets.
const SOCKET_DIRECTORIES: &[&str] = &["/var/run", "/run", "/var/run/docker", "/run/docker"];

/// A bind mount's host path, normalised, when the file decides it.
fn host_path(mount: &Mount<'_>) -> Option<String> {
    if mount.kind != MountKind::Bind {
        return None;
    }
    let source = mount.source_when_unset()?;
    let mut path = source.trim().replace('\\', "/");
    while path.contains("//") {
        path = path.replace("//", "/");
    }
    while path.len() > 1 && path.ends_with('/') {
        path.pop();
    }
    Some(path)
}

fn runtime_socket(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    RUNTIME_SOCKETS.contains(&file) || SOCKET_DIRECTORIES.contains(&path)
}

pub(super) const DOCKER_SOCKET_MOUNT: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "compose/docker-socket-mount",
        title: "Services do not mount the Docker socket",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "Whoever can talk to the Docker socket can start a privileged container \
            that mounts the host's root filesystem: the socket is root on the host. A \
            `:ro` mount does not help, since read-only applies to the socket file, not to \
            the API behind it. The same holds for the Podman, containerd and CRI-O sockets \
            and for `/var/run` or `/run`, which contain them.",
        remediation: "Remove the mount. Tools that need the API (reverse proxies, CI \
            runners, monitoring) can go through a filtering proxy that allows only the \
            calls they make:\n\n```yaml\nservices:\n  socket-proxy:\n    image: \
            tecnativa/docker-socket-proxy:0.3.0\n    environment:\n      CONTAINERS: 1\n    \
            volumes:\n      # shipgate:ignore compose/docker-socket-mount -- filtering \
            proxy\n      - /var/run/docker.sock:/var/run/docker.sock:ro\n  traefik:\n    environment:\n      DOCKER_HOST: tcp://socket-proxy:2375\n```",
        references: &[
            "https://docs.docker.com/engine/security/#docker-daemon-attack-surface",
            "https://docs.docker.com/engine/security/protect-access/",
            OWASP,
            CIS,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "docker-compose.yml",
            content: "services:\n  agent:\n    image: ghcr.io/acme/agent:2.1.0\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock:ro\n",
        },
        passing: Example {
            file: "docker-compose.yml",
            content: "services:\n  agent:\n    image: ghcr.io/acme/agent:2.1.0\n    volumes:\n      - ./config:/etc/agent:ro\n      - agent-data:/var/lib/agent\nvolumes:\n  agent-data:\n",
        },
    },
    check: Check::Compose(docker_socket_mount),
};

fn docker_socket_mount(compose: &Compose<'_>, sink: &mut FileSink<'_>) {
    for service in &compose.services {
        for mount in service.volumes() {
            let Some(path) = host_path(&mount) else {
                continue;
            };
            if !runtime_socket(&path) {
                continue;
            }
            let what = if path.ends_with(".sock") {
                "the container runtime's socket"
            } else {
                "the directory holding the container runtime's socket"
            };
            at_node(
                sink,
                service,
                mount.node,
                &format!("volumes[{path}]"),
                format!(
                    "service `{}` mounts {what} ({path}), which gives it control of the host",
                    service.name
                ),
            );
        }
    }
}

/// Host directories whose contents are the host: its configuration,
/// kernel interfaces, devices, boot files, users' homes and runtimes' state.
const SENSITIVE: &[&str] = &[
    "/etc",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/root",
    "/home",
    "/usr",
    "/lib",
    "/lib64",
    "/bin",
    "/sbin",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/lib/kubelet",
    "/var/log",
];

/// Credentials kept in a user's home directory.
const HOME_CREDENTIALS: &[&str] = &[
    "~/.ssh",
    "~/.aws",
    "~/.kube",
    "~/.docker",
    "~/.gnupg",
    "~/.config/gcloud",
    "~/.azure",
];

/// Harmless when read-only: time zone data and the CA bundle.
const READ_ONLY_FINE: &[&str] = &[
    "/etc/localtime",
    "/etc/timezone",
    "/etc/ssl/certs",
    "/etc/ca-certificates",
    "/etc/pki/ca-trust",
    "/usr/share/zoneinfo",
];

fn under(path: &str, dir: &str) -> bool {
    path == dir
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

pub(super) const HOST_PATH_MOUNT: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "compose/host-path-mount",
        title: "Services do not mount sensitive host paths",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "Bind-mounting the host's root, `/etc`, `/proc`, `/sys`, `/dev`, `/boot`, \
            users' homes, system binaries or the runtimes' state lets the container read \
            the host's secrets or change its configuration, which is an escape in all but \
            name; credential folders (`~/.ssh`, `~/.aws`, `~/.kube`) hand over the \
            identities they hold. Project folders (`./config`) and named volumes are not \
            reported, nor read-only time zone and CA certificate files.",
        remediation: "Mount only what the service needs, read-only where it only reads, \
            and prefer named volumes for data:\n\n```yaml\nservices:\n  api:\n    \
            volumes:\n      - ./config/api.toml:/etc/api/api.toml:ro\n      - \
            /etc/localtime:/etc/localtime:ro\n      - api-data:/var/lib/api\n```",
        references: &[
            "https://docs.docker.com/engine/storage/bind-mounts/",
            DOCKER_SECURITY,
            OWASP,
            CIS,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "docker-compose.yml",
            content: "services:\n  agent:\n    image: ghcr.io/acme/agent:2.1.0\n    volumes:\n      - /:/host\n      - type: bind\n        source: ~/.aws\n        target: /root/.aws\n",
        },
        passing: Example {
            file: "docker-compose.yml",
            content: HARDENED,
        },
    },
    check: Check::Compose(host_path_mount),
};

fn host_path_mount(compose: &Compose<'_>, sink: &mut FileSink<'_>) {
    for service in &compose.services {
        for mount in service.volumes() {
            let Some(path) = host_path(&mount) else {
                continue;
            };
            if runtime_socket(&path) {
                continue;
            }
            if mount.read_only && READ_ONLY_FINE.iter().any(|dir| under(&path, dir)) {
                continue;
            }
            let sensitive = path == "/"
                || SENSITIVE.iter().any(|dir| under(&path, dir))
                || HOME_CREDENTIALS.iter().any(|dir| under(&path, dir));
            if !sensitive {
                continue;
            }
            let access = if mount.read_only {
                "read-only"
            } else {
                "writable"
            };
            at_node(
                sink,
                service,
                mount.node,
                &format!("volumes[{path}]"),
                format!(
                    "service `{}` mounts the host's {path} ({access})",
                    service.name
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::compose::testing::{findings, positions};

    #[test]
    fn sockets_in_every_form() {
        let text = "services:
  a:
    image: x:1
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock:ro
      - type: bind
        source: /run/podman/podman.sock
        target: /var/run/docker.sock
      - ${XDG_RUNTIME_DIR:-/run/user/1000}/docker.sock:/var/run/docker.sock
      - /var/run:/host/run
      - docker.sock:/x
      - ./docker.sock.md:/docs/x
";
        let found = findings("compose/docker-socket-mount", text);
        assert_eq!(positions(&found), vec![(5, 9), (6, 9), (9, 9), (10, 9)]);
        assert!(found[3].message.contains("directory"));
    }

    #[test]
    fn sensitive_paths_but_not_project_folders() {
        let text = "services:
  a:
    image: x:1
    volumes:
      - /etc:/host/etc:ro
      - /etc/localtime:/etc/localtime:ro
      - /etc/localtime:/etc/localtime
      - ./etc:/etc/app
      - data:/var/lib/data
      - /srv/app/uploads:/uploads
      - ~/.ssh:/root/.ssh:ro
      - C:\\Users\\me:/data
      - //proc/:/host/proc
";
        let found = findings("compose/host-path-mount", text);
        assert_eq!(positions(&found), vec![(5, 9), (7, 9), (11, 9), (13, 9)]);
        assert!(found[0].message.contains("read-only"));
        assert!(found[3].message.contains("/proc"));
    }
}
