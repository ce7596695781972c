//! Privileges: what a container may do to the host it runs on.

use shipgate_core::{Category, Example, RuleMeta, Severity};

use super::{
    CIS, Compose, DOCKER_SECURITY, HARDENED, OWASP, SPEC_SERVICES, at_node, at_service, complete,
    value_when_unset,
};
use crate::sink::FileSink;
use crate::{Check, RuleDef};

const CAPABILITIES: &str =
    "https://docs.docker.com/engine/containers/run/#runtime-privilege-and-linux-capabilities";
const SECCOMP: &str = "https://docs.docker.com/engine/security/seccomp/";
const APPARMOR: &str = "https://docs.docker.com/engine/security/apparmor/";

pub(super) const PRIVILEGED: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "compose/privileged",
        title: "Services do not run privileged",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "`privileged: true` gives the container every capability and every device \
            of the host and switches off seccomp, AppArmor and most of the isolation between \
            the two. Anyone who compromises the service, through the application or a \
            dependency, owns the host and every other container on it. Application \
            services never need it.",
        remediation: "Remove `privileged: true`; grant the one capability or device the \
            service needs, if any:\n\n```yaml\nservices:\n  api:\n    cap_drop: [ALL]\n    \
            cap_add: [NET_BIND_SERVICE]\n    devices:\n      - /dev/fuse\n```",
        references: &[SPEC_SERVICES, CAPABILITIES, OWASP, CIS],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "docker-compose.yml",
            content: "services:\n  api:\n    image: ghcr.io/acme/api:1.4.2\n    privileged: true\n",
        },
        passing: Example {
            file: "docker-compose.yml",
            content: HARDENED,
        },
    },
    check: Check::Compose(privileged),
};

fn privileged(compose: &Compose<'_>, sink: &mut FileSink<'_>) {
    for service in &compose.services {
        if let Some((node, Some(true))) = service.flag("privileged") {
            at_node(
                sink,
                service,
                node,
                "privileged",
                format!(
                    "service `{}` runs privileged, with every capability and device of the host",
                    service.name
                ),
            )
            .set_help("remove privileged: true and add only the capabilities it needs");
        }
    }
}

/// One rule per host namespace, like the Kubernetes pack's.
macro_rules! host_namespace_rule {
    ($name:ident, $fn:ident, $id:literal, $key:literal, $what:literal, $title:literal,
     $rationale:literal, $remediation:literal) => {
        pub(super) const $name: RuleDef = RuleDef {
            meta: RuleMeta {
                id: $id,
                title: $title,
                severity: Severity::Error,
                category: Category::Security,
                rationale: $rationale,
                remediation: $remediation,
                references: &[SPEC_SERVICES, DOCKER_SECURITY, OWASP, CIS],
                aliases: &[],
                enabled_by_default: true,
                failing: Example {
                    file: "docker-compose.yml",
                    content: concat!(
                        "services:\n  api:\n    image: ghcr.io/acme/api:1.4.2\n    ",
                        $key,
                        ": host\n"
                    ),
                },
                passing: Example {
                    file: "docker-compose.yml",
                    content: HARDENED,
                },
            },
            check: Check::Compose($fn),
        };

        fn $fn(compose: &Compose<'_>, sink: &mut FileSink<'_>) {
            for service in &compose.services {
                if let Some(node) = service.host_namespace($key) {
                    at_node(
                        sink,
                        service,
                        node,
                        $key,
                        format!("service `{}` shares the host's {}", service.name, $what),
                    );
                }
            }
        }
    };
}

host_namespace_rule!(
    HOST_NETWORK,
    host_network,
    "compose/host-network",
    "network_mode",
    "network stack",
    "Services do not use the host's network",
    "With `network_mode: host` the container sees every interface of the host: it can \
     listen on any port, reach services bound to 127.0.0.1 (the Docker API, metadata \
     endpoints, databases meant to be local) and sniff traffic with NET_RAW. Published \
     `ports:` and network isolation between services no longer apply.",
    "Remove `network_mode: host`, put the service on a Compose network and publish only \
     the ports it serves, on an explicit address:\n\n```yaml\nservices:\n  api:\n    \
     ports:\n      - \"127.0.0.1:8080:8080\"\n```"
);

