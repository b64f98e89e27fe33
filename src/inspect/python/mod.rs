//! Static analysis of Python sources: parse, resolve names, fold constants,
//! decode payloads. Produces facts for the rules; never runs anything.

pub mod decode;
pub mod fold;
mod lexical;
pub mod link;
mod memo;
mod walk;

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_python_parser::{parse_unchecked, Mode, ParseOptions};

use crate::archive::Member;
use crate::inspect::rules::vocab;
use crate::inspect::{Role, Stage};

/// Deepest nesting of decoded payloads analysed (payload in payload in …).
pub const MAX_PAYLOAD_DEPTH: u8 = 6;
/// Largest source parsed into a syntax tree; larger files get the lexical scan only.
pub const MAX_PARSE: usize = 8 << 20;

/// A call with its resolved callee.
#[derive(Debug, Clone)]
pub struct Call {
    /// Qualified callee: `os.system`, `exec`, `requests.post`, `socket.socket().connect`.
    pub name: String,
    pub line: u32,
    pub stage: Stage,
    /// 0 for module level, else an id per function.
    pub scope: u32,
    /// Qualified names referenced anywhere in the arguments.
    pub arg_refs: Vec<String>,
    /// Folded string arguments (and string literals inside arguments).
    pub arg_strs: Vec<String>,
    /// Plain identifiers the arguments are built from: variable, parameter and
    /// attribute names and string dict keys, following local assignments one
    /// level (`data = {"key": private_key}; post(url, json=data)` → `data`,
    /// `key`, `private_key`). What the data *is called* is often all a static
    /// reader can know of it.
    pub arg_names: Vec<String>,
}

/// A reference to a qualified name that is not (only) a call: `os.environ`.
#[derive(Debug, Clone)]
pub struct Ref {
    pub name: String,
    pub line: u32,
    pub stage: Stage,
    pub scope: u32,
}

/// A string constant (after folding), with where it appears.
#[derive(Debug, Clone)]
pub struct Lit {
    pub value: String,
    pub line: u32,
    pub stage: Stage,
    pub scope: u32,
}

/// What a decoded payload was handed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// `exec`, `eval`, `compile`, `__import__`-style execution.
    Exec,
    /// Written to a file.
    Write,
    /// Passed to a subprocess / shell.
    Shell,
    /// Only decoded.
    None,
}

/// Data that the code decodes from a constant, decoded by guard.
#[derive(Debug, Clone)]
pub struct Payload {
    /// Line of the decoding expression in the enclosing source.
    pub line: u32,
    pub stage: Stage,
    /// Decoding steps, outermost last (`base64`, `zlib`).
    pub steps: Vec<&'static str>,
    pub sink: Sink,
    /// The decoded bytes' size.
    pub size: usize,
    /// `true` when the decoded bytes start like a native executable.
    pub binary: bool,
    /// The decoded text analysed as Python (when it is text).
    pub code: Option<Box<PyFile>>,
    /// The start of the decoded text (when it is text), for rules that read
    /// commands and URLs rather than code.
    pub text: Option<String>,
}

/// A class definition: name, resolved bases and method names.
#[derive(Debug, Clone)]
pub struct Class {
    pub name: String,
    pub line: u32,
    pub bases: Vec<String>,
    pub methods: Vec<String>,
    pub stage: Stage,
}

/// Facts about one Python source (or `.pth` file, or decoded payload).
#[derive(Debug, Clone)]
pub struct PyFile {
    /// Member path inside the archive.
    pub path: String,
    pub role: Role,
    /// 0 for a file, 1+ for payloads decoded from it.
    pub depth: u8,
    pub source: String,
    /// Byte offset of each line start in `source`.
    line_starts: Vec<usize>,
    pub syntax_errors: usize,
    pub calls: Vec<Call>,
    pub refs: Vec<Ref>,
    pub strings: Vec<Lit>,
    pub imports: Vec<(String, u32)>,
    pub payloads: Vec<Payload>,
    pub classes: Vec<Class>,
    /// Names of functions defined, by scope id (index 0 is the module).
    pub functions: Vec<String>,
    /// Local names bound to `exec`/`eval`/`compile`/`__import__` (`x = exec`).
    pub renamed_executors: Vec<(String, String)>,
    /// Calls of plain local names: (callee, calling scope id), for lifting.
    pub local_calls: Vec<(String, u32)>,
    /// Byte ranges of bare string statements (docstrings and strings used as
    /// comments): text that is never evaluated.
    pub inert: Vec<std::ops::Range<usize>>,
    /// [`PyFile::flow_scopes`]' graph of `functions` and `local_calls`, built
    /// once they are final (after the walk).
    call_graph: OnceLock<CallGraph>,
}

