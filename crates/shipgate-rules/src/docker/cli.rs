//! Reading the command lines of package managers and download tools: which
//! subcommand runs, with which options, on which operands.

use shipgate_syntax::dockerfile::{Command, Instruction, Word};

/// One program's command line, split into options and operands.
pub(crate) struct Invocation<'c> {
    pub program: &'c Word,
    /// The first operand when the program takes a subcommand (`install`).
    pub sub: Option<&'c Word>,
    /// Options with their value, when the option takes one.
    pub options: Vec<(&'c Word, Option<&'c Word>)>,
    /// Operands after the subcommand.
    pub operands: Vec<&'c Word>,
}

/// How a program's options are spelled.
pub(crate) struct Syntax {
    /// Long options (`--target-release`) that take the next word as value.
    pub long_values: &'static [&'static str],
    /// Short option letters (`o` of `-o`) that take a value, attached or next.
    pub short_values: &'static str,
    pub has_subcommand: bool,
}

impl<'c> Invocation<'c> {
    pub fn parse(command: &'c Command, syntax: &Syntax) -> Option<Self> {
        let index = command.program_index()?;
        let program = command.words.get(index)?;
        Some(Self::from_words(
            program,
            &command.words[index + 1..],
            syntax,
        ))
    }

    /// Like `parse`, for `python -m pip install`: `words` start after the program.
    pub fn from_words(program: &'c Word, words: &'c [Word], syntax: &Syntax) -> Self {
        let mut invocation = Invocation {
            program,
            sub: None,
            options: Vec::new(),
            operands: Vec::new(),
        };
        let mut i = 0;
        let mut only_operands = false;
        while let Some(word) = words.get(i) {
            i += 1;
            let value = word.value.as_str();
            if !only_operands && value == "--" {
                only_operands = true;
                continue;
            }
            if !only_operands && value.starts_with("--") {
                let takes = !value.contains('=') && syntax.long_values.contains(&value);
                let next = if takes { words.get(i) } else { None };
                if takes {
                    i += 1;
                }
                invocation.options.push((word, next));
                continue;
            }
            if !only_operands && value.starts_with('-') && value.len() > 1 {
                // `-qy`, `-oName=value`, `-o Name=value`: a value letter takes
                // the rest of the word, or the next word when nothing follows.
                let letters = &value[1..];
                let mut next = None;
                if let Some(pos) = letters.find(|c| syntax.short_values.contains(c))
                    && pos + 1 == letters.len()
                {
                    next = words.get(i);
                    i += 1;
                }
                invocation.options.push((word, next));
                continue;
            }
            if syntax.has_subcommand && invocation.sub.is_none() {
                invocation.sub = Some(word);
            } else {
                invocation.operands.push(word);
            }
        }
        invocation
    }

    pub fn sub(&self) -> Option<&str> {
        self.sub.map(|w| w.value.as_str())
    }

    /// Whether any long option equals one of `names` (also as `--name=value`).
    pub fn has_long(&self, names: &[&str]) -> bool {
        self.long(names).is_some()
    }

    pub fn long(&self, names: &[&str]) -> Option<&'c Word> {
        self.options.iter().map(|(w, _)| *w).find(|w| {
            let name = w.value.split('=').next().unwrap_or("");
            names.contains(&name)
        })
    }

    /// Whether a short option letter is set, alone or combined (`-y`, `-qy`),
    /// stopping at a letter that takes a value.
    pub fn short(&self, letter: char, syntax: &Syntax) -> Option<&'c Word> {
        self.options.iter().map(|(w, _)| *w).find(|w| {
            let value = w.value.as_str();
            if value.starts_with("--") {
                return false;
            }
            for c in value.chars().skip(1) {
                if c == letter {
                    return true;
                }
                if syntax.short_values.contains(c) {
                    return false;
                }
            }
            false
        })
    }

    /// Values given to an option (`-o X`, `-oX`, `--option=X`, `--option X`).
    pub fn values_of(&self, short: Option<char>, long: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        for (word, next) in &self.options {
            let value = word.value.as_str();
            if let Some(rest) = value.strip_prefix("--") {
                let (name, attached) = match rest.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (rest, None),
                };
                if long.contains(&format!("--{name}").as_str()) {
                    match (attached, next) {
                        (Some(v), _) => out.push(v.to_owned()),
                        (None, Some(n)) => out.push(n.value.clone()),
                        _ => {}
                    }
                }
            } else if let Some(letter) = short
                && let Some(pos) = value[1..].find(letter)
            {
                let attached = &value[1 + pos + letter.len_utf8()..];
                if !attached.is_empty() {
                    out.push(attached.to_owned());
                } else if let Some(n) = next {
                    out.push(n.value.clone());
                }
            }
        }
        out
    }

    /// The span of the program and its subcommand, where a finding about the
    /// whole command line points.
    pub fn head_span(&self) -> shipgate_syntax::dockerfile::Span {
        match self.sub {
            Some(sub) if sub.span.start >= self.program.span.start => {
                self.program.span.cover(sub.span)
            }
            _ => self.program.span,
        }
    }
}

pub(crate) const APT: Syntax = Syntax {
    long_values: &[
        "--option",
        "--target-release",
        "--default-release",
        "--config-file",
        "--host-architecture",
    ],
    short_values: "otca",
    has_subcommand: true,
};

