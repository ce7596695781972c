use super::*;

/// The source text a span covers.
fn at(text: &str, span: Span) -> &str {
    &text[span.start as usize..span.end as usize]
}

fn run_shell(file: &Dockerfile, index: usize) -> &ShellForm {
    match &file.instructions[index].args {
        Args::Command(CommandForm::Shell(shell)) => shell,
        other => panic!("not a shell-form command: {other:?}"),
    }
}

fn names(commands: &[Command]) -> Vec<&str> {
    commands.iter().filter_map(|c| c.name()).collect()
}

#[test]
fn directives_are_read_only_at_the_top() {
    let text = "# syntax=docker/dockerfile:1.7\n#ESCAPE = `\n# check=skip=JSONArgsRecommended\nFROM alpine\n# escape=\\\n";
    let file = parse(text);
    let found: Vec<(&str, &str)> = file
        .directives
        .iter()
        .map(|d| (d.name.as_str(), d.value.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("syntax", "docker/dockerfile:1.7"),
            ("escape", "`"),
            ("check", "skip=JSONArgsRecommended"),
        ]
    );
    assert_eq!(file.escape, '`');
    assert_eq!(at(text, file.directives[1].value_span), "`");
    // The directive after FROM is a comment.
    assert_eq!(file.comments.len(), 1);
    assert!(file.diagnostics.is_empty(), "{:?}", file.diagnostics);
}

#[test]
fn a_comment_or_blank_line_ends_the_directives() {
    for text in [
        "# hello\n# escape=`\nFROM a\n",
        "\n# escape=`\nFROM a\n",
        "# unknown=x\n# escape=`\nFROM a\n",
    ] {
        let file = parse(text);
        assert_eq!(file.escape, '\\', "{text:?}");
    }
}

#[test]
fn invalid_and_repeated_directives_are_diagnosed() {
    let file = parse("# escape=x\n# escape=`\nFROM a\n");
    let kinds: Vec<_> = file.diagnostics.iter().map(|d| d.kind).collect();
    assert_eq!(
        kinds,
        [
            DiagnosticKind::InvalidDirective,
            DiagnosticKind::InvalidDirective
        ]
    );
}

#[test]
fn backtick_escape_continues_lines_and_keeps_windows_paths() {
    let text = "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nCOPY testfile.txt c:\\ `\n  c:\\dest\\\nWORKDIR c:\\app\n";
    let file = parse(text);
    let Args::Files { sources, dest, .. } = &file.instructions[1].args else {
        panic!()
    };
    assert_eq!(sources.len(), 2);
    assert_eq!(sources[1].value, "c:\\");
    assert_eq!(dest.as_ref().map(|d| d.value.as_str()), Some("c:\\dest\\"));
    assert_eq!(
        file.instructions[2].text().map(|w| w.value.as_str()),
        Some("c:\\app")
    );
}

#[test]
fn continuations_skip_comment_and_blank_lines_and_map_positions() {
    let text = "FROM debian:12\nRUN apt-get update \\\n    # refresh first\n\n    && apt-get install -y curl\n";
    let file = parse(text);
    let shell = run_shell(&file, 1);
    assert_eq!(shell.text, "apt-get update     && apt-get install -y curl");
    assert_eq!(names(&shell.commands), ["apt-get", "apt-get"]);
    let curl = &shell.commands[1].words[3];
    assert_eq!(curl.value, "curl");
    assert_eq!(at(text, curl.span), "curl");
    // `curl` is on the fifth line.
    let line = text[..curl.span.start as usize].matches('\n').count() + 1;
    assert_eq!(line, 5);
    assert_eq!(file.comments.len(), 1);
    assert_eq!(
        file.diagnostics.iter().map(|d| d.kind).collect::<Vec<_>>(),
        [DiagnosticKind::EmptyContinuationLine]
    );
    assert_eq!(
        at(text, file.instructions[1].span),
        "RUN apt-get update \\\n    # refresh first\n\n    && apt-get install -y curl"
    );
}