host_namespace_rule!(
    HOST_PID,
    host_pid,
    "compose/host-pid",
    "pid",
    "process namespace",
    "Services do not share the host's process namespace",
    "With `pid: host` the container sees every process of the host and of the other \
     containers: their command lines and environment (often holding credentials), and, \
     with enough privileges, can signal or trace them. Only node-level debugging tools \
     need it.",
    "Remove `pid: host`. To share processes between two services, use \
     `pid: \"service:other\"` instead of the host's namespace."
);

host_namespace_rule!(
    HOST_IPC,
    host_ipc,
    "compose/host-ipc",
    "ipc",
    "IPC namespace",
    "Services do not share the host's IPC namespace",
    "With `ipc: host` the container shares System V IPC and POSIX shared memory with the \
     host and every process using it, so it can read or corrupt other programs' shared \
     memory segments. Applications that need shared memory can share it between \
     services without involving the host.",
    "Remove `ipc: host`; if two services must share memory, give one `ipc: shareable` \
     and the other `ipc: \"service:first\"`."
);

/// Capabilities that amount to root on the host, or close to it.
const DANGEROUS: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "NET_ADMIN",
    "SYS_PTRACE",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_BOOT",
    "SYS_TIME",
    "DAC_READ_SEARCH",
    "BPF",
    "PERFMON",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "SYSLOG",
    "LINUX_IMMUTABLE",
];

pub(super) const DANGEROUS_CAPABILITY: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "compose/dangerous-capability",
        title: "Services do not add dangerous capabilities",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "Some capabilities are root on the host by another name: SYS_ADMIN \
            mounts filesystems and escapes through cgroups, SYS_PTRACE reads other \
            processes' memory, SYS_MODULE loads kernel code, NET_ADMIN rewrites the host's \
            firewall when combined with the host network, and ALL is `privileged` without \
            the name. Reported: ALL, SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE, \
            SYS_RAWIO, SYS_BOOT, SYS_TIME, DAC_READ_SEARCH, BPF, PERFMON, MAC_ADMIN, \
            MAC_OVERRIDE, SYSLOG and LINUX_IMMUTABLE.",
        remediation: "Drop every capability and add back only harmless ones the service \
            proves it needs:\n\n```yaml\nservices:\n  proxy:\n    cap_drop: [ALL]\n    \
            cap_add: [NET_BIND_SERVICE]\n```\n\nA tool that really needs one (a VPN \
            client with NET_ADMIN) belongs on a host of its own; suppress the finding with \
            the reason.",
        references: &[
            CAPABILITIES,
            "https://man7.org/linux/man-pages/man7/capabilities.7.html",
            OWASP,
            CIS,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "docker-compose.yml",
            content: "services:\n  api:\n    image: ghcr.io/acme/api:1.4.2\n    cap_add:\n      - SYS_ADMIN\n",
        },
        passing: Example {
            file: "docker-compose.yml",
            content: "services:\n  proxy:\n    image: nginx:1.27.2\n    cap_drop: [ALL]\n    cap_add: [NET_BIND_SERVICE, CHOWN, SETUID, SETGID]\n",
        },
    },
    check: Check::Compose(dangerous_capability),
};

fn dangerous_capability(compose: &Compose<'_>, sink: &mut FileSink<'_>) {
    for service in &compose.services {
        for cap in service.cap_add() {
            if DANGEROUS.contains(&cap.name.as_str()) {
                at_node(
                    sink,
                    service,
                    cap.node,
                    &format!("cap_add[{}]", cap.name),
                    format!("service `{}` adds capability {}", service.name, cap.name),
                );
            }
        }
    }
}

