//! Pod and container security: privileges, users, capabilities, seccomp,
//! host namespaces, host paths, sysctls and API credentials.

use shipgate_core::{Alias, Category, Example, Finding, RuleMeta, Severity, Tool};
use shipgate_syntax::yaml::NodeRef;

use crate::k8s::{Container, Object, PodSpec, Sink};
use crate::{Check, RuleDef};

pub(super) const RULES: &[RuleDef] = &[
    PRIVILEGED_CONTAINER,
    PRIVILEGE_ESCALATION,
    RUN_AS_NON_ROOT,
    RUN_AS_ROOT_USER,
    READ_ONLY_ROOT_FILESYSTEM,
    CAPABILITIES_DROP_ALL,
    DANGEROUS_CAPABILITY,
    SECCOMP_PROFILE,
    HOST_NETWORK,
    HOST_PID,
    HOST_IPC,
    HOST_PORT,
    DOCKER_SOCKET_MOUNT,
    HOST_PATH_VOLUME,
    UNSAFE_SYSCTLS,
    SERVICE_ACCOUNT_TOKEN_MOUNTED,
    HIGH_UID,
];

const PSS: &str = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";
const NSA_CISA: &str = "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF";
const CIS: &str = "https://www.cisecurity.org/benchmark/kubernetes";
const SECURITY_CONTEXT: &str =
    "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/";

const PRIVILEGED_CONTAINER: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/privileged-container",
        title: "Containers do not run privileged",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "A privileged container gets every Linux capability and every device of \
            the node, and most of the isolation between it and the host is switched off. \
            Anyone who compromises it, through the application or a dependency, owns the \
            node and every pod on it. Application workloads never need it.",
        remediation: "Remove `privileged: true` and grant only the specific capability the \
            container needs, if any:\n\n```yaml\nsecurityContext:\n  privileged: false\n  \
            allowPrivilegeEscalation: false\n  capabilities:\n    drop: [ALL]\n    add: \
            [NET_BIND_SERVICE]\n```",
        references: &[PSS, SECURITY_CONTEXT, NSA_CISA, CIS],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_16"),
            Alias::new(Tool::Polaris, "runAsPrivileged"),
            Alias::new(Tool::KubeLinter, "privileged-container"),
            Alias::new(Tool::KubeScore, "container-security-context-privileged"),
        ],
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
          securityContext:
            privileged: true
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: HARDENED,
        },
    },
    check: Check::Object(privileged_container),
};

/// A Deployment that passes every rule of this module: the passing example
/// of each rule whose fix is the common hardened baseline.
const HARDENED: &str = "apiVersion: apps/v1
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
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          ports:
            - name: http
              containerPort: 8080
          securityContext:
            privileged: false
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir: {}
";

fn privileged_container(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    for container in pod.containers() {
        if let Some(value) = container
            .effective_security("privileged")
            .filter(|v| v.as_bool() == Some(true))
        {
            let name = container.name().unwrap_or("?");
            sink.node(
                object,
                value,
                &container.field("securityContext.privileged"),
                format!(
                    "container `{name}` runs privileged, with every capability and every \
                     device of the node"
                ),
            )
            .set_help("remove privileged: true and add only the capabilities it needs");
        }
    }
}

const PRIVILEGE_ESCALATION: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/privilege-escalation",
        title: "Containers set allowPrivilegeEscalation: false",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "Unless a container sets `allowPrivilegeEscalation: false`, Linux lets its \
            processes gain more privileges than they started with, through setuid binaries \
            or file capabilities, which is the usual second step of an attack from a \
            compromised process to root. The setting exists only on the container, so it \
            must be written on each one; `privileged: true` or an added SYS_ADMIN \
            capability defeat it.",
        remediation: "Set it on every container, init containers included:\n\n```yaml\n\
            securityContext:\n  allowPrivilegeEscalation: false\n```",
        references: &[PSS, SECURITY_CONTEXT, NSA_CISA, CIS],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_20"),
            Alias::new(Tool::Polaris, "privilegeEscalationAllowed"),
            Alias::new(Tool::KubeLinter, "privilege-escalation-container"),
        ],
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
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          securityContext:
            readOnlyRootFilesystem: true
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: HARDENED,
        },
    },
    check: Check::Object(privilege_escalation),
};

fn privilege_escalation(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    if is_windows(&pod) {
        return;
    }
    for container in pod.containers() {
        let name = container.name().unwrap_or("?");
        let field = container.field("securityContext.allowPrivilegeEscalation");
        match container.effective_security("allowPrivilegeEscalation") {
            Some(value) if value.as_bool() == Some(false) => {
                if let Some((cause, help)) = escalation_granted(&container) {
                    sink.node(
                        object,
                        value,
                        &field,
                        format!(
                            "container `{name}` sets allowPrivilegeEscalation: false, but \
                             {cause} lets it escalate anyway"
                        ),
                    )
                    .set_help(help);
                }
            }
            Some(value) => {
                sink.node(
                    object,
                    value,
                    &field,
                    format!("container `{name}` allows privilege escalation"),
                )
                .set_help("set allowPrivilegeEscalation: false");
            }
            None => {
                sink.container(
                    object,
                    &container,
                    format!(
                        "container `{name}` does not set allowPrivilegeEscalation: false, so \
                         setuid binaries can raise its privileges"
                    ),
                )
                .set_help("set securityContext.allowPrivilegeEscalation: false on the container");
            }
        }
    }
}

/// What grants escalation whatever `allowPrivilegeEscalation` says, and
/// the help for removing it.
fn escalation_granted(container: &Container<'_>) -> Option<(&'static str, &'static str)> {
    let privileged = container
        .effective_security("privileged")
        .and_then(|p| p.as_bool())
        == Some(true);
    if privileged {
        return Some((
            "privileged: true",
            "remove privileged: true; Kubernetes rejects it together with \
             allowPrivilegeEscalation: false",
        ));
    }
    added_capabilities(container)
        .any(|cap| capability_name(cap).as_deref() == Some("SYS_ADMIN"))
        .then_some((
            "the added SYS_ADMIN capability",
            "remove SYS_ADMIN from capabilities.add",
        ))
}

const RUN_AS_NON_ROOT: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/run-as-non-root",
        title: "Containers are required to run as a non-root user",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "Most images run as root unless told otherwise, and root in a container is \
            root on the node's kernel: one bug in the container runtime or kernel away from \
            the host, and able to read anything a volume exposes. `runAsNonRoot: true` makes \
            the kubelet refuse to start a container that would run as UID 0, whatever the \
            image says; a non-zero `runAsUser` achieves the same for one explicit user.",
        remediation: "Require a non-root user for the whole pod (containers inherit it), and \
            build the image with a numeric non-root `USER`:\n\n```yaml\nspec:\n  \
            securityContext:\n    runAsNonRoot: true\n    runAsUser: 10001\n```",
        references: &[PSS, SECURITY_CONTEXT, NSA_CISA, CIS],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_23"),
            Alias::new(Tool::Polaris, "runAsRootAllowed"),
            Alias::new(Tool::KubeLinter, "run-as-non-root"),
        ],
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
          securityContext:
            allowPrivilegeEscalation: false
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: HARDENED,
        },
    },
    check: Check::Object(run_as_non_root),
};