#[test]
fn instruction_names_are_case_insensitive() {
    let file = parse("from alpine:3.20 as Build\nrun echo hi\nCopy --FROM=build /a /b\n");
    let keywords: Vec<Keyword> = file.instructions.iter().map(|i| i.keyword).collect();
    assert_eq!(keywords, [Keyword::From, Keyword::Run, Keyword::Copy]);
    assert_eq!(file.stages[0].name.as_deref(), Some("build"));
    assert_eq!(
        file.instructions[2]
            .flag("from")
            .and_then(|f| f.value.as_deref()),
        Some("build")
    );
    assert!(file.diagnostics.is_empty(), "{:?}", file.diagnostics);
}

#[test]
fn heredocs_are_read_with_their_bodies_and_positions() {
    let text = "FROM alpine\nRUN <<EOF\napk add --no-cache curl\necho done\nEOF\nCMD [\"x\"]\n";
    let file = parse(text);
    let run = &file.instructions[1];
    assert_eq!(run.heredocs.len(), 1);
    let doc = &run.heredocs[0];
    assert_eq!(doc.name, "EOF");
    assert!(doc.is_script && doc.terminated && !doc.quoted && !doc.strip_tabs);
    assert_eq!(doc.body, "apk add --no-cache curl\necho done\n");
    assert_eq!(at(text, doc.marker), "<<EOF");
    assert_eq!(
        at(text, doc.body_span),
        "apk add --no-cache curl\necho done"
    );
    let commands: Vec<&Command> = run.commands().collect();
    assert_eq!(commands.len(), 2);
    assert_eq!(at(text, commands[0].words[2].span), "--no-cache");
    assert_eq!(
        at(text, run.span),
        "RUN <<EOF\napk add --no-cache curl\necho done\nEOF"
    );
    assert_eq!(file.instructions[2].keyword, Keyword::Cmd);
}

#[test]
fn heredoc_variants_quoted_tab_stripped_several_and_data() {
    let text = "FROM alpine\nCOPY <<-\"A\" <<'B' /dest/\n\tfirst\n\tA\nsecond\nB\nRUN cat <<EOF > /etc/motd\nhello\nEOF\nRUN python3 <<EOF\nimport os\nEOF\nRUN 3<<X bash\necho x\nX\n";
    let file = parse(text);
    let copy = &file.instructions[1];
    assert_eq!(copy.heredocs.len(), 2);
    assert_eq!(copy.heredocs[0].name, "A");
    assert!(copy.heredocs[0].strip_tabs && copy.heredocs[0].quoted);
    assert_eq!(copy.heredocs[0].body, "first\n");
    assert_eq!(copy.heredocs[1].name, "B");
    assert!(copy.heredocs[1].quoted && !copy.heredocs[1].strip_tabs);
    assert_eq!(copy.heredocs[1].body, "second\n");
    assert!(!copy.heredocs[0].is_script);
    let Args::Files { sources, dest, .. } = &copy.args else {
        panic!()
    };
    assert_eq!(sources.len(), 2);
    assert_eq!(dest.as_ref().map(|d| d.value.as_str()), Some("/dest/"));
    // Data for `cat`, a script for `python3`: neither is shell.
    assert!(!file.instructions[2].heredocs[0].is_script);
    assert!(!file.instructions[3].heredocs[0].is_script);
    assert_eq!(file.instructions[4].heredocs[0].fd, Some(3));
    assert_eq!(file.instructions.len(), 5);
}

#[test]
fn a_shell_reading_a_heredoc_runs_it_but_not_a_shebang_for_another_language() {
    let file = parse(
        "FROM a\nRUN bash <<EOF\nset -e\nsudo make\nEOF\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n",
    );
    assert!(file.instructions[1].heredocs[0].is_script);
    assert_eq!(
        names(&file.instructions[1].heredocs[0].commands),
        ["set", "make"]
    );
    assert!(!file.instructions[2].heredocs[0].is_script);
}