pub(super) const CAPABILITIES_DROP_ALL: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "compose/capabilities-drop-all",
        title: "Services drop all capabilities",
        severity: Severity::Info,
        category: Category::Security,
        rationale: "Docker starts containers with about fourteen capabilities (CHOWN, \
            SETUID, NET_RAW, ...) whether they need them or not; NET_RAW alone allows ARP \
            and DNS spoofing on the bridge network. Dropping all and adding back the few a \
            service needs narrows what an attacker inside it can do. Some images (official \
            database images that switch users at start) need a handful added back, which is \
            why this is informational.",
        remediation: "Drop everything, then add back what the service needs:\n\n```yaml\n\
            services:\n  api:\n    cap_drop: [ALL]\n  postgres:\n    cap_drop: [ALL]\n    \
            cap_add: [CHOWN, DAC_OVERRIDE, FOWNER, SETGID, SETUID]\n```",
        references: &[CAPABILITIES, OWASP, CIS],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "docker-compose.yml",
            content: "services:\n  api:\n    image: ghcr.io/acme/api:1.4.2\n    cap_drop:\n      - NET_RAW\n",
        },
        passing: Example {
            file: "docker-compose.yml",
            content: HARDENED,
        },
    },
    check: Check::Compose(capabilities_drop_all),
};

fn capabilities_drop_all(compose: &Compose<'_>, sink: &mut FileSink<'_>) {
    for service in complete(compose) {
        if service
            .flag("privileged")
            .is_some_and(|(_, on)| on == Some(true))
        {
            continue;
        }
        if service.cap_drop().iter().any(|c| c.name == "ALL") {
            continue;
        }
        let message = format!(
            "service `{}` keeps Docker's default capabilities; drop ALL and add back what it needs",
            service.name
        );
        match service.entry("cap_drop") {
            Some((key, _)) => at_node(sink, service, key, "cap_drop", message),
            None => at_service(sink, service, "cap_drop", message),
        };
    }
}

pub(super) const NO_NEW_PRIVILEGES: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "compose/no-new-privileges",
        title: "Services set no-new-privileges",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "Without `no-new-privileges`, a process in the container can gain \
            privileges through setuid binaries or file capabilities, the usual second step \
            from a compromised process to root inside the container (and from there to the \
            host). The option costs nothing to applications that do not rely on setuid, \
            which is nearly all of them.",
        remediation: "Add it to every service (it has no effect on one already running as \
            root, but stops a non-root process from becoming root):\n\n```yaml\nservices:\n  \
            api:\n    security_opt:\n      - no-new-privileges:true\n```\n\nOr set it for \
            every container in the daemon's `daemon.json`: `\"no-new-privileges\": true`, \
            and suppress this rule with that reason.",
        references: &[
            SPEC_SERVICES,
            "https://docs.docker.com/reference/cli/docker/container/run/#security-opt",
            OWASP,
            CIS,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "docker-compose.yml",
            content: "services:\n  api:\n    image: ghcr.io/acme/api:1.4.2\n    cap_drop: [ALL]\n",
        },
        passing: Example {
            file: "docker-compose.yml",
            content: HARDENED,
        },
    },
    check: Check::Compose(no_new_privileges),
};

fn no_new_privileges(compose: &Compose<'_>, sink: &mut FileSink<'_>) {
    for service in complete(compose) {
        match service.no_new_privileges() {
            Some(opt) if opt.enabled() => {}
            Some(opt) => {
                at_node(
                    sink,
                    service,
                    opt.node,
                    "security_opt",
                    format!("service `{}` turns no-new-privileges off", service.name),
                );
            }
            None => {
                let message = format!(
                    "service `{}` does not set no-new-privileges: setuid binaries can raise its privileges",
                    service.name
                );
                let finding = match service.entry("security_opt") {
                    Some((key, _)) => at_node(sink, service, key, "security_opt", message),
                    None => at_service(sink, service, "security_opt", message),
                };
                finding.set_help("add `security_opt: [\"no-new-privileges:true\"]`");
            }
        }
    }
}