/// Who calls whom among the functions of one file, by scope id.
#[derive(Debug, Clone)]
struct CallGraph {
    callers: Vec<Vec<usize>>,
    callees: Vec<Vec<usize>>,
}

impl CallGraph {
    fn build(functions: &[String], local_calls: &[(String, u32)]) -> Self {
        let n = functions.len();
        let mut by_name: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        for (i, f) in functions.iter().enumerate().skip(1) {
            by_name.entry(f.as_str()).or_default().push(i);
        }
        let mut callers: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut callees: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (callee, caller) in local_calls {
            let caller = *caller as usize;
            if caller >= n {
                continue;
            }
            for &c in by_name.get(callee.as_str()).into_iter().flatten() {
                callers[c].push(caller);
                callees[caller].push(c);
            }
        }
        CallGraph { callers, callees }
    }
}

impl PyFile {
    /// The text of a 1-based line.
    pub fn line_text(&self, line: u32) -> &str {
        let i = (line as usize).saturating_sub(1);
        let Some(&start) = self.line_starts.get(i) else {
            return "";
        };
        let end = self.line_starts.get(i + 1).copied().unwrap_or(self.source.len());
        self.source.get(start..end).unwrap_or("").trim_end_matches(['\n', '\r'])
    }

    /// Whether the byte at `offset` is inside a bare string statement (a docstring).
    pub fn is_inert(&self, offset: usize) -> bool {
        self.inert.iter().any(|r| r.contains(&offset))
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> u32 {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i as u32 + 1,
            Err(i) => i as u32,
        }
    }

    /// This file and every decoded payload inside it, depth first.
    pub fn units(&self) -> Vec<&PyFile> {
        let mut out = vec![self];
        for p in &self.payloads {
            if let Some(code) = &p.code {
                out.extend(code.units());
            }
        }
        out
    }

    /// Raises the functions named `seeds`, and every local function they call
    /// (transitively), from [`Stage::Call`] to `stage`. Returns whether
    /// anything changed.
    pub fn lift_functions(&mut self, seeds: &[&str], stage: Stage) -> bool {
        let mut by_name: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        for (i, f) in self.functions.iter().enumerate().skip(1) {
            by_name.entry(f.as_str()).or_default().push(i);
        }
        let mut callees: Vec<Vec<&str>> = vec![Vec::new(); self.functions.len()];
        for (callee, caller) in &self.local_calls {
            if let (true, Some(list)) = (by_name.contains_key(callee.as_str()), callees.get_mut(*caller as usize)) {
                list.push(callee.as_str());
            }
        }
        let mut lifted = vec![false; self.functions.len()];
        let mut queue: Vec<usize> = seeds.iter().filter_map(|s| by_name.get(s)).flatten().copied().collect();
        for &i in &queue {
            lifted[i] = true;
        }
        while let Some(scope) = queue.pop() {
            for callee in &callees[scope] {
                for &i in &by_name[callee] {
                    if !lifted[i] {
                        lifted[i] = true;
                        queue.push(i);
                    }
                }
            }
        }
        let raise = |st: &mut Stage, scope: u32| -> bool {
            if *st == Stage::Call && lifted.get(scope as usize).copied().unwrap_or(false) {
                *st = stage;
                true
            } else {
                false
            }
        };
        let mut changed = false;
        for c in &mut self.calls {
            changed |= raise(&mut c.stage, c.scope);
        }
        for r in &mut self.refs {
            changed |= raise(&mut r.stage, r.scope);
        }
        for l in &mut self.strings {
            changed |= raise(&mut l.stage, l.scope);
        }
        changed
    }

    /// The scopes in one flow with `scope` (`main()` calling `download()` then `run()`): every
    /// function reached by local calls from a function that reaches `scope`.
    /// The module top level is not a common caller (everything it runs would
    /// be one flow with everything else).
    pub fn flow_scopes(&self, scope: u32) -> Vec<bool> {
        let n = self.functions.len();
        let mut out = vec![false; n];
        if scope as usize >= n {
            return out;
        }
        let graph = self.call_graph();
        // Up: the functions that reach `scope` (not the module).
        let mut up = vec![false; n];
        up[scope as usize] = true;
        let mut queue = vec![scope as usize];
        while let Some(s) = queue.pop() {
            for &c in &graph.callers[s] {
                if c != 0 && !up[c] {
                    up[c] = true;
                    queue.push(c);
                }
            }
        }
        // Down: everything those reach.
        let mut queue: Vec<usize> = (1..n).filter(|&i| up[i]).collect();
        if scope == 0 {
            queue.clear();
        }
        out[scope as usize] = true;
        for &i in &queue {
            out[i] = true;
        }
        while let Some(s) = queue.pop() {
            for &c in &graph.callees[s] {
                if !out[c] {
                    out[c] = true;
                    queue.push(c);
                }
            }
        }
        out
    }

