//! Quote removal and `$VAR` expansion the way BuildKit applies them to the
//! arguments of the instructions it expands itself (everything except the
//! commands handed to a shell).

use std::collections::HashMap;

use super::{Dockerfile, Keyword, PREDEFINED_ARGS, PROXY_ARGS};

/// What a name resolves to in a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// Declared with a value we know.
    Value(&'a str),
    /// Declared, but its value comes from outside the file (an `ARG` without
    /// default, a base image's environment): we cannot know it.
    Unknown,
    /// Not declared: BuildKit substitutes the empty string.
    Undefined,
}

/// The result of expanding a word.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expansion {
    pub value: String,
    /// Some part depended on a value we cannot know: `value` is a guess and
    /// rules should not judge it.
    pub unresolved: bool,
    /// Every variable name the word refers to, in order.
    pub references: Vec<String>,
    /// The referenced names that were not declared at all.
    pub undefined: Vec<String>,
}

/// Removes quotes and escapes, leaving variable references as written.
pub fn unquote(raw: &str, escape: char) -> String {
    let mut out = Expansion::default();
    process(raw, escape, None, &mut out);
    out.value
}

/// Removes quotes and escapes and expands `$VAR`, `${VAR}`, `${VAR:-default}`,
/// `${VAR-default}`, `${VAR:+alt}` and `${VAR+alt}`. Other modifiers
/// (`${VAR#pattern}`, `${VAR:?message}`) leave the result unresolved.
pub fn expand<'v>(raw: &str, escape: char, lookup: &dyn Fn(&str) -> Lookup<'v>) -> Expansion {
    let mut out = Expansion::default();
    process(raw, escape, Some(lookup), &mut out);
    out
}

type LookupFn<'l, 'v> = Option<&'l dyn Fn(&str) -> Lookup<'v>>;

fn process(raw: &str, escape: char, lookup: LookupFn<'_, '_>, out: &mut Expansion) {
    let chars: Vec<char> = raw.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == escape {
            // An escape at the very end stands for itself.
            match chars.get(i + 1) {
                Some(next) => out.value.push(*next),
                None => out.value.push(c),
            }
            i += 2;
        } else if c == '\'' {
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                out.value.push(chars[i]);
                i += 1;
            }
            i += 1;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                let d = chars[i];
                if d == escape {
                    match chars.get(i + 1) {
                        Some(next) if *next == '"' || *next == '$' || *next == escape => {
                            out.value.push(*next);
                        }
                        Some(next) => {
                            out.value.push(d);
                            out.value.push(*next);
                        }
                        None => out.value.push(d),
                    }
                    i += 2;
                } else if d == '$' {
                    i = variable(&chars, i, escape, lookup, out);
                } else {
                    out.value.push(d);
                    i += 1;
                }
            }
            i += 1;
        } else if c == '$' {
            i = variable(&chars, i, escape, lookup, out);
        } else {
            out.value.push(c);
            i += 1;
        }
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Handles a `$` at `chars[at]` and returns the index after the reference.
fn variable(
    chars: &[char],
    at: usize,
    escape: char,
    lookup: LookupFn<'_, '_>,
    out: &mut Expansion,
) -> usize {
    let next = chars.get(at + 1).copied();
    if next == Some('{') {
        let Some(close) = matching_brace(chars, at + 2) else {
            // An unclosed `${` is kept as text, as BuildKit reports it.
            let rest: String = chars[at..].iter().collect();
            out.value.push_str(&rest);
            out.unresolved |= lookup.is_some();
            return chars.len();
        };
        let inner: String = chars[at + 2..close].iter().collect();
        let Some(lookup) = lookup else {
            out.value.push_str("${");
            out.value.push_str(&inner);
            out.value.push('}');
            return close + 1;
        };
        braced(&inner, escape, lookup, out);
        return close + 1;
    }
    let name_len = chars[at + 1..]
        .iter()
        .take_while(|c| is_name_char(**c))
        .count();
    if name_len == 0 {
        out.value.push('$');
        return at + 1;
    }
    let name: String = chars[at + 1..at + 1 + name_len].iter().collect();
    match lookup {
        None => {
            out.value.push('$');
            out.value.push_str(&name);
        }
        Some(lookup) => {
            let found = lookup(&name);
            record(&name, found, out);
            match found {
                Lookup::Value(v) => out.value.push_str(v),
                Lookup::Unknown => out.unresolved = true,
                Lookup::Undefined => {}
            }
        }
    }
    at + 1 + name_len
}