#[test]
fn here_strings_are_not_heredocs() {
    let file = parse("FROM a\nRUN cat <<< \"hi\"\nRUN echo '<<EOF'\n");
    assert!(file.instructions[1].heredocs.is_empty());
    assert!(file.instructions[2].heredocs.is_empty());
    assert!(file.diagnostics.is_empty(), "{:?}", file.diagnostics);
}

#[test]
fn unterminated_heredoc_is_diagnosed_at_its_marker() {
    let text = "FROM a\nRUN <<EOF\necho hi\n";
    let file = parse(text);
    assert_eq!(file.diagnostics.len(), 1);
    assert_eq!(
        file.diagnostics[0].kind,
        DiagnosticKind::UnterminatedHeredoc
    );
    assert_eq!(at(text, file.diagnostics[0].span), "<<EOF");
    assert!(!file.instructions[1].heredocs[0].terminated);
}

#[test]
fn json_form_and_fallback_to_shell_form() {
    let text = "FROM a\nCMD [\"node\", \"server.js\"]\nENTRYPOINT [\"a\", 'b']\nCMD [ \"caf\\u00e9\" ]\nRUN [\"echo\", \"x\"] && true\n";
    let file = parse(text);
    let Some(CommandForm::Exec { words, span }) = file.instructions[1].command() else {
        panic!()
    };
    let values: Vec<&str> = words.iter().map(|w| w.value.as_str()).collect();
    assert_eq!(values, ["node", "server.js"]);
    assert_eq!(at(text, words[1].span), "\"server.js\"");
    assert_eq!(at(text, *span), "[\"node\", \"server.js\"]");
    // Single quotes are not JSON: BuildKit runs it through a shell instead.
    assert!(
        !file.instructions[2]
            .command()
            .is_some_and(CommandForm::is_exec)
    );
    let Some(CommandForm::Exec { words, .. }) = file.instructions[3].command() else {
        panic!()
    };
    assert_eq!(words[0].value, "café");
    assert!(
        !file.instructions[4]
            .command()
            .is_some_and(CommandForm::is_exec)
    );
}

#[test]
fn flags_carry_names_values_and_positions() {
    let text = "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nRUN --mount=type=cache,target=/root/.cache/go-build --network=none go build\nCOPY --link --chown=10001:10001 --chmod=0755 --from=build /out/app /app\n";
    let file = parse(text);
    let platform = file.instructions[0].flag("platform").expect("platform");
    assert_eq!(platform.value.as_deref(), Some("$BUILDPLATFORM"));
    assert_eq!(at(text, platform.span), "--platform=$BUILDPLATFORM");
    assert_eq!(
        at(text, platform.value_span.expect("value")),
        "$BUILDPLATFORM"
    );
    let mount = file.instructions[1].flag("mount").expect("mount");
    assert_eq!(mount.option("type").as_deref(), Some("cache"));
    assert_eq!(
        mount.option("target").as_deref(),
        Some("/root/.cache/go-build")
    );
    let copy = &file.instructions[2];
    let names: Vec<&str> = copy.flags.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["link", "chown", "chmod", "from"]);
    assert_eq!(copy.flag("link").and_then(|f| f.value.as_ref()), None);
    let Args::Files { sources, dest, .. } = &copy.args else {
        panic!()
    };
    assert_eq!(sources[0].value, "/out/app");
    assert_eq!(dest.as_ref().map(|d| at(text, d.span)), Some("/app"));
    assert!(file.diagnostics.is_empty(), "{:?}", file.diagnostics);
}