pub(super) const SECURITY_PROFILE_DISABLED: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "compose/security-profile-disabled",
        title: "Services keep seccomp, AppArmor and SELinux confinement",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "Docker confines every container with a seccomp profile that blocks \
            about fifty dangerous system calls, and with AppArmor or SELinux where the host \
            has them. `seccomp:unconfined`, `apparmor:unconfined`, `label:disable` and \
            `systempaths=unconfined` switch that off, so a kernel bug reachable through \
            one of those calls becomes a container escape.",
        remediation: "Remove the option. If one blocked call is really needed, run with a \
            custom profile that allows only it:\n\n```yaml\nservices:\n  api:\n    \
            security_opt:\n      - no-new-privileges:true\n      - \
            seccomp:./seccomp/api.json\n```",
        references: &[SECCOMP, APPARMOR, OWASP, CIS],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "docker-compose.yml",
            content: "services:\n  api:\n    image: ghcr.io/acme/api:1.4.2\n    security_opt:\n      - seccomp:unconfined\n",
        },
        passing: Example {
            file: "docker-compose.yml",
            content: HARDENED,
        },
    },
    check: Check::Compose(security_profile_disabled),
};

fn security_profile_disabled(compose: &Compose<'_>, sink: &mut FileSink<'_>) {
    for service in &compose.services {
        for opt in service.security_opt() {
            let value = opt.value.unwrap_or("").to_ascii_lowercase();
            let what = match (opt.key, value.as_str()) {
                ("seccomp", "unconfined") => "the seccomp profile",
                ("apparmor", "unconfined") => "AppArmor",
                ("label", "disable") => "SELinux labelling",
                ("systempaths", "unconfined") => "the masking of /proc and /sys paths",
                _ => continue,
            };
            at_node(
                sink,
                service,
                opt.node,
                &format!("security_opt[{}]", opt.key),
                format!("service `{}` switches off {what}", service.name),
            );
        }
    }
}

pub(super) const READ_ONLY_ROOT_FILESYSTEM: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "compose/read-only-root-filesystem",
        title: "Services mount their root filesystem read-only",
        severity: Severity::Info,
        category: Category::Security,
        rationale: "A read-only root filesystem stops an attacker from dropping tools or \
            altering the application's code inside the container, and makes every place \
            the service writes explicit. It needs knowing every path the image writes to \
            (many official images write outside their volumes), so teams weigh it \
            differently and it is informational here.",
        remediation: "Set `read_only: true` and give the service writable mounts where it \
            writes:\n\n```yaml\nservices:\n  api:\n    read_only: true\n    tmpfs:\n      - \
            /tmp\n    volumes:\n      - uploads:/var/lib/api/uploads\n```",
        references: &[SPEC_SERVICES, OWASP, CIS],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "docker-compose.yml",
            content: "services:\n  api:\n    image: ghcr.io/acme/api:1.4.2\n",
        },
        passing: Example {
            file: "docker-compose.yml",
            content: HARDENED,
        },
    },
    check: Check::Compose(read_only_root_filesystem),
};

fn read_only_root_filesystem(compose: &Compose<'_>, sink: &mut FileSink<'_>) {
    for service in complete(compose) {
        match service.flag("read_only") {
            Some((_, Some(true))) => {}
            Some((node, _)) => {
                at_node(
                    sink,
                    service,
                    node,
                    "read_only",
                    format!("service `{}` has a writable root filesystem", service.name),
                );
            }
            None => {
                at_service(
                    sink,
                    service,
                    "read_only",
                    format!("service `{}` has a writable root filesystem", service.name),
                );
            }
        }
    }
}

pub(super) const RUN_AS_ROOT_USER: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "compose/run-as-root-user",
        title: "Services do not set root as their user",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "`user: root` (or `0`) overrides a non-root `USER` in the image and runs \
            the service as UID 0. Root in a container is root on the host for every file \
            or device that reaches it through a mount, and one kernel bug away from the \
            host itself. Images that need root to start drop it by themselves.",
        remediation: "Remove `user: root`, or name an unprivileged user:\n\n```yaml\n\
            services:\n  api:\n    user: \"10001:10001\"\n```",
        references: &[
            SPEC_SERVICES,
            "https://docs.docker.com/engine/security/userns-remap/",
            OWASP,
            CIS,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "docker-compose.yml",
            content: "services:\n  api:\n    image: ghcr.io/acme/api:1.4.2\n    user: root\n",
        },
        passing: Example {
            file: "docker-compose.yml",
            content: "services:\n  api:\n    image: ghcr.io/acme/api:1.4.2\n    user: \"10001:10001\"\n",
        },
    },
    check: Check::Compose(run_as_root_user),
};

