//! Package managers inside RUN: non-interactive, minimal, reproducible
//! installs that leave no cache behind in the layer.

use shipgate_core::{Alias, Category, Example, RuleMeta, Severity, Tool};
use shipgate_syntax::dockerfile::{Command, Instruction, Keyword, Word};

use super::cli::{
    self, APK, APT, Invocation, NPM, RPM_TOOLS, USERADD, ZYPPER, is_apt, is_rpm_tool,
};
use super::{BEST_PRACTICES, CIS_DOCKER, Dockerfile, HARDENED};
use crate::sink::FileSink;
use crate::{Check, RuleDef};

const DOCKERFILE: &str = "Dockerfile";
const APT_REF: &str = "https://docs.docker.com/build/building/best-practices/#apt-get";

/// Every `(RUN index, instruction, command)` of the file.
fn run_commands<'a>(
    model: &Dockerfile<'a>,
) -> impl Iterator<Item = (usize, &'a Instruction, &'a Command)> {
    model.of(Keyword::Run).flat_map(|(index, instruction)| {
        instruction.commands().map(move |c| (index, instruction, c))
    })
}

fn apt<'c>(command: &'c Command) -> Option<Invocation<'c>> {
    command
        .name()
        .filter(|n| is_apt(n))
        .and_then(|_| Invocation::parse(command, &APT))
}

/// Operands that are packages: not `.deb` files, paths, or variables.
fn packages<'c>(invocation: &Invocation<'c>) -> impl Iterator<Item = &'c Word> {
    invocation.operands.clone().into_iter().filter(|w| {
        let v = w.value.as_str();
        !v.is_empty() && !v.contains('$') && !v.contains('/') && !v.ends_with(".deb")
    })
}

pub(super) const APT_INSTALL_RECOMMENDS: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/apt-install-recommends",
        title: "apt-get install uses --no-install-recommends",
        severity: Severity::Warning,
        category: Category::Efficiency,
        rationale: "By default apt installs every package a package merely recommends: \
            documentation, editors, compilers, often doubling an image. Each extra package \
            is also more code for scanners to flag and attackers to use. Only the final \
            image's stages are judged: what a build stage installs does not ship.",
        remediation: "Install only what is asked for:\n\n```dockerfile\nRUN apt-get update \\\n \
            && apt-get install -y --no-install-recommends ca-certificates curl \\\n \
            && rm -rf /var/lib/apt/lists/*\n```",
        references: &[APT_REF, CIS_DOCKER],
        aliases: &[Alias::new(Tool::Hadolint, "DL3015")],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\nRUN apt-get install -y -o APT::Install-Recommends=false git\n",
        },
    },
    check: Check::Dockerfile(apt_install_recommends),
};

fn apt_install_recommends(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    // `APT::Install-Recommends "false"` written to apt's configuration in
    // any RUN switches recommends off for the installs that follow.
    let configured = model.of(Keyword::Run).any(|(_, i)| {
        i.commands()
            .filter(|c| !c.name().is_some_and(is_apt))
            .any(|c| {
                c.words
                    .iter()
                    .any(|w| w.value.contains("Install-Recommends"))
            })
            || i.heredocs
                .iter()
                .any(|h| h.body.contains("Install-Recommends"))
    });
    if configured {
        return;
    }
    for (index, instruction, command) in run_commands(model) {
        if !model.in_final_image(instruction) {
            continue;
        }
        let Some(apt) = apt(command) else { continue };
        if apt.sub() != Some("install") || apt.has_long(&["--no-install-recommends"]) {
            continue;
        }
        let disabled = apt.values_of(Some('o'), &["--option"]).iter().any(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("install-recommends=false") || v.contains("install-recommends=0")
        });
        if disabled {
            continue;
        }
        sink.at(
            model.span(apt.head_span()),
            format!("{} > {}", model.logical(index), apt.program.value),
            format!(
                "`{} install` also installs every recommended package",
                apt.program.value
            ),
        )
        .set_help("add --no-install-recommends");
    }
}

