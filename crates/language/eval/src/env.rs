//! Lexical scopes at run time: a chain of frames, each mapping names to values.

use crate::value::Value;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

#[derive(Debug, Default)]
pub struct Scope {
    vars: RefCell<HashMap<Rc<str>, Value>>,
    parent: Option<Rc<Scope>>,
}

impl Scope {
    pub fn root() -> Rc<Scope> {
        Rc::new(Scope::default())
    }

    pub fn child(parent: &Rc<Scope>) -> Rc<Scope> {
        Rc::new(Scope {
            vars: RefCell::new(HashMap::new()),
            parent: Some(parent.clone()),
        })
    }

    pub fn define(&self, name: Rc<str>, value: Value) {
        self.vars.borrow_mut().insert(name, value);
    }

    pub fn lookup(&self, name: &str) -> Option<Value> {
        let mut scope = self;
        loop {
            if let Some(v) = scope.vars.borrow().get(name) {
                return Some(v.clone());
            }
            scope = scope.parent.as_deref()?;
        }
    }

    /// Replaces the value of a name bound in this frame or an enclosing one.
    pub fn assign(&self, name: &str, value: Value) -> bool {
        let mut scope = self;
        loop {
            if let Some(slot) = scope.vars.borrow_mut().get_mut(name) {
                *slot = value;
                return true;
            }
            match scope.parent.as_deref() {
                Some(p) => scope = p,
                None => return false,
            }
        }
    }

    /// The names bound in this frame only, sorted.
    pub fn local_names(&self) -> Vec<Rc<str>> {
        let mut names: Vec<Rc<str>> = self.vars.borrow().keys().cloned().collect();
        names.sort();
        names
    }

    /// The value bound in this frame only.
    pub fn local(&self, name: &str) -> Option<Value> {
        self.vars.borrow().get(name).cloned()
    }

    /// Every name visible from here, innermost first, without duplicates.
    pub fn visible_names(&self) -> Vec<Rc<str>> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        let mut scope = Some(self);
        while let Some(s) = scope {
            for n in s.local_names() {
                if seen.insert(n.clone()) {
                    out.push(n);
                }
            }
            scope = s.parent.as_deref();
        }
        out
    }
}

/// Values a [`release`] walks at most before it keeps the scope (a large result
/// would cost more to walk than the scope it could free).
const RELEASE_BUDGET: usize = 4096;

/// Ends a call's or a block's scope. When values bound in it still hold it (a
/// closure or declaration defined there: an `Rc` cycle) and `result` cannot reach
/// it, nothing else can — values are immutable, so only the result carries what a
/// scope made out of it (the caller makes sure no host function was given one to
/// keep) — and its bindings are cleared, freeing the cycle. A result larger than
/// the walk's budget keeps the scope (it is then freed with the interpreter).
pub fn release(scope: Rc<Scope>, result: &Value) {
    if Rc::strong_count(&scope) == 1 {
        return;
    }
    if reaches(result, Rc::as_ptr(&scope)) == Some(false) {
        // Dropping the bindings outside the borrow: a value's drop may end
        // another scope.
        let vars = std::mem::take(&mut *scope.vars.borrow_mut());
        drop(vars);
    }
}

