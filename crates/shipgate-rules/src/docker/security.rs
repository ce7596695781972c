//! Supply chain and secrets: what a build downloads and runs, how it checks
//! it, and what it leaves in the image's configuration.

use shipgate_core::{Alias, Category, Example, RuleMeta, Severity, Tool};
use shipgate_syntax::dockerfile::{Command, Connector, Keyword, Pair, Span, Word};

use super::cli::{self, APK, APT, CURL, Invocation, RPM_TOOLS};
use super::{BEST_PRACTICES, CIS_DOCKER, Dockerfile};
use crate::sink::FileSink;
use crate::{Check, RuleDef};

const DOCKERFILE: &str = "Dockerfile";
const BUILD_SECRETS: &str = "https://docs.docker.com/build/building/secrets/";

const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh", "ksh", "mksh"];
const INTERPRETERS: &[&str] = &["python", "python3", "perl", "ruby", "node", "php"];
const DOWNLOADERS: &[&str] = &["curl", "wget"];

pub(super) const REMOTE_SCRIPT_PIPED_TO_SHELL: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/remote-script-piped-to-shell",
        title: "Remote scripts are not piped into a shell",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "`curl https://... | sh` runs whatever the server sends at build time, with \
            root privileges and nothing to check it against: a compromised host, a hijacked \
            domain or a truncated download goes straight into the image. The same script \
            fetched at a pinned version and verified against a checksum is reviewable and \
            repeatable.",
        remediation: "Download to a file, verify it, then run it:\n\n```dockerfile\nADD \
            --checksum=sha256:<sha256> https://example.com/install-1.2.3.sh /tmp/install.sh\n\
            RUN sh /tmp/install.sh && rm /tmp/install.sh\n```",
        references: &[BEST_PRACTICES, CIS_DOCKER],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nRUN curl -fsSL https://example.com/install.sh | bash\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nRUN curl -fsSLo /tmp/install.sh https://example.com/install-1.2.3.sh \\\n && echo \"4b3c...  /tmp/install.sh\" | sha256sum -c - \\\n && sh /tmp/install.sh\nRUN curl -fsSL https://example.com/data.json | python3 -c 'import json,sys; json.load(sys.stdin)'\n",
        },
    },
    check: Check::Dockerfile(remote_script_piped_to_shell),
};

/// Whether `command` runs a script it reads from standard input: a shell or
/// interpreter with no script file or `-c` program among its arguments.
fn reads_script_from_stdin(command: &Command) -> bool {
    let Some(name) = command.name() else {
        return false;
    };
    let is_shell = SHELLS.contains(&name);
    if !is_shell && !INTERPRETERS.contains(&name) {
        return false;
    }
    let mut args = command.args().iter();
    while let Some(arg) = args.next() {
        let v = arg.value.as_str();
        if v == "-" || v == "-s" {
            return true;
        }
        if v == "-c" || v == "-e" || v == "-m" || v == "--command" {
            return false;
        }
        if v == "--" {
            return args.next().is_none_or(|a| a.value == "-");
        }
        if !v.starts_with('-') {
            return false;
        }
    }
    true
}

fn downloads(words: &str) -> Option<&'static str> {
    DOWNLOADERS.iter().copied().find(|d| {
        [format!("$({d} "), format!("`{d} "), format!("<({d} ")]
            .iter()
            .any(|pattern| words.contains(pattern.as_str()))
    })
}

fn remote_script_piped_to_shell(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (index, instruction) in model.of(Keyword::Run) {
        let commands: Vec<&Command> = instruction.commands().collect();
        for (position, command) in commands.iter().enumerate() {
            let Some(program) = command.program() else {
                continue;
            };
            let name = command.name().unwrap_or_default();
            // `curl ... | sh`: walk back through the pipeline to its start.
            let mut source: Option<&str> = None;
            if command.connector == Connector::Pipe && reads_script_from_stdin(command) {
                let mut k = position;
                while k > 0 {
                    k -= 1;
                    if let Some(d) = commands[k].name().filter(|n| DOWNLOADERS.contains(n)) {
                        source = Some(d);
                    }
                    if commands[k].connector != Connector::Pipe {
                        break;
                    }
                }
            }
            // `sh -c "$(curl ...)"`, `bash <(wget -O- ...)`.
            if source.is_none() && (SHELLS.contains(&name) || INTERPRETERS.contains(&name)) {
                source = command.args().iter().find_map(|w| downloads(&w.value));
            }
            let Some(downloader) = source else { continue };
            sink.at(
                model.span(program.span),
                format!("{} > {name}", model.logical(index)),
                format!("a script downloaded with `{downloader}` runs in `{name}` unverified"),
            )
            .set_help("download to a file, check its sha256, then run it");
        }
    }
}