fn run_as_non_root(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    if is_windows(&pod) {
        return;
    }
    let mut inheriting = Vec::new();
    for container in pod.containers() {
        let non_root = container.effective_security("runAsNonRoot");
        if non_root.and_then(|v| v.as_bool()) == Some(true) {
            continue;
        }
        let user = container
            .effective_security("runAsUser")
            .and_then(|u| u.as_i64());
        if user.is_some_and(|uid| uid > 0) {
            continue;
        }
        let name = container.name().unwrap_or("?");
        match non_root {
            Some(value) if is_own(&container, "runAsNonRoot", value) => {
                sink.node(
                    object,
                    value,
                    &container.field("securityContext.runAsNonRoot"),
                    format!(
                        "container `{name}` may run as root: it sets runAsNonRoot to false \
                         and no non-zero runAsUser"
                    ),
                )
                .set_help("set runAsNonRoot: true");
            }
            Some(_) => inheriting.push(name),
            None => {
                sink.container(
                    object,
                    &container,
                    format!(
                        "container `{name}` may run as root: neither runAsNonRoot: true nor a \
                         non-zero runAsUser applies to it"
                    ),
                )
                .set_help("set securityContext.runAsNonRoot: true on the pod or the container");
            }
        }
    }
    if let Some(finding) =
        report_pod_value(object, sink, &pod, &["runAsNonRoot"], &inheriting, |who| {
            format!("the pod sets runAsNonRoot to false, so {who} may run as root")
        })
    {
        finding.set_help("set runAsNonRoot: true");
    }
}

const RUN_AS_ROOT_USER: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/run-as-root-user",
        title: "Containers do not run as UID 0",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "`runAsUser: 0` runs the container as root on purpose, overriding a \
            non-root `USER` in the image. Root inside the container shares the node's \
            kernel and is the starting point of most container escapes. When the pod also \
            sets `runAsNonRoot: true`, the kubelet refuses to start the container, and the \
            workload never comes up.",
        remediation: "Run as an unprivileged numeric user; give files the group the \
            container runs with instead of running as root:\n\n```yaml\nsecurityContext:\n  \
            runAsNonRoot: true\n  runAsUser: 10001\n  fsGroup: 10001\n```",
        references: &[PSS, SECURITY_CONTEXT, NSA_CISA, CIS],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_23"),
            Alias::new(Tool::KubeLinter, "run-as-non-root"),
        ],
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
      securityContext:
        runAsNonRoot: true
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          securityContext:
            runAsUser: 0
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: HARDENED,
        },
    },
    check: Check::Object(run_as_root_user),
};

fn run_as_root_user(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    let mut inheriting = Vec::new();
    let mut refused = false;
    for container in pod.containers() {
        let Some(user) = container
            .effective_security("runAsUser")
            .filter(|u| u.as_i64() == Some(0))
        else {
            continue;
        };
        let non_root = container
            .effective_security("runAsNonRoot")
            .and_then(|v| v.as_bool())
            == Some(true);
        let name = container.name().unwrap_or("?");
        if !is_own(&container, "runAsUser", user) {
            inheriting.push(name);
            refused |= non_root;
            continue;
        }
        let consequence = if non_root {
            "; with runAsNonRoot: true the kubelet refuses to start it"
        } else {
            ""
        };
        sink.node(
            object,
            user,
            &container.field("securityContext.runAsUser"),
            format!("container `{name}` runs as root (runAsUser: 0){consequence}"),
        )
        .set_help("run as a non-zero UID, such as 10001");
    }
    let consequence = if refused {
        "; with runAsNonRoot: true the kubelet refuses to start them"
    } else {
        ""
    };
    if let Some(finding) =
        report_pod_value(object, sink, &pod, &["runAsUser"], &inheriting, |who| {
            format!("the pod's runAsUser: 0 runs {who} as root{consequence}")
        })
    {
        finding.set_help("run as a non-zero UID, such as 10001");
    }
}

const READ_ONLY_ROOT_FILESYSTEM: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/read-only-root-filesystem",
        title: "Containers mount their root filesystem read-only",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "A writable root filesystem lets an attacker who gets code execution drop \
            tools, alter binaries and configuration, and persist for the life of the \
            container. With a read-only root, everything the application writes must go to \
            an explicit volume, which also makes the container's state visible and \
            disposable.",
        remediation: "Mount the root filesystem read-only and give the application \
            `emptyDir` volumes for the paths it writes:\n\n```yaml\ncontainers:\n  - name: \
            api\n    securityContext:\n      readOnlyRootFilesystem: true\n    volumeMounts:\n      \
            - name: tmp\n        mountPath: /tmp\nvolumes:\n  - name: tmp\n    emptyDir: {}\n```",
        references: &[SECURITY_CONTEXT, NSA_CISA],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_22"),
            Alias::new(Tool::Polaris, "notReadOnlyRootFilesystem"),
            Alias::new(Tool::KubeLinter, "no-read-only-root-fs"),
            Alias::new(
                Tool::KubeScore,
                "container-security-context-readonlyrootfilesystem",
            ),
        ],
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
          securityContext:
            readOnlyRootFilesystem: false
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: HARDENED,
        },
    },
    check: Check::Object(read_only_root_filesystem),
};

fn read_only_root_filesystem(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    if is_windows(&pod) {
        return;
    }
    for container in pod.containers() {
        let name = container.name().unwrap_or("?");
        match container.effective_security("readOnlyRootFilesystem") {
            Some(value) if value.as_bool() == Some(true) => {}
            Some(value) => {
                sink.node(
                    object,
                    value,
                    &container.field("securityContext.readOnlyRootFilesystem"),
                    format!("container `{name}` has a writable root filesystem"),
                )
                .set_help("set readOnlyRootFilesystem: true and mount emptyDir where it writes");
            }
            None => {
                sink.container(
                    object,
                    &container,
                    format!("container `{name}` does not mount its root filesystem read-only"),
                )
                .set_help("set securityContext.readOnlyRootFilesystem: true");
            }
        }
    }
}