    /// The local call graph of this file, built on first use: rules ask for
    /// the flow of every send and download, and rebuilding the graph each time
    /// cost more than the walk itself on large modules.
    fn call_graph(&self) -> &CallGraph {
        self.call_graph
            .get_or_init(|| CallGraph::build(&self.functions, &self.local_calls))
    }

    pub fn lines(&self) -> usize {
        self.line_starts.len()
    }

    /// The stage of the code at module level of this file.
    pub fn top_stage(&self) -> Stage {
        self.role.stage(true)
    }

    /// Calls whose name satisfies `pred`.
    pub fn calls_where<'s>(&'s self, pred: impl Fn(&str) -> bool + 's) -> impl Iterator<Item = &'s Call> + 's {
        self.calls.iter().filter(move |c| pred(&c.name))
    }
}

/// `true` for members whose text guard analyses as Python.
pub fn is_source(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".py") || lower.ends_with(".pyw") || lower.ends_with(".pth") || lower.contains(".data/scripts/")
}

/// Analyses an archive member.
pub fn analyse_member(member: &Member, role: Role) -> PyFile {
    let text = crate::inspect::lossy(&member.data);
    let source = if role == Role::Pth {
        pth_code(&text)
    } else {
        text.into_owned()
    };
    memo::analysed(&member.path, role, source, |source| {
        analyse_source(&member.path, role, source, 0)
    })
}