pub(super) const SECRET_IN_ENV_OR_ARG: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/secret-in-env-or-arg",
        title: "Credentials are not set in ENV or ARG",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "`ENV` values are stored in the image configuration and `ARG` values in its \
            build history: anyone who can pull the image reads them with `docker inspect` or \
            `docker history`, long after the credential was meant to be temporary. Build-time \
            secrets belong in secret mounts, run-time secrets in the orchestrator.",
        remediation: "Mount the secret for the one RUN that needs it, and pass run-time \
            secrets at deploy time:\n\n```dockerfile\nRUN --mount=type=secret,id=npm_token,\
            env=NPM_TOKEN npm ci\n```\n\n`docker build --secret id=npm_token,env=NPM_TOKEN .`",
        references: &[
            BUILD_SECRETS,
            "https://docs.docker.com/reference/build-checks/secrets-used-in-arg-or-env/",
            CIS_DOCKER,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM node:22.11-bookworm-slim\nENV DB_PASSWORD=Zx9-vQ2_rT7-pL4\nARG NPM_TOKEN\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM node:22.11-bookworm-slim\nENV DB_PASSWORD_FILE=/run/secrets/db_password GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D TOKEN_URL=https://auth.example.com/token\nRUN --mount=type=secret,id=npm_token,env=NPM_TOKEN npm ci\n",
        },
    },
    check: Check::Dockerfile(secret_in_env_or_arg),
};