const CAPABILITIES_DROP_ALL: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/capabilities-drop-all",
        title: "Containers drop all Linux capabilities",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "Container runtimes grant a default set of capabilities (NET_RAW, CHOWN, \
            SETUID, DAC_OVERRIDE and more) that few applications use and many exploits do, \
            such as spoofing packets with NET_RAW. Dropping ALL and adding back only what is \
            needed removes that attack surface, and is what the restricted Pod Security \
            Standard requires.",
        remediation: "Drop every capability and add back only the ones the process needs:\n\n\
            ```yaml\nsecurityContext:\n  capabilities:\n    drop: [ALL]\n    add: \
            [NET_BIND_SERVICE]   # only to bind ports below 1024\n```",
        references: &[
            PSS,
            "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/#set-capabilities-for-a-container",
            NSA_CISA,
            CIS,
        ],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_37"),
            Alias::new(Tool::Polaris, "insecureCapabilities"),
        ],
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
          securityContext:
            capabilities:
              drop: [NET_RAW]
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: HARDENED,
        },
    },
    check: Check::Object(capabilities_drop_all),
};

fn capabilities_drop_all(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    if is_windows(&pod) {
        return;
    }
    for container in pod.containers() {
        let name = container.name().unwrap_or("?");
        let drop = container
            .effective_security("capabilities")
            .and_then(|c| c.get("drop"))
            .filter(|d| !d.is_null());
        let Some(drop) = drop else {
            sink.container(
                object,
                &container,
                format!("container `{name}` keeps the runtime's default capabilities"),
            )
            .set_help("add securityContext.capabilities.drop: [ALL]");
            continue;
        };
        let field = container.field("securityContext.capabilities.drop");
        if drop.items().any(|c| c.as_text() == Some("ALL")) {
            continue;
        }
        // Pod Security admission and most policy engines compare the
        // string exactly, so a lower-case `all` fails them.
        if let Some(item) = drop
            .items()
            .find(|c| c.as_text().is_some_and(|t| t.eq_ignore_ascii_case("ALL")))
        {
            sink.node(
                object,
                item,
                &field,
                format!(
                    "container `{name}` drops `{}`, which Pod Security admission does not \
                     read as ALL",
                    item.as_text().unwrap_or("?")
                ),
            )
            .set_help("write ALL in capitals");
            continue;
        }
        sink.node(
            object,
            drop,
            &field,
            format!("container `{name}` drops some capabilities but not ALL"),
        )
        .set_help("drop ALL and add back only what the container needs");
    }
}

const DANGEROUS_CAPABILITY: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/dangerous-capability",
        title: "Containers add no dangerous Linux capabilities",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "Some capabilities are nearly root by themselves: SYS_ADMIN mounts \
            filesystems and escapes most isolation, SYS_PTRACE reads and rewrites other \
            processes, SYS_MODULE and BPF load code into the node's kernel, NET_ADMIN and \
            NET_RAW reconfigure or spoof the network. A container that adds one is a \
            short step from compromising its node. The baseline Pod Security Standard \
            forbids adding any of them.",
        remediation: "Remove the capability; if a tool in the image really needs it, run \
            that tool as a separate, isolated workload:\n\n```yaml\nsecurityContext:\n  \
            capabilities:\n    drop: [ALL]\n    add: [NET_BIND_SERVICE]\n```",
        references: &[
            PSS,
            "https://man7.org/linux/man-pages/man7/capabilities.7.html",
            NSA_CISA,
            CIS,
        ],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_25"),
            Alias::new(Tool::Checkov, "CKV_K8S_39"),
            Alias::new(Tool::Polaris, "dangerousCapabilities"),
        ],
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
          securityContext:
            capabilities:
              drop: [ALL]
              add: [NET_BIND_SERVICE, CAP_SYS_ADMIN]
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
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
              add: [NET_BIND_SERVICE]
",
        },
    },
    check: Check::Object(dangerous_capability),
};

/// Capabilities that are close to root on the node, and why.
const DANGEROUS: &[(&str, &str)] = &[
    ("ALL", "every capability, as good as privileged"),
    ("SYS_ADMIN", "mounts, namespaces and most of root's powers"),
    (
        "NET_ADMIN",
        "control of interfaces, routes and firewall rules",
    ),
    ("NET_RAW", "raw sockets to spoof and sniff traffic"),
    ("SYS_PTRACE", "reading and rewriting other processes"),
    ("SYS_MODULE", "loading modules into the node's kernel"),
    ("SYS_RAWIO", "raw access to I/O ports and devices"),
    (
        "DAC_READ_SEARCH",
        "reading any file by handle, the basis of known escapes",
    ),
    ("BPF", "loading eBPF programs into the kernel"),
    ("PERFMON", "observing the kernel and other processes"),
    ("SYS_TIME", "setting the node's clock"),
    ("MAC_ADMIN", "changing the AppArmor or SELinux policy"),
    ("MAC_OVERRIDE", "bypassing the AppArmor or SELinux policy"),
    (
        "SYSLOG",
        "reading the kernel log, which reveals kernel addresses",
    ),
];

fn dangerous_capability(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    for container in pod.containers() {
        let name = container.name().unwrap_or("?");
        for item in added_capabilities(&container) {
            let Some(capability) = capability_name(item) else {
                continue;
            };
            let Some((_, why)) = DANGEROUS.iter().find(|(c, _)| *c == capability) else {
                continue;
            };
            sink.node(
                object,
                item,
                &container.field(&format!("securityContext.capabilities.add[{capability}]")),
                format!("container `{name}` adds {capability}: {why}"),
            )
            .set_help(format!("remove {capability} from capabilities.add"));
        }
    }
}

fn added_capabilities<'a>(container: &Container<'a>) -> impl Iterator<Item = NodeRef<'a>> + 'a {
    container
        .effective_security("capabilities")
        .and_then(|c| c.get("add"))
        .into_iter()
        .flat_map(|add| add.items())
}

/// A capability as the kernel names it: upper case, without `CAP_`, which
/// runtimes accept either way.
fn capability_name(item: NodeRef<'_>) -> Option<String> {
    let upper = item.as_text()?.trim().to_ascii_uppercase();
    Some(match upper.strip_prefix("CAP_") {
        Some(rest) => rest.to_owned(),
        None => upper,
    })
}

const SECCOMP_PROFILE: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/seccomp-profile",
        title: "Containers run under a seccomp profile",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "Seccomp limits the system calls a container can make. Without a profile \
            (Kubernetes runs pods Unconfined by default) every system call of the node's \
            kernel is reachable, including rarely used ones where kernel exploits live. \
            The runtime's default profile blocks those at no cost to ordinary applications. \
            The old `seccomp.security.alpha.kubernetes.io` annotations are no longer applied.",
        remediation: "Set the runtime's default profile for the whole pod:\n\n```yaml\nspec:\n  \
            securityContext:\n    seccompProfile:\n      type: RuntimeDefault\n```",
        references: &[
            "https://kubernetes.io/docs/tutorials/security/seccomp/",
            PSS,
            NSA_CISA,
            CIS,
        ],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_31"),
            Alias::new(Tool::KubeScore, "container-seccomp-profile"),
        ],
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
      annotations:
        seccomp.security.alpha.kubernetes.io/pod: runtime/default
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: HARDENED,
        },
    },
    check: Check::Object(seccomp_profile),
};

