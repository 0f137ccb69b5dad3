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