/// Keeps only the lines of a `.pth` file that Python executes (those starting
/// with `import`), blanking the rest so line numbers stay right.
fn pth_code(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.starts_with("import ") || l.starts_with("import\t") {
                l
            } else {
                ""
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Analyses Python source text. `depth` counts payload nesting.
pub fn analyse_source(path: &str, role: Role, source: String, depth: u8) -> PyFile {
    analyse_source_with(path, role, source, depth, true)
}

/// [`analyse_source`]; with `fallback` false a source that does not parse is
/// neither walked nor scanned lexically (its facts stay empty, `syntax_errors`
/// says why): for text that only counts as code when it parses.
pub fn analyse_source_with(path: &str, role: Role, source: String, depth: u8, fallback: bool) -> PyFile {
    let mut line_starts = vec![0];
    line_starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
    let mut file = PyFile {
        path: path.to_string(),
        role,
        depth,
        source,
        line_starts,
        syntax_errors: 0,
        calls: Vec::new(),
        refs: Vec::new(),
        strings: Vec::new(),
        imports: Vec::new(),
        payloads: Vec::new(),
        classes: Vec::new(),
        functions: vec![String::new()],
        renamed_executors: Vec::new(),
        local_calls: Vec::new(),
        inert: Vec::new(),
        call_graph: OnceLock::new(),
    };
    if file.source.len() <= MAX_PARSE && !too_deep(&file.source) {
        let parsed = parse_unchecked(&file.source, ParseOptions::from(Mode::Module));
        file.syntax_errors = parsed.errors().len();
        if file.syntax_errors > 0 && !fallback {
            return file;
        }
        if let ast::Mod::Module(module) = parsed.syntax() {
            let scope = Scope::build(&module.body);
            let facts = walk::walk(&file, &scope, &module.body);
            facts.apply(&mut file);
            file.renamed_executors = scope
                .renamed_executors()
                .map(|(l, q)| (l.to_string(), q.to_string()))
                .collect();
            // The name table is a hash map: sort so that the rules (which name the
            // first) say the same thing on every run.
            file.renamed_executors.sort();
        }
    } else {
        file.syntax_errors = 1;
    }
    if file.syntax_errors > 0 && fallback {
        lexical::scan(&mut file);
    }
    file
}

/// Deepest bracket nesting parsed into a tree: CPython's own limit (its
/// tokenizer's `MAXLEVEL`), so deeper sources cannot run anyway.
pub const MAX_NESTING: usize = 200;
/// Deepest indentation parsed into a tree (CPython's `MAXINDENT`).
pub const MAX_INDENT: usize = 100;
/// Most operators and prefix keywords in one logical line parsed into a tree:
/// each nests the tree a level (`1+1+…`, `- - 1`, `not not x`, `a.b.c…`).
pub const MAX_CHAIN: usize = 5_000;

/// `true` when a source nests deeper than the limits above. The parser and
/// the walk recurse per level, so such sources get the lexical scan only
/// instead of overflowing the stack (issue 7). Strings are not skipped: a
/// false alarm only costs the syntax tree, never the scan.
pub fn too_deep(source: &str) -> bool {
    let bytes = source.as_bytes();
    let n = bytes.len();
    let (mut depth, mut chain) = (0usize, 0usize);
    let mut indents: Vec<usize> = vec![0];
    let mut i = 0;
    // One logical line per turn: a line starts only after a newline outside
    // brackets, so the bracket depth is 0 there.
    loop {
        while i < n && matches!(bytes[i], b' ' | b'\t') {
            i += 1;
        }
        if i == n {
            return false;
        }
        if indent_too_deep(bytes, i, &mut indents) {
            return true;
        }
        loop {
            let Some(&b) = bytes.get(i) else { return false };
            match BYTE_CLASS[b as usize] {
                // Most bytes: nothing to count.
                ByteClass::Other => {
                    i += 1;
                    continue;
                }
                // A whole identifier, number or keyword at once: only the
                // keyword it spells matters here.
                ByteClass::Word => {
                    let start = i;
                    i += 1;
                    while i < n && BYTE_CLASS[bytes[i] as usize] == ByteClass::Word {
                        i += 1;
                    }
                    if i == n {
                        return false;
                    }
                    if i - start <= 6 && is_chain_keyword(&bytes[start..i]) {
                        chain += 1;
                        // Unless the byte after it ends the chain (`not,`).
                        let ends = match BYTE_CLASS[bytes[i] as usize] {
                            ByteClass::Sep => true,
                            ByteClass::Newline => depth == 0,
                            _ => false,
                        };
                        if chain > MAX_CHAIN && !ends {
                            return true;
                        }
                    }
                    continue;
                }
                ByteClass::Open => {
                    depth += 1;
                    if depth > MAX_NESTING {
                        return true;
                    }
                }
                ByteClass::Close => depth = depth.saturating_sub(1),
                ByteClass::Operator => chain += 1,
                // Siblings, not nesting: `[-1, -2.5, …]` tables stay parseable.
                ByteClass::Sep => chain = 0,
                ByteClass::Newline if depth == 0 => {
                    chain = 0;
                    i += 1;
                    break;
                }
                ByteClass::Newline => {}
            }
            if chain > MAX_CHAIN {
                return true;
            }
            i += 1;
        }
    }
}

/// What a byte means to [`too_deep`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum ByteClass {
    Other,
    /// Identifier bytes (`[A-Za-z0-9_]`).
    Word,
    Open,
    Close,
    /// Operators that nest the tree a level per use (`a.b.c`, `1+1+…`).
    Operator,
    /// `,` and `;`: siblings.
    Sep,
    Newline,
}

/// [`ByteClass`] by byte value: one load per byte of source.
const BYTE_CLASS: [ByteClass; 256] = {
    let mut table = [ByteClass::Other; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = match c {
            b'(' | b'[' | b'{' => ByteClass::Open,
            b')' | b']' | b'}' => ByteClass::Close,
            b'+' | b'-' | b'~' | b'*' | b'/' | b'%' | b'&' | b'|' | b'^' | b'<' | b'>' | b'@' | b'.' => {
                ByteClass::Operator
            }
            b',' | b';' => ByteClass::Sep,
            b'\n' => ByteClass::Newline,
            _ if c.is_ascii_alphanumeric() || c == b'_' => ByteClass::Word,
            _ => ByteClass::Other,
        };
        b += 1;
    }
    table
};

/// Tracks the indentation of the line whose first non-blank byte is at `i`;
/// `true` once more than [`MAX_INDENT`] levels are open. Blank and comment
/// lines do not count.
fn indent_too_deep(bytes: &[u8], i: usize, indents: &mut Vec<usize>) -> bool {
    if matches!(bytes[i], b'\n' | b'#' | b'\r') {
        return false;
    }
    let width = bytes[..i]
        .iter()
        .rev()
        .take_while(|c| **c == b' ' || **c == b'\t')
        .count();
    while indents.last().is_some_and(|w| *w > width) {
        indents.pop();
    }
    if indents.last().is_some_and(|w| *w < width) {
        indents.push(width);
        if indents.len() > MAX_INDENT {
            return true;
        }
    }
    false
}

/// Keywords that nest the tree a level per use, like the operators.
fn is_chain_keyword(word: &[u8]) -> bool {
    matches!(
        word,
        b"not" | b"lambda" | b"await" | b"if" | b"else" | b"and" | b"or" | b"in" | b"is"
    )
}

/// Names and constants of one source file, collected before the facts walk.
#[derive(Default)]
pub struct Scope<'a> {
    /// Local name → qualified name (`b` → `base64`, `s` → `os.system`).
    aliases: FxHashMap<&'a str, String>,
    /// Local name → assigned expressions (first `=`, then `+=` parts).
    constants: FxHashMap<&'a str, Vec<&'a Expr>>,
    /// One-line helper functions: name → (parameters, returned expression).
    helpers: FxHashMap<&'a str, Helper<'a>>,
    /// Every plain `name = expr` of a name, in source order (reassignments from
    /// the name itself are followed back through it).
    history: FxHashMap<&'a str, Vec<&'a Expr>>,
    /// Local functions that pass a parameter to a launch, exec or send: name → wrapped callee.
    wrappers: FxHashMap<&'a str, String>,
}