const LEGACY_SECCOMP_POD: &str = "seccomp.security.alpha.kubernetes.io/pod";
const LEGACY_SECCOMP_CONTAINER: &str = "container.seccomp.security.alpha.kubernetes.io/";

fn seccomp_profile(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    if is_windows(&pod) {
        return;
    }
    let annotations = object.pod_metadata().and_then(|m| m.get("annotations"));
    let mut inheriting = Vec::new();
    for container in pod.containers() {
        let name = container.name().unwrap_or("?");
        let profile = container.effective_security("seccompProfile");
        let profile_type = profile.and_then(|p| p.get("type")).filter(|t| !t.is_null());
        match (profile, profile_type) {
            (Some(_), Some(t)) if matches!(t.as_text(), Some("RuntimeDefault" | "Localhost")) => {}
            (Some(profile), Some(profile_type)) => {
                if !is_own(&container, "seccompProfile", profile) {
                    inheriting.push(name);
                    continue;
                }
                sink.node(
                    object,
                    profile_type,
                    &container.field("securityContext.seccompProfile.type"),
                    format!(
                        "container `{name}`'s seccomp profile {}",
                        seccomp_problem(profile_type)
                    ),
                )
                .set_help("use type: RuntimeDefault");
            }
            _ => {
                let key = format!("{LEGACY_SECCOMP_CONTAINER}{name}");
                let legacy = [LEGACY_SECCOMP_POD, key.as_str()]
                    .into_iter()
                    .find_map(|k| annotations.and_then(|a| a.entry(k)));
                let finding = sink.container(
                    object,
                    &container,
                    format!("container `{name}` runs without a seccomp profile"),
                );
                finding.set_help("set securityContext.seccompProfile.type: RuntimeDefault");
                if let Some((key, _)) = legacy {
                    finding
                        .message
                        .push_str("; the seccomp annotation is deprecated and no longer applied");
                    finding.add_related(
                        object.location(key.span()),
                        "deprecated annotation, replaced by securityContext.seccompProfile",
                    );
                }
            }
        }
    }
    let path = ["seccompProfile", "type"];
    let Some(profile_type) = pod.security_context().and_then(|sc| sc.path(&path)) else {
        return;
    };
    let problem = seccomp_problem(profile_type);
    if let Some(finding) = report_pod_value(object, sink, &pod, &path, &inheriting, |who| {
        format!("the pod's seccomp profile, inherited by {who}, {problem}")
    }) {
        finding.set_help("use type: RuntimeDefault");
    }
}

/// What is wrong with a seccomp profile type other than RuntimeDefault or Localhost.
fn seccomp_problem(profile_type: NodeRef<'_>) -> String {
    match profile_type.as_text() {
        Some("Unconfined") => "is Unconfined, so every system call is open".to_owned(),
        Some(other) => {
            format!("has type `{other}`; Kubernetes knows RuntimeDefault, Localhost and Unconfined")
        }
        None => "has a type that is not a string".to_owned(),
    }
}

const HOST_NETWORK: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/host-network",
        title: "Pods do not share the host's network namespace",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "With `hostNetwork: true` the pod uses the node's network stack: it can \
            reach services bound to the node's localhost (the kubelet, metadata endpoints), \
            sniff the node's traffic, and bypass NetworkPolicies and the service mesh. \
            Only node-level infrastructure such as CNI plugins needs it.",
        remediation: "Remove `hostNetwork: true` and expose the application through a \
            Service:\n\n```yaml\nspec:\n  hostNetwork: false\n```",
        references: &[PSS, NSA_CISA, CIS],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_19"),
            Alias::new(Tool::Polaris, "hostNetworkSet"),
            Alias::new(Tool::KubeLinter, "host-network"),
        ],
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
      hostNetwork: true
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: HARDENED,
        },
    },
    check: Check::Object(host_network),
};

fn host_network(object: &Object<'_>, sink: &mut Sink<'_>) {
    report_host_namespace(object, sink, "hostNetwork", "network");
}

const HOST_PID: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/host-pid",
        title: "Pods do not share the host's process namespace",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "With `hostPID: true` the pod sees every process on the node, including \
            other pods' processes and their environment variables and command lines, which \
            often hold credentials. Combined with any extra privilege it can signal or trace \
            them, and it is a classic route to escaping the container.",
        remediation: "Remove `hostPID: true`; to let containers of one pod see each other, \
            use `shareProcessNamespace` instead:\n\n```yaml\nspec:\n  hostPID: false\n```",
        references: &[PSS, NSA_CISA, CIS],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_17"),
            Alias::new(Tool::Polaris, "hostPIDSet"),
            Alias::new(Tool::KubeLinter, "host-pid"),
        ],
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
      hostPID: true
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: HARDENED,
        },
    },
    check: Check::Object(host_pid),
};

fn host_pid(object: &Object<'_>, sink: &mut Sink<'_>) {
    report_host_namespace(object, sink, "hostPID", "process");
}

const HOST_IPC: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/host-ipc",
        title: "Pods do not share the host's IPC namespace",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "With `hostIPC: true` the pod shares the node's System V IPC and POSIX \
            shared memory with every process on the node, so it can read or corrupt data \
            other workloads exchange through shared memory. No ordinary application needs \
            it.",
        remediation: "Remove `hostIPC: true`; containers of the same pod already share an \
            IPC namespace:\n\n```yaml\nspec:\n  hostIPC: false\n```",
        references: &[PSS, NSA_CISA, CIS],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_18"),
            Alias::new(Tool::Polaris, "hostIPCSet"),
            Alias::new(Tool::KubeLinter, "host-ipc"),
        ],
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
      hostIPC: true
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: HARDENED,
        },
    },
    check: Check::Object(host_ipc),
};

fn host_ipc(object: &Object<'_>, sink: &mut Sink<'_>) {
    report_host_namespace(object, sink, "hostIPC", "IPC");
}

/// Reports a pod-level `field: true` that shares one of the node's namespaces.
fn report_host_namespace(object: &Object<'_>, sink: &mut Sink<'_>, field: &str, namespace: &str) {
    let Some(pod) = object.pod_spec() else { return };
    let Some(value) = pod.get(field).filter(|v| v.as_bool() == Some(true)) else {
        return;
    };
    let containers: Vec<&str> = pod.containers().map(|c| c.name().unwrap_or("?")).collect();
    sink.node(
        object,
        value,
        &pod.field(field),
        format!(
            "{field}: true puts {} in the node's {namespace} namespace",
            phrase(&containers)
        ),
    )
    .set_help(format!("remove {field}: true"));
}