fn record(name: &str, found: Lookup<'_>, out: &mut Expansion) {
    out.references.push(name.to_owned());
    if found == Lookup::Undefined {
        out.undefined.push(name.to_owned());
    }
}

fn matching_brace(chars: &[char], from: usize) -> Option<usize> {
    let mut depth = 1usize;
    let mut i = from;
    while i < chars.len() {
        match chars[i] {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn braced<'v>(inner: &str, escape: char, lookup: &dyn Fn(&str) -> Lookup<'v>, out: &mut Expansion) {
    let name_len = inner.chars().take_while(|c| is_name_char(*c)).count();
    let name = &inner[..name_len];
    let modifier = &inner[name_len..];
    if name.is_empty() {
        out.unresolved = true;
        return;
    }
    let found = lookup(name);
    record(name, found, out);
    let (set, non_empty) = match found {
        Lookup::Value(v) => (true, !v.is_empty()),
        Lookup::Unknown => {
            // `${X:-d}` with X unknown could be either: we cannot tell.
            out.unresolved = true;
            return;
        }
        Lookup::Undefined => (false, false),
    };
    let value = match found {
        Lookup::Value(v) => v,
        _ => "",
    };
    let alternative = |word: &str, out: &mut Expansion| {
        let inner_out = expand(word, escape, lookup);
        out.value.push_str(&inner_out.value);
        out.unresolved |= inner_out.unresolved;
        out.references.extend(inner_out.references);
        out.undefined.extend(inner_out.undefined);
    };
    if modifier.is_empty() {
        out.value.push_str(value);
    } else if let Some(word) = modifier.strip_prefix(":-") {
        if non_empty {
            out.value.push_str(value);
        } else {
            alternative(word, out);
        }
    } else if let Some(word) = modifier.strip_prefix(":+") {
        if non_empty {
            alternative(word, out);
        }
    } else if let Some(word) = modifier.strip_prefix('-') {
        if set {
            out.value.push_str(value);
        } else {
            alternative(word, out);
        }
    } else if let Some(word) = modifier.strip_prefix('+') {
        if set {
            alternative(word, out);
        }
    } else {
        out.unresolved = true;
    }
}

/// A declared variable's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Var {
    Value(String),
    Unknown,
}

/// The `ARG` and `ENV` variables visible at one instruction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Each name's value, and whether it came from `ENV`, which an `ARG` of
    /// the same name never overrides.
    vars: HashMap<String, (Var, bool)>,
    escape: char,
}

impl Scope {
    fn new(escape: char) -> Self {
        Scope {
            vars: HashMap::new(),
            escape,
        }
    }

    pub fn lookup(&self, name: &str) -> Lookup<'_> {
        match self.vars.get(name) {
            Some((Var::Value(v), _)) => Lookup::Value(v),
            Some((Var::Unknown, _)) => Lookup::Unknown,
            None => Lookup::Undefined,
        }
    }

    pub fn is_declared(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }

    pub fn expand(&self, raw: &str) -> Expansion {
        let escape = if self.escape == '\0' {
            '\\'
        } else {
            self.escape
        };
        expand(raw, escape, &|name| self.lookup(name))
    }

    fn set_arg(&mut self, name: &str, value: Var) {
        if self.vars.get(name).is_some_and(|(_, env)| *env) {
            return;
        }
        self.vars.insert(name.to_owned(), (value, false));
    }

    fn set_env(&mut self, name: &str, value: Var) {
        self.vars.insert(name.to_owned(), (value, true));
    }
}

