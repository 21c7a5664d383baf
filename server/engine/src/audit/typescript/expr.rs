//! What a TypeScript or JavaScript expression stands for: the qualified name it names
//! ([`Js::qualify`]) and the string or integer it evaluates to ([`Js::fold`], [`Js::fold_int`]).

use super::*;

impl<'a> Js<'a> {
    pub(super) fn qualify(&self, n: Node<'a>, depth: u32) -> Option<Q> {
        if !self.step(depth) {
            return None;
        }
        let n = unwrap(n);
        match n.kind() {
            "identifier" | "shorthand_property_identifier" => self.resolve(&self.name(n), depth),
            "member_expression" => {
                let o = self.qualify(field(n, "object")?, depth + 1)?;
                let p = self.name(field(n, "property")?);
                Some(self.member(&o, &p))
            }
            "subscript_expression" => {
                let o = self.qualify(field(n, "object")?, depth + 1)?;
                let k = self
                    .fold(field(n, "index")?, depth + 1)
                    .filter(|k| exact(k))?;
                Some(self.member(&o, &k))
            }
            "call_expression" => {
                let f = field(n, "function")?;
                let args = self.args(n);
                if f.kind() == "import" {
                    let m = self.fold(*args.first()?, depth + 1).filter(|m| exact(m))?;
                    return self.module_of(&m).map(|m| q_module(&m));
                }
                let fq = self.qualify(f, depth + 1)?;
                match fq.name.as_str() {
                    "require" | "cjs.module.require" => {
                        let m = self.fold(*args.first()?, depth + 1).filter(|m| exact(m))?;
                        self.module_of(&m).map(|m| q_module(&m))
                    }
                    "module.createRequire" => Some(q("require")),
                    _ => None,
                }
            }
            "meta_property" => Some(q("import.meta")),
            _ => None,
        }
    }

