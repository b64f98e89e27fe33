//! The facts walk: one pass over the syntax tree recording calls, references,
//! strings, classes and decoded payloads, each with its line, scope and stage.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::Ranged;

use super::decode::MAX_DECODED;
use super::fold::{Folder, Value};
use super::{analyse_source_with, Call, Class, Lit, Payload, PyFile, Ref, Scope, Sink, MAX_PAYLOAD_DEPTH};
use crate::inspect::rules::vocab;
use crate::inspect::Stage;

/// Where a call's arguments go, from the shared vocabularies ([`vocab`]).
fn sink_of(name: &str) -> Option<Sink> {
    if vocab::is_exec(name) {
        return Some(Sink::Exec);
    }
    if name.ends_with(".write") || name.ends_with(".write_bytes") || name.ends_with(".write_text") {
        return Some(Sink::Write);
    }
    if vocab::is_shell(name) {
        return Some(Sink::Shell);
    }
    None
}

#[derive(Default)]
pub struct Facts {
    calls: Vec<Call>,
    refs: Vec<Ref>,
    strings: Vec<Lit>,
    imports: Vec<(String, u32)>,
    payloads: Vec<Payload>,
    classes: Vec<Class>,
    functions: Vec<String>,
    /// Calls of plain local names: (callee, calling scope id), for lifting.
    local_calls: Vec<(String, u32)>,
    inert: Vec<std::ops::Range<usize>>,
}

impl Facts {
    pub fn apply(self, file: &mut PyFile) {
        file.calls = self.calls;
        file.refs = self.refs;
        file.strings = self.strings;
        file.imports = self.imports;
        file.payloads = self.payloads;
        file.classes = self.classes;
        file.functions.extend(self.functions);
        file.local_calls = self.local_calls;
        file.inert = self.inert;
        // Functions called from module level run on import (or install) too.
        let top = file.role.stage(true);
        if top != Stage::Auxiliary {
            let seeds: Vec<String> = file
                .local_calls
                .iter()
                .filter(|(_, caller)| *caller == 0)
                .map(|(callee, _)| callee.clone())
                .collect();
            let seeds: Vec<&str> = seeds.iter().map(String::as_str).collect();
            file.lift_functions(&seeds, top);
        }
    }
}

struct Walker<'f, 's, 'a> {
    file: &'f PyFile,
    scope: &'s Scope<'a>,
    facts: Facts,
    /// Current function scope id (0 = module level).
    scope_id: u32,
    in_function: bool,
    /// Inside `if __name__ == "__main__":` — runs as a script, not on import.
    in_main_guard: bool,
    /// Inside a binary operation whose top was already folded.
    in_binop: bool,
    /// What the expression being walked flows into.
    sinks: Vec<Sink>,
    /// > 0 while inside a call already folded into a payload.
    folded: u32,
    /// Payload bytes decoded so far in this file (bounded).
    decoded_total: usize,
    /// `facts.functions` as a set: every call asks whether its callee is one.
    defined: rustc_hash::FxHashSet<String>,
}

pub fn walk(file: &PyFile, scope: &Scope, body: &[Stmt]) -> Facts {
    let mut w = Walker {
        file,
        scope,
        facts: Facts::default(),
        scope_id: 0,
        in_function: false,
        in_main_guard: false,
        in_binop: false,
        sinks: Vec::new(),
        folded: 0,
        decoded_total: 0,
        defined: Default::default(),
    };
    w.visit_body(body);
    w.facts
}

/// Total decoded bytes analysed per file, across payloads.
const MAX_DECODED_PER_FILE: usize = 16 << 20;
/// Shortest decoded payload worth a look.
const MIN_PAYLOAD: usize = 12;
/// Longest string literal recorded as is.
const MAX_LIT: usize = 1 << 20;

impl<'f, 's, 'a> Walker<'f, 's, 'a> {
    fn line(&self, node: &impl Ranged) -> u32 {
        self.file.line_of(node.start().to_usize())
    }

