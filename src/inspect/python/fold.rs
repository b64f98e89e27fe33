//! Constant folding: evaluates the small, side-effect-free subset of Python
//! that obfuscators use to build strings (concatenation, `join`, slicing,
//! `chr`, `bytes.fromhex`, `replace`, decoders…). Bounded in depth and size.

use ruff_python_ast::{self as ast, Expr, Number, Operator, UnaryOp};

use super::decode::{self, MAX_DECODED};
use super::{Helper, Scope};

/// A folded constant.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Bytes(Vec<u8>),
    Int(i64),
    List(Vec<Value>),
}

impl Value {
    /// The bytes of a string or bytes value (strings as UTF-8).
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Str(s) => Some(s.as_bytes()),
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Value::Str(s) => s.len(),
            Value::Bytes(b) => b.len(),
            Value::Int(_) => 8,
            Value::List(v) => v.iter().map(Value::len).sum::<usize>() + v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn into_text(self) -> Option<String> {
        match self {
            Value::Str(s) => Some(s),
            Value::Bytes(b) => Some(String::from_utf8_lossy(&b).into_owned()),
            _ => None,
        }
    }
}

thread_local! {
    static NESTING: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Deepest nesting of folds started from name resolution.
const MAX_NESTING: u32 = 4;

/// Deepest expression nesting folded.
const MAX_DEPTH: u32 = 48;

/// Folds expressions using the constants and aliases of one source file.
pub struct Folder<'s, 'a> {
    pub scope: &'s Scope<'a>,
    /// Parameters bound while inlining a one-line helper function.
    bindings: Vec<(String, Value)>,
    /// The decoding steps applied by the last successful fold (`base64`, `zlib`…).
    pub steps: Vec<&'static str>,
    /// Nodes [`Folder::fold_partial`] may still visit (names fan out).
    budget: u32,
    /// Names being evaluated, with the index of the assignment in use: inside
    /// `Z = zlib.decompress(Z)`, `Z` is the value before that line.
    evaluating: Vec<(String, usize)>,
}

impl<'s, 'a> Folder<'s, 'a> {
    pub fn new(scope: &'s Scope<'a>) -> Self {
        Folder {
            scope,
            bindings: Vec::new(),
            steps: Vec::new(),
            budget: 0,
            evaluating: Vec::new(),
        }
    }

    pub fn fold(&mut self, expr: &Expr) -> Option<Value> {
        // Folding and name resolution call each other (`getattr(o, NAME)`);
        // bound the nesting so self-referential constants cannot recurse forever.
        NESTING.with(|n| {
            if n.get() >= MAX_NESTING {
                return None;
            }
            n.set(n.get() + 1);
            let v = self.eval(expr, 0);
            n.set(n.get() - 1);
            v
        })
    }

    pub fn fold_str(&mut self, expr: &Expr) -> Option<String> {
        match self.fold(expr)? {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Folds what can be known of a string built from parts, writing `{}` for
    /// each part that cannot be folded: `f"wget {url} -O /tmp/{name}"` →
    /// `wget {} -O /tmp/{}`; lists become their items joined by spaces (an
    /// argv). `None` when nothing literal is left.
    pub fn fold_partial(&mut self, expr: &Expr) -> Option<String> {
        let mut out = String::new();
        self.budget = 512;
        self.partial(expr, 0, &mut out);
        (out.len() <= MAX_DECODED
            && out.chars().any(|c| c.is_alphanumeric())
            && out.replace("{}", "").trim().len() >= 2)
            .then_some(out)
    }

    fn partial(&mut self, expr: &Expr, depth: u32, out: &mut String) {
        const UNKNOWN: &str = "{}";
        if depth > 16 || out.len() > MAX_DECODED || self.budget == 0 {
            out.push_str(UNKNOWN);
            return;
        }
        self.budget -= 1;
        let d = depth + 1;
        match expr {
            Expr::StringLiteral(s) => out.push_str(s.value.to_str()),
            Expr::FString(f) => {
                for part in fstring_parts(f) {
                    match part {
                        Ok(text) => out.push_str(text),
                        Err(e) => self.partial(e, d, out),
                    }
                }
            }
            Expr::BinOp(b) if matches!(b.op, Operator::Add | Operator::Mod) => {
                if let Some(Value::Str(s)) = self.fold(expr) {
                    out.push_str(&s);
                    return;
                }
                self.partial(&b.left, d, out);
                if b.op == Operator::Add {
                    self.partial(&b.right, d, out);
                }
            }
            Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. }) => {
                for (i, e) in elts.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    self.partial(e, d, out);
                }
            }
            Expr::Name(n) if self.bindings.is_empty() => match self.scope.constant(n.id.as_str()) {
                Some(parts) if parts.len() <= 16 => {
                    for part in parts {
                        self.partial(part, d, out);
                    }
                }
                _ => out.push_str(UNKNOWN),
            },
            Expr::Call(call) => match &*call.func {
                // `os.path.join(tempfile.gettempdir(), "x.exe")` → `{}/x.exe`.
                Expr::Attribute(a)
                    if a.attr.as_str() == "join"
                        && self.scope.qualify(&call.func).is_some_and(|q| q == "os.path.join") =>
                {
                    for (i, arg) in call.arguments.args.iter().enumerate() {
                        if i > 0 {
                            out.push('/');
                        }
                        self.partial(arg, d, out);
                    }
                }
                // `"…{}…".format(x)` keeps its literal text.
                Expr::Attribute(a) if a.attr.as_str() == "format" => match self.fold(expr) {
                    Some(Value::Str(s)) => out.push_str(&s),
                    _ => self.partial(&a.value, d, out),
                },
                _ => match self.fold(expr) {
                    Some(Value::Str(s)) => out.push_str(&s),
                    _ => out.push_str(UNKNOWN),
                },
            },
            _ => match self.fold(expr) {
                Some(Value::Str(s)) => out.push_str(&s),
                Some(Value::Int(i)) => out.push_str(&i.to_string()),
                _ => out.push_str(UNKNOWN),
            },
        }
    }

    fn eval(&mut self, expr: &Expr, depth: u32) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let d = depth + 1;
        let v = match expr {
            Expr::StringLiteral(s) => Value::Str(s.value.to_str().to_string()),
            Expr::BytesLiteral(b) => Value::Bytes(b.value.bytes().collect()),
            Expr::NumberLiteral(n) => match &n.value {
                Number::Int(i) => Value::Int(i.as_i64()?),
                _ => return None,
            },
            Expr::UnaryOp(u) if u.op == UnaryOp::USub => match self.eval(&u.operand, d)? {
                Value::Int(i) => Value::Int(i.checked_neg()?),
                _ => return None,
            },
            Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. }) => {
                let mut out = Vec::with_capacity(elts.len());
                for e in elts {
                    out.push(self.eval(e, d)?);
                }
                Value::List(out)
            }
            Expr::Name(n) => {
                if let Some((_, v)) = self.bindings.iter().rev().find(|(k, _)| k == n.id.as_str()) {
                    return Some(v.clone());
                }
                let name = n.id.as_str();
                // A name reassigned from itself (`Z = b64decode(Z); Z = zlib.decompress(Z)`)
                // is followed back one assignment per level (issue 11).
                let history = self.scope.history(name);
                if let Some(&(_, i)) = self.evaluating.iter().rev().find(|(k, _)| k == name) {
                    let prev = i.checked_sub(1)?;
                    self.evaluating.push((name.to_string(), prev));
                    let v = self.eval(history.get(prev)?, d);
                    self.evaluating.pop();
                    return v;
                }
                let target = self.scope.constant(name)?;
                // Only reassigned names can refer back to an earlier value of themselves.
                if history.len() < 2 {
                    return self.eval_assigned(target, d);
                }
                self.evaluating.push((name.to_string(), history.len() - 1));
                let v = self.eval_assigned(target, d);
                self.evaluating.pop();
                return v;
            }
            Expr::BinOp(b) => {
                let (l, r) = (self.eval(&b.left, d)?, self.eval(&b.right, d)?);
                binop(b.op, l, r)?
            }
            Expr::Subscript(s) => {
                let value = self.eval(&s.value, d)?;
                match &*s.slice {
                    Expr::Slice(sl) => {
                        let bound = |e: &Option<Box<Expr>>, f: &mut Self| -> Option<Option<i64>> {
                            match e {
                                Some(e) => match f.eval(e, d)? {
                                    Value::Int(i) => Some(Some(i)),
                                    _ => None,
                                },
                                None => Some(None),
                            }
                        };
                        let lower = bound(&sl.lower, self)?;
                        let upper = bound(&sl.upper, self)?;
                        let step = bound(&sl.step, self)?.unwrap_or(1);
                        if step < 0 {
                            self.note("reverse");
                        }
                        slice(value, lower, upper, step)?
                    }
                    index if !matches!(value, Value::Int(_)) => {
                        let Value::Int(i) = self.eval(index, d)? else {
                            return None;
                        };
                        index_value(&value, i)?
                    }
                    _ => return None,
                }
            }
            Expr::FString(f) => {
                let mut text = String::new();
                for part in fstring_parts(f) {
                    match part {
                        Ok(t) => text.push_str(t),
                        Err(e) => match self.eval(e, d)? {
                            Value::Str(v) => text.push_str(&v),
                            Value::Int(n) => text.push_str(&n.to_string()),
                            _ => return None,
                        },
                    }
                }
                Value::Str(text)
            }
            Expr::Call(call) => self.eval_call(call, d)?,
            Expr::ListComp(ast::ExprListComp { elt, generators, .. })
            | Expr::Generator(ast::ExprGenerator { elt, generators, .. }) => {
                self.eval_comprehension(elt, generators, d)?
            }
            _ => return None,
        };
        (v.len() <= MAX_DECODED).then_some(v)
    }

    /// Evaluates the assignment(s) recorded for a name: one value, then `+=` parts.
    fn eval_assigned(&mut self, parts: &[&'a Expr], depth: u32) -> Option<Value> {
        let mut iter = parts.iter();
        let mut acc = self.eval(iter.next()?, depth)?;
        for part in iter {
            acc = binop(Operator::Add, acc, self.eval(part, depth)?)?;
        }
        Some(acc)
    }

    fn eval_comprehension(&mut self, elt: &Expr, generators: &[ast::Comprehension], depth: u32) -> Option<Value> {
        // Only `[f(x) for x in CONST]` with f among chr/int-xor shapes.
        let [generator] = generators else { return None };
        if !generator.ifs.is_empty() {
            return None;
        }
        let Expr::Name(var) = &generator.target else {
            return None;
        };
        let Value::List(items) = self.eval(&generator.iter, depth)?.into_list()? else {
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(self.eval_with(elt, var.id.as_str(), &item, depth)?);
        }
        Some(Value::List(out))
    }

    /// Evaluates `elt` where `var` is bound to `value` (comprehension bodies).
    fn eval_with(&mut self, elt: &Expr, var: &str, value: &Value, depth: u32) -> Option<Value> {
        match elt {
            Expr::Name(n) if n.id.as_str() == var => Some(value.clone()),
            Expr::Call(call) if call.arguments.args.len() == 1 && call.arguments.keywords.is_empty() => {
                let arg = self.eval_with(&call.arguments.args[0], var, value, depth + 1)?;
                match self.scope.qualify(&call.func)?.as_str() {
                    "chr" => {
                        self.note("chr");
                        chr(&arg)
                    }
                    "ord" => match arg {
                        Value::Str(s) if s.chars().count() == 1 => Some(Value::Int(s.chars().next()? as i64)),
                        _ => None,
                    },
                    _ => None,
                }
            }
            Expr::BinOp(b) => {
                let l = self.eval_with(&b.left, var, value, depth + 1)?;
                let r = self.eval_with(&b.right, var, value, depth + 1)?;
                binop(b.op, l, r)
            }
            _ => self.eval(elt, depth + 1),
        }
    }

    fn eval_call(&mut self, call: &ast::ExprCall, depth: u32) -> Option<Value> {
        let args = &call.arguments.args;
        // Method calls on a folded receiver: "...".join(x), x.decode(), x.replace(a, b)…
        if let Expr::Attribute(attr) = &*call.func {
            if let Some(receiver) = self.eval(&attr.value, depth) {
                return self.eval_method(receiver, attr.attr.as_str(), args, depth);
            }
        }
        if let Expr::Attribute(attr) = &*call.func {
            // `oct.__str__()`: the text of a builtin, indexed by obfuscators.
            if let (Expr::Name(n), "__str__" | "__repr__") = (&*attr.value, attr.attr.as_str()) {
                if self.scope.qualify(&attr.value).is_none_or(|q| q == n.id.as_str()) {
                    return builtin_str(n.id.as_str()).map(Value::Str);
                }
            }
        }
        if let Expr::Name(n) = &*call.func {
            if let Some(helper) = self.scope.helper(n.id.as_str()) {
                return self.inline(helper, args, depth);
            }
        }
        let name = self.scope.qualify(&call.func)?;
        let arg = |f: &mut Self, i: usize| args.get(i).and_then(|a| f.eval(a, depth));
        let bytes_arg = |f: &mut Self| -> Option<Vec<u8>> { arg(f, 0)?.as_bytes().map(<[u8]>::to_vec) };
        let step = |f: &mut Self, s: &'static str, out: Option<Vec<u8>>| {
            f.steps.push(s);
            out.map(Value::Bytes)
        };
        match name.as_str() {
            "base64.b64decode"
            | "base64.standard_b64decode"
            | "base64.decodebytes"
            | "base64.decodestring"
            | "binascii.a2b_base64" => {
                let data = bytes_arg(self)?;
                step(self, "base64", decode::base64(&data))
            }
            "base64.urlsafe_b64decode" => {
                let data = bytes_arg(self)?;
                step(self, "base64", decode::base64_url(&data))
            }
            "base64.b32decode" => {
                let data = bytes_arg(self)?;
                step(self, "base32", decode::base32(&data))
            }
            "base64.b16decode" | "binascii.unhexlify" | "binascii.a2b_hex" | "bytes.fromhex" | "bytearray.fromhex" => {
                let data = bytes_arg(self)?;
                step(self, "hex", decode::hex(&data))
            }
            "base64.b85decode" => {
                let data = bytes_arg(self)?;
                step(self, "base85", decode::base85(&data))
            }
            "base64.a85decode" => {
                let data = bytes_arg(self)?;
                step(self, "ascii85", decode::ascii85(&data))
            }
            "zlib.decompress" => {
                let data = bytes_arg(self)?;
                step(self, "zlib", decode::zlib(&data))
            }
            "gzip.decompress" => {
                let data = bytes_arg(self)?;
                step(self, "gzip", decode::gzip(&data))
            }
            "bz2.decompress" => {
                let data = bytes_arg(self)?;
                step(self, "bz2", decode::bz2(&data))
            }
            "lzma.decompress" => {
                let data = bytes_arg(self)?;
                step(self, "lzma", decode::lzma(&data))
            }
            "codecs.decode" => {
                let value = arg(self, 0)?;
                let encoding = match args.get(1) {
                    Some(e) => self.eval(e, depth)?.into_text()?,
                    None => call
                        .arguments
                        .keywords
                        .iter()
                        .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "encoding"))
                        .and_then(|k| self.eval(&k.value, depth))
                        .and_then(Value::into_text)
                        .unwrap_or_else(|| "utf-8".into()),
                };
                self.decode_codec(value, &encoding)
            }
            "chr" => {
                self.note("chr");
                chr(&arg(self, 0)?)
            }
            "str" => match args.first() {
                Some(Expr::Name(n))
                    if self.scope.qualify(&args[0]).is_none() || self.scope.constant(n.id.as_str()).is_none() =>
                {
                    match self.eval(&args[0], depth) {
                        Some(v) => Some(Value::Str(v.into_text()?)),
                        None => builtin_str(n.id.as_str()).map(Value::Str),
                    }
                }
                _ => Some(Value::Str(arg(self, 0)?.into_text()?)),
            },
            "bytes" | "bytearray" => match arg(self, 0)? {
                Value::List(items) => {
                    let bytes: Option<Vec<u8>> = items
                        .iter()
                        .map(|v| {
                            if let Value::Int(i) = v {
                                u8::try_from(*i).ok()
                            } else {
                                None
                            }
                        })
                        .collect();
                    Some(Value::Bytes(bytes?))
                }
                Value::Str(s) => Some(Value::Bytes(s.into_bytes())),
                b @ Value::Bytes(_) => Some(b),
                Value::Int(_) => None,
            },
            "reversed" => {
                self.note("reverse");
                slice_step(arg(self, 0)?, -1)
            }
            "list" | "tuple" => arg(self, 0)?.into_list(),
            "map" if args.len() == 2 => {
                let func = self.scope.qualify(&args[0])?;
                let Value::List(items) = self.eval(&args[1], depth)?.into_list()? else {
                    return None;
                };
                let out: Option<Vec<Value>> = match func.as_str() {
                    "chr" => {
                        self.note("chr");
                        items.iter().map(chr).collect()
                    }
                    "str" => items.into_iter().map(|v| v.into_text().map(Value::Str)).collect(),
                    _ => None,
                };
                Some(Value::List(out?))
            }
            _ => None,
        }
    }

    /// Records an encoding step once (`chr` over a thousand characters is one step).
    fn note(&mut self, step: &'static str) {
        if self.steps.last() != Some(&step) {
            self.steps.push(step);
        }
    }

    /// Evaluates a one-line helper (`def b64(s): return b64decode(s).decode()`)
    /// with its parameters bound to the folded arguments.
    fn inline(&mut self, helper: &Helper, args: &[Expr], depth: u32) -> Option<Value> {
        if helper.params.len() != args.len() || self.bindings.len() > 32 {
            return None;
        }
        let mut values = Vec::with_capacity(args.len());
        for a in args {
            values.push(self.eval(a, depth)?);
        }
        let mark = self.bindings.len();
        self.bindings
            .extend(helper.params.iter().map(|p| p.to_string()).zip(values));
        let mut out = Some(());
        for (name, expr) in &helper.steps {
            match self.eval(expr, depth + 1) {
                Some(v) => self.bindings.push((name.to_string(), v)),
                None => {
                    out = None;
                    break;
                }
            }
        }
        let result = out.and_then(|_| self.eval(helper.ret, depth + 1));
        self.bindings.truncate(mark);
        result
    }

    fn eval_method(&mut self, receiver: Value, method: &str, args: &[Expr], depth: u32) -> Option<Value> {
        let arg = |f: &mut Self, i: usize| args.get(i).and_then(|a| f.eval(a, depth));
        match (receiver, method) {
            (Value::Str(sep), "join") => {
                let Value::List(items) = arg(self, 0)?.into_list()? else {
                    return None;
                };
                let parts: Option<Vec<String>> = items
                    .into_iter()
                    .map(|v| if let Value::Str(s) = v { Some(s) } else { None })
                    .collect();
                Some(Value::Str(parts?.join(&sep)))
            }
            (Value::Bytes(sep), "join") => {
                let Value::List(items) = arg(self, 0)?.into_list()? else {
                    return None;
                };
                let mut out = Vec::new();
                for (i, v) in items.into_iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(&sep);
                    }
                    out.extend_from_slice(&match v {
                        Value::Bytes(b) => b,
                        _ => return None,
                    });
                }
                Some(Value::Bytes(out))
            }
            (Value::Str(s), "encode") => Some(Value::Bytes(s.into_bytes())),
            (v @ (Value::Bytes(_) | Value::Str(_)), "decode") => {
                let encoding = match args.first() {
                    Some(e) => self.eval(e, depth)?.into_text()?,
                    None => "utf-8".into(),
                };
                self.decode_codec(v, &encoding)
            }
            (Value::Str(s), "replace") => {
                let (Some(Value::Str(a)), Some(Value::Str(b))) = (arg(self, 0), arg(self, 1)) else {
                    return None;
                };
                if a.is_empty() || (b.len() > a.len() && s.len() * b.len() > MAX_DECODED) {
                    return None;
                }
                Some(Value::Str(s.replace(&a, &b)))
            }
            (Value::Str(s), "strip") if args.is_empty() => Some(Value::Str(s.trim().to_string())),
            (Value::Str(s), "lower") => Some(Value::Str(s.to_lowercase())),
            (Value::Str(s), "upper") => Some(Value::Str(s.to_uppercase())),
            (Value::Str(s), "format") if args.is_empty() => Some(Value::Str(s)),
            _ => None,
        }
    }

    /// `codecs.decode(v, enc)` / `v.decode(enc)` for the encodings droppers use.
    fn decode_codec(&mut self, value: Value, encoding: &str) -> Option<Value> {
        let enc = encoding.to_ascii_lowercase().replace('-', "_");
        let bytes = value.as_bytes()?.to_vec();
        let (name, out) = match enc.as_str() {
            "utf_8" | "utf8" | "ascii" | "latin_1" | "latin1" | "unicode_escape" => {
                return Some(Value::Str(String::from_utf8_lossy(&bytes).into_owned()))
            }
            "rot13" | "rot_13" => (
                "rot13",
                Some(decode::rot13(&String::from_utf8_lossy(&bytes)).into_bytes()),
            ),
            "hex" | "hex_codec" => ("hex", decode::hex(&bytes)),
            "base64" | "base64_codec" => ("base64", decode::base64(&bytes)),
            "zlib" | "zlib_codec" | "zip" => ("zlib", decode::zlib(&bytes)),
            "bz2" | "bz2_codec" => ("bz2", decode::bz2(&bytes)),
            _ => return None,
        };
        self.steps.push(name);
        let out = out?;
        Some(if matches!(value, Value::Str(_)) && name == "rot13" {
            Value::Str(String::from_utf8_lossy(&out).into_owned())
        } else {
            Value::Bytes(out)
        })
    }
}