const HOST_PORT: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/host-port",
        title: "Containers do not bind host ports",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "A `hostPort` opens the port on the node's own address, outside Services \
            and often outside NetworkPolicies, exposing the container to anything that can \
            reach the node. It also ties scheduling to free ports, so at most one replica \
            fits on a node and rollouts can stall.",
        remediation: "Remove `hostPort` and expose the container through a Service (a \
            NodePort or LoadBalancer if it must be reachable from outside):\n\n```yaml\n\
            ports:\n  - name: http\n    containerPort: 8080\n```",
        references: &[
            PSS,
            "https://kubernetes.io/docs/concepts/configuration/overview/#services",
            CIS,
        ],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_26"),
            Alias::new(Tool::Polaris, "hostPortSet"),
        ],
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
          ports:
            - name: http
              containerPort: 8080
              hostPort: 8080
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: HARDENED,
        },
    },
    check: Check::Object(host_port),
};

fn host_port(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    // On the host network every port is a host port; k8s/host-network says so once.
    if pod.get("hostNetwork").and_then(|v| v.as_bool()) == Some(true) {
        return;
    }
    for container in pod.containers() {
        let name = container.name().unwrap_or("?");
        let ports = container.get("ports").into_iter().flat_map(|p| p.items());
        for port in ports {
            let Some(host_port) = port
                .get("hostPort")
                .filter(|h| h.as_i64().is_some_and(|p| p != 0))
            else {
                continue;
            };
            sink.node(
                object,
                host_port,
                &container.field(&format!(
                    "ports[{}].hostPort",
                    port.get("containerPort")
                        .and_then(|p| p.as_text())
                        .unwrap_or("?")
                )),
                format!(
                    "container `{name}` binds host port {} on every node it runs on",
                    host_port.scalar_text().unwrap_or("?")
                ),
            )
            .set_help("remove hostPort and expose the port through a Service");
        }
    }
}

const DOCKER_SOCKET_MOUNT: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/docker-socket-mount",
        title: "Pods do not mount the container runtime's socket",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "The Docker, containerd and CRI-O sockets accept commands to start any \
            container on the node, privileged and with the host's filesystem mounted. A pod \
            that mounts one, or the /run directory that holds them, can take over the node \
            with a single request, whatever its own securityContext says.",
        remediation: "Remove the volume. To build images use a rootless builder (BuildKit \
            rootless, Kaniko); to inspect containers use the Kubernetes API:\n\n```yaml\n\
            volumes:\n  - name: cache\n    emptyDir: {}\n```",
        references: &[
            "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath",
            PSS,
            NSA_CISA,
        ],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_27"),
            Alias::new(Tool::KubeLinter, "docker-sock"),
            Alias::new(Tool::KubeLinter, "container-runtime-sock"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: "deployment.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: ci-runner
  namespace: shop
spec:
  selector:
    matchLabels: {app: ci-runner}
  template:
    metadata:
      labels: {app: ci-runner}
    spec:
      containers:
        - name: runner
          image: ghcr.io/acme/ci-runner:5.2.0
          volumeMounts:
            - name: docker
              mountPath: /var/run/docker.sock
      volumes:
        - name: docker
          hostPath:
            path: /var/run/docker.sock
            type: Socket
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: HARDENED,
        },
    },
    check: Check::Object(docker_socket_mount),
};

/// Container runtime sockets, and the directories that hold them: mounting
/// the directory exposes the socket just the same.
const RUNTIME_SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/cri-dockerd.sock",
    "/run/cri-dockerd.sock",
    "/run/containerd/containerd.sock",
    "/var/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
    "/var/run",
    "/run",
    "/run/containerd",
    "/var/run/containerd",
    "/var/run/crio",
    "/run/crio",
];

fn docker_socket_mount(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    for (volume, path, text) in host_paths(&pod) {
        if !is_runtime_socket(text) {
            continue;
        }
        let name = volume_name(volume);
        sink.node(
            object,
            path,
            &pod.field(&format!("volumes[{name}].hostPath.path")),
            format!(
                "volume `{name}` exposes the container runtime socket ({text}){}",
                mounted_by(&pod, name)
            ),
        )
        .set_help("remove the volume; the socket gives full control of the node");
    }
}

const HOST_PATH_VOLUME: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/host-path-volume",
        title: "Pods do not mount directories of the node",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "A `hostPath` volume gives the pod a directory of the node's own \
            filesystem: it can read other pods' data and logs, and if writable, plant files \
            the node or other pods will trust. It also ties the pod to whatever happens to \
            be on that node. Only node agents (log shippers, CSI drivers) need one.",
        remediation: "Use a PersistentVolumeClaim for data, `emptyDir` for scratch space, \
            and ConfigMaps or Secrets for configuration; node agents that truly need the \
            host should mount read-only:\n\n```yaml\nvolumes:\n  - name: data\n    \
            persistentVolumeClaim:\n      claimName: api-data\n```",
        references: &[
            "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath",
            PSS,
            NSA_CISA,
            CIS,
        ],
        aliases: &[
            Alias::new(Tool::KubeLinter, "sensitive-host-mounts"),
            Alias::new(Tool::KubeLinter, "writable-host-mount"),
        ],
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
          volumeMounts:
            - name: uploads
              mountPath: /srv/uploads
      volumes:
        - name: uploads
          hostPath:
            path: /mnt/shop/uploads
            type: DirectoryOrCreate
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
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
          volumeMounts:
            - name: uploads
              mountPath: /srv/uploads
      volumes:
        - name: uploads
          persistentVolumeClaim:
            claimName: api-uploads
",
        },
    },
    check: Check::Object(host_path_volume),
};

fn host_path_volume(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    for (volume, path, text) in host_paths(&pod) {
        if is_runtime_socket(text) {
            continue;
        }
        let name = volume_name(volume);
        sink.node(
            object,
            path,
            &pod.field(&format!("volumes[{name}].hostPath.path")),
            format!(
                "volume `{name}` mounts the node's {text}{}",
                mounted_by(&pod, name)
            ),
        )
        .set_help("use a PersistentVolumeClaim, emptyDir, ConfigMap or Secret instead");
    }
}

/// Every `hostPath` volume, with its path node and text.
fn host_paths<'a>(
    pod: &PodSpec<'a>,
) -> impl Iterator<Item = (NodeRef<'a>, NodeRef<'a>, &'a str)> + 'a {
    pod.volumes().filter_map(|volume| {
        let path = volume.get("hostPath")?.get("path")?;
        Some((volume, path, path.as_text()?))
    })
}

fn is_runtime_socket(path: &str) -> bool {
    let trimmed = path.trim_end_matches('/');
    let normal = if trimmed.is_empty() { "/" } else { trimmed };
    RUNTIME_SOCKETS.contains(&normal)
}

fn volume_name<'a>(volume: NodeRef<'a>) -> &'a str {
    volume.get("name").and_then(|n| n.as_text()).unwrap_or("?")
}