    fn stage(&self) -> Stage {
        self.file.role.stage(!self.in_function && !self.in_main_guard)
    }

    fn current_sink(&self) -> Sink {
        self.sinks
            .iter()
            .rev()
            .copied()
            .find(|s| *s != Sink::None)
            .unwrap_or(Sink::None)
    }

    fn lit(&mut self, value: String, line: u32) {
        if value.len() > MAX_LIT || value.is_empty() {
            return;
        }
        let (stage, scope) = (self.stage(), self.scope_id);
        self.facts.strings.push(Lit {
            value,
            line,
            stage,
            scope,
        });
    }

    /// The references and strings of a call's arguments. With `keep_first`,
    /// also the fold of the first positional argument, for
    /// [`Walker::try_folded_payload`]: `exec(…)` and `….write(…)` would
    /// otherwise decode the same payload twice.
    fn arg_facts(&self, call: &ruff_python_ast::ExprCall, keep_first: bool) -> ArgFacts<'s, 'a> {
        let mut collector = RefCollector {
            scope: self.scope,
            refs: Vec::new(),
            strs: Vec::new(),
            expanded: 0,
        };
        let mut first = None;
        for (i, arg) in call.arguments.args.iter().enumerate() {
            let s = if keep_first && i == 0 {
                let mut folder = Folder::new(self.scope);
                let value = folder.fold(arg);
                let s = folded_str(&mut folder, value.clone(), arg, true);
                first = Some((folder, value));
                s
            } else {
                self.arg_str(arg, true)
            };
            if let Some(s) = s {
                collector.strs.push(s);
            }
            collector.visit_expr(arg);
        }
        for kw in call.arguments.keywords.iter() {
            if let Some(s) = self.arg_str(&kw.value, false) {
                collector.strs.push(s);
            }
            collector.visit_expr(&kw.value);
        }
        ArgFacts {
            refs: collector.refs,
            strs: collector.strs,
            first,
        }
    }

    /// The identifiers and dict keys the arguments are built from (see
    /// [`Call::arg_names`]), and the qualified calls met on the way.
    fn arg_names(&self, call: &ruff_python_ast::ExprCall) -> (Vec<String>, Vec<String>) {
        let mut collector = NameCollector {
            scope: self.scope,
            names: Vec::new(),
            calls: Vec::new(),
            expanded: 0,
            depth: 0,
        };
        for arg in call.arguments.args.iter() {
            collector.visit_expr(arg);
        }
        // Authentication headers carry a client's own key to its own service.
        let auth = |k: &ruff_python_ast::Keyword| {
            k.arg
                .as_ref()
                .is_some_and(|a| matches!(a.as_str(), "headers" | "auth" | "cookies"))
        };
        for kw in call.arguments.keywords.iter().filter(|k| !auth(k)) {
            collector.visit_expr(&kw.value);
        }
        (collector.names, collector.calls)
    }

    /// What is known of a string argument: its folded value, an argv list
    /// joined by spaces, or the literal parts of an f-string / concatenation
    /// with `{}` for the unknown parts.
    fn arg_str(&self, arg: &Expr, positional: bool) -> Option<String> {
        // What folding a literal would give and `folded_str` then drop, without
        // copying it: bytes are no string, and a string over `MAX_LIT` is too long.
        match arg {
            Expr::BytesLiteral(b) if b.value.len() <= MAX_DECODED => return None,
            Expr::StringLiteral(s) if (MAX_LIT + 1..=MAX_DECODED).contains(&s.value.len()) => return None,
            _ => {}
        }
        let mut folder = Folder::new(self.scope);
        let value = folder.fold(arg);
        folded_str(&mut folder, value, arg, positional)
    }