impl Value {
    /// Strings and bytes as lists of their items, lists as they are.
    fn into_list(self) -> Option<Value> {
        match self {
            Value::List(v) => Some(Value::List(v)),
            Value::Str(s) => Some(Value::List(s.chars().map(|c| Value::Str(c.to_string())).collect())),
            Value::Bytes(b) => Some(Value::List(b.into_iter().map(|c| Value::Int(c as i64)).collect())),
            Value::Int(_) => None,
        }
    }
}

/// `seq[i]` for strings, bytes and lists, with Python's negative indices.
/// The parts of an f-string in order: literal text, or an interpolated expression.
pub fn fstring_parts(f: &ast::ExprFString) -> Vec<Result<&str, &Expr>> {
    let mut out = Vec::new();
    for part in f.value.iter() {
        match part {
            ast::FStringPart::Literal(l) => out.push(Ok(&*l.value)),
            ast::FStringPart::FString(fs) => {
                for el in fs.elements.iter() {
                    match el {
                        ast::InterpolatedStringElement::Literal(l) => out.push(Ok(&*l.value)),
                        ast::InterpolatedStringElement::Interpolation(i) => out.push(Err(&*i.expression)),
                    }
                }
            }
        }
    }
    out
}

fn index_value(value: &Value, i: i64) -> Option<Value> {
    let at = |len: usize| -> Option<usize> {
        let i = if i < 0 { len as i64 + i } else { i };
        (0..len as i64).contains(&i).then_some(i as usize)
    };
    match value {
        Value::Str(s) => {
            let chars: Vec<char> = s.chars().collect();
            Some(Value::Str(chars[at(chars.len())?].to_string()))
        }
        Value::Bytes(b) => Some(Value::Int(b[at(b.len())?] as i64)),
        Value::List(v) => v.get(at(v.len())?).cloned(),
        Value::Int(_) => None,
    }
}