/// The parts of a variable name: `DB_PASSWORD`, `dbPassword`, `db-password`
/// and `db.password` all give `["db", "password"]`.
fn name_parts(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if c == '_' || c == '-' || c == '.' {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && previous_lower && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// Whether a variable name says it holds a credential.
pub(super) fn is_secret_name(name: &str) -> bool {
    const WHOLE: &[&str] = &[
        "password",
        "passwd",
        "pwd",
        "pass",
        "passphrase",
        "secret",
        "token",
        "apikey",
        "credential",
        "credentials",
        "privatekey",
    ];
    const BEFORE_KEY: &[&str] = &[
        "api",
        "access",
        "private",
        "secret",
        "signing",
        "encryption",
        "master",
        "client",
    ];
    // Names of places and descriptions of a secret rather than the secret.
    const NOT_THE_VALUE: &[&str] = &[
        "file",
        "path",
        "dir",
        "url",
        "uri",
        "host",
        "port",
        "name",
        "user",
        "username",
        "id",
        "type",
        "length",
        "size",
        "env",
        "var",
        "header",
        "mode",
        "enabled",
        "expiry",
        "ttl",
        "location",
        "endpoint",
        "method",
        "format",
        "algorithm",
        "policy",
        "version",
        "prefix",
        "field",
        "min",
        "max",
        "store",
        "provider",
        "secretname",
        "ref",
        "arn",
    ];
    let parts = name_parts(name);
    if parts.iter().any(|p| p == "public") {
        return false;
    }
    if parts
        .last()
        .is_some_and(|p| NOT_THE_VALUE.contains(&p.as_str()))
    {
        return false;
    }
    parts.iter().enumerate().any(|(i, part)| {
        WHOLE.contains(&part.as_str())
            || (part == "key" && i > 0 && BEFORE_KEY.contains(&parts[i - 1].as_str()))
    })
}

fn secret_in_env_or_arg(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (index, instruction) in model.instructions() {
        let keyword = instruction.keyword;
        if keyword != Keyword::Env && keyword != Keyword::Arg {
            continue;
        }
        for pair in instruction.pairs() {
            let name = pair.key.value.as_str();
            if !is_secret_name(name) {
                continue;
            }
            let logical = format!("{} > {name}", model.logical(index));
            let value = pair.value.as_ref().filter(|v| !v.value.trim().is_empty());
            match (keyword, value) {
                (Keyword::Env, None) => {}
                (_, Some(value)) => {
                    let only_reference = is_only_reference(&value.value);
                    let message = match (keyword, only_reference) {
                        (Keyword::Env, true) => format!(
                            "ENV `{name}` copies a build argument into the image's environment, \
                             where every user of the image can read it"
                        ),
                        (Keyword::Env, false) => format!(
                            "ENV `{name}` bakes a credential into the image's configuration"
                        ),
                        _ => format!(
                            "ARG `{name}` has a default credential, recorded in the image history"
                        ),
                    };
                    let finding = sink.at(model.span(pair.key.span), logical, message);
                    if !only_reference {
                        finding.add_redaction(model.span(value.span));
                    }
                    finding.set_help("use a secret mount (`RUN --mount=type=secret`) instead");
                }
                (_, None) => {
                    sink.at(
                        model.span(pair.key.span),
                        logical,
                        format!(
                            "build argument `{name}` carries a credential; build arguments are \
                             recorded in the image history"
                        ),
                    )
                    .set_help("pass it with `--secret` and `RUN --mount=type=secret` instead");
                }
            }
        }
    }
}

fn is_only_reference(value: &str) -> bool {
    let inner = value
        .strip_prefix("${")
        .and_then(|v| v.strip_suffix('}'))
        .or_else(|| value.strip_prefix('$'));
    inner.is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

pub(super) const TLS_VERIFICATION_DISABLED: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/tls-verification-disabled",
        title: "Downloads keep TLS certificate verification on",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "`curl -k`, `wget --no-check-certificate`, `pip --trusted-host` and \
            variables such as `NODE_TLS_REJECT_UNAUTHORIZED=0` accept any certificate, so \
            anyone on the network path of the build can substitute what is downloaded. Set \
            in `ENV`, the weakness also ships to every container run from the image.",
        remediation: "Remove the switch and install the CA the network needs instead:\n\n\
            ```dockerfile\nCOPY corp-ca.crt /usr/local/share/ca-certificates/\nRUN \
            update-ca-certificates\n```",
        references: &[BEST_PRACTICES, CIS_DOCKER],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV2_DOCKER_2"),
            Alias::new(Tool::Checkov, "CKV2_DOCKER_3"),
            Alias::new(Tool::Checkov, "CKV2_DOCKER_4"),
            Alias::new(Tool::Checkov, "CKV2_DOCKER_5"),
            Alias::new(Tool::Checkov, "CKV2_DOCKER_6"),
            Alias::new(Tool::Checkov, "CKV2_DOCKER_12"),
            Alias::new(Tool::Checkov, "CKV2_DOCKER_13"),
            Alias::new(Tool::Checkov, "CKV2_DOCKER_14"),
            Alias::new(Tool::Checkov, "CKV2_DOCKER_15"),
            Alias::new(Tool::Checkov, "CKV2_DOCKER_16"),
            Alias::new(Tool::Checkov, "CKV2_DOCKER_18"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM node:22.11-bookworm-slim\nENV NODE_TLS_REJECT_UNAUTHORIZED=0\nRUN curl -fsSLk -o /tmp/tool https://example.com/tool\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM node:22.11-bookworm-slim\nENV NODE_TLS_REJECT_UNAUTHORIZED=1\nRUN curl -fsSL -o /tmp/tool https://example.com/tool\nRUN curl -fsSL -o /tmp/k https://example.com/k\n",
        },
    },
    check: Check::Dockerfile(tls_verification_disabled),
};

/// Variables that switch certificate checks off, and whether a value does.
fn insecure_variable(name: &str, value: &str) -> bool {
    let value = value.trim().trim_matches(['"', '\'']);
    let falsy = matches!(
        value.to_ascii_lowercase().as_str(),
        "0" | "false" | "no" | "off"
    );
    match name {
        "NODE_TLS_REJECT_UNAUTHORIZED" | "PYTHONHTTPSVERIFY" => value == "0",
        "NPM_CONFIG_STRICT_SSL" | "npm_config_strict_ssl" | "YARN_STRICT_SSL" => falsy,
        "GIT_SSL_NO_VERIFY" | "PIP_TRUSTED_HOST" | "GOINSECURE" | "CURL_INSECURE" => {
            !value.is_empty()
        }
        _ => false,
    }
}

fn tls_verification_disabled(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    let mut report = |span: Span, logical: String, message: String, help: &str| {
        sink.at(model.span(span), logical, message).set_help(help);
    };
    for (index, instruction) in model.instructions() {
        if matches!(instruction.keyword, Keyword::Env | Keyword::Arg) {
            for Pair { key, value, span } in instruction.pairs() {
                let Some(value) = value else { continue };
                if insecure_variable(&key.value, &value.value) {
                    report(
                        *span,
                        format!("{} > {}", model.logical(index), key.value),
                        format!(
                            "`{}={}` turns certificate verification off",
                            key.value, value.value
                        ),
                        "remove the variable and trust the CA the network needs",
                    );
                }
            }
        }
        for command in instruction.commands() {
            let logical = || {
                format!(
                    "{} > {}",
                    model.logical(index),
                    command.name().unwrap_or("")
                )
            };
            for (word, name, value) in inline_assignments(command) {
                if insecure_variable(name, value) {
                    report(
                        word.span,
                        logical(),
                        format!("`{name}={value}` turns certificate verification off"),
                        "remove the variable and trust the CA the network needs",
                    );
                }
            }
            if let Some((word, what)) = insecure_switch(command) {
                report(
                    word.span,
                    logical(),
                    format!("{what} turns certificate verification off"),
                    "remove it and trust the CA the network needs",
                );
            }
        }
    }
}

/// `NAME=value` words in front of a program, and the operands of `export`.
fn inline_assignments(command: &Command) -> Vec<(&Word, &str, &str)> {
    let mut words: Vec<&Word> = command.assignments().collect();
    if command.name() == Some("export") {
        words.extend(command.args());
    }
    words
        .into_iter()
        .filter_map(|w| {
            let (name, value) = w.value.split_once('=')?;
            Some((w, name, value))
        })
        .collect()
}

fn insecure_switch(command: &Command) -> Option<(&Word, String)> {
    let name = command.name()?;
    match name {
        "curl" => {
            let curl = Invocation::parse(command, &CURL)?;
            let word = curl
                .long(&["--insecure", "--proxy-insecure"])
                .or_else(|| curl.short('k', &CURL))?;
            Some((word, format!("`curl {}`", word.value)))
        }
        "wget" => command
            .args()
            .iter()
            .find(|w| w.value == "--no-check-certificate")
            .map(|w| (w, "`wget --no-check-certificate`".to_owned())),
        _ if cli::pip(command).is_some() => {
            let pip = cli::pip(command)?;
            let word = pip.long(&["--trusted-host"])?;
            Some((word, "`pip --trusted-host`".to_owned()))
        }
        "npm" | "yarn" | "pnpm" => {
            let args = command.args();
            let set = args.iter().position(|w| w.value == "set")?;
            let key = args.get(set + 1)?;
            let (k, v) = match key.value.split_once('=') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => (
                    key.value.clone(),
                    args.get(set + 2)
                        .map(|w| w.value.clone())
                        .unwrap_or_default(),
                ),
            };
            (k == "strict-ssl" && v == "false")
                .then(|| (key, format!("`{name} config set strict-ssl false`")))
        }
        "git" => command
            .args()
            .iter()
            .find(|w| {
                let lower = w.value.to_ascii_lowercase();
                lower.starts_with("http.sslverify") && lower.ends_with("false")
            })
            .or_else(|| {
                let args = command.args();
                let at = args
                    .iter()
                    .position(|w| w.value.eq_ignore_ascii_case("http.sslVerify"))?;
                args.get(at + 1)
                    .filter(|w| w.value == "false")
                    .map(|_| &args[at])
            })
            .map(|w| (w, "`git http.sslVerify=false`".to_owned())),
        _ if cli::is_rpm_tool(name)
            || name == "yum-config-manager"
            || name == "dnf-config-manager" =>
        {
            command
                .args()
                .iter()
                .find(|w| {
                    let lower = w.value.to_ascii_lowercase();
                    lower.contains("sslverify=0")
                        || lower.contains("sslverify=false")
                        || lower.contains("sslverify=no")
                })
                .map(|w| (w, format!("`{name} sslverify=0`")))
        }
        _ => None,
    }
}