    /// The code argument of an argv that runs Python with `-c`.
    fn inline_python<'e>(&self, call: &'e ruff_python_ast::ExprCall) -> Option<&'e Expr> {
        let (Expr::List(ruff_python_ast::ExprList { elts, .. }) | Expr::Tuple(ruff_python_ast::ExprTuple { elts, .. })) =
            call.arguments.args.first()?
        else {
            return None;
        };
        let python = elts.iter().take(2).any(|e| {
            self.scope.qualify(e).is_some_and(|q| q == "sys.executable")
                || Folder::new(self.scope)
                    .fold_str(e)
                    .is_some_and(|s| s.rsplit(['/', '\\']).next().unwrap_or("").starts_with("python"))
        });
        if !python {
            return None;
        }
        let flag = elts
            .iter()
            .position(|e| Folder::new(self.scope).fold_str(e).is_some_and(|s| s == "-c"))?;
        elts.get(flag + 1)
    }

    /// Decodes `expr` if it folds to data that went through a decoder (or to
    /// code handed to an executor), and analyses the result.
    fn try_payload(&mut self, expr: &Expr, line: u32, sink: Sink, literal_ok: bool) -> bool {
        if self.payload_budget_spent() {
            return false;
        }
        let mut folder = Folder::new(self.scope);
        let value = folder.fold(expr);
        self.try_folded_payload(folder, value, line, sink, literal_ok)
    }

    /// `true` when no more payloads are decoded in this file.
    fn payload_budget_spent(&self) -> bool {
        self.file.depth >= MAX_PAYLOAD_DEPTH || self.decoded_total >= MAX_DECODED_PER_FILE
    }

    /// [`Walker::try_payload`] of an expression `folder` already folded to `value`.
    fn try_folded_payload(
        &mut self,
        folder: Folder,
        value: Option<Value>,
        line: u32,
        sink: Sink,
        literal_ok: bool,
    ) -> bool {
        if self.payload_budget_spent() {
            return false;
        }
        let Some(value) = value else { return false };
        if folder.steps.is_empty() && !literal_ok {
            return false;
        }
        let Some(bytes) = value.as_bytes() else { return false };
        if bytes.len() < MIN_PAYLOAD {
            return false;
        }
        self.decoded_total += bytes.len();
        // An executable as decoded, or behind a one-byte XOR key (issue 11).
        let binary = bytes.starts_with(b"MZ")
            || bytes.starts_with(b"\x7fELF")
            || bytes.starts_with(&[0xcf, 0xfa, 0xed, 0xfe])
            || crate::inspect::rules::bundled_binary::xor_binary_kind(bytes).is_some_and(|(k, _)| k != "zip archive");
        let text = std::str::from_utf8(bytes).ok().filter(|t| looks_like_text(t));
        // A plain string counts only when it parses (below): no lexical fallback for it.
        let code = text.map(|t| {
            Box::new(analyse_source_with(
                &self.file.path,
                self.file.role,
                t.to_string(),
                self.file.depth + 1,
                !folder.steps.is_empty(),
            ))
        });
        // A plain string is only a payload when it is code: it parses and does something.
        if folder.steps.is_empty()
            && !code
                .as_ref()
                .is_some_and(|c| c.syntax_errors == 0 && (!c.calls.is_empty() || !c.imports.is_empty()))
        {
            return false;
        }
        let steps = folder.steps;
        self.facts.payloads.push(Payload {
            line,
            stage: self.stage(),
            steps,
            sink,
            size: bytes.len(),
            binary,
            code,
            text: text.map(|t| t.chars().take(4096).collect()),
        });
        true
    }
}

/// What a call's arguments hold (see [`Walker::arg_facts`]).
struct ArgFacts<'s, 'a> {
    refs: Vec<String>,
    strs: Vec<String>,
    /// The first positional argument's folder and folded value, when kept.
    first: Option<(Folder<'s, 'a>, Option<Value>)>,
}