/// `str()` of a builtin name, as CPython 3 prints it.
pub fn builtin_str(name: &str) -> Option<String> {
    const FUNCTIONS: &[&str] = &[
        "abs",
        "all",
        "any",
        "ascii",
        "bin",
        "callable",
        "chr",
        "compile",
        "delattr",
        "dir",
        "divmod",
        "eval",
        "exec",
        "format",
        "getattr",
        "globals",
        "hasattr",
        "hash",
        "hex",
        "id",
        "input",
        "isinstance",
        "issubclass",
        "iter",
        "len",
        "locals",
        "max",
        "min",
        "next",
        "oct",
        "ord",
        "pow",
        "print",
        "repr",
        "round",
        "setattr",
        "sorted",
        "sum",
        "vars",
        "open",
        "__import__",
    ];
    const CLASSES: &[&str] = &[
        "str", "int", "bytes", "list", "dict", "tuple", "set", "float", "bool", "object", "type", "map", "zip", "range",
    ];
    if FUNCTIONS.contains(&name) {
        Some(format!("<built-in function {name}>"))
    } else if CLASSES.contains(&name) {
        Some(format!("<class '{name}'>"))
    } else {
        match name {
            "copyright" => Some("Copyright (c) 2001-2023 Python Software Foundation.\nAll Rights Reserved.".into()),
            "credits" => Some("    Thanks to CWI, CNRI, BeOpen.com, Zope Corporation and a cast of thousands".into()),
            "license" => Some("Type license() to see the full license text".into()),
            _ => None,
        }
    }
}