/// ` into container `api``, naming the containers that mount `volume`.
fn mounted_by(pod: &PodSpec<'_>, volume: &str) -> String {
    let containers: Vec<&str> = pod
        .containers()
        .filter(|c| {
            c.get("volumeMounts")
                .into_iter()
                .flat_map(|m| m.items())
                .any(|m| m.get("name").and_then(|n| n.as_text()) == Some(volume))
        })
        .map(|c| c.name().unwrap_or("?"))
        .collect();
    if containers.is_empty() {
        String::new()
    } else {
        format!(" into {}", phrase(&containers))
    }
}

const UNSAFE_SYSCTLS: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/unsafe-sysctls",
        title: "Pods set only sysctls Kubernetes considers safe",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "Kernel parameters outside Kubernetes' safe set are either not isolated \
            per pod or can starve the node, so changing one from a pod affects every other \
            workload on it. The kubelet refuses such pods unless a node administrator has \
            allowed that sysctl, which makes them unschedulable on ordinary nodes.",
        remediation: "Remove the sysctl, or move the workload to a dedicated node pool whose \
            kubelet allows it (`--allowed-unsafe-sysctls`). Safe sysctls need nothing:\n\n\
            ```yaml\nspec:\n  securityContext:\n    sysctls:\n      - name: \
            net.ipv4.ip_local_port_range\n        value: \"1024 65535\"\n```",
        references: &[
            "https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/",
            PSS,
        ],
        aliases: &[Alias::new(Tool::KubeLinter, "unsafe-sysctls")],
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
      securityContext:
        sysctls:
          - name: net.core.somaxconn
            value: \"4096\"
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
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
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile:
          type: RuntimeDefault
        sysctls:
          - name: net.ipv4.ip_local_port_range
            value: \"1024 65535\"
          - name: net.ipv4.tcp_keepalive_time
            value: \"300\"
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
",
        },
    },
    check: Check::Object(unsafe_sysctls),
};

/// The sysctls Kubernetes lets any pod set (as of 1.29).
const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

fn unsafe_sysctls(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    let sysctls = pod
        .security_context()
        .and_then(|sc| sc.get("sysctls"))
        .into_iter()
        .flat_map(|s| s.items());
    for sysctl in sysctls {
        let Some(name) = sysctl.get("name") else {
            continue;
        };
        let Some(text) = name.as_text() else {
            continue;
        };
        // Kubernetes accepts `/` as the separator too (net/ipv4/tcp_syncookies).
        let normal = text.replace('/', ".");
        if SAFE_SYSCTLS.contains(&normal.as_str()) {
            continue;
        }
        sink.node(
            object,
            name,
            &pod.field(&format!("securityContext.sysctls[{text}].name")),
            format!(
                "the pod sets sysctl `{text}`, which is outside Kubernetes' safe set; nodes \
                 refuse the pod unless their kubelet allows it"
            ),
        )
        .set_help("remove the sysctl or run on nodes that allow it explicitly");
    }
}

const SERVICE_ACCOUNT_TOKEN_MOUNTED: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/service-account-token-mounted",
        title: "Pods mount a service account token only when they use the API",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "By default every pod gets a token for its service account mounted at a \
            well-known path. Most applications never call the Kubernetes API, but anyone who \
            compromises them can use that token to explore the cluster and act with \
            whatever permissions the account has, which grow over time. Not mounting it \
            removes the credential altogether.",
        remediation: "Opt out in the pod spec (or on the ServiceAccount) unless the \
            application talks to the Kubernetes API:\n\n```yaml\nspec:\n  \
            automountServiceAccountToken: false\n```",
        references: &[
            "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting",
            NSA_CISA,
            CIS,
        ],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_38"),
            Alias::new(Tool::Polaris, "automountServiceAccountToken"),
            Alias::new(Tool::KubeLinter, "automount-service-account-token"),
        ],
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
      serviceAccountName: api
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: HARDENED,
        },
    },
    check: Check::Object(service_account_token_mounted),
};

fn service_account_token_mounted(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    match pod
        .get("automountServiceAccountToken")
        .filter(|v| !v.is_null())
    {
        Some(value) if value.as_bool() == Some(false) => {}
        Some(value) => {
            sink.node(
                object,
                value,
                &pod.field("automountServiceAccountToken"),
                "the pod mounts its service account token",
            )
            .set_help("set automountServiceAccountToken: false unless it calls the Kubernetes API");
        }
        None => {
            sink.object(
                object,
                "the pod mounts its service account token by default",
            )
            .set_help("set automountServiceAccountToken: false unless it calls the Kubernetes API");
        }
    }
}

const HIGH_UID: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/high-uid",
        title: "Containers run as a UID of 10000 or more",
        severity: Severity::Info,
        category: Category::Security,
        rationale: "Low UIDs are the ones the node's own users and daemons have. Should a \
            container escape its namespaces or share a host path, a process running as UID \
            1000 acts with the rights of whoever has UID 1000 on the node. A UID of 10000 or \
            more is unlikely to match anything there. This is defence in depth that changes \
            image builds, so the rule is opt-in.",
        remediation: "Pick a high, unused UID for the pod and build the image to work with \
            it:\n\n```yaml\nspec:\n  securityContext:\n    runAsNonRoot: true\n    runAsUser: \
            10001\n    runAsGroup: 10001\n```\n\nEnable the rule with `--select k8s/high-uid`.",
        references: &[SECURITY_CONTEXT, NSA_CISA],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV_K8S_40"),
            Alias::new(Tool::KubeScore, "container-security-context-user-group-id"),
        ],
        enabled_by_default: false,
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
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
",
        },
        passing: Example {
            file: "deployment.yaml",
            content: HARDENED,
        },
    },
    check: Check::Object(high_uid),
};

const HIGH_UID_FLOOR: i64 = 10000;