pub(super) const PACKAGE_INSTALL_WITHOUT_YES: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/package-install-without-yes",
        title: "Package managers run non-interactively",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "A build has no terminal: `apt-get install`, `yum install` or `zypper \
            install` waiting for a yes/no answer reads end-of-file and aborts, or hangs in \
            some CI runners. The answer must be given on the command line.",
        remediation: "Pass the non-interactive switch:\n\n```dockerfile\nRUN apt-get install -y \
            --no-install-recommends curl\nRUN dnf install -y curl && dnf clean all\n\
            RUN zypper --non-interactive install curl\n```",
        references: &[APT_REF, BEST_PRACTICES],
        aliases: &[
            Alias::new(Tool::Hadolint, "DL3014"),
            Alias::new(Tool::Hadolint, "DL3030"),
            Alias::new(Tool::Hadolint, "DL3038"),
            Alias::new(Tool::Hadolint, "DL3034"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nRUN apt-get update && apt-get install --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nRUN apt-get update && apt-get -qq install --no-install-recommends curl && apt-get install --yes git && apt-get -y remove vim\nFROM fedora:41\nRUN dnf install -y curl && dnf clean all\nFROM opensuse/leap:15.6\nRUN zypper -n install curl && zypper install -y git\n",
        },
    },
    check: Check::Dockerfile(package_install_without_yes),
};

fn package_install_without_yes(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (index, _, command) in run_commands(model) {
        let Some(name) = command.name() else { continue };
        let (invocation, answered, switch) = if is_apt(name) {
            let Some(apt) = Invocation::parse(command, &APT) else {
                continue;
            };
            const PROMPTING: &[&str] = &[
                "install",
                "upgrade",
                "dist-upgrade",
                "full-upgrade",
                "remove",
                "purge",
                "autoremove",
                "build-dep",
                "reinstall",
            ];
            if !apt.sub().is_some_and(|s| PROMPTING.contains(&s)) {
                continue;
            }
            // apt-get documents that quiet level 2 implies -y.
            let quiet_two = apt.options.iter().any(|(w, _)| {
                let v = w.value.as_str();
                v == "-qq" || v == "-q=2" || v == "--quiet=2"
            });
            let assume = apt
                .values_of(Some('o'), &["--option"])
                .iter()
                .any(|v| v.to_ascii_lowercase().starts_with("apt::get::assume-yes="));
            let answered = apt.short('y', &APT).is_some()
                || apt.has_long(&["--yes", "--assume-yes", "--force-yes"])
                || quiet_two
                || assume;
            (apt, answered, "-y")
        } else if matches!(name, "yum" | "dnf" | "tdnf") {
            let Some(rpm) = Invocation::parse(command, &RPM_TOOLS) else {
                continue;
            };
            const PROMPTING: &[&str] = &[
                "install",
                "groupinstall",
                "localinstall",
                "reinstall",
                "update",
                "upgrade",
                "remove",
                "erase",
                "downgrade",
                "autoremove",
                "distro-sync",
            ];
            if !rpm.sub().is_some_and(|s| PROMPTING.contains(&s)) {
                continue;
            }
            let answered = rpm.short('y', &RPM_TOOLS).is_some() || rpm.has_long(&["--assumeyes"]);
            (rpm, answered, "-y")
        } else if name == "zypper" {
            let Some(zypper) = Invocation::parse(command, &ZYPPER) else {
                continue;
            };
            const PROMPTING: &[&str] = &[
                "install",
                "in",
                "remove",
                "rm",
                "update",
                "up",
                "patch",
                "dist-upgrade",
                "dup",
                "source-install",
                "si",
            ];
            if !zypper.sub().is_some_and(|s| PROMPTING.contains(&s)) {
                continue;
            }
            let answered = zypper.short('n', &ZYPPER).is_some()
                || zypper.short('y', &ZYPPER).is_some()
                || zypper.has_long(&["--non-interactive", "--no-confirm"]);
            (zypper, answered, "--non-interactive")
        } else {
            continue;
        };
        if answered {
            continue;
        }
        let sub = invocation.sub().unwrap_or("");
        sink.at(
            model.span(invocation.head_span()),
            format!("{} > {name} {sub}", model.logical(index)),
            format!("`{name} {sub}` may stop to ask for confirmation, which a build cannot give"),
        )
        .set_help(format!("add `{switch}`"));
    }
}