/// A small helper function guard can evaluate: positional parameters, a few
/// `name = expr` steps, then `return expr` (`def b64(s): return b64decode(s).decode()`).
pub struct Helper<'a> {
    pub params: Vec<&'a str>,
    pub steps: Vec<(&'a str, &'a Expr)>,
    pub ret: &'a Expr,
}

impl<'a> Helper<'a> {
    fn of(f: &'a ast::StmtFunctionDef, body: &[&'a Stmt]) -> Option<Helper<'a>> {
        let p = &f.parameters;
        if p.vararg.is_some() || p.kwarg.is_some() || !p.kwonlyargs.is_empty() || body.len() > 8 {
            return None;
        }
        let (last, init) = body.split_last()?;
        let Stmt::Return(ast::StmtReturn { value: Some(ret), .. }) = last else {
            return None;
        };
        let mut steps = Vec::new();
        for stmt in init {
            let Stmt::Assign(a) = stmt else { return None };
            let [Expr::Name(target)] = a.targets.as_slice() else {
                return None;
            };
            steps.push((target.id.as_str(), &*a.value));
        }
        let params = p
            .posonlyargs
            .iter()
            .chain(&p.args)
            .map(|a| a.parameter.name.as_str())
            .collect();
        Some(Helper { params, steps, ret })
    }
}

/// Modules recognised by name even without an import statement.
const WELL_KNOWN: &[&str] = &[
    "os",
    "sys",
    "subprocess",
    "requests",
    "urllib",
    "urllib2",
    "urllib3",
    "socket",
    "base64",
    "zlib",
    "marshal",
    "shutil",
    "platform",
    "getpass",
    "ctypes",
    "winreg",
    "httpx",
    "codecs",
    "binascii",
    "pty",
    "builtins",
    "importlib",
];

/// Builtins whose use matters; a bare name resolves to itself.
const BUILTINS: &[&str] = &[
    "exec",
    "eval",
    "compile",
    "open",
    "__import__",
    "getattr",
    "setattr",
    "chr",
    "ord",
    "bytes",
    "bytearray",
    "globals",
    "locals",
    "vars",
    "map",
    "input",
    "str",
    "reversed",
    "list",
    "tuple",
    "print",
    "bool",
    "int",
    "type",
    "__builtins__",
];