#[test]
fn unknown_flags_and_instructions_are_diagnosed_and_parsing_goes_on() {
    let text = "FROM a\nRUNN echo\nCMD --bogus\nUSER app\n";
    let file = parse(text);
    let kinds: Vec<_> = file.diagnostics.iter().map(|d| d.kind).collect();
    assert_eq!(
        kinds,
        [
            DiagnosticKind::UnknownInstruction,
            DiagnosticKind::UnknownFlag
        ]
    );
    assert_eq!(at(text, file.diagnostics[0].span), "RUNN");
    assert_eq!(
        file.instructions.last().map(|i| i.keyword),
        Some(Keyword::User)
    );
}

#[test]
fn onbuild_wraps_an_instruction() {
    let text = "FROM a\nONBUILD RUN --mount=type=cache,target=/x make\nONBUILD FROM b\n";
    let file = parse(text);
    let Args::Onbuild(inner) = &file.instructions[1].args else {
        panic!()
    };
    assert_eq!(inner.keyword, Keyword::Run);
    assert_eq!(at(text, inner.keyword_span), "RUN");
    assert!(inner.flag("mount").is_some());
    assert_eq!(inner.stage, Some(0));
    assert_eq!(file.diagnostics.len(), 1);
    assert_eq!(file.diagnostics[0].kind, DiagnosticKind::InvalidArguments);
}