pub(super) const APT_LISTS_NOT_CLEANED: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/apt-lists-not-cleaned",
        title: "apt lists are removed in the layer that fetched them",
        severity: Severity::Warning,
        category: Category::Efficiency,
        rationale: "`apt-get update` downloads package lists, tens of megabytes, into \
            `/var/lib/apt/lists`. Unless the same `RUN` removes them they are frozen into \
            the layer, shipping with every pull, and later removal cannot shrink the image. \
            Only the final image's stages are judged.",
        remediation: "Update, install and clean in one RUN, or mount a cache:\n\n```dockerfile\n\
            RUN apt-get update \\\n && apt-get install -y --no-install-recommends curl \\\n \
            && rm -rf /var/lib/apt/lists/*\n```",
        references: &[APT_REF],
        aliases: &[Alias::new(Tool::Hadolint, "DL3009")],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8 AS build\nRUN apt-get update && apt-get install -y --no-install-recommends gcc\nFROM debian:12.8\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\nRUN --mount=type=cache,target=/var/lib/apt/lists apt-get update && apt-get install -y --no-install-recommends git\n",
        },
    },
    check: Check::Dockerfile(apt_lists_not_cleaned),
};

const APT_LISTS: &str = "/var/lib/apt/lists";

fn apt_lists_not_cleaned(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (index, instruction) in model.of(Keyword::Run) {
        if !model.in_final_image(instruction) {
            continue;
        }
        let Some(update) = instruction
            .commands()
            .filter_map(apt)
            .find(|a| a.sub() == Some("update"))
        else {
            continue;
        };
        if cli::removes(instruction, &[APT_LISTS]) || cli::mounts_over(instruction, &[APT_LISTS]) {
            continue;
        }
        sink.at(
            model.span(update.head_span()),
            format!("{} > {} update", model.logical(index), update.program.value),
            "the package lists fetched here stay in the layer",
        )
        .set_help("end the same RUN with `&& rm -rf /var/lib/apt/lists/*`");
    }
}