impl Dockerfile {
    /// The variables visible to instruction `index` (an index into
    /// `instructions`). For a `FROM`, that is the global `ARG`s and the
    /// platform arguments BuildKit predefines; inside a stage, the `ENV`s of
    /// the stages it is built on, then the stage's own `ARG`s and `ENV`s
    /// declared before the instruction.
    pub fn scope_at(&self, index: usize) -> Scope {
        let mut scope = Scope::new(self.escape);
        let Some(instruction) = self.instructions.get(index) else {
            return scope;
        };
        let global = self.global_scope(index);
        let stage = match (instruction.keyword, instruction.stage) {
            (Keyword::From, _) | (_, None) => return global,
            (_, Some(stage)) => stage,
        };
        let lineage = self.lineage(stage);
        for ancestor in lineage.iter().skip(1).rev() {
            // An ancestor's ENV values may depend on its own ARGs, which
            // stay behind: evaluate the whole stage, then keep its ENVs.
            if let Some(s) = self.stages.get(*ancestor) {
                for i in s.from + 1..s.end {
                    self.declare(i, &global, &mut scope);
                }
            }
            scope.vars.retain(|_, (_, env)| *env);
        }
        if let Some(s) = self.stages.get(stage) {
            for i in s.from + 1..index.min(s.end) {
                self.declare(i, &global, &mut scope);
            }
        }
        scope
    }

    fn global_scope(&self, before: usize) -> Scope {
        let mut scope = Scope::new(self.escape);
        for name in PREDEFINED_ARGS.iter().chain(PROXY_ARGS) {
            scope.set_arg(name, Var::Unknown);
        }
        for instruction in self.instructions.iter().take(before) {
            if instruction.stage.is_some() {
                break;
            }
            if instruction.keyword == Keyword::Arg {
                for pair in instruction.pairs() {
                    let value = match &pair.value {
                        Some(v) => to_var(scope.expand(&v.raw)),
                        None => Var::Unknown,
                    };
                    scope.set_arg(&pair.key.value, value);
                }
            }
        }
        scope
    }

    /// Adds what instruction `i` declares to `scope`.
    fn declare(&self, i: usize, global: &Scope, scope: &mut Scope) {
        let Some(instruction) = self.instructions.get(i) else {
            return;
        };
        match instruction.keyword {
            Keyword::Env => {
                // Each pair sees the values of the instruction's earlier
                // pairs only from the next instruction on; BuildKit expands
                // the whole line against the scope before it.
                let values: Vec<Var> = instruction
                    .pairs()
                    .iter()
                    .map(|pair| {
                        pair.value
                            .as_ref()
                            .map_or(Var::Value(String::new()), |v| to_var(scope.expand(&v.raw)))
                    })
                    .collect();
                for (pair, value) in instruction.pairs().iter().zip(values) {
                    scope.set_env(&pair.key.value, value);
                }
            }
            Keyword::Arg => {
                for pair in instruction.pairs() {
                    let value = match &pair.value {
                        Some(v) => to_var(scope.expand(&v.raw)),
                        None => match global.lookup(&pair.key.value) {
                            Lookup::Value(v) => Var::Value(v.to_owned()),
                            _ => Var::Unknown,
                        },
                    };
                    scope.set_arg(&pair.key.value, value);
                }
            }
            _ => {}
        }
    }

    /// Expands a word of instruction `index` in its scope.
    pub fn expand_at(&self, index: usize, raw: &str) -> Expansion {
        if !raw.contains('$') {
            // Nothing to look up: skip building the scope.
            return Expansion {
                value: unquote(raw, self.escape),
                ..Expansion::default()
            };
        }
        self.scope_at(index).expand(raw)
    }
}

fn to_var(expansion: Expansion) -> Var {
    if expansion.unresolved {
        Var::Unknown
    } else {
        Var::Value(expansion.value)
    }
}