/// [`Walker::arg_str`] of an argument already folded by `folder` to `value`.
fn folded_str(folder: &mut Folder, value: Option<Value>, arg: &Expr, positional: bool) -> Option<String> {
    let s = match value {
        Some(Value::Str(s)) if positional => s,
        Some(Value::Str(_)) => return None,
        Some(Value::List(items)) => {
            let parts: Option<Vec<String>> = items
                .into_iter()
                .map(|v| match v {
                    Value::Str(s) => Some(s),
                    _ => None,
                })
                .collect();
            parts?.join(" ")
        }
        Some(_) => return None,
        None => folder.fold_partial(arg)?,
    };
    (s.len() <= MAX_LIT).then_some(s)
}

fn looks_like_text(t: &str) -> bool {
    let sample: Vec<char> = t.chars().take(4096).collect();
    let printable = sample.iter().filter(|c| !c.is_control() || c.is_whitespace()).count();
    printable * 100 >= sample.len() * 95
}

impl<'f, 's, 'a, 'b> Visitor<'b> for Walker<'f, 's, 'a> {
    fn visit_stmt(&mut self, stmt: &'b Stmt) {
        match stmt {
            Stmt::FunctionDef(f) => {
                for d in &f.decorator_list {
                    self.visit_decorator(d);
                }
                let (saved_scope, saved_in) = (self.scope_id, self.in_function);
                self.facts.functions.push(f.name.to_string());
                self.defined.insert(f.name.to_string());
                self.scope_id = self.facts.functions.len() as u32;
                self.in_function = true;
                self.visit_parameters(&f.parameters);
                self.visit_body(&f.body);
                self.scope_id = saved_scope;
                self.in_function = saved_in;
            }
            Stmt::ClassDef(c) => {
                let bases = c
                    .arguments
                    .as_ref()
                    .map(|a| {
                        a.args
                            .iter()
                            .filter_map(|b| self.scope.qualify(b).or_else(|| name_of(b)))
                            .collect()
                    })
                    .unwrap_or_default();
                let methods = c
                    .body
                    .iter()
                    .filter_map(|s| {
                        if let Stmt::FunctionDef(f) = s {
                            Some(f.name.to_string())
                        } else {
                            None
                        }
                    })
                    .collect();
                let line = self.line(stmt);
                let stage = self.stage();
                self.facts.classes.push(Class {
                    name: c.name.to_string(),
                    line,
                    bases,
                    methods,
                    stage,
                });
                visitor::walk_stmt(self, stmt);
            }
            Stmt::Import(i) => {
                let line = self.line(stmt);
                for a in &i.names {
                    self.facts.imports.push((a.name.to_string(), line));
                }
            }
            Stmt::ImportFrom(i) => {
                let line = self.line(stmt);
                if let Some(m) = &i.module {
                    if i.level == 0 {
                        self.facts.imports.push((m.to_string(), line));
                        for a in &i.names {
                            self.facts.imports.push((format!("{m}.{}", a.name), line));
                        }
                    }
                }
            }
            // A docstring or a string used as a comment: evaluated to nothing.
            Stmt::Expr(e) if matches!(&*e.value, Expr::StringLiteral(_) | Expr::BytesLiteral(_)) => {
                if self.facts.inert.len() < 10_000 {
                    self.facts.inert.push(stmt.start().to_usize()..stmt.end().to_usize());
                }
                visitor::walk_stmt(self, stmt);
            }
            Stmt::If(s) if is_main_guard(&s.test) && self.file.role != crate::inspect::Role::SetupScript => {
                let saved = self.in_main_guard;
                self.in_main_guard = true;
                visitor::walk_stmt(self, stmt);
                self.in_main_guard = saved;
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'b Expr) {
        match expr {
            Expr::Call(call) => {
                let line = self.line(expr);
                let name = self.scope.qualify(&call.func).or_else(|| match &*call.func {
                    // A method of an unknown receiver (`f.write`, `fh.read`): `~.write`.
                    Expr::Attribute(a) => Some(format!("~.{}", a.attr.as_str())),
                    _ => None,
                });
                let local = match (&name, &*call.func) {
                    (None, Expr::Name(n)) => Some(n.id.as_str()),
                    (Some(q), Expr::Attribute(a)) if q.starts_with("~.") => Some(a.attr.as_str()),
                    _ => None,
                };
                if let Some(local) = local {
                    if !self.in_main_guard && self.facts.local_calls.len() < 100_000 {
                        self.facts.local_calls.push((local.to_string(), self.scope_id));
                    }
                }
                // Functions handed to something that calls them (`Thread(target=f)`,
                // `atexit.register(f)`, `map(f, …)`) run as if called here. A function
                // of this module defined above (`register_provider("x", scan)`) is read
                // instead: it stores its argument unless its own body says otherwise.
                let defined_here = matches!(&*call.func, Expr::Name(n) if self.defined.contains(n.id.as_str()));
                // `_send = staticmethod(_send)` in a class body wraps, it does not call.
                let wraps = match (&name, &*call.func) {
                    (Some(q), _) => vocab::keeps_callable(q),
                    (None, Expr::Name(n)) => vocab::keeps_callable(n.id.as_str()),
                    (None, _) => false,
                };
                if !defined_here && !wraps && !self.in_main_guard && self.facts.local_calls.len() < 100_000 {
                    let passed = call
                        .arguments
                        .args
                        .iter()
                        .chain(call.arguments.keywords.iter().map(|k| &k.value));
                    for arg in passed {
                        if let Expr::Name(n) = arg {
                            self.facts.local_calls.push((n.id.to_string(), self.scope_id));
                        }
                    }
                }
                let mut folded_here = false;
                if let Some(name) = &name {
                    let sink = sink_of(name);
                    let keep_first = self.folded == 0 && matches!(sink, Some(Sink::Exec | Sink::Write));
                    let ArgFacts {
                        refs: mut arg_refs,
                        strs: arg_strs,
                        first,
                    } = self.arg_facts(call, keep_first);
                    // What sends, writes and commands are built from (see `Call::arg_names`).
                    let arg_names = if sink == Some(Sink::Shell) {
                        // `run(["python", "-"], input=response)`: what a command is fed
                        // from the network is recorded like `exec(response)` (issue 11).
                        let (names, sources) = self.arg_names(call);
                        arg_refs.extend(sources.into_iter().filter(|q| vocab::is_network(q)));
                        names
                    } else if vocab::is_network(name) || name == "open" {
                        self.arg_names(call).0
                    } else if sink == Some(Sink::Exec) {
                        // `exec(code)` where `code` came from a response three assignments up.
                        let (_, sources) = self.arg_names(call);
                        arg_refs.extend(sources.into_iter().filter(|q| vocab::is_network(q)));
                        Vec::new()
                    } else {
                        Vec::new()
                    };
                    let (stage, scope) = (self.stage(), self.scope_id);
                    self.facts.calls.push(Call {
                        name: name.clone(),
                        line,
                        stage,
                        scope,
                        arg_refs,
                        arg_strs,
                        arg_names,
                    });
                    if self.folded == 0 && vocab::DECODERS.contains(&name.as_str()) {
                        let sink = self.current_sink();
                        folded_here = self.try_payload(expr, line, sink, false);
                    } else if self.folded == 0 && sink == Some(Sink::Exec) {
                        if let Some((folder, value)) = first {
                            folded_here = self.try_folded_payload(folder, value, line, Sink::Exec, true);
                        }
                    } else if self.folded == 0 && sink == Some(Sink::Shell) {
                        // `subprocess.run([sys.executable, "-c", CODE])`: CODE is executed Python.
                        if let Some(code) = self.inline_python(call) {
                            folded_here = self.try_payload(code, line, Sink::Exec, true);
                        }
                    } else if self.folded == 0 && sink == Some(Sink::Write) {
                        if let Some((folder, value)) = first {
                            folded_here = self.try_folded_payload(folder, value, line, Sink::Write, true);
                        }
                    }
                }
                let helper = matches!(&*call.func, Expr::Name(n) if self.scope.helper(n.id.as_str()).is_some());
                if !folded_here
                    && self.folded == 0
                    && (helper || name.as_deref().is_some_and(|n| n.ends_with(".decode")))
                {
                    // `"…".decode("base64")` and friends on a receiver that folds.
                    let sink = self.current_sink();
                    folded_here = self.try_payload(expr, line, sink, false);
                }
                let sink = name.as_deref().and_then(sink_of).unwrap_or(Sink::None);
                self.sinks.push(sink);
                if folded_here {
                    self.folded += 1;
                }
                visitor::walk_expr(self, expr);
                if folded_here {
                    self.folded -= 1;
                }
                self.sinks.pop();
            }
            Expr::Attribute(_) | Expr::Name(_) | Expr::Subscript(_) => {
                if let Some(name) = self.scope.qualify(expr) {
                    let line = self.line(expr);
                    let (stage, scope) = (self.stage(), self.scope_id);
                    self.facts.refs.push(Ref {
                        name,
                        line,
                        stage,
                        scope,
                    });
                }
                visitor::walk_expr(self, expr);
            }
            Expr::StringLiteral(s) => {
                let line = self.line(expr);
                self.lit(s.value.to_str().to_string(), line);
            }
            Expr::BytesLiteral(b) => {
                let line = self.line(expr);
                let bytes: Vec<u8> = b.value.bytes().collect();
                if let Ok(text) = String::from_utf8(bytes) {
                    self.lit(text, line);
                }
            }
            Expr::FString(f) => {
                let line = self.line(expr);
                let text: String = super::fold::fstring_parts(f)
                    .into_iter()
                    .map(|p| p.unwrap_or("{}"))
                    .collect();
                self.lit(text, line);
                visitor::walk_expr(self, expr);
            }
            Expr::BinOp(_) => {
                // Fold only the top of a `a + b + c` chain: folding every level is quadratic.
                let top = !self.in_binop;
                if top {
                    let mut folder = Folder::new(self.scope);
                    if let Some(Value::Str(s)) = folder.fold(expr) {
                        let line = self.line(expr);
                        self.lit(s, line);
                    }
                }
                self.in_binop = true;
                visitor::walk_expr(self, expr);
                self.in_binop = !top;
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

/// `__name__ == "__main__"` (either order).
fn is_main_guard(test: &Expr) -> bool {
    let Expr::Compare(c) = test else { return false };
    let sides = [&*c.left, c.comparators.first().unwrap_or(&*c.left)];
    sides
        .iter()
        .any(|e| matches!(e, Expr::Name(n) if n.id.as_str() == "__name__"))
        && sides
            .iter()
            .any(|e| matches!(e, Expr::StringLiteral(s) if s.value.to_str() == "__main__"))
}

fn name_of(e: &Expr) -> Option<String> {
    match e {
        Expr::Name(n) => Some(n.id.to_string()),
        Expr::Attribute(a) => Some(format!("{}.{}", name_of(&a.value)?, a.attr)),
        _ => None,
    }
}

/// Collects qualified names and string literals inside an expression.
struct RefCollector<'s, 'a> {
    scope: &'s Scope<'a>,
    refs: Vec<String>,
    strs: Vec<String>,
    /// Helper bodies expanded so far (bounded: helpers may call each other).
    expanded: u32,
}

impl<'b> Visitor<'b> for RefCollector<'_, '_> {
    fn visit_expr(&mut self, expr: &'b Expr) {
        // A call of a local helper: what the helper does counts as part of the argument.
        if let Expr::Call(c) = expr {
            if let Expr::Name(n) = &*c.func {
                if let Some(helper) = self.scope.helper(n.id.as_str()) {
                    if self.refs.len() < 256 && self.expanded < 8 {
                        self.expanded += 1;
                        let mut inner = RefCollector {
                            scope: self.scope,
                            refs: Vec::new(),
                            strs: Vec::new(),
                            expanded: self.expanded,
                        };
                        for (_, step) in &helper.steps {
                            inner.visit_expr(step);
                        }
                        inner.visit_expr(helper.ret);
                        self.refs.extend(inner.refs);
                    }
                }
            }
        }
        match expr {
            Expr::Name(_) | Expr::Attribute(_) | Expr::Call(_) | Expr::Subscript(_) => {
                if let Some(q) = self.scope.qualify(expr) {
                    if self.refs.len() < 256 {
                        self.refs.push(q);
                    }
                }
            }
            Expr::StringLiteral(s) if self.strs.len() < 64 && s.value.len() <= MAX_LIT => {
                self.strs.push(s.value.to_str().to_string());
            }
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }
}

/// Collects identifiers, attribute names and string dict keys of an
/// expression, expanding local names through their assignment (bounded).
struct NameCollector<'s, 'a> {
    scope: &'s Scope<'a>,
    names: Vec<String>,
    /// Qualified names of the calls the expression is built from.
    calls: Vec<String>,
    expanded: u32,
    /// Assignments followed to get here: names count up to one level deep
    /// (assignments are not tracked per function); calls up to [`MAX_FOLLOW`].
    depth: u32,
}

/// Assignments followed when looking for where an argument came from.
const MAX_FOLLOW: u32 = 6;

/// Labels that announce a secret in a message: `f"Token: {t}\nPass: {p}"`.
const SECRET_LABELS: &[&str] = &["token", "password", "passwd", "pass", "pwd", "cookie", "secret"];

impl NameCollector<'_, '_> {
    fn push(&mut self, name: &str) {
        if self.depth <= 1 && self.names.len() < 64 && !self.names.iter().any(|n| n == name) {
            self.names.push(name.to_string());
        }
    }
}

impl<'b> Visitor<'b> for NameCollector<'_, '_> {
    fn visit_expr(&mut self, expr: &'b Expr) {
        if self.names.len() >= 64 {
            return;
        }
        match expr {
            Expr::Name(n) => {
                self.push(n.id.as_str());
                if self.expanded < 16 && self.depth < MAX_FOLLOW {
                    if let Some([value]) = self.scope.constant(n.id.as_str()) {
                        self.expanded += 1;
                        self.depth += 1;
                        self.visit_expr(value);
                        self.depth -= 1;
                    }
                }
            }
            Expr::Attribute(a) => self.push(a.attr.as_str()),
            Expr::Call(c) => {
                if let Some(q) = self.scope.qualify(&c.func) {
                    if self.calls.len() < 64 {
                        self.calls.push(q);
                    }
                }
            }
            Expr::FString(_) => {
                if let Some(text) = Folder::new(self.scope).fold_partial(expr) {
                    let l = text.to_ascii_lowercase();
                    for label in SECRET_LABELS {
                        let announced = l.match_indices(label).any(|(i, _)| {
                            let before = l[..i].chars().next_back();
                            let after = l[i + label.len()..].trim_start_matches([' ', ':', '=']);
                            before.is_none_or(|c| !c.is_ascii_alphanumeric())
                                && l[i + label.len()..].starts_with([':', '=', ' '])
                                && after.starts_with("{}")
                        });
                        if announced {
                            self.push(if matches!(*label, "pass" | "pwd") {
                                "password"
                            } else {
                                label
                            });
                        }
                    }
                }
            }
            Expr::Dict(d) => {
                for item in &d.items {
                    if let Some(Expr::StringLiteral(k)) = &item.key {
                        let k = k.value.to_str();
                        if k.len() <= 64 {
                            self.push(k);
                        }
                    }
                }
            }
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }
}