fn high_uid(object: &Object<'_>, sink: &mut Sink<'_>) {
    let Some(pod) = object.pod_spec() else { return };
    if is_windows(&pod) {
        return;
    }
    let mut inheriting = Vec::new();
    for container in pod.containers() {
        let name = container.name().unwrap_or("?");
        let user = container.effective_security("runAsUser");
        match user.and_then(|u| u.as_i64().map(|uid| (u, uid))) {
            Some((_, uid)) if uid >= HIGH_UID_FLOOR => {}
            Some((node, uid)) if is_own(&container, "runAsUser", node) => {
                sink.node(
                    object,
                    node,
                    &container.field("securityContext.runAsUser"),
                    format!("container `{name}` runs as UID {uid}, below {HIGH_UID_FLOOR}"),
                )
                .set_help("run as a UID of 10000 or more");
            }
            Some(_) => inheriting.push(name),
            None => {
                sink.container(
                    object,
                    &container,
                    format!("container `{name}` does not set runAsUser, so the image decides"),
                )
                .set_help("set securityContext.runAsUser to 10000 or more");
            }
        }
    }
    let uid = pod
        .security_context()
        .and_then(|sc| sc.get("runAsUser"))
        .and_then(|u| u.scalar_text())
        .unwrap_or("?");
    if let Some(finding) =
        report_pod_value(object, sink, &pod, &["runAsUser"], &inheriting, |who| {
            format!("the pod runs {who} as UID {uid}, below {HIGH_UID_FLOOR}")
        })
    {
        finding.set_help("run as a UID of 10000 or more");
    }
}

/// Whether a container's effective `field` is written on the container
/// itself rather than inherited from the pod's securityContext.
fn is_own(container: &Container<'_>, field: &str, value: NodeRef<'_>) -> bool {
    container
        .security_context()
        .and_then(|sc| sc.get(field))
        .is_some_and(|own| own.id() == value.id())
}

/// Reports a value of the pod's securityContext once, naming the containers
/// that inherit it, rather than once per container at the same place.
fn report_pod_value<'s>(
    object: &Object<'_>,
    sink: &'s mut Sink<'_>,
    pod: &PodSpec<'_>,
    path: &[&str],
    inheriting: &[&str],
    message: impl FnOnce(&str) -> String,
) -> Option<&'s mut Finding> {
    if inheriting.is_empty() {
        return None;
    }
    let value = pod.security_context()?.path(path)?;
    let field = pod.field(&format!("securityContext.{}", path.join(".")));
    Some(sink.node(object, value, &field, message(&phrase(inheriting))))
}

/// `container `api`` or `containers `api`, `proxy``.
fn phrase(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [one] => format!("container {one}"),
        _ => format!("containers {}", quoted.join(", ")),
    }
}

/// Linux-only settings (users, capabilities, seccomp, read-only root) do not
/// apply to Windows pods, and the Pod Security Standards exempt them.
fn is_windows(pod: &PodSpec<'_>) -> bool {
    pod.get("os")
        .and_then(|os| os.get("name"))
        .and_then(|n| n.as_text())
        == Some("windows")
}

#[cfg(test)]
mod tests {

    use super::super::testing::{check, position};
    use super::RULES;