pub(super) const APT_UPGRADE: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/apt-upgrade",
        title: "Images do not run apt-get upgrade",
        severity: Severity::Info,
        category: Category::Reliability,
        rationale: "`apt-get upgrade` and `dist-upgrade` make the image's contents depend on \
            the day of the build rather than on the Dockerfile, and upgrading inside an \
            unprivileged container can fail for essential packages. Security fixes are best \
            taken by moving to a newer base image tag or digest; teams that prefer in-place \
            upgrades can ignore this rule, hence the informational level.",
        remediation: "Rebuild on a newer base image instead, and install only what is needed:\n\n\
            ```dockerfile\nFROM debian:12.8-slim@sha256:<new digest>\n```",
        references: &[APT_REF],
        aliases: &[Alias::new(Tool::Hadolint, "DL3005")],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nRUN apt-get update && apt-get dist-upgrade -y && rm -rf /var/lib/apt/lists/*\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nRUN apt-get update && apt-get install -y --only-upgrade openssl && rm -rf /var/lib/apt/lists/*\n",
        },
    },
    check: Check::Dockerfile(apt_upgrade),
};

fn apt_upgrade(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (index, _, command) in run_commands(model) {
        let Some(apt) = apt(command) else { continue };
        let Some(sub) = apt.sub.filter(|s| {
            matches!(
                s.value.as_str(),
                "upgrade" | "dist-upgrade" | "full-upgrade"
            )
        }) else {
            continue;
        };
        sink.at(
            model.span(sub.span),
            format!(
                "{} > {} {}",
                model.logical(index),
                apt.program.value,
                sub.value
            ),
            format!(
                "`{} {}` makes the image depend on the day it is built",
                apt.program.value, sub.value
            ),
        )
        .set_help("move to a newer base image instead");
    }
}

pub(super) const APT_INSTEAD_OF_APT_GET: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/apt-instead-of-apt-get",
        title: "Scripts use apt-get, not apt",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "`apt` is the interactive front end: its output and options may change \
            between releases and it warns that it has no stable command-line interface. \
            `apt-get` and `apt-cache` are the tools meant for scripts such as a Dockerfile.",
        remediation: "Call apt-get:\n\n```dockerfile\nRUN apt-get update && apt-get install -y \
            --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n```",
        references: &[
            APT_REF,
            "https://manpages.debian.org/bookworm/apt/apt.8.en.html",
        ],
        aliases: &[
            Alias::new(Tool::Hadolint, "DL3027"),
            Alias::new(Tool::Checkov, "CKV_DOCKER_9"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nRUN apt update && apt install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n",
        },
    },
    check: Check::Dockerfile(apt_instead_of_apt_get),
};

fn apt_instead_of_apt_get(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (index, _, command) in run_commands(model) {
        if command.name() != Some("apt") {
            continue;
        }
        let Some(program) = command.program() else {
            continue;
        };
        sink.at(
            model.span(program.span),
            format!("{} > apt", model.logical(index)),
            "`apt` has no stable command-line interface for scripts",
        )
        .set_help("use apt-get");
    }
}

pub(super) const PACKAGE_INDEX_UPDATE_ALONE: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/package-index-update-alone",
        title: "Package index updates share a RUN with the install",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "Docker caches each `RUN` on its text: an `apt-get update` alone in its \
            layer is cached for months while the `apt-get install` after it changes, so the \
            install works from stale lists and fails once the mirror drops the old versions. \
            Updating and installing in the same `RUN` refreshes the lists whenever the \
            package list changes.",
        remediation: "Chain update and install in one RUN:\n\n```dockerfile\nRUN apt-get update \\\n \
            && apt-get install -y --no-install-recommends curl \\\n \
            && rm -rf /var/lib/apt/lists/*\n```",
        references: &[APT_REF, CIS_DOCKER],
        aliases: &[Alias::new(Tool::Checkov, "CKV_DOCKER_5")],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nRUN apt-get update\nRUN apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM alpine:3.20\nRUN apk update && apk add --no-cache curl\n",
        },
    },
    check: Check::Dockerfile(package_index_update_alone),
};

fn package_index_update_alone(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (index, instruction) in model.of(Keyword::Run) {
        let mut update: Option<(&Word, String)> = None;
        let mut installs = false;
        for command in instruction.commands() {
            let Some(name) = command.name() else { continue };
            let syntax = if is_apt(name) {
                &APT
            } else if name == "apk" {
                &APK
            } else {
                continue;
            };
            let Some(invocation) = Invocation::parse(command, syntax) else {
                continue;
            };
            match invocation.sub() {
                Some("update") if update.is_none() => {
                    update = invocation.sub.map(|s| (s, name.to_owned()));
                }
                Some(
                    "install" | "add" | "upgrade" | "dist-upgrade" | "full-upgrade" | "build-dep"
                    | "source" | "reinstall",
                ) => installs = true,
                _ => {}
            }
        }
        if installs {
            continue;
        }
        let Some((word, name)) = update else { continue };
        sink.at(
            model.span(word.span),
            format!("{} > {name} update", model.logical(index)),
            format!(
                "`{name} update` alone in a RUN is cached apart from the installs that need it"
            ),
        )
        .set_help("run the update and the install in the same RUN");
    }
}

pub(super) const APK_NO_CACHE: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/apk-no-cache",
        title: "apk add uses --no-cache",
        severity: Severity::Warning,
        category: Category::Efficiency,
        rationale: "Without `--no-cache`, `apk add` keeps the package index in \
            `/var/cache/apk`, which then ships in the layer. `--no-cache` fetches the index \
            on the fly and leaves nothing behind, replacing `apk update` and a manual \
            clean-up. Only the final image's stages are judged.",
        remediation: "Add --no-cache:\n\n```dockerfile\nRUN apk add --no-cache ca-certificates curl\n```",
        references: &[
            "https://wiki.alpinelinux.org/wiki/Alpine_Package_Keeper",
            BEST_PRACTICES,
        ],
        aliases: &[Alias::new(Tool::Hadolint, "DL3019")],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM alpine:3.20\nRUN apk add curl\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM alpine:3.20\nRUN apk add --no-cache curl\nRUN apk add git && rm -rf /var/cache/apk/*\nRUN --mount=type=cache,target=/var/cache/apk apk add jq\n",
        },
    },
    check: Check::Dockerfile(apk_no_cache),
};

const APK_CACHE: &str = "/var/cache/apk";

fn apk_no_cache(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (index, instruction, command) in run_commands(model) {
        if !model.in_final_image(instruction) || command.name() != Some("apk") {
            continue;
        }
        let Some(apk) = Invocation::parse(command, &APK) else {
            continue;
        };
        if apk.sub() != Some("add") || apk.has_long(&["--no-cache"]) {
            continue;
        }
        if cli::removes(instruction, &[APK_CACHE]) || cli::mounts_over(instruction, &[APK_CACHE]) {
            continue;
        }
        sink.at(
            model.span(apk.head_span()),
            format!("{} > apk add", model.logical(index)),
            "`apk add` without --no-cache leaves the package index in the layer",
        )
        .set_help("add --no-cache");
    }
}

pub(super) const PIP_NO_CACHE_DIR: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/pip-no-cache-dir",
        title: "pip install uses --no-cache-dir",
        severity: Severity::Warning,
        category: Category::Efficiency,
        rationale: "pip keeps every wheel it downloads in `~/.cache/pip`; in an image that \
            cache is never reused and only adds its size, often hundreds of megabytes with \
            scientific packages. Only the final image's stages are judged.",
        remediation: "Disable the cache, with the flag, the environment or a cache mount:\n\n\
            ```dockerfile\nRUN pip install --no-cache-dir -r requirements.txt\n# or\n\
            RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt\n```",
        references: &[
            "https://pip.pypa.io/en/stable/topics/caching/",
            BEST_PRACTICES,
        ],
        aliases: &[Alias::new(Tool::Hadolint, "DL3042")],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM python:3.12-slim\nRUN pip install --no-cache-dir -r requirements.txt\nRUN --mount=type=cache,target=/root/.cache/pip python -m pip install flask==3.1.0\nENV PIP_NO_CACHE_DIR=1\nRUN pip3 install gunicorn==23.0.0\n",
        },
    },
    check: Check::Dockerfile(pip_no_cache_dir),
};

fn pip_no_cache_dir(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (index, instruction, command) in run_commands(model) {
        if !model.in_final_image(instruction) {
            continue;
        }
        let Some(pip) = cli::pip(command) else {
            continue;
        };
        if pip.sub() != Some("install") || pip.has_long(&["--no-cache-dir"]) {
            continue;
        }
        let env = command
            .assignments()
            .any(|w| w.value.starts_with("PIP_NO_CACHE_DIR="))
            || model.file.scope_at(index).is_declared("PIP_NO_CACHE_DIR");
        if env
            || cli::mounts_over(instruction, &["/root/.cache/pip"])
            || cli::removes(instruction, &["/root/.cache", "~/.cache", "$HOME/.cache"])
        {
            continue;
        }
        sink.at(
            model.span(pip.head_span()),
            format!("{} > pip install", model.logical(index)),
            "`pip install` keeps its download cache in the layer",
        )
        .set_help("add --no-cache-dir");
    }
}

/// The operands of an install that are neither pinned nor local files.
fn unpinned_rule(
    model: &Dockerfile<'_>,
    sink: &mut FileSink<'_>,
    select: fn(&Command) -> Option<Invocation<'_>>,
    pinned: fn(&str) -> bool,
    what: &str,
    help: &str,
) {
    for (index, _, command) in run_commands(model) {
        let Some(invocation) = select(command) else {
            continue;
        };
        for package in packages_of(&invocation) {
            if pinned(&package.value) {
                continue;
            }
            sink.at(
                model.span(package.span),
                format!("{} > package[{}]", model.logical(index), package.value),
                format!("{what} `{}` is installed without a version", package.value),
            )
            .set_help(help.replace("{}", &package.value));
        }
    }
}

fn packages_of<'c>(invocation: &Invocation<'c>) -> Vec<&'c Word> {
    packages(invocation).collect()
}

pub(super) const APT_PACKAGE_UNPINNED: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/apt-package-unpinned",
        title: "apt-get install pins package versions",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "`apt-get install curl` installs whatever version the mirror carries on \
            the day of the build, so two builds of one commit can differ. Pinning makes \
            upgrades explicit, but Debian mirrors drop superseded versions, so pins break \
            builds until updated: teams disagree on the trade-off, and the rule is opt-in.",
        remediation: "Name the version:\n\n```dockerfile\nRUN apt-get update && apt-get install -y \
            --no-install-recommends curl=7.88.1-10+deb12u8 && rm -rf /var/lib/apt/lists/*\n```",
        references: &[APT_REF],
        aliases: &[Alias::new(Tool::Hadolint, "DL3008")],
        enabled_by_default: false,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nRUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8 ./vendor/tool.deb && rm -rf /var/lib/apt/lists/*\n",
        },
    },
    check: Check::Dockerfile(|model, sink| {
        unpinned_rule(
            model,
            sink,
            |c| apt(c).filter(|a| a.sub() == Some("install")),
            |p| p.contains('='),
            "apt package",
            "write `{}=<version>`",
        )
    }),
};

pub(super) const APK_PACKAGE_UNPINNED: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/apk-package-unpinned",
        title: "apk add pins package versions",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "`apk add curl` installs whatever the Alpine repository holds that day, so \
            rebuilds drift. Alpine keeps only the latest build of each package in a branch, \
            so exact pins break once it moves on; a `~` pin on the minor version is a common \
            middle ground. Teams disagree, and the rule is opt-in.",
        remediation: "Pin the version, exactly or by prefix:\n\n```dockerfile\nRUN apk add \
            --no-cache curl=8.11.1-r0 jq~1.7\n```",
        references: &["https://wiki.alpinelinux.org/wiki/Alpine_Package_Keeper"],
        aliases: &[Alias::new(Tool::Hadolint, "DL3018")],
        enabled_by_default: false,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM alpine:3.20\nRUN apk add --no-cache curl\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM alpine:3.20\nRUN apk add --no-cache --virtual .build-deps curl=8.11.1-r0 jq~1.7\n",
        },
    },
    check: Check::Dockerfile(|model, sink| {
        unpinned_rule(
            model,
            sink,
            |c| {
                (c.name() == Some("apk"))
                    .then(|| Invocation::parse(c, &APK))
                    .flatten()
                    .filter(|a| a.sub() == Some("add"))
            },
            |p| p.contains(['=', '~', '<', '>']),
            "apk package",
            "write `{}=<version>` or `{}~<minor>`",
        )
    }),
};

pub(super) const PIP_PACKAGE_UNPINNED: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/pip-package-unpinned",
        title: "pip install pins package versions",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "`pip install flask` takes the newest release on the day of the build, and \
            with it every new transitive dependency: builds drift and a hijacked release \
            lands without review. A requirements or lock file with exact versions (and \
            hashes) is the reproducible way; the rule is opt-in because many images install \
            a tool or two unpinned on purpose.",
        remediation: "Pin exact versions, or install from a locked requirements file:\n\n\
            ```dockerfile\nRUN pip install --no-cache-dir --require-hashes -r \
            requirements.txt\nRUN pip install --no-cache-dir gunicorn==23.0.0\n```",
        references: &["https://pip.pypa.io/en/stable/topics/repeatable-installs/"],
        aliases: &[Alias::new(Tool::Hadolint, "DL3013")],
        enabled_by_default: false,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM python:3.12-slim\nRUN pip install --no-cache-dir flask gunicorn\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM python:3.12-slim\nRUN pip install --no-cache-dir -r requirements.txt flask==3.1.0 . ./vendor/lib-1.0-py3-none-any.whl \"pkg @ https://example.com/pkg.tar.gz\"\n",
        },
    },
    check: Check::Dockerfile(|model, sink| {
        unpinned_rule(
            model,
            sink,
            |c| cli::pip(c).filter(|p| p.sub() == Some("install")),
            pip_pinned,
            "Python package",
            "write `{}==<version>`, or install from a locked requirements file",
        )
    }),
};

fn pip_pinned(package: &str) -> bool {
    package.contains("==")
        || package.contains('@')
        || package.contains("://")
        || package.starts_with('.')
        || package.ends_with(".whl")
        || package.ends_with(".tar.gz")
        || package.ends_with(".zip")
}

pub(super) const NPM_INSTALL_INSTEAD_OF_CI: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/npm-install-instead-of-ci",
        title: "Node dependencies are installed with npm ci",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "`npm install` resolves version ranges again and may rewrite the lockfile, \
            so the image can contain dependencies nobody reviewed. `npm ci` installs exactly \
            what `package-lock.json` says, fails when it is out of date, and starts from an \
            empty `node_modules`.",
        remediation: "Copy the lockfile and use npm ci:\n\n```dockerfile\nCOPY package.json \
            package-lock.json ./\nRUN npm ci --omit=dev\n```",
        references: &["https://docs.npmjs.com/cli/commands/npm-ci", BEST_PRACTICES],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM node:22.11-bookworm-slim\nCOPY package*.json ./\nRUN npm install --omit=dev\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM node:22.11-bookworm-slim\nCOPY package*.json ./\nRUN npm ci --omit=dev\nRUN npm install -g pnpm@9.15.0\n",
        },
    },
    check: Check::Dockerfile(npm_install_instead_of_ci),
};

fn npm_install_instead_of_ci(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    const INSTALL: &[&str] = &[
        "install", "i", "in", "ins", "inst", "insta", "instal", "isnt", "isntal", "isntall",
    ];
    for (index, _, command) in run_commands(model) {
        if command.name() != Some("npm") {
            continue;
        }
        let Some(npm) = Invocation::parse(command, &NPM) else {
            continue;
        };
        if !npm.sub().is_some_and(|s| INSTALL.contains(&s)) {
            continue;
        }
        // Installing named packages (a global CLI) is not installing the project.
        if !npm.operands.is_empty() || npm.short('g', &NPM).is_some() || npm.has_long(&["--global"])
        {
            continue;
        }
        sink.at(
            model.span(npm.head_span()),
            format!("{} > npm install", model.logical(index)),
            "`npm install` may resolve versions other than the lockfile's",
        )
        .set_help("use `npm ci`, which installs exactly what package-lock.json says");
    }
}

pub(super) const RPM_CACHE_NOT_CLEANED: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/rpm-cache-not-cleaned",
        title: "yum and dnf caches are cleaned in the same RUN",
        severity: Severity::Warning,
        category: Category::Efficiency,
        rationale: "`yum` and `dnf` keep repository metadata and downloaded packages under \
            `/var/cache`, often over a hundred megabytes, which ship in the layer unless the \
            same `RUN` cleans them. Only the final image's stages are judged.",
        remediation: "Clean in the same RUN:\n\n```dockerfile\nRUN dnf install -y \
            --setopt=install_weak_deps=False curl && dnf clean all\n```",
        references: &[BEST_PRACTICES],
        aliases: &[
            Alias::new(Tool::Hadolint, "DL3032"),
            Alias::new(Tool::Hadolint, "DL3040"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM rockylinux:9.3\nRUN yum install -y httpd\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: "FROM rockylinux:9.3\nRUN yum install -y httpd && yum clean all\nRUN dnf install -y curl && rm -rf /var/cache/dnf\n",
        },
    },
    check: Check::Dockerfile(rpm_cache_not_cleaned),
};

fn rpm_cache_not_cleaned(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (index, instruction) in model.of(Keyword::Run) {
        if !model.in_final_image(instruction) {
            continue;
        }
        let invocations: Vec<(String, Invocation<'_>)> = instruction
            .commands()
            .filter_map(|c| {
                let name = c.name().filter(|n| is_rpm_tool(n))?;
                Some((name.to_owned(), Invocation::parse(c, &RPM_TOOLS)?))
            })
            .collect();
        let cleans =
            invocations.iter().any(|(_, i)| {
                i.sub() == Some("clean") && i.operands.iter().any(|o| o.value == "all")
            }) || cli::removes(
                instruction,
                &["/var/cache/yum", "/var/cache/dnf", "/var/cache/tdnf"],
            ) || cli::mounts_over(instruction, &["/var/cache/yum", "/var/cache/dnf"]);
        if cleans {
            continue;
        }
        let Some((name, install)) = invocations.iter().find(|(_, i)| {
            matches!(
                i.sub(),
                Some(
                    "install"
                        | "groupinstall"
                        | "localinstall"
                        | "reinstall"
                        | "update"
                        | "upgrade"
                )
            )
        }) else {
            continue;
        };
        sink.at(
            model.span(install.head_span()),
            format!("{} > {name}", model.logical(index)),
            format!("`{name}` leaves its cache in the layer"),
        )
        .set_help(format!("end the same RUN with `&& {name} clean all`"));
    }
}

pub(super) const USERADD_HIGH_UID: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "docker/useradd-high-uid",
        title: "useradd with a high UID uses -l",
        severity: Severity::Warning,
        category: Category::Efficiency,
        rationale: "`useradd` records the new user in the sparse files `/var/log/lastlog` and \
            `/var/log/faillog` at an offset proportional to the UID. Layers do not keep \
            sparseness, so a UID in the millions writes gigabytes of zeros into the image. \
            `-l` (`--no-log-init`) skips those files.",
        remediation: "Add --no-log-init:\n\n```dockerfile\nRUN useradd --no-log-init --uid \
            1000001 app\n```",
        references: &[
            "https://docs.docker.com/build/building/best-practices/#user",
            "https://github.com/moby/moby/issues/5419",
        ],
        aliases: &[Alias::new(Tool::Hadolint, "DL3046")],
        enabled_by_default: true,
        failing: Example {
            file: DOCKERFILE,
            content: "FROM debian:12.8\nRUN useradd -u 1000001 app\n",
        },
        passing: Example {
            file: DOCKERFILE,
            content: HARDENED,
        },
    },
    check: Check::Dockerfile(useradd_high_uid),
};

fn useradd_high_uid(model: &Dockerfile<'_>, sink: &mut FileSink<'_>) {
    for (index, _, command) in run_commands(model) {
        if command.name() != Some("useradd") {
            continue;
        }
        let Some(useradd) = Invocation::parse(command, &USERADD) else {
            continue;
        };
        if useradd.short('l', &USERADD).is_some() || useradd.has_long(&["--no-log-init"]) {
            continue;
        }
        let uid = useradd
            .values_of(Some('u'), &["--uid"])
            .into_iter()
            .find_map(|v| v.parse::<u64>().ok());
        let Some(uid) = uid.filter(|u| *u > 99_999) else {
            continue;
        };
        let Some(word) = useradd
            .options
            .iter()
            .find(|(w, _)| w.value.starts_with("-u") || w.value.starts_with("--uid"))
            .map(|(w, v)| v.unwrap_or(w))
        else {
            continue;
        };
        sink.at(
            model.span(word.span),
            format!("{} > useradd", model.logical(index)),
            format!(
                "`useradd` with UID {uid} and no -l writes a huge sparse lastlog into the layer"
            ),
        )
        .set_help("add --no-log-init (-l)");
    }
}