impl<'a> Scope<'a> {
    pub fn build(body: &'a [Stmt]) -> Scope<'a> {
        let mut scope = Scope::default();
        scope.collect(body);
        scope.find_wrappers(body);
        scope
    }

    /// Module-level functions that hand a parameter straight to a process
    /// launch, `exec` or a network send (`def run(c): Popen(c, shell=True)`):
    /// a call of the wrapper is a call of what it wraps, one level deep (issue 11).
    fn find_wrappers(&mut self, body: &'a [Stmt]) {
        use ruff_python_ast::visitor::{self as v, Visitor};
        struct Sinks<'s, 'a> {
            scope: &'s Scope<'a>,
            params: Vec<&'a str>,
            found: Option<String>,
            /// A parameter went into a request object (`Request(url, data=…)`),
            /// which the next `urlopen(req)` sends.
            request: bool,
        }
        impl<'b> Visitor<'b> for Sinks<'_, '_> {
            fn visit_expr(&mut self, expr: &'b Expr) {
                if self.found.is_some() {
                    return;
                }
                if let Expr::Call(call) = expr {
                    if let Some(q) = self.scope.qualify(&call.func) {
                        // Sends, not fetches: a `get(url)` helper is every client's first function.
                        let sink = vocab::is_shell(&q)
                            || vocab::is_exec(&q)
                            || (vocab::is_network(&q)
                                && !(q.ends_with(".get") || q.ends_with("urlretrieve") || q.contains("clone"))
                                && q != "wget.download");
                        let param = |e: &Expr| matches!(e, Expr::Name(n) if self.params.contains(&n.id.as_str()));
                        let passes = call.arguments.args.iter().take(1).any(|a| {
                            param(a)
                                || matches!(a, Expr::List(l) if l.elts.iter().any(param))
                                || matches!(a, Expr::Starred(st) if param(&st.value))
                        }) || call.arguments.keywords.iter().any(|k| {
                            k.arg
                                .as_ref()
                                .is_some_and(|a| matches!(a.as_str(), "args" | "url" | "cmd"))
                                && param(&k.value)
                        });
                        if sink && passes {
                            self.found = Some(q);
                            return;
                        }
                        if passes && matches!(q.as_str(), "urllib.request.Request" | "urllib2.Request") {
                            self.request = true;
                        }
                        // `urlopen(req)` of the request built from the parameter.
                        let opens =
                            q.ends_with("urlopen") && matches!(call.arguments.args.first(), Some(Expr::Name(_)));
                        if self.request && opens {
                            self.found = Some(q);
                            return;
                        }
                    }
                }
                v::walk_expr(self, expr);
            }
        }
        let mut found = Vec::new();
        for stmt in body {
            let Stmt::FunctionDef(f) = stmt else { continue };
            if f.body.len() > 12 || self.aliases.contains_key(f.name.as_str()) {
                continue;
            }
            let p = &f.parameters;
            let params: Vec<&'a str> = p
                .posonlyargs
                .iter()
                .chain(&p.args)
                .map(|a| a.parameter.name.as_str())
                .chain(p.vararg.as_ref().map(|a| a.name.as_str()))
                .collect();
            if params.is_empty() {
                continue;
            }
            let mut sinks = Sinks {
                scope: self,
                params,
                found: None,
                request: false,
            };
            for stmt in &f.body {
                sinks.visit_stmt(stmt);
            }
            if let Some(q) = sinks.found {
                found.push((f.name.as_str(), q));
            }
        }
        self.wrappers.extend(found);
    }

    fn collect(&mut self, body: &'a [Stmt]) {
        for stmt in body {
            match stmt {
                Stmt::Import(i) => {
                    for alias in &i.names {
                        let full = alias.name.as_str();
                        match &alias.asname {
                            Some(as_) => {
                                self.aliases.insert(as_.as_str(), full.to_string());
                            }
                            None => {
                                let root = full.split('.').next().unwrap_or(full);
                                self.aliases.insert(root, root.to_string());
                            }
                        }
                    }
                }
                Stmt::ImportFrom(i) if i.level == 0 => {
                    let Some(module) = &i.module else { continue };
                    for alias in &i.names {
                        let local = alias.asname.as_ref().unwrap_or(&alias.name).as_str();
                        self.aliases
                            .insert(local, format!("{}.{}", module.as_str(), alias.name.as_str()));
                    }
                }
                // `from .loader import run` → `.loader.run`: resolved against the
                // artifact's own modules by [`link`].
                Stmt::ImportFrom(i) if i.level <= 8 => {
                    let dots = ".".repeat(i.level as usize);
                    let module = i.module.as_ref().map(|m| format!("{m}.")).unwrap_or_default();
                    for alias in &i.names {
                        if alias.name.as_str() == "*" {
                            continue;
                        }
                        let local = alias.asname.as_ref().unwrap_or(&alias.name).as_str();
                        self.aliases
                            .insert(local, format!("{dots}{module}{}", alias.name.as_str()));
                    }
                }
                Stmt::Assign(a) => {
                    for target in &a.targets {
                        self.assign(target, &a.value);
                    }
                }
                Stmt::AnnAssign(a) => {
                    if let Some(v) = &a.value {
                        self.assign(&a.target, v);
                    }
                }
                // `with urlopen(u) as resp:` binds `resp` as `resp = urlopen(u)` would.
                Stmt::With(w) => {
                    for item in &w.items {
                        if let Some(target @ Expr::Name(_)) = item.optional_vars.as_deref() {
                            self.assign(target, &item.context_expr);
                        }
                    }
                }
                Stmt::AugAssign(a) if a.op == ast::Operator::Add => {
                    if let Expr::Name(n) = &*a.target {
                        if let Some(parts) = self.constants.get_mut(n.id.as_str()) {
                            if parts.len() < 10_000 {
                                parts.push(&a.value);
                            }
                        }
                    }
                }
                _ => {}
            }
            // Recurse into nested bodies: aliases are flow-insensitive on purpose.
            match stmt {
                Stmt::FunctionDef(f) => {
                    let body: Vec<&Stmt> = f
                        .body
                        .iter()
                        .filter(|s| !matches!(s, Stmt::Expr(e) if e.value.is_string_literal_expr()))
                        .collect();
                    if let Some(helper) = Helper::of(f, &body) {
                        self.helpers.insert(f.name.as_str(), helper);
                    }
                    self.collect(&f.body)
                }
                Stmt::ClassDef(c) => self.collect(&c.body),
                Stmt::If(s) => {
                    self.collect(&s.body);
                    for clause in &s.elif_else_clauses {
                        self.collect(&clause.body);
                    }
                }
                Stmt::For(s) => self.collect(&s.body),
                Stmt::While(s) => self.collect(&s.body),
                Stmt::With(s) => self.collect(&s.body),
                Stmt::Try(s) => {
                    self.collect(&s.body);
                    for h in &s.handlers {
                        let ast::ExceptHandler::ExceptHandler(h) = h;
                        self.collect(&h.body);
                    }
                    self.collect(&s.orelse);
                    self.collect(&s.finalbody);
                }
                _ => {}
            }
        }
    }

    fn assign(&mut self, target: &'a Expr, value: &'a Expr) {
        match target {
            Expr::Name(n) if matches!(value, Expr::Lambda(_)) => {
                // `f = lambda x: decode(x)` is a helper like a one-line `def`.
                let Expr::Lambda(l) = value else { return };
                let params = match &l.parameters {
                    None => Vec::new(),
                    Some(p) if p.vararg.is_none() && p.kwarg.is_none() && p.kwonlyargs.is_empty() => p
                        .posonlyargs
                        .iter()
                        .chain(&p.args)
                        .map(|a| a.parameter.name.as_str())
                        .collect(),
                    Some(_) => return,
                };
                self.helpers.insert(
                    n.id.as_str(),
                    Helper {
                        params,
                        steps: Vec::new(),
                        ret: &l.body,
                    },
                );
            }
            Expr::Name(n) => {
                let name = n.id.as_str();
                if let Some(q) = self.qualify(value) {
                    // `x = b64decode(BLOB)` is both a call result and data guard can fold:
                    // `exec(x)` must see the decoded value (issue 11).
                    let decoded = q.strip_suffix("()").is_some_and(|f| {
                        crate::inspect::rules::vocab::DECODERS.contains(&f)
                            || f == "marshal.loads"
                            || f.ends_with(".decode")
                    });
                    if decoded {
                        self.constants.insert(name, vec![value]);
                        let h = self.history.entry(name).or_default();
                        if h.len() >= 64 {
                            h.remove(0);
                        }
                        h.push(value);
                    }
                    self.aliases.insert(name, q);
                } else {
                    self.constants.insert(name, vec![value]);
                    let h = self.history.entry(name).or_default();
                    if h.len() >= 64 {
                        h.remove(0);
                    }
                    h.push(value);
                }
            }
            Expr::Tuple(t) => {
                if let Expr::Tuple(v) = value {
                    for (t, v) in t.elts.iter().zip(&v.elts) {
                        self.assign(t, v);
                    }
                }
            }
            _ => {}
        }
    }

    pub fn helper(&self, name: &str) -> Option<&Helper<'a>> {
        self.helpers.get(name)
    }

