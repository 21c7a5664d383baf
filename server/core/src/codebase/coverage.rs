//! Coverage: which test functions call each listed function, through the test files' imports.

use super::*;

/// Where a listed function is: (unit, class or `usize::MAX` for a free function, index).
pub(super) type FnRef = (usize, usize, usize);
pub(super) const FREE: usize = usize::MAX;

/// Marks each listed function with the tests that call it. Every lookup goes through a map
/// keyed by unit and name, so the cost is the calls times the units a call can reach, never
/// the number of functions that happen to share a name.
pub(super) fn map_coverage(units: &mut [Unit], tests: &[TestUnit], ctx: &Context) {
    if tests.is_empty() {
        return;
    }
    let ctor = match ctx.language {
        Language::Python => "__init__",
        Language::TypeScript => "constructor",
    };
    let mut hits: HashMap<FnRef, Vec<&str>> = HashMap::new();
    {
        let index = Index::new(units, ctx, ctor);
        for t in tests {
            let resolver = index.resolver(t);
            for case in &t.tests {
                let mut seen: HashSet<FnRef> = HashSet::new();
                for call in &case.calls {
                    let mut found = Vec::new();
                    resolver.resolve(call, &mut found);
                    for r in found {
                        if seen.insert(r) {
                            hits.entry(r).or_default().push(case.id.as_str());
                        }
                    }
                }
            }
        }
    }
    for ((ui, ci, fi), ids) in hits {
        let mut ids: Vec<String> = ids.into_iter().map(str::to_string).collect();
        ids.sort();
        ids.dedup();
        let f = if ci == FREE {
            units.get_mut(ui).and_then(|u| u.functions.get_mut(fi))
        } else {
            units
                .get_mut(ui)
                .and_then(|u| u.classes.get_mut(ci))
                .and_then(|c| c.methods.get_mut(fi))
        };
        if let Some(f) = f {
            f.covered_by = ids;
        }
    }
}

pub(super) struct Index<'a> {
    pub(super) units: &'a [Unit],
    pub(super) ctx: &'a Context,
    pub(super) ctor: &'static str,
    /// (unit, name) → its free functions of that name.
    pub(super) free: HashMap<(usize, &'a str), Vec<FnRef>>,
    /// (unit, short class name) → its classes of that name.
    pub(super) classes: HashMap<(usize, &'a str), Vec<usize>>,
    /// (unit, method name) → its methods of that name.
    pub(super) methods: HashMap<(usize, &'a str), Vec<FnRef>>,
    /// Module name → its units; Python: also each package → the units under it.
    pub(super) units_of: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Index<'a> {
    pub(super) fn new(units: &'a [Unit], ctx: &'a Context, ctor: &'static str) -> Self {
        let mut ix = Index {
            units,
            ctx,
            ctor,
            free: HashMap::new(),
            classes: HashMap::new(),
            methods: HashMap::new(),
            units_of: HashMap::new(),
        };
        for (ui, u) in units.iter().enumerate() {
            let m = u.module.as_str();
            ix.units_of.entry(m).or_default().push(ui);
            if ctx.language == Language::Python {
                for (i, _) in m.match_indices('.') {
                    ix.units_of.entry(&m[..i]).or_default().push(ui);
                }
            }
            for (fi, f) in u.functions.iter().enumerate() {
                ix.free
                    .entry((ui, f.name.as_str()))
                    .or_default()
                    .push((ui, FREE, fi));
            }
            for (ci, c) in u.classes.iter().enumerate() {
                let short = c.name.rsplit('.').next().unwrap_or(&c.name);
                ix.classes.entry((ui, short)).or_default().push(ci);
                for (mi, m) in c.methods.iter().enumerate() {
                    ix.methods
                        .entry((ui, m.name.as_str()))
                        .or_default()
                        .push((ui, ci, mi));
                }
            }
        }
        ix
    }

    /// Calls `f` with each unit `target` reaches: the module, or (Python) a package and every
    /// module under it (a package re-exports its modules' names); all of them for `Any`.
    pub(super) fn each_unit(&self, target: &ImportTarget, mut f: impl FnMut(usize)) {
        match target {
            ImportTarget::External => {}
            ImportTarget::Any => (0..self.units.len()).for_each(f),
            ImportTarget::Module(m) => {
                for &ui in self.units_of.get(m.as_str()).into_iter().flatten() {
                    f(ui);
                }
            }
        }
    }

    pub(super) fn resolver(&'a self, t: &'a TestUnit) -> Resolver<'a> {
        let mut bindings: HashMap<&str, &Import> = HashMap::new();
        for imp in &t.imports {
            if imp.target != ImportTarget::External {
                bindings.insert(imp.local.as_str(), imp);
            }
        }
        let star: Vec<ImportTarget> = t
            .star_imports
            .iter()
            .map(|m| ImportTarget::Module(m.clone()))
            .collect();
        // The units this test file imports from (for method calls on objects).
        let mut imported: HashSet<usize> = HashSet::new();
        for target in t.imports.iter().map(|i| &i.target).chain(&star) {
            self.each_unit(target, |ui| {
                imported.insert(ui);
            });
        }
        let mut imported: Vec<usize> = imported.into_iter().collect();
        imported.sort_unstable();
        Resolver {
            index: self,
            test: t,
            bindings,
            star,
            imported,
        }
    }

    /// Whether `name` is a module or package of the codebase.
    pub(super) fn is_module(&self, name: &str) -> bool {
        self.units_of.contains_key(name)
    }
}

pub(super) struct Resolver<'a> {
    pub(super) index: &'a Index<'a>,
    pub(super) test: &'a TestUnit,
    pub(super) bindings: HashMap<&'a str, &'a Import>,
    pub(super) star: Vec<ImportTarget>,
    pub(super) imported: Vec<usize>,
}