pub(crate) const APK: Syntax = Syntax {
    long_values: &[
        "--virtual",
        "--repository",
        "--repositories-file",
        "--root",
        "--arch",
        "--cache-dir",
        "--keys-dir",
        "--cache-max-age",
    ],
    short_values: "tXp",
    has_subcommand: true,
};

pub(crate) const PIP: Syntax = Syntax {
    long_values: &[
        "--requirement",
        "--constraint",
        "--editable",
        "--index-url",
        "--extra-index-url",
        "--find-links",
        "--trusted-host",
        "--target",
        "--prefix",
        "--root",
        "--platform",
        "--python-version",
        "--implementation",
        "--abi",
        "--src",
        "--upgrade-strategy",
        "--progress-bar",
        "--log",
        "--proxy",
        "--retries",
        "--timeout",
        "--exists-action",
        "--cert",
        "--client-cert",
        "--cache-dir",
        "--global-option",
        "--config-settings",
        "--only-binary",
        "--no-binary",
        "--python",
    ],
    short_values: "rceiftC",
    has_subcommand: true,
};

pub(crate) const NPM: Syntax = Syntax {
    long_values: &[
        "--omit",
        "--include",
        "--prefix",
        "--registry",
        "--cache",
        "--loglevel",
        "--workspace",
        "--only",
        "--also",
        "--tag",
    ],
    short_values: "w",
    has_subcommand: true,
};

pub(crate) const RPM_TOOLS: Syntax = Syntax {
    long_values: &[
        "--setopt",
        "--enablerepo",
        "--disablerepo",
        "--installroot",
        "--releasever",
        "--exclude",
        "--repo",
        "--repofrompath",
        "--config",
    ],
    short_values: "cdex",
    has_subcommand: true,
};

pub(crate) const ZYPPER: Syntax = Syntax {
    long_values: &["--root", "--config", "--repo", "--from"],
    short_values: "RrcD",
    has_subcommand: true,
};

pub(crate) const CURL: Syntax = Syntax {
    long_values: &[
        "--output",
        "--header",
        "--user",
        "--data",
        "--request",
        "--user-agent",
        "--referer",
        "--proxy",
        "--upload-file",
        "--write-out",
        "--cookie",
        "--cookie-jar",
        "--max-time",
        "--retry",
        "--cacert",
        "--cert",
        "--url",
        "--connect-timeout",
        "--form",
        "--range",
    ],
    short_values: "oHudXAexTwbcmrtCEFKPQUyYz",
    has_subcommand: false,
};

pub(crate) const USERADD: Syntax = Syntax {
    long_values: &[
        "--uid",
        "--gid",
        "--groups",
        "--home-dir",
        "--shell",
        "--comment",
        "--base-dir",
        "--expiredate",
        "--inactive",
        "--key",
        "--password",
        "--root",
        "--prefix",
        "--skel",
        "--selinux-user",
    ],
    short_values: "ugGdscbefKkpRPZ",
    has_subcommand: false,
};

/// Package managers that take `install`-style subcommands from apt.
pub(crate) fn is_apt(name: &str) -> bool {
    name == "apt-get" || name == "apt"
}

pub(crate) fn is_rpm_tool(name: &str) -> bool {
    matches!(name, "yum" | "dnf" | "microdnf" | "tdnf")
}

/// A `pip install` invocation: `pip`, `pip3`, `pip3.12`, or `python -m pip`.
pub(crate) fn pip<'c>(command: &'c Command) -> Option<Invocation<'c>> {
    let name = command.name()?;
    let is_pip = name == "pip" || name.strip_prefix("pip").is_some_and(is_version);
    if is_pip {
        return Invocation::parse(command, &PIP);
    }
    let is_python = name == "python" || name.strip_prefix("python").is_some_and(is_version);
    if !is_python {
        return None;
    }
    let index = command.program_index()?;
    let args = command.words.get(index + 1..)?;
    let module = args.iter().position(|w| w.value == "-m")?;
    let pip_word = args.get(module + 1).filter(|w| w.value == "pip")?;
    Some(Invocation::from_words(
        pip_word,
        args.get(module + 2..).unwrap_or_default(),
        &PIP,
    ))
}

fn is_version(suffix: &str) -> bool {
    !suffix.is_empty() && suffix.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// Whether a `rm` in this `RUN` removes something under `prefix`.
pub(crate) fn removes(instruction: &Instruction, prefixes: &[&str]) -> bool {
    instruction.commands().any(|c| {
        c.name() == Some("rm")
            && c.args().iter().any(|w| {
                let v = w.value.trim_end_matches('/');
                prefixes.iter().any(|p| v.starts_with(p))
            })
    })
}

/// Whether this `RUN` mounts a cache or tmpfs over one of `targets` (or a
/// parent of one), so what is written there never lands in the layer.
pub(crate) fn mounts_over(instruction: &Instruction, targets: &[&str]) -> bool {
    instruction
        .flags
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case("mount"))
        .any(|f| {
            let kind = f.option("type").unwrap_or_default();
            if kind != "cache" && kind != "tmpfs" {
                return false;
            }
            let target = f
                .option("target")
                .or_else(|| f.option("dst"))
                .or_else(|| f.option("destination"))
                .unwrap_or_default();
            let target = target.trim_end_matches('/');
            !target.is_empty() && targets.iter().any(|t| t.starts_with(target))
        })
}