pub(super) const PACKAGE_SIGNATURE_DISABLED: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/package-signature-disabled",
        title: "Package managers verify signatures",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "Package signatures are what make a mirror or a proxy untrusted by design: \
            `--allow-unauthenticated`, `--force-yes`, `--allow-untrusted`, `--nogpgcheck` \
            or `rpm --nosignature` install whatever arrives, including a tampered package \
            from any host on the path.",
        remediation: "Import the repository's key instead of switching verification off:\n\n\
            ```dockerfile\nCOPY vendor-archive-keyring.gpg /usr/share/keyrings/\nRUN apt-get \
            update && apt-get install -y --no-install-recommends vendor-tool \\\n && rm -rf \
            /var/lib/apt/lists/*\n```",
        references: &[
            "https://wiki.debian.org/SecureApt",
            BEST_PRACTICES,
            CIS_DOCKER,
        ],
        aliases: &[
            Alias::new(Tool::Checkov, "CKV2_DOCKER_7"),
            Alias::new(Tool::Checkov, "CKV2_DOCKER_8"),
            Alias::new(Tool::Checkov, "CKV2_DOCKER_9"),
            Alias::new(Tool::Checkov, "CKV2_DOCKER_10"),
            Alias::new(Tool::Checkov, "CKV2_DOCKER_11"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nRUN apt-get update && apt-get install -y --allow-unauthenticated --no-install-recommends vendor-tool && rm -rf /var/lib/apt/lists/*\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nRUN apt-get update && apt-get install -y --no-install-recommends vendor-tool && rm -rf /var/lib/apt/lists/*\nFROM alpine:3.20\nRUN apk add --no-cache curl\n",
        },
    },
    check: Check::Dockerfile(package_signature_disabled),
};

fn unsigned_switch(command: &Command) -> Option<&Word> {
    let name = command.name()?;
    if cli::is_apt(name) {
        let apt = Invocation::parse(command, &APT)?;
        return apt
            .long(&[
                "--allow-unauthenticated",
                "--force-yes",
                "--allow-insecure-repositories",
                "--allow-downgrades",
            ])
            .filter(|w| !w.value.starts_with("--allow-downgrades"))
            .or_else(|| {
                apt.options.iter().find_map(|(w, v)| {
                    let text = v.map_or(w.value.as_str(), |v| v.value.as_str());
                    let lower = text.to_ascii_lowercase();
                    (lower.contains("allowunauthenticated=true")
                        || lower.contains("allow-insecure=yes")
                        || lower.contains("allowinsecurerepositories=true"))
                    .then_some(v.unwrap_or(w))
                })
            });
    }
    if name == "apk" {
        return Invocation::parse(command, &APK)?.long(&["--allow-untrusted"]);
    }
    if cli::is_rpm_tool(name) {
        let rpm = Invocation::parse(command, &RPM_TOOLS)?;
        return rpm.long(&["--nogpgcheck", "--no-gpgchecks"]).or_else(|| {
            rpm.options.iter().find_map(|(w, v)| {
                let text = v.map_or(w.value.as_str(), |v| v.value.as_str());
                let lower = text.to_ascii_lowercase().replace(' ', "");
                (lower.ends_with("gpgcheck=0") || lower.ends_with("gpgcheck=false"))
                    .then_some(v.unwrap_or(w))
            })
        });
    }
    if name == "rpm" {
        return command.args().iter().find(|w| {
            matches!(
                w.value.as_str(),
                "--nosignature" | "--nodigest" | "--nofiledigest" | "--noverify"
            )
        });
    }
    None
}

fn package_signature_disabled(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (index, instruction) in model.of(Keyword::Run) {
        for command in instruction.commands() {
            let Some(word) = unsigned_switch(command) else {
                continue;
            };
            let name = command.name().unwrap_or_default();
            sink.at(
                model.span(word.span),
                format!("{} > {name}", model.logical(index)),
                format!(
                    "`{name} {}` installs packages without checking their signatures",
                    word.value
                ),
            )
            .set_help("import the repository's signing key instead");
        }
    }
}

pub(super) const SUDO: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/sudo",
        title: "RUN does not use sudo",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "Build steps already run as the current `USER`; `sudo` adds a setuid \
            binary and a sudoers policy to the image, which then lets a compromised process \
            regain root at run time, and its TTY and environment handling make builds \
            behave unpredictably.",
        remediation: "Switch users around the privileged steps instead:\n\n```dockerfile\n\
            USER root\nRUN apt-get update && apt-get install -y --no-install-recommends curl \
            && rm -rf /var/lib/apt/lists/*\nUSER 10001\n```",
        references: &[
            "https://docs.docker.com/build/building/best-practices/#user",
            CIS_DOCKER,
        ],
        aliases: &[
            Alias::new(Tool::Hadolint, "DL3004"),
            Alias::new(Tool::Checkov, "CKV2_DOCKER_1"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nUSER app\nRUN sudo apt-get update\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\nUSER 10001\n",
        },
    },
    check: Check::Dockerfile(sudo),
};

fn sudo(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (index, instruction) in model.of(Keyword::Run) {
        for command in instruction.commands() {
            let word = command
                .wrapper("sudo")
                .or_else(|| command.program().filter(|p| p.value.ends_with("sudo")));
            let Some(word) = word else { continue };
            sink.at(
                model.span(word.span),
                format!("{} > sudo", model.logical(index)),
                "`sudo` in a build step",
            )
            .set_help("switch with `USER root` ... `USER <uid>` around the step instead");
        }
    }
}