impl Resolver<'_> {
    pub(super) fn resolve(&self, call: &Call, out: &mut Vec<FnRef>) {
        let ix = self.index;
        match call {
            Call::Bare(name) => {
                if let Some(imp) = self.bindings.get(name.as_str()) {
                    if let Some(orig) = &imp.name {
                        self.named(&imp.target, orig, out);
                    }
                } else if !self.test.local_defs.contains(name) {
                    for target in &self.star {
                        self.named(target, name, out);
                    }
                }
            }
            Call::Attr { object, name } => {
                let mut segs = object.split('.');
                let head = segs.next().unwrap_or("");
                let rest: Vec<&str> = segs.collect();
                if matches!(head, "self" | "cls" | "this" | "super") {
                    return;
                }
                if let Some(imp) = self.bindings.get(head) {
                    let sep = match ix.ctx.language {
                        Language::Python => ".",
                        Language::TypeScript => "/",
                    };
                    let module = match (&imp.target, &imp.name) {
                        // `import pkg.mod as m; m.f()`, `import * as m; m.f()`.
                        (ImportTarget::Module(_) | ImportTarget::Any, None) => {
                            Some(imp.target.clone())
                        }
                        // `from pkg import mod; mod.f()`.
                        (ImportTarget::Module(m), Some(n))
                            if ix.ctx.language == Language::Python
                                && ix.is_module(&format!("{m}.{n}")) =>
                        {
                            Some(ImportTarget::Module(format!("{m}.{n}")))
                        }
                        // `from mod import Class; Class.method()`.
                        (target, Some(n)) => {
                            ix.each_unit(target, |ui| {
                                for &ci in ix.classes.get(&(ui, n.as_str())).into_iter().flatten() {
                                    let Some(c) = ix.units[ui].classes.get(ci) else {
                                        continue;
                                    };
                                    for (mi, m) in c.methods.iter().enumerate() {
                                        if m.name == *name {
                                            out.push((ui, ci, mi));
                                        }
                                    }
                                }
                            });
                            None
                        }
                        _ => None,
                    };
                    if let Some(module) = module {
                        let target = match module {
                            ImportTarget::Module(m) if !rest.is_empty() => {
                                ImportTarget::Module(format!("{m}{sep}{}", rest.join(sep)))
                            }
                            other => other,
                        };
                        self.named(&target, name, out);
                    }
                    if !out.is_empty() {
                        return;
                    }
                }
                // A method called on some object: methods of that name in imported modules.
                for &ui in &self.imported {
                    if let Some(found) = ix.methods.get(&(ui, name.as_str())) {
                        out.extend(found.iter().copied());
                    }
                }
            }
            Call::Read(name) => {
                for &ui in &self.imported {
                    for &(u, ci, mi) in ix.methods.get(&(ui, name.as_str())).into_iter().flatten() {
                        let is_prop = ix.units[u]
                            .classes
                            .get(ci)
                            .and_then(|c| c.methods.get(mi))
                            .is_some_and(|m| m.decorators.iter().any(|d| is_property(d)));
                        if is_prop {
                            out.push((u, ci, mi));
                        }
                    }
                }
            }
        }
    }

    /// Free functions named `name`, or the constructor of classes named `name`, in the units
    /// `target` reaches (`default`: what a TS/JS module exports as default).
    pub(super) fn named(&self, target: &ImportTarget, name: &str, out: &mut Vec<FnRef>) {
        let ix = self.index;
        ix.each_unit(target, |ui| {
            let Some(u) = ix.units.get(ui) else { return };
            let name = match (name, &u.default_export) {
                ("default", Some(d)) => d.as_str(),
                _ => name,
            };
            if let Some(found) = ix.free.get(&(ui, name)) {
                out.extend(found.iter().copied());
            }
            for &ci in ix.classes.get(&(ui, name)).into_iter().flatten() {
                if let Some(c) = u.classes.get(ci) {
                    for (mi, m) in c.methods.iter().enumerate() {
                        if m.name == ix.ctor {
                            out.push((ui, ci, mi));
                        }
                    }
                }
            }
        });
    }
}

/// A decorator that makes a method a property (read, not called).
pub(super) fn is_property(decorator: &str) -> bool {
    let last = decorator.rsplit('.').next().unwrap_or(decorator);
    matches!(last, "property" | "cached_property" | "abstractproperty")
}