    pub(super) fn args(&self, call: Node<'a>) -> Vec<Node<'a>> {
        match field(call, "arguments") {
            Some(a) if a.kind() == "arguments" => named_children(a),
            Some(t) => vec![t],
            None => Vec::new(),
        }
    }

    // ── string folding ────────────────────────────────────────────────────────────────────

    pub(super) fn fold(&self, n: Node<'a>, depth: u32) -> Option<String> {
        if !self.step(depth) {
            return None;
        }
        let n = unwrap(n);
        let s = match n.kind() {
            "string" => {
                let mut out = String::new();
                for c in named_children(n) {
                    match c.kind() {
                        "string_fragment" => out.push_str(self.text(c)),
                        "escape_sequence" => out.push_str(&text::decode_js(self.text(c))),
                        _ => out.push(UNKNOWN),
                    }
                }
                Some(out)
            }
            "template_string" => {
                let mut out = String::new();
                for c in named_children(n) {
                    match c.kind() {
                        "string_fragment" => out.push_str(self.text(c)),
                        "escape_sequence" => out.push_str(&text::decode_js(self.text(c))),
                        "template_substitution" => match c.named_child(0) {
                            Some(e) => out.push_str(&self.fold_or_unknown(e, depth + 1)),
                            None => out.push(UNKNOWN),
                        },
                        _ => {}
                    }
                }
                Some(out)
            }
            "binary_expression" => {
                let op = |b: Node| field(b, "operator").map(|o| self.text(o)).unwrap_or("");
                if op(n) != "+" {
                    return None;
                }
                let mut parts = Vec::new();
                let mut cur = n;
                while cur.kind() == "binary_expression" && op(cur) == "+" {
                    parts.push(field(cur, "right")?);
                    cur = unwrap(field(cur, "left")?);
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
            "identifier" => self.fold_name(&self.name(n), depth),
            "call_expression" => self.fold_call(n, depth),
            _ => None,
        };
        s.filter(|s| s.len() <= MAX_FOLD)
    }

    pub(super) fn fold_call(&self, n: Node<'a>, depth: u32) -> Option<String> {
        let f = unwrap(field(n, "function")?);
        let args = self.args(n);
        if f.kind() == "member_expression" {
            let recv = field(f, "object")?;
            let m = self.name(field(f, "property")?);
            match m.as_str() {
                "join" => {
                    let sep = match args.first() {
                        Some(a) => self.fold(*a, depth + 1).filter(|s| exact(s))?,
                        None => ",".into(),
                    };
                    return Some(self.fold_list(recv, depth + 1)?.join(&sep));
                }
                "concat" => {
                    let mut s = self.fold(recv, depth + 1)?;
                    for a in &args {
                        s.push_str(&self.fold_or_unknown(*a, depth + 1));
                    }
                    return Some(s);
                }
                "toLowerCase" => return self.fold(recv, depth + 1).map(|s| s.to_lowercase()),
                "toUpperCase" => return self.fold(recv, depth + 1).map(|s| s.to_uppercase()),
                "trim" | "normalize" => {
                    return self.fold(recv, depth + 1).map(|s| s.trim().to_string());
                }
                "replace" | "replaceAll" => {
                    let s = self.fold(recv, depth + 1)?;
                    let a = args.first().filter(|a| a.kind() != "regex")?;
                    let a = self
                        .fold(*a, depth + 1)
                        .filter(|a| exact(a) && !a.is_empty())?;
                    let b = self.fold(*args.get(1)?, depth + 1).filter(|b| exact(b))?;
                    return Some(if m == "replace" {
                        s.replacen(&a, &b, 1)
                    } else {
                        s.replace(&a, &b)
                    });
                }
                "toString" => {
                    let recv = unwrap(recv);
                    if recv.kind() == "call_expression"
                        && let Some(rf) = field(recv, "function")
                        && self
                            .qualify(rf, depth + 1)
                            .is_some_and(|q| q.name == "Buffer.from")
                    {
                        let inner = self.args(recv);
                        let s = self.fold(*inner.first()?, depth + 1).filter(|s| exact(s))?;
                        let enc = inner
                            .get(1)
                            .and_then(|e| self.fold(*e, depth + 1))
                            .unwrap_or_default()
                            .to_ascii_lowercase();
                        return match enc.as_str() {
                            "base64" | "base64url" => text::base64(&s),
                            "hex" => text::hex(&s),
                            _ => Some(s),
                        };
                    }
                    return self.fold(recv, depth + 1);
                }
                _ => {}
            }
        }
        let q = self.qualify(f, depth + 1)?;
        let first = || args.first().and_then(|a| self.fold(*a, depth + 1));
        match q.name.as_str() {
            "String" => first(),
            "String.fromCharCode" | "String.fromCodePoint" => args
                .iter()
                .map(|a| {
                    self.fold_int(*a, depth + 1)
                        .and_then(|v| u32::try_from(v).ok())
                        .and_then(char::from_u32)
                })
                .collect(),
            "atob" => text::base64(&first().filter(|s| exact(s))?),
            "decodeURIComponent" | "decodeURI" | "unescape" => {
                first().map(|s| text::percent_decode(&s))
            }
            "path.join" | "path.resolve" | "path.normalize" | "path.posix.join"
            | "path.posix.resolve" => {
                let parts: Vec<Option<String>> =
                    args.iter().map(|a| self.fold(*a, depth + 1)).collect();
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

    pub(super) fn fold_list(&self, n: Node<'a>, depth: u32) -> Option<Vec<String>> {
        if !self.step(depth) {
            return None;
        }
        let n = unwrap(n);
        match n.kind() {
            "array" => {
                let mut out = Vec::new();
                for c in named_children(n) {
                    if c.kind() == "spread_element" {
                        let inner = c.named_child(0)?;
                        out.extend(self.fold_list(inner, depth + 1)?);
                    } else {
                        out.push(self.fold_or_unknown(c, depth + 1));
                    }
                }
                Some(out)
            }
            "call_expression" => {
                let f = unwrap(field(n, "function")?);
                let args = self.args(n);
                if f.kind() == "member_expression" {
                    let recv = field(f, "object")?;
                    match self.name(field(f, "property")?).as_str() {
                        "split" => {
                            let s = self.fold(recv, depth + 1).filter(|s| exact(s))?;
                            let sep = self.fold(*args.first()?, depth + 1).filter(|s| exact(s))?;
                            return Some(if sep.is_empty() {
                                s.chars().map(String::from).collect()
                            } else {
                                s.split(sep.as_str()).map(String::from).collect()
                            });
                        }
                        "reverse" | "toReversed" => {
                            let mut l = self.fold_list(recv, depth + 1)?;
                            l.reverse();
                            return Some(l);
                        }
                        _ => {}
                    }
                }
                let q = self.qualify(f, depth + 1)?;
                if q.name == "Array.from" {
                    return self.fold_list(*args.first()?, depth + 1);
                }
                None
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
        let n = unwrap(n);
        match n.kind() {
            "number" => int_literal(self.text(n)),
            "unary_expression" => {
                let v = self.fold_int(field(n, "argument")?, depth + 1)?;
                int_unary(field(n, "operator").map(|o| self.text(o)), v)
            }
            "binary_expression" => {
                let l = self.fold_int(field(n, "left")?, depth + 1)?;
                let r = self.fold_int(field(n, "right")?, depth + 1)?;
                int_binary(field(n, "operator").map(|o| self.text(o)), l, r)
            }
            "identifier" => {
                let bs = self.names.binds.get(&self.name(n))?;
                match bs.as_slice() {
                    [Bind::Expr(e)] => self.fold_int(*e, depth + 1),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}