/// Whether `v` holds `target` (through a closure's, declaration's or instance's
/// scope and its parents), or `None` past the budget.
fn reaches(v: &Value, target: *const Scope) -> Option<bool> {
    let mut pending: Vec<&Value> = vec![v];
    let mut walked = 0;
    let holds = |mut s: &Rc<Scope>| loop {
        if Rc::as_ptr(s) == target {
            return true;
        }
        match &s.parent {
            Some(p) => s = p,
            None => return false,
        }
    };
    while let Some(v) = pending.pop() {
        walked += 1;
        if walked > RELEASE_BUDGET {
            return None;
        }
        match v {
            Value::List(l) => pending.extend(l.iter()),
            Value::Record(r) | Value::Result(r) => pending.extend(r.fields.iter().map(|(_, v)| v)),
            Value::Func(f) => match &**f {
                crate::value::Func::Closure(c) if holds(&c.env) => return Some(true),
                crate::value::Func::Derived(d) => pending.push(&d.f),
                _ => {}
            },
            Value::Family(f) if holds(&f.env) => return Some(true),
            Value::Sym(s) => {
                if holds(&s.family.env) {
                    return Some(true);
                }
                pending.extend(s.args.iter().map(|(_, v)| v));
            }
            Value::Module(m) => pending.extend(m.members.fields.iter().map(|(_, v)| v)),
            Value::Hyper(h) => match &**h {
                crate::value::Hyper::OneOf(c)
                | crate::value::Hyper::ManyOf { candidates: c, .. } => pending.extend(c.iter()),
                _ => {}
            },
            _ => {}
        }
    }
    Some(false)
}

/// Empties every scope reachable from `roots` and from `values`: through the values
/// bound in a scope (the scopes of closures, `problem`/`rule` declarations, their
/// instances and modules), and through parents. A scope and the functions defined
/// in it hold each other (`Rc` cycles), so an interpreter's scopes would otherwise
/// outlive it; its owner calls this when it is dropped.
pub fn break_cycles(roots: &[Rc<Scope>], values: &[Value]) {
    use std::collections::HashSet;
    let mut seen: HashSet<*const Scope> = HashSet::new();
    let mut scopes: Vec<Rc<Scope>> = roots.to_vec();
    let mut pending: Vec<Value> = values.to_vec();
    let mut reached: Vec<Rc<Scope>> = Vec::new();
    // Values are walked by pointer once each, so shared structure costs nothing.
    let mut seen_values: HashSet<usize> = HashSet::new();
    loop {
        if let Some(s) = scopes.pop() {
            if !seen.insert(Rc::as_ptr(&s)) {
                continue;
            }
            pending.extend(s.vars.borrow().values().cloned());
            if let Some(p) = &s.parent {
                scopes.push(p.clone());
            }
            reached.push(s);
            continue;
        }
        let Some(v) = pending.pop() else { break };
        let key = match &v {
            Value::List(l) => Rc::as_ptr(l) as usize,
            Value::Record(r) | Value::Result(r) => Rc::as_ptr(r) as usize,
            Value::Func(f) => Rc::as_ptr(f) as usize,
            Value::Family(f) => Rc::as_ptr(f) as usize,
            Value::Sym(s) => Rc::as_ptr(s) as usize,
            Value::Module(m) => Rc::as_ptr(m) as usize,
            Value::Hyper(h) => Rc::as_ptr(h) as *const u8 as usize,
            _ => continue,
        };
        if !seen_values.insert(key) {
            continue;
        }
        match &v {
            Value::List(l) => pending.extend(l.iter().cloned()),
            Value::Record(r) | Value::Result(r) => {
                pending.extend(r.fields.iter().map(|(_, v)| v.clone()))
            }
            Value::Func(f) => match &**f {
                crate::value::Func::Closure(c) => scopes.push(c.env.clone()),
                crate::value::Func::Derived(d) => pending.push(d.f.clone()),
                _ => {}
            },
            Value::Family(f) => scopes.push(f.env.clone()),
            Value::Sym(s) => {
                scopes.push(s.family.env.clone());
                pending.extend(s.args.iter().map(|(_, v)| v.clone()));
            }
            Value::Module(m) => pending.extend(m.members.fields.iter().map(|(_, v)| v.clone())),
            Value::Hyper(h) => match &**h {
                crate::value::Hyper::OneOf(c)
                | crate::value::Hyper::ManyOf { candidates: c, .. } => {
                    pending.extend(c.iter().cloned())
                }
                _ => {}
            },
            _ => {}
        }
    }
    for s in reached {
        s.vars.borrow_mut().clear();
    }
}