    fn pod(spec: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: shop\nspec:\n{spec}"
        )
    }

    #[test]
    fn every_passing_example_is_quiet_on_every_security_rule() {
        let mut loud = Vec::new();
        for example in RULES.iter().map(|r| &r.meta.passing) {
            for rule in RULES.iter().map(|r| r.meta.id) {
                for finding in check(rule, example.content) {
                    loud.push(format!("{rule}: {}", finding.message));
                }
            }
        }
        assert!(loud.is_empty(), "{loud:#?}");
    }

    #[test]
    fn run_as_non_root_on_the_pod_covers_its_containers() {
        let yaml = pod("  securityContext:
    runAsNonRoot: true
  initContainers:
    - name: migrate
      image: ghcr.io/acme/migrate:2.0.1
  containers:
    - name: api
      image: ghcr.io/acme/api:1.4.2
");
        assert!(check("k8s/run-as-non-root", &yaml).is_empty());
    }

    #[test]
    fn allow_privilege_escalation_on_the_pod_does_not_reach_the_container() {
        // Not a field of the pod's securityContext: Kubernetes ignores it there.
        let yaml = pod("  securityContext:
    allowPrivilegeEscalation: false
  containers:
    - name: api
      image: ghcr.io/acme/api:1.4.2
");
        let findings = check("k8s/privilege-escalation", &yaml);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(position(&findings[0]), (10, 13));
        assert!(
            findings[0]
                .message
                .starts_with("container `api` does not set")
        );
    }

    #[test]
    fn a_container_running_as_root_overrides_the_pods_non_root_requirement() {
        let yaml = pod("  securityContext:
    runAsNonRoot: true
  containers:
    - name: api
      image: ghcr.io/acme/api:1.4.2
      securityContext:
        runAsUser: 0
");
        let findings = check("k8s/run-as-root-user", &yaml);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(position(&findings[0]), (13, 20));
        assert_eq!(
            findings[0].message,
            "container `api` runs as root (runAsUser: 0); with runAsNonRoot: true the kubelet \
             refuses to start it"
        );
        assert!(check("k8s/run-as-non-root", &yaml).is_empty());
    }

    #[test]
    fn a_pod_level_root_user_is_reported_once_for_the_containers_that_inherit_it() {
        let yaml = pod("  securityContext:
    runAsUser: 0
  initContainers:
    - name: migrate
      image: ghcr.io/acme/migrate:2.0.1
  containers:
    - name: api
      image: ghcr.io/acme/api:1.4.2
    - name: proxy
      image: ghcr.io/acme/proxy:1.0.0
      securityContext:
        runAsUser: 10001
");
        let findings = check("k8s/run-as-root-user", &yaml);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(position(&findings[0]), (8, 16));
        assert_eq!(
            findings[0].message,
            "the pod's runAsUser: 0 runs containers `migrate`, `api` as root"
        );
        assert!(
            findings[0]
                .location
                .logical
                .ends_with("spec.securityContext.runAsUser")
        );
    }

    #[test]
    fn cronjob_init_containers_are_judged() {
        let cronjob = "apiVersion: batch/v1
kind: CronJob
metadata:
  name: backup
  namespace: shop
spec:
  schedule: \"0 2 * * *\"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          initContainers:
            - name: mount-fix
              image: busybox:1.36
              securityContext:
                privileged: true
          containers:
            - name: backup
              image: ghcr.io/acme/backup:1.2.0
";
        let findings = check("k8s/privileged-container", cronjob);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(position(&findings[0]), (17, 29));
        assert!(
            findings[0]
                .message
                .starts_with("container `mount-fix` runs privileged")
        );
        assert!(
            findings[0]
                .location
                .logical
                .contains("initContainers[mount-fix]")
        );
        let escalation = check("k8s/privilege-escalation", cronjob);
        assert_eq!(escalation.len(), 2, "{escalation:#?}");
    }

    #[test]
    fn escalation_is_not_prevented_next_to_privileged_or_sys_admin() {
        let yaml = pod("  containers:
    - name: api
      image: ghcr.io/acme/api:1.4.2
      securityContext:
        allowPrivilegeEscalation: false
        privileged: true
    - name: agent
      image: ghcr.io/acme/agent:1.0.0
      securityContext:
        allowPrivilegeEscalation: false
        capabilities:
          add: [cap_sys_admin]
");
        let findings = check("k8s/privilege-escalation", &yaml);
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(findings.len(), 2, "{messages:#?}");
        assert!(messages[0].contains("but privileged: true lets it escalate anyway"));
        assert!(messages[1].contains("but the added SYS_ADMIN capability"));
        assert_eq!(position(&findings[0]), (11, 35));
    }

    #[test]
    fn dangerous_capabilities_are_matched_with_or_without_the_prefix() {
        let yaml = pod("  containers:
    - name: api
      image: ghcr.io/acme/api:1.4.2
      securityContext:
        capabilities:
          drop: [ALL]
          add: [NET_BIND_SERVICE, cap_net_raw, SYS_PTRACE, CHOWN]
");
        let findings = check("k8s/dangerous-capability", &yaml);
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(findings.len(), 2, "{messages:#?}");
        assert!(messages[0].starts_with("container `api` adds NET_RAW"));
        assert_eq!(position(&findings[0]), (13, 35));
        assert!(messages[1].starts_with("container `api` adds SYS_PTRACE"));
    }

    #[test]
    fn drop_all_must_be_written_in_capitals() {
        let yaml = pod("  containers:
    - name: api
      image: ghcr.io/acme/api:1.4.2
      securityContext:
        capabilities:
          drop: [all]
");
        let findings = check("k8s/capabilities-drop-all", &yaml);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(findings[0].message.contains("drops `all`"));
        assert_eq!(position(&findings[0]), (12, 18));
    }

    #[test]
    fn an_unconfined_pod_profile_is_reported_for_containers_that_do_not_override_it() {
        let yaml = pod("  securityContext:
    seccompProfile:
      type: Unconfined
  containers:
    - name: api
      image: ghcr.io/acme/api:1.4.2
    - name: proxy
      image: ghcr.io/acme/proxy:1.0.0
      securityContext:
        seccompProfile: {type: RuntimeDefault}
    - name: debug
      image: busybox:1.36
      securityContext:
        seccompProfile: {type: Unconfined}
");
        let findings = check("k8s/seccomp-profile", &yaml);
        assert_eq!(findings.len(), 2, "{findings:#?}");
        assert_eq!(
            findings[0].message,
            "container `debug`'s seccomp profile is Unconfined, so every system call is open"
        );
        assert_eq!(position(&findings[1]), (9, 13));
        assert_eq!(
            findings[1].message,
            "the pod's seccomp profile, inherited by container `api`, is Unconfined, so every \
             system call is open"
        );
    }

    #[test]
    fn the_legacy_seccomp_annotation_still_counts_as_missing() {
        let deployment = "apiVersion: apps/v1
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
      annotations:
        container.seccomp.security.alpha.kubernetes.io/api: runtime/default
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
";
        let findings = check("k8s/seccomp-profile", deployment);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(
            findings[0]
                .message
                .contains("deprecated and no longer applied")
        );
        assert_eq!(position(&findings[0]), (16, 17));
        assert_eq!(findings[0].related.len(), 1);
    }

    #[test]
    fn runtime_socket_directories_are_socket_mounts_not_plain_host_paths() {
        let yaml = pod("  containers:
    - name: api
      image: ghcr.io/acme/api:1.4.2
      volumeMounts:
        - {name: run, mountPath: /host/run}
  volumes:
    - name: run
      hostPath:
        path: /var/run/
    - name: logs
      hostPath:
        path: /var/log
");
        let sockets = check("k8s/docker-socket-mount", &yaml);
        assert_eq!(sockets.len(), 1, "{sockets:#?}");
        assert_eq!(position(&sockets[0]), (15, 15));
        assert!(sockets[0].message.contains("into container `api`"));
        let paths = check("k8s/host-path-volume", &yaml);
        assert_eq!(paths.len(), 1, "{paths:#?}");
        assert!(
            paths[0]
                .message
                .starts_with("volume `logs` mounts the node's /var/log")
        );
    }

    #[test]
    fn host_ports_are_left_to_host_network_when_the_pod_uses_it() {
        let ports = "  containers:
    - name: api
      image: ghcr.io/acme/api:1.4.2
      ports:
        - {containerPort: 8080, hostPort: 8080}
        - {containerPort: 9090}
";
        let findings = check("k8s/host-port", &pod(ports));
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(position(&findings[0]), (11, 43));
        let on_host = pod(&format!("  hostNetwork: true\n{ports}"));
        assert!(check("k8s/host-port", &on_host).is_empty());
        assert_eq!(check("k8s/host-network", &on_host).len(), 1);
    }

    #[test]
    fn sysctls_are_judged_by_name_whatever_the_separator() {
        let yaml = pod("  securityContext:
    sysctls:
      - {name: net/ipv4/tcp_syncookies, value: \"1\"}
      - {name: kernel.msgmax, value: \"65536\"}
  containers:
    - name: api
      image: ghcr.io/acme/api:1.4.2
");
        let findings = check("k8s/unsafe-sysctls", &yaml);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(findings[0].message.contains("`kernel.msgmax`"));
        assert_eq!(position(&findings[0]), (10, 16));
    }

    #[test]
    fn the_token_finding_points_at_the_object_or_at_an_explicit_true() {
        let implicit = pod("  containers:\n    - name: api\n      image: ghcr.io/acme/api:1.4.2\n");
        let findings = check("k8s/service-account-token-mounted", &implicit);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(position(&findings[0]), (2, 7));
        let explicit = pod(
            "  automountServiceAccountToken: true\n  containers:\n    - name: api\n      image: ghcr.io/acme/api:1.4.2\n",
        );
        let findings = check("k8s/service-account-token-mounted", &explicit);
        assert_eq!(position(&findings[0]), (7, 33));
    }

    #[test]
    fn linux_only_settings_are_not_asked_of_windows_pods() {
        let yaml = pod("  os:
    name: windows
  containers:
    - name: iis
      image: mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022
");
        for rule in [
            "k8s/run-as-non-root",
            "k8s/privilege-escalation",
            "k8s/read-only-root-filesystem",
            "k8s/capabilities-drop-all",
            "k8s/seccomp-profile",
        ] {
            assert!(check(rule, &yaml).is_empty(), "{rule}");
        }
    }

    #[test]
    fn high_uid_reads_the_effective_user() {
        let yaml = pod("  securityContext:
    runAsUser: 10001
  containers:
    - name: api
      image: ghcr.io/acme/api:1.4.2
    - name: proxy
      image: ghcr.io/acme/proxy:1.0.0
      securityContext:
        runAsUser: 1000
");
        let findings = check("k8s/high-uid", &yaml);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(
            findings[0].message,
            "container `proxy` runs as UID 1000, below 10000"
        );
    }
}
