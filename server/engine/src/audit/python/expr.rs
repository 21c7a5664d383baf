//! What a Python expression stands for: the qualified name it names ([`Py::qualify`]) and the
//! string or integer it evaluates to ([`Py::fold`], [`Py::fold_int`]).

use super::*;

impl<'a> Py<'a> {
    /// The qualified name an expression stands for, when the audit can tell.
    pub(super) fn qualify(&self, n: Node<'a>, depth: u32) -> Option<Q> {
        if !self.step(depth) {
            return None;
        }
        match n.kind() {
            "identifier" => self.resolve(self.text(n), depth),
            "attribute" => {
                let o = self.qualify(field(n, "object")?, depth + 1)?;
                let a = self.text(field(n, "attribute")?);
                Some(q(&format!("{}.{a}", o.name)))
            }
            "subscript" => {
                let value = field(n, "value")?;
                let key = self
                    .fold(field(n, "subscript")?, depth + 1)
                    .filter(|k| exact(k))?;
                let vq = self.qualify(value, depth + 1)?;
                if vq.name == "sys.modules" {
                    return Some(q_module(&key));
                }
                if vq.name == "builtins.globals()" {
                    return self.resolve(&key, depth + 1);
                }
                if let Some(m) = vq.name.strip_suffix(".__dict__") {
                    return Some(q(&format!("{m}.{key}")));
                }
                if vq.name == "builtins" {
                    return Some(q(&format!("builtins.{key}")));
                }
                None
            }
            "call" => {
                let f = self.qualify(field(n, "function")?, depth + 1)?;
                let (pos, _) = self.args(n);
                match f.name.as_str() {
                    "builtins.__import__" | "importlib.import_module" | "importlib.__import__" => {
                        let m = self.fold(*pos.first()?, depth + 1).filter(|m| exact(m))?;
                        Some(q_module(&m))
                    }
                    "builtins.getattr" => {
                        let o = self.qualify(*pos.first()?, depth + 1)?;
                        let a = self.fold(*pos.get(1)?, depth + 1).filter(|a| exact(a))?;
                        Some(q(&format!("{}.{a}", o.name)))
                    }
                    "builtins.vars" if pos.len() == 1 => {
                        let o = self.qualify(pos[0], depth + 1)?;
                        Some(q(&format!("{}.__dict__", o.name)))
                    }
                    "builtins.vars" | "builtins.globals" | "builtins.locals" if pos.is_empty() => {
                        Some(q("builtins.globals()"))
                    }
                    _ => None,
                }
            }
            "parenthesized_expression" => self.qualify(n.named_child(0)?, depth + 1),
            _ => None,
        }
    }

    /// Positional and keyword arguments of a call.
    pub(super) fn args(&self, call: Node<'a>) -> (Vec<Node<'a>>, Vec<(&'a str, Node<'a>)>) {
        let mut pos = Vec::new();
        let mut kw = Vec::new();
        if let Some(al) = field(call, "arguments") {
            if al.kind() != "argument_list" {
                pos.push(al);
            } else {
                for a in named_children(al) {
                    match a.kind() {
                        "keyword_argument" => {
                            if let (Some(k), Some(v)) = (field(a, "name"), field(a, "value")) {
                                kw.push((self.text(k), v));
                            }
                        }
                        _ => pos.push(a),
                    }
                }
            }
        }
        (pos, kw)
    }