    /// Local names bound to `exec`/`eval`/`compile`/`__import__` under another name.
    pub fn renamed_executors(&self) -> impl Iterator<Item = (&'a str, &str)> + '_ {
        self.aliases
            .iter()
            .filter(|(local, q)| {
                matches!(q.as_str(), "exec" | "eval" | "compile" | "__import__") && **local != q.as_str()
            })
            .map(|(l, q)| (*l, q.as_str()))
    }

    /// The plain assignments of `name`, in source order.
    pub fn history(&self, name: &str) -> &[&'a Expr] {
        self.history.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn constant(&self, name: &str) -> Option<&[&'a Expr]> {
        self.constants.get(name).map(Vec::as_slice)
    }

    /// The qualified name an expression refers to, when it can be known statically.
    pub fn qualify(&self, expr: &Expr) -> Option<String> {
        self.qualify_depth(expr, 0)
    }

    fn qualify_depth(&self, expr: &Expr, depth: u32) -> Option<String> {
        if depth > 32 {
            return None;
        }
        let q = match expr {
            Expr::Name(n) => {
                let id = n.id.as_str();
                match self.aliases.get(id) {
                    Some(q) => q.clone(),
                    None if BUILTINS.contains(&id) => id.to_string(),
                    None if self.wrappers.contains_key(id) => self.wrappers[id].clone(),
                    // A well-known module used without a visible import (imported in
                    // code guard could not see, or by `exec`): still that module.
                    None if WELL_KNOWN.contains(&id) && !self.constants.contains_key(id) => id.to_string(),
                    None => return None,
                }
            }
            // `os.system.__call__` is `os.system` (issue 11).
            Expr::Attribute(a) if a.attr.as_str() == "__call__" => self.qualify_depth(&a.value, depth + 1)?,
            // Grows the base's own string: a dotted chain costs no allocation per level.
            Expr::Attribute(a) => {
                let mut q = self.qualify_depth(&a.value, depth + 1)?;
                q.push('.');
                q.push_str(a.attr.as_str());
                q
            }
            Expr::Call(c) => {
                let func = self.qualify_depth(&c.func, depth + 1)?;
                let first = c.arguments.args.first();
                match func.as_str() {
                    "eval" if first.is_some() => {
                        // `eval("exec")`, `eval("o" + "s.sys" + "tem")` evaluate to the callable itself.
                        let mut folder = fold::Folder::new(self);
                        let name = folder.fold_str(first?)?;
                        let simple =
                            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
                        if !simple {
                            return None;
                        }
                        name
                    }
                    "__import__" | "importlib.import_module" => {
                        let mut folder = fold::Folder::new(self);
                        folder.fold_str(first?)?
                    }
                    // `vars(os)` is `os.__dict__`; `vars()` alone stays the local namespace.
                    "vars" if first.is_some() => format!("{}.__dict__", self.qualify_depth(first?, depth + 1)?),
                    "getattr" => {
                        let obj = self.qualify_depth(first?, depth + 1)?;
                        let mut folder = fold::Folder::new(self);
                        let attr = folder.fold_str(c.arguments.args.get(1)?)?;
                        format!("{obj}.{attr}")
                    }
                    // A Unix-domain socket talks to a process on this machine: a
                    // `connect` on it is no network (`socket.socket(AF_UNIX)`).
                    "socket.socket"
                        if c.arguments.args.first().map_or_else(
                            || {
                                c.arguments.keywords.iter().any(|k| {
                                    k.arg.as_ref().is_some_and(|a| a.as_str() == "family")
                                        && self.qualify_depth(&k.value, depth + 1).as_deref() == Some("socket.AF_UNIX")
                                })
                            },
                            |a| self.qualify_depth(a, depth + 1).as_deref() == Some("socket.AF_UNIX"),
                        ) =>
                    {
                        "socket.socket(AF_UNIX)".to_string()
                    }
                    _ => format!("{func}()"),
                }
            }
            Expr::Subscript(s) => {
                let base = self.qualify_depth(&s.value, depth + 1)?;
                let mut folder = fold::Folder::new(self);
                let key = folder.fold_str(&s.slice)?;
                match base.as_str() {
                    "sys.modules" => key,
                    "__builtins__" | "globals()" | "vars()" | "locals()" | "builtins.__dict__" | "__dict__" => key,
                    // `os.__dict__['system']`, `vars(os)['system']` are attributes (issue 11).
                    _ if base.ends_with(".__dict__") => format!("{}.{key}", &base[..base.len() - ".__dict__".len()]),
                    _ => format!("{base}[{key}]"),
                }
            }
            _ => return None,
        };
        Some(normalize_builtin(q))
    }
}

/// `builtins.exec`, `__builtins__.exec`, `globals()['__builtins__'].exec` → `exec`.
fn normalize_builtin(q: String) -> String {
    for prefix in ["builtins.", "__builtins__.", "__builtin__.", "__builtins__()."] {
        if let Some(rest) = q.strip_prefix(prefix) {
            return rest.to_string();
        }
    }
    q
}

#[cfg(test)]
mod tests;