fn slice(value: Value, lower: Option<i64>, upper: Option<i64>, step: i64) -> Option<Value> {
    if lower.is_none() && upper.is_none() {
        return slice_step(value, step);
    }
    if step != 1 {
        return None;
    }
    let range = |len: usize| {
        let clamp = |i: i64| (if i < 0 { len as i64 + i } else { i }).clamp(0, len as i64) as usize;
        let lo = lower.map(clamp).unwrap_or(0);
        let hi = upper.map(clamp).unwrap_or(len);
        lo..hi.max(lo)
    };
    Some(match value {
        Value::Str(s) => {
            let chars: Vec<char> = s.chars().collect();
            Value::Str(chars[range(chars.len())].iter().collect())
        }
        Value::Bytes(b) => Value::Bytes(b[range(b.len())].to_vec()),
        Value::List(v) => Value::List(v[range(v.len())].to_vec()),
        Value::Int(_) => return None,
    })
}

fn chr(v: &Value) -> Option<Value> {
    match v {
        Value::Int(i) => Some(Value::Str(char::from_u32(u32::try_from(*i).ok()?)?.to_string())),
        _ => None,
    }
}

fn binop(op: Operator, l: Value, r: Value) -> Option<Value> {
    Some(match (op, l, r) {
        (Operator::Add, Value::Str(a), Value::Str(b)) => Value::Str(a + &b),
        (Operator::Add, Value::Bytes(mut a), Value::Bytes(b)) => {
            a.extend_from_slice(&b);
            Value::Bytes(a)
        }
        (Operator::Add, Value::List(mut a), Value::List(b)) => {
            a.extend(b);
            Value::List(a)
        }
        (Operator::Add, Value::Int(a), Value::Int(b)) => Value::Int(a.checked_add(b)?),
        (Operator::Sub, Value::Int(a), Value::Int(b)) => Value::Int(a.checked_sub(b)?),
        (Operator::BitXor, Value::Int(a), Value::Int(b)) => Value::Int(a ^ b),
        (Operator::BitOr, Value::Int(a), Value::Int(b)) => Value::Int(a | b),
        (Operator::BitAnd, Value::Int(a), Value::Int(b)) => Value::Int(a & b),
        (Operator::LShift, Value::Int(a), Value::Int(b)) if (0..32).contains(&b) => {
            Value::Int(a.checked_shl(b as u32)?)
        }
        (Operator::RShift, Value::Int(a), Value::Int(b)) if (0..64).contains(&b) => Value::Int(a >> b),
        (Operator::FloorDiv, Value::Int(a), Value::Int(b)) if b != 0 => Value::Int(a.div_euclid(b)),
        (Operator::Mod, Value::Int(a), Value::Int(b)) if b != 0 => Value::Int(a.rem_euclid(b)),
        (Operator::Mult, Value::Int(a), Value::Int(b)) => Value::Int(a.checked_mul(b)?),
        (Operator::Mult, Value::Str(s), Value::Int(n)) | (Operator::Mult, Value::Int(n), Value::Str(s)) => {
            let n = usize::try_from(n).ok()?;
            if s.len().checked_mul(n)? > MAX_DECODED {
                return None;
            }
            Value::Str(s.repeat(n))
        }
        _ => return None,
    })
}

fn slice_step(value: Value, step: i64) -> Option<Value> {
    if step == 0 {
        return None;
    }
    let n = step.unsigned_abs() as usize;
    Some(match value {
        Value::Str(s) => {
            let chars: Vec<char> = s.chars().collect();
            Value::Str(stepped(&chars, step, n).into_iter().collect())
        }
        Value::Bytes(b) => Value::Bytes(stepped(&b, step, n)),
        Value::List(v) => Value::List(stepped(&v, step, n)),
        Value::Int(_) => return None,
    })
}

fn stepped<T: Clone>(items: &[T], step: i64, n: usize) -> Vec<T> {
    if step > 0 {
        items.iter().step_by(n).cloned().collect()
    } else {
        items.iter().rev().step_by(n).cloned().collect()
    }
}