    pub(super) fn arg(&self, call: Node<'a>, i: usize, key: &str) -> Option<Node<'a>> {
        let (pos, kw) = self.args(call);
        pos.get(i)
            .copied()
            .or_else(|| kw.iter().find(|(k, _)| *k == key).map(|(_, v)| *v))
    }

    // ── string folding ────────────────────────────────────────────────────────────────────

    /// The string an expression evaluates to, as far as the audit can compute it: literals,
    /// f-strings, `+`, `%`, `str.format`, `join`, `chr`, `[::-1]`, `os.path.join`, `Path(…)`,
    /// base64/hex/rot13, names bound once. Unknown parts are [`UNKNOWN`]; `None` if nothing is
    /// known.
    pub(super) fn fold(&self, n: Node<'a>, depth: u32) -> Option<String> {
        if !self.step(depth) {
            return None;
        }
        let s = match n.kind() {
            "string" => Some(self.fold_string(n, depth)),
            "concatenated_string" => Some(
                named_children(n)
                    .into_iter()
                    .map(|c| self.fold_or_unknown(c, depth + 1))
                    .collect(),
            ),
            "parenthesized_expression" => self.fold(n.named_child(0)?, depth + 1),
            "binary_operator" => self.fold_binary(n, depth),
            "identifier" => self.fold_name(self.text(n), depth),
            "call" => self.fold_call(n, depth),
            "subscript" => {
                let slice = field(n, "subscript")?;
                if slice.kind() == "slice" && self.text(slice).replace(' ', "") == "::-1" {
                    self.fold(field(n, "value")?, depth + 1)
                        .map(|s| s.chars().rev().collect())
                } else {
                    None
                }
            }
            _ => None,
        };
        s.filter(|s| s.len() <= MAX_FOLD)
    }

    pub(super) fn fold_string(&self, n: Node<'a>, depth: u32) -> String {
        let start = n
            .child(0)
            .map(|s| self.text(s).to_ascii_lowercase())
            .unwrap_or_default();
        let raw = start.contains('r');
        let formatted = start.contains('f') || start.contains('t');
        let mut out = String::new();
        for c in named_children(n) {
            match c.kind() {
                "string_content" => {
                    let t = self.text(c);
                    let t = if formatted {
                        t.replace("{{", "{").replace("}}", "}")
                    } else {
                        t.to_string()
                    };
                    out.push_str(&if raw { t } else { text::decode_py(&t) });
                }
                "interpolation" => match field(c, "expression") {
                    Some(e) => out.push_str(&self.fold_or_unknown(e, depth + 1)),
                    None => out.push(UNKNOWN),
                },
                _ => {}
            }
        }
        out
    }

    pub(super) fn fold_binary(&self, n: Node<'a>, depth: u32) -> Option<String> {
        let op = |b: Node| field(b, "operator").map(|o| self.text(o)).unwrap_or("");
        match op(n) {
            "+" => {
                // `a + b + c` nests to the left: walk the spine instead of recursing.
                let mut parts = Vec::new();
                let mut cur = n;
                while cur.kind() == "binary_operator" && op(cur) == "+" {
                    parts.push(field(cur, "right")?);
                    cur = field(cur, "left")?;
                }
                parts.push(cur);
                parts.reverse();
                let folded: Vec<Option<String>> =
                    parts.iter().map(|p| self.fold(*p, depth + 1)).collect();
                if folded.iter().all(Option::is_none) {
                    return None;
                }
                Some(
                    folded
                        .into_iter()
                        .map(|f| f.unwrap_or_else(|| UNKNOWN.to_string()))
                        .collect(),
                )
            }
            "%" => {
                let t = self
                    .fold(field(n, "left")?, depth + 1)
                    .filter(|t| exact(t))?;
                let right = unparen(field(n, "right")?);
                let args: Vec<Option<String>> = if right.kind() == "tuple" {
                    named_children(right)
                        .into_iter()
                        .map(|a| self.fold(a, depth + 1))
                        .collect()
                } else {
                    vec![self.fold(right, depth + 1)]
                };
                Some(text::py_percent(&t, &args))
            }
            "/" => {
                let l = self.fold(field(n, "left")?, depth + 1)?;
                let r = self.fold_or_unknown(field(n, "right")?, depth + 1);
                Some(text::path_join(&[l, r]))
            }
            _ => None,
        }
    }

    pub(super) fn fold_call(&self, n: Node<'a>, depth: u32) -> Option<String> {
        let f = field(n, "function")?;
        let (pos, kw) = self.args(n);
        if f.kind() == "attribute"
            && let Some(s) = self.fold_method(f, &pos, &kw, depth)
        {
            return Some(s);
        }
        let q = self.qualify(f, depth + 1)?;
        let first = || pos.first().and_then(|a| self.fold(*a, depth + 1));
        match q.name.as_str() {
            "builtins.str" | "os.fsdecode" | "os.fsencode" => first(),
            "builtins.bytes" | "builtins.bytearray" => {
                let a = *pos.first()?;
                if matches!(a.kind(), "list" | "tuple") {
                    self.fold_list(a, depth + 1).map(|l| l.concat())
                } else {
                    first()
                }
            }
            "builtins.chr" => {
                let v = self.fold_int(*pos.first()?, depth + 1)?;
                char::from_u32(u32::try_from(v).ok()?).map(String::from)
            }
            "builtins.bytes.fromhex" | "builtins.bytearray.fromhex" => {
                text::hex(&first().filter(|s| exact(s))?)
            }
            "base64.b64decode"
            | "base64.standard_b64decode"
            | "base64.urlsafe_b64decode"
            | "base64.decodebytes" => text::base64(&first().filter(|s| exact(s))?),
            "codecs.decode" => {
                let s = first().filter(|s| exact(s))?;
                let how = pos
                    .get(1)
                    .and_then(|a| self.fold(*a, depth + 1))
                    .unwrap_or_default()
                    .to_ascii_lowercase()
                    .replace(['_', '-'], "");
                match how.as_str() {
                    "rot13" => Some(text::rot13(&s)),
                    "hex" => text::hex(&s),
                    "base64" => text::base64(&s),
                    _ => None,
                }
            }
            "urllib.parse.unquote" | "urllib.parse.unquote_plus" => {
                first().map(|s| text::percent_decode(&s))
            }
            "os.path.join"
            | "pathlib.Path"
            | "pathlib.PurePath"
            | "pathlib.PosixPath"
            | "pathlib.PurePosixPath" => {
                let parts: Vec<Option<String>> =
                    pos.iter().map(|a| self.fold(*a, depth + 1)).collect();
                if parts.iter().all(Option::is_none) {
                    return None;
                }
                let parts: Vec<String> = parts
                    .into_iter()
                    .map(|p| p.unwrap_or_else(|| UNKNOWN.to_string()))
                    .collect();
                Some(text::path_join(&parts))
            }
            _ => None,
        }
    }

    /// `sep.join(…)`, `t.format(…)`, `s.lower()`, `s.replace(a, b)`, ….
    pub(super) fn fold_method(
        &self,
        f: Node<'a>,
        pos: &[Node<'a>],
        kw: &[(&'a str, Node<'a>)],
        depth: u32,
    ) -> Option<String> {
        let recv = field(f, "object")?;
        match self.text(field(f, "attribute")?) {
            "join" => {
                let sep = self.fold(recv, depth + 1).filter(|s| exact(s))?;
                let items = self.fold_list(*pos.first()?, depth + 1)?;
                Some(items.join(&sep))
            }
            "format" => {
                let t = self.fold(recv, depth + 1).filter(|t| exact(t))?;
                let positional: Vec<Option<String>> =
                    pos.iter().map(|a| self.fold(*a, depth + 1)).collect();
                let named: Vec<(String, Option<String>)> = kw
                    .iter()
                    .map(|(k, v)| (k.to_string(), self.fold(*v, depth + 1)))
                    .collect();
                Some(text::py_format(&t, &positional, &named))
            }
            "lower" | "casefold" => self.fold(recv, depth + 1).map(|s| s.to_lowercase()),
            "upper" => self.fold(recv, depth + 1).map(|s| s.to_uppercase()),
            "strip" | "lstrip" | "rstrip" if pos.is_empty() => {
                self.fold(recv, depth + 1).map(|s| s.trim().to_string())
            }
            "replace" => {
                let s = self.fold(recv, depth + 1)?;
                let a = self.fold(*pos.first()?, depth + 1).filter(|a| exact(a))?;
                let b = self.fold(*pos.get(1)?, depth + 1).filter(|b| exact(b))?;
                (!a.is_empty()).then(|| s.replace(&a, &b))
            }
            "decode" | "encode" => self.fold(recv, depth + 1),
            _ => None,
        }
    }

    /// The items of something `join` can iterate: a list/tuple/set literal, `reversed(…)`,
    /// `list(…)`, `map(chr, …)`, `s.split(…)`, or a string (its characters).
    pub(super) fn fold_list(&self, n: Node<'a>, depth: u32) -> Option<Vec<String>> {
        if !self.step(depth) {
            return None;
        }
        let n = unparen(n);
        match n.kind() {
            "list" | "tuple" | "set" => Some(
                named_children(n)
                    .into_iter()
                    .map(|c| self.fold_or_unknown(c, depth + 1))
                    .collect(),
            ),
            "call" => {
                let f = field(n, "function")?;
                let (pos, _) = self.args(n);
                if f.kind() == "attribute"
                    && field(f, "attribute").map(|a| self.text(a)) == Some("split")
                {
                    let s = self
                        .fold(field(f, "object")?, depth + 1)
                        .filter(|s| exact(s))?;
                    return match pos.first() {
                        Some(sep) => {
                            let sep = self
                                .fold(*sep, depth + 1)
                                .filter(|s| exact(s) && !s.is_empty())?;
                            Some(s.split(sep.as_str()).map(String::from).collect())
                        }
                        None => Some(s.split_whitespace().map(String::from).collect()),
                    };
                }
                let q = self.qualify(f, depth + 1)?;
                match q.name.as_str() {
                    "builtins.reversed" => {
                        let mut l = self.fold_list(*pos.first()?, depth + 1)?;
                        l.reverse();
                        Some(l)
                    }
                    "builtins.list" | "builtins.tuple" => self.fold_list(*pos.first()?, depth + 1),
                    "builtins.map" => {
                        let func = self.qualify(*pos.first()?, depth + 1)?;
                        if func.name != "builtins.chr" {
                            return None;
                        }
                        let items = unparen(*pos.get(1)?);
                        named_children(items)
                            .into_iter()
                            .map(|i| {
                                self.fold_int(i, depth + 1)
                                    .and_then(|v| u32::try_from(v).ok())
                                    .and_then(char::from_u32)
                                    .map(String::from)
                            })
                            .collect()
                    }
                    _ => self
                        .fold(n, depth + 1)
                        .map(|s| s.chars().map(String::from).collect()),
                }
            }
            _ => self
                .fold(n, depth + 1)
                .map(|s| s.chars().map(String::from).collect()),
        }
    }

    pub(super) fn fold_int(&self, n: Node<'a>, depth: u32) -> Option<i64> {
        if !self.step(depth) {
            return None;
        }
        let n = unparen(n);
        match n.kind() {
            "integer" => int_literal(self.text(n)),
            "unary_operator" => {
                let v = self.fold_int(field(n, "argument")?, depth + 1)?;
                int_unary(field(n, "operator").map(|o| self.text(o)), v)
            }
            "binary_operator" => {
                let l = self.fold_int(field(n, "left")?, depth + 1)?;
                let r = self.fold_int(field(n, "right")?, depth + 1)?;
                int_binary(field(n, "operator").map(|o| self.text(o)), l, r)
            }
            "call" => {
                let q = self.qualify(field(n, "function")?, depth + 1)?;
                let (pos, _) = self.args(n);
                if q.name == "builtins.ord" {
                    let s = self.fold(*pos.first()?, depth + 1)?;
                    let mut cs = s.chars();
                    match (cs.next(), cs.next()) {
                        (Some(c), None) if c != UNKNOWN => Some(c as i64),
                        _ => None,
                    }
                } else {
                    None
                }
            }
            _ => None,
        }
    }
}