#[test]
fn env_label_and_arg_pairs_in_both_forms() {
    let text = "ARG VERSION=1.2 OTHER\nFROM a\nENV A=1 B=\"two words\" C=three\\ words\nENV LEGACY value with spaces\nLABEL org.opencontainers.image.title=\"api\"\n";
    let file = parse(text);
    let arg = file.instructions[0].pairs();
    assert_eq!(arg[0].key.value, "VERSION");
    assert_eq!(arg[0].value.as_ref().map(|v| v.value.as_str()), Some("1.2"));
    assert!(arg[1].value.is_none());
    let env = file.instructions[2].pairs();
    let pairs: Vec<(&str, &str)> = env
        .iter()
        .map(|p| {
            (
                p.key.value.as_str(),
                p.value.as_ref().map_or("", |v| v.value.as_str()),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [("A", "1"), ("B", "two words"), ("C", "three words")]
    );
    assert_eq!(
        at(text, env[1].value.as_ref().expect("B").span),
        "\"two words\""
    );
    let legacy = &file.instructions[3].pairs()[0];
    assert_eq!(legacy.key.value, "LEGACY");
    assert_eq!(
        legacy.value.as_ref().map(|v| v.value.as_str()),
        Some("value with spaces")
    );
    assert_eq!(
        file.instructions[4].pairs()[0].key.value,
        "org.opencontainers.image.title"
    );
}

#[test]
fn stages_names_indexes_and_bases() {
    let file = parse(
        "FROM golang:1.22 AS Build\nRUN go build\nFROM build AS test\nRUN go test\nFROM alpine\nCOPY --from=0 /a /b\n",
    );
    assert_eq!(file.stages.len(), 3);
    assert_eq!(file.stages[0].name.as_deref(), Some("build"));
    assert_eq!(file.stages[1].base, Some(0));
    assert_eq!(file.stages[2].base, None);
    assert_eq!(file.stage_named("BUILD").map(|s| s.index), Some(0));
    assert_eq!(file.stage_named("1").map(|s| s.index), Some(1));
    assert_eq!(file.stage_instructions(&file.stages[1]).len(), 2);
    assert_eq!(file.instructions[5].stage, Some(2));
    assert_eq!(file.lineage(1), [1, 0]);
    assert_eq!(file.final_image_stages(), [2]);
}

#[test]
fn expansion_forms() {
    let lookup = |name: &str| match name {
        "SET" => Lookup::Value("v"),
        "EMPTY" => Lookup::Value(""),
        "EXTERNAL" => Lookup::Unknown,
        _ => Lookup::Undefined,
    };
    let cases = [
        ("$SET", "v"),
        ("${SET}", "v"),
        ("pre-${SET}-post", "pre-v-post"),
        ("${NOPE:-dflt}", "dflt"),
        ("${EMPTY:-dflt}", "dflt"),
        ("${EMPTY-dflt}", ""),
        ("${SET:+alt}", "alt"),
        ("${NOPE:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${NOPE:-${SET}}", "v"),
        ("'$SET'", "$SET"),
        ("\"$SET\"", "v"),
        ("\\$SET", "$SET"),
        ("$", "$"),
        ("a$NOPE", "a"),
    ];
    for (raw, expected) in cases {
        let out = expand(raw, '\\', &lookup);
        assert_eq!(out.value, expected, "{raw}");
        assert!(!out.unresolved, "{raw}");
    }
    assert!(expand("$EXTERNAL", '\\', &lookup).unresolved);
    assert!(expand("${EXTERNAL:-x}", '\\', &lookup).unresolved);
    assert!(expand("${SET#v}", '\\', &lookup).unresolved);
    assert_eq!(expand("a$NOPE", '\\', &lookup).undefined, ["NOPE"]);
}

#[test]
fn scopes_follow_buildkit_arg_and_env_rules() {
    let text = "ARG BASE=debian\nARG TAG=12\nFROM ${BASE}:${TAG} AS build\nRUN echo $TAG\nARG TAG\nENV APP=/srv/${TAG}\nFROM build\nRUN x\nFROM $BASE\nARG NEW=x\n";
    let file = parse(text);
    let Args::From { image, .. } = &file.instructions[2].args else {
        panic!()
    };
    assert_eq!(file.expand_at(2, &image.raw).value, "debian:12");
    // A global ARG is not visible in a stage until it is declared there.
    assert_eq!(file.scope_at(3).lookup("TAG"), Lookup::Undefined);
    assert_eq!(file.scope_at(5).lookup("TAG"), Lookup::Value("12"));
    assert_eq!(file.scope_at(6).lookup("APP"), Lookup::Undefined);
    // ENV is inherited by a stage built on this one; ARG is not.
    assert_eq!(file.scope_at(7).lookup("APP"), Lookup::Value("/srv/12"));
    assert_eq!(file.scope_at(7).lookup("TAG"), Lookup::Undefined);
    assert_eq!(file.scope_at(8).lookup("TARGETARCH"), Lookup::Unknown);
    let Args::From { image, .. } = &file.instructions[8].args else {
        panic!()
    };
    assert_eq!(file.expand_at(8, &image.raw).value, "debian");
}

#[test]
fn env_overrides_an_arg_of_the_same_name() {
    let file = parse("FROM a\nENV V=env\nARG V=arg\nRUN x\n");
    assert_eq!(file.scope_at(3).lookup("V"), Lookup::Value("env"));
}

#[test]
fn shell_words_quotes_and_substitutions() {
    let commands = tokenize(
        r#"FOO=1 sudo -u app /usr/bin/apt-get install -y "a b" c\ d 'e $f' "$(curl -fsSL https://x | sh)" `date` ${HOME}/x"#,
    );
    assert_eq!(commands.len(), 1);
    let c = &commands[0];
    assert_eq!(c.name(), Some("apt-get"));
    assert_eq!(c.wrapper("sudo").map(|w| w.value.as_str()), Some("sudo"));
    let args: Vec<&str> = c.args().iter().map(|w| w.value.as_str()).collect();
    assert_eq!(
        args,
        [
            "install",
            "-y",
            "a b",
            "c d",
            "e $f",
            "$(curl -fsSL https://x | sh)",
            "`date`",
            "${HOME}/x"
        ]
    );
    assert_eq!(c.assignments().count(), 1);
}

#[test]
fn shell_operators_split_commands() {
    let text = "a && b || c; d | e |& f & g\nh";
    let commands = tokenize(text);
    let connectors: Vec<Connector> = commands.iter().map(|c| c.connector).collect();
    assert_eq!(
        connectors,
        [
            Connector::First,
            Connector::And,
            Connector::Or,
            Connector::Sequence,
            Connector::Pipe,
            Connector::Pipe,
            Connector::Background,
            Connector::Sequence,
        ]
    );
    assert_eq!(names(&commands), ["a", "b", "c", "d", "e", "f", "g", "h"]);
    assert_eq!(at(text, commands[4].span), "e");
}

#[test]
fn shell_redirects_and_nested_heredocs() {
    let text = "curl -o /tmp/x https://a 2>/dev/null >&2\ncat <<-EOT > /etc/x\n\tapt-get install foo\n\tEOT\nrm -rf /var/lib/apt/lists/*";
    let commands = tokenize(text);
    assert_eq!(names(&commands), ["curl", "cat", "rm"]);
    let ops: Vec<&str> = commands[0]
        .redirects
        .iter()
        .map(|r| r.op.as_str())
        .collect();
    assert_eq!(ops, ["2>", ">&"]);
    assert_eq!(commands[0].args().len(), 3);
    assert_eq!(at(text, commands[2].words[2].span), "/var/lib/apt/lists/*");
}

#[test]
fn shell_keywords_and_subshells_do_not_hide_programs() {
    let commands =
        tokenize("if [ -f x ]; then apt-get update; fi && (cd /src && make) && { npm ci; }");
    let names = names(&commands);
    assert!(names.contains(&"apt-get"), "{names:?}");
    assert!(names.contains(&"cd"));
    assert!(names.contains(&"make"));
    assert!(names.contains(&"npm"));
    let make = commands
        .iter()
        .find(|c| c.name() == Some("make"))
        .expect("make");
    assert_eq!(make.connector, Connector::And);
}

#[test]
fn process_substitution_stays_one_word() {
    let commands = tokenize("bash <(curl -fsSL https://x)");
    assert_eq!(commands.len(), 1);
    assert_eq!(commands[0].args()[0].value, "<(curl -fsSL https://x)");
    assert!(commands[0].redirects.is_empty());
}

#[test]
fn continuation_at_end_of_file_is_a_warning() {
    let text = "FROM a\nRUN echo \\";
    let file = parse(text);
    assert_eq!(file.diagnostics.len(), 1);
    assert_eq!(file.diagnostics[0].kind, DiagnosticKind::ContinuationAtEof);
    assert!(!file.diagnostics[0].kind.is_error());
    assert_eq!(at(text, file.diagnostics[0].span), "\\");
    assert_eq!(run_shell(&file, 1).text, "echo");
}

#[test]
fn from_with_wrong_arity_and_missing_arguments() {
    let file = parse("FROM a b\nRUN\nCOPY onlyone\nENV\nUSER\n");
    let kinds: Vec<_> = file.diagnostics.iter().map(|d| d.kind).collect();
    assert_eq!(
        kinds,
        [
            DiagnosticKind::InvalidArguments,
            DiagnosticKind::MissingArguments,
            DiagnosticKind::MissingArguments,
            DiagnosticKind::MissingArguments,
            DiagnosticKind::MissingArguments,
        ]
    );
}

#[test]
fn healthcheck_forms() {
    let text = "FROM a\nHEALTHCHECK --interval=30s --timeout=3s CMD [\"/app\", \"health\"]\nHEALTHCHECK NONE\nHEALTHCHECK CMD curl -f http://localhost/ || exit 1\n";
    let file = parse(text);
    let Args::Healthcheck(Some(form)) = &file.instructions[1].args else {
        panic!()
    };
    assert!(form.is_exec());
    assert_eq!(
        file.instructions[1]
            .flag("interval")
            .and_then(|f| f.value.as_deref()),
        Some("30s")
    );
    assert_eq!(file.instructions[2].args, Args::Healthcheck(None));
    let Args::Healthcheck(Some(CommandForm::Shell(shell))) = &file.instructions[3].args else {
        panic!()
    };
    assert_eq!(names(&shell.commands), ["curl", "exit"]);
}

#[test]
fn crlf_line_endings_and_a_byte_order_mark() {
    let text = "\u{feff}FROM alpine:3.20\r\nRUN apk add \\\r\n  curl\r\n";
    let file = parse(text);
    assert_eq!(file.instructions.len(), 2);
    let shell = run_shell(&file, 1);
    assert_eq!(shell.text, "apk add   curl");
    assert_eq!(at(text, shell.commands[0].words[2].span), "curl");
    assert_eq!(at(text, file.instructions[0].keyword_span), "FROM");
}

#[test]
fn never_panics_on_hostile_input() {
    let mut inputs: Vec<String> = vec![
        String::new(),
        "\0\0\0".into(),
        "FROM \0\nRUN \"unterminated\nRUN 'x\nRUN $(\nRUN ${\nRUN `\n".into(),
        "RUN <<\nRUN <<-\nRUN <<''\nRUN <<\"\"\nCOPY <<EOF\n".into(),
        "\\\n\\\n\\".into(),
        "# escape=`\n`\n``\nRUN a`".into(),
        "ONBUILD ONBUILD ONBUILD\nONBUILD\nHEALTHCHECK\nHEALTHCHECK CMD\n".into(),
        "FROM a\nCMD [\"\\ud800\", \"\\u12\"]\nCMD [\"a\",]\nCMD [\nCMD ]\n".into(),
        "ENV =x\nENV a=\"\nLABEL\nARG =\nARG\n".into(),
        "FROM --platform= \nCOPY --from= a b\nRUN --mount= x\n".into(),
        "é\u{2028}ü\tRUN\u{a0}x\r\r\n\r".into(),
        "RUN echo ${a:-${b:-${c\nRUN echo $((1+(2)) \n".into(),
    ];
    inputs.push(format!(
        "FROM a\nRUN echo \\\n{}done\n",
        "  x \\\n".repeat(10_000)
    ));
    inputs.push("(".repeat(5000));
    inputs.push(format!("RUN {}", "$(".repeat(5000)));
    inputs.push(format!("FROM a\nRUN <<EOF\n{}", "x\n".repeat(10_000)));
    for input in &inputs {
        let file = parse(input);
        for instruction in &file.instructions {
            assert!(instruction.span.start <= instruction.span.end);
            assert!(instruction.span.end as usize <= input.len());
        }
        for stage in 0..file.stages.len() {
            let _ = file.lineage(stage);
        }
        for index in 0..file.instructions.len() {
            let _ = file.scope_at(index);
        }
    }
    let long = &inputs[inputs.len() - 4];
    let file = parse(long);
    assert_eq!(file.instructions.len(), 2);
    assert_eq!(run_shell(&file, 1).commands[0].words.len(), 10_002);
}

#[test]
fn spans_on_multibyte_text_fall_on_character_boundaries() {
    let text = "FROM a\nLABEL description=\"café ☕\" \\\n  owner=\"zoë\"\n";
    let file = parse(text);
    let pairs = file.instructions[1].pairs();
    assert_eq!(
        at(text, pairs[0].value.as_ref().expect("v").span),
        "\"café ☕\""
    );
    assert_eq!(at(text, pairs[1].span), "owner=\"zoë\"");
}

#[test]
fn case_patterns_are_not_pipes() {
    let text =
        "case \"$arch\" in amd64|arm64) apt-get update ;; *) echo other | tee x ;; esac && make";
    let commands = tokenize(text);
    assert_eq!(names(&commands), ["apt-get", "echo", "tee", "make"]);
    let pipes = commands
        .iter()
        .filter(|c| c.connector == Connector::Pipe)
        .count();
    assert_eq!(pipes, 1);
    assert_eq!(commands[3].connector, Connector::And);
    // The last clause may omit `;;`.
    let commands = tokenize("case $x in\n  a) one\n  ;;\n  b) two\nesac\nthree");
    assert_eq!(names(&commands), ["one", "two", "three"]);
}

/// Every span of a parsed file, for invariant checks.
fn all_spans(file: &Dockerfile) -> Vec<Span> {
    fn command_spans(commands: &[Command], out: &mut Vec<Span>) {
        for c in commands {
            out.push(c.span);
            out.extend(c.words.iter().map(|w| w.span));
            out.extend(c.redirects.iter().map(|r| r.span));
        }
    }
    fn instruction_spans(i: &Instruction, out: &mut Vec<Span>) {
        out.extend([i.span, i.keyword_span, i.args_span]);
        out.extend(
            i.flags
                .iter()
                .flat_map(|f| [Some(f.span), f.value_span])
                .flatten(),
        );
        for h in &i.heredocs {
            out.extend([h.marker, h.body_span]);
            command_spans(&h.commands, out);
        }
        match &i.args {
            Args::Command(CommandForm::Shell(s)) => {
                out.push(s.span);
                command_spans(&s.commands, out);
            }
            Args::Command(CommandForm::Exec { words, span }) => {
                out.push(*span);
                out.extend(words.iter().map(|w| w.span));
            }
            Args::Files { sources, dest, .. } => {
                out.extend(sources.iter().chain(dest).map(|w| w.span));
            }
            Args::From { image, alias } => {
                out.extend(std::iter::once(image).chain(alias).map(|w| w.span))
            }
            Args::Pairs(pairs) => {
                for p in pairs {
                    out.extend([p.span, p.key.span]);
                    out.extend(p.value.iter().map(|v| v.span));
                }
            }
            Args::Words(words) => out.extend(words.iter().map(|w| w.span)),
            Args::Text(word) => out.push(word.span),
            Args::Onbuild(inner) => instruction_spans(inner, out),
            Args::Healthcheck(_) | Args::Empty => {}
        }
    }
    let mut out = Vec::new();
    for i in &file.instructions {
        instruction_spans(i, &mut out);
    }
    out.extend(file.diagnostics.iter().map(|d| d.span));
    out.extend(file.comments.iter().map(|c| c.span));
    out.extend(file.directives.iter().flat_map(|d| [d.span, d.value_span]));
    out
}

#[test]
fn random_soup_keeps_spans_inside_the_text_and_on_character_boundaries() {
    const PIECES: &[&str] = &[
        "FROM ",
        "RUN ",
        "COPY ",
        "ENV ",
        "ARG ",
        "ONBUILD ",
        "HEALTHCHECK CMD ",
        "CMD ",
        "\\",
        "`",
        "\n",
        "\r\n",
        " ",
        "#",
        "# escape=`\n",
        "<<",
        "<<-",
        "EOF",
        "'",
        "\"",
        "[",
        "]",
        ",",
        "$",
        "${",
        "}",
        "$(",
        ")",
        "|",
        "&&",
        ";;",
        "case x in ",
        "esac",
        "--from=",
        "--mount=type=cache,target=/x",
        "=",
        "a",
        "é",
        "☕",
        "\u{0}",
        "AS ",
        ":",
        "\\u00",
    ];
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..5_000 {
        let mut text = String::new();
        for _ in 0..next() % 40 {
            text.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
        }
        let file = parse(&text);
        for span in all_spans(&file) {
            let (a, b) = (span.start as usize, span.end as usize);
            assert!(
                a <= b && b <= text.len() && text.is_char_boundary(a) && text.is_char_boundary(b),
                "{span:?} in {text:?}"
            );
        }
    }
}

#[test]
fn tab_stripped_heredoc_scripts_keep_source_positions() {
    let text = "FROM a\nRUN <<-EOT\n\t\tapt-get install -y curl\n\tEOT\n";
    let file = parse(text);
    let doc = &file.instructions[1].heredocs[0];
    assert_eq!(doc.body, "apt-get install -y curl\n");
    assert!(doc.terminated && doc.is_script);
    let curl = &doc.commands[0].words[3];
    assert_eq!(at(text, curl.span), "curl");
    assert_eq!(at(text, doc.commands[0].words[0].span), "apt-get");
}