fn run_as_root_user(compose: &Compose<'_>, sink: &mut FileSink<'_>) {
    for service in &compose.services {
        let Some(node) = service.user() else { continue };
        let Some(user) = value_when_unset(node) else {
            continue;
        };
        let name = user.split(':').next().unwrap_or("").trim();
        if name == "root" || name == "0" {
            at_node(
                sink,
                service,
                node,
                "user",
                format!("service `{}` runs as root", service.name),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::compose::testing::{findings, positions};

    #[test]
    fn privileged_reads_compose_booleans_and_interpolation() {
        let text = "services:
  a:
    image: x:1
    privileged: true
  b:
    image: x:1
    privileged: \"yes\"
  c:
    image: x:1
    privileged: ${PRIV:-false}
  d:
    image: x:1
    privileged: ${PRIV:-true}
";
        let found = findings("compose/privileged", text);
        assert_eq!(positions(&found), vec![(4, 17), (7, 17), (13, 17)]);
    }

    #[test]
    fn anchored_settings_are_reported_at_the_service_with_the_anchor_related() {
        let text = "x-unsafe: &unsafe
  privileged: true
services:
  a:
    <<: *unsafe
    image: x:1
";
        let found = findings("compose/privileged", text);
        assert_eq!(positions(&found), vec![(4, 3)]);
        assert_eq!(found[0].related.len(), 1);
        assert_eq!(found[0].related[0].location.line(), Some(2));
    }

    #[test]
    fn extended_settings_are_reported_on_both_services() {
        let text = "services:
  base:
    image: x:1
    network_mode: host
  child:
    extends: base
";
        let found = findings("compose/host-network", text);
        assert_eq!(positions(&found), vec![(4, 19), (5, 3)]);
        assert_eq!(found[1].location.logical, "services.child.network_mode");
    }

    #[test]
    fn capabilities_are_normalised() {
        let text = "services:
  a:
    image: x:1
    cap_add: [cap_sys_admin, NET_BIND_SERVICE, all]
";
        let found = findings("compose/dangerous-capability", text);
        assert_eq!(positions(&found), vec![(4, 15), (4, 48)]);
        assert!(found[0].message.contains("SYS_ADMIN"));
    }

    #[test]
    fn no_new_privileges_forms() {
        let text = "services:
  a:
    image: x:1
    security_opt: [no-new-privileges]
  b:
    image: x:1
    security_opt: [\"no-new-privileges=true\"]
  c:
    image: x:1
    security_opt: [\"no-new-privileges:false\"]
  d:
    image: x:1
    security_opt: [\"apparmor:docker-default\"]
  e:
    image: x:1
";
        let found = findings("compose/no-new-privileges", text);
        assert_eq!(positions(&found), vec![(10, 20), (13, 5), (14, 3)]);
    }

    #[test]
    fn security_profiles_and_root_users() {
        let text = "services:
  a:
    image: x:1
    security_opt:
      - seccomp=unconfined
      - apparmor:unconfined
      - label:disable
      - label:type:svirt_apache_t
    user: \"0:0\"
  b:
    image: x:1
    user: \"${APP_UID:-10001}\"
";
        let found = findings("compose/security-profile-disabled", text);
        assert_eq!(positions(&found), vec![(5, 9), (6, 9), (7, 9)]);
        let found = findings("compose/run-as-root-user", text);
        assert_eq!(positions(&found), vec![(9, 11)]);
    }

    #[test]
    fn drop_all_and_read_only_point_at_what_is_there() {
        let text = "services:
  a:
    image: x:1
    cap_drop: [NET_RAW]
    read_only: false
  b:
    image: x:1
    privileged: true
    read_only: true
  fragment:
    environment: {A: b}
";
        let found = findings("compose/capabilities-drop-all", text);
        assert_eq!(positions(&found), vec![(4, 5)]);
        let found = findings("compose/read-only-root-filesystem", text);
        assert_eq!(positions(&found), vec![(5, 16)]);
    }
}
