//! The families a rule's update belongs to, read from its program's data flow, so
//! that a discovery can say what it found: `momentum` (the update reads a state
//! that accumulates the gradient linearly), `sign` (a term of the update is, up to
//! factors, `sign` of something that reads the gradient), `adaptive` (it divides
//! by something read from a state that accumulates a nonlinear function of the
//! gradient, `g^2` or `abs(g)` say) and `decay` (it reads the parameters `w`).
//!
//! "Reads" follows `let`s to their definitions and a state to its assignments (not
//! to its initial value: `zeros_like(w)` reads `w` only for its shape). The
//! analysis is syntactic on purpose: it describes the program as printed, not
//! every function it might equal.

use crate::program::{BinOp, Expr, ExprKind, RuleProgram, StmtKind};
use std::collections::HashSet;
use std::rc::Rc;

/// The traits of the program, in the order `momentum`, `sign`, `adaptive`, `decay`.
pub fn traits(program: &RuleProgram) -> Vec<&'static str> {
    let flow = Flow::new(program);
    let Some(u) = flow.update() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let read = flow.reads(u);
    if read.iter().any(|n| flow.accumulates(n, false)) {
        out.push("momentum");
    }
    if flow.signed_term(u) {
        out.push("sign");
    }
    if flow.divides_by(u, &|e| {
        flow.reads(e).iter().any(|n| flow.accumulates(n, true))
    }) {
        out.push("adaptive");
    }
    if read.contains("w") {
        out.push("decay");
    }
    out
}

/// The definitions of a program's names.
struct Flow<'a> {
    /// Every expression assigned to a name (`let`, assignments, a state's start),
    /// with whether it is a state's start.
    defs: Vec<(Rc<str>, &'a Expr, bool)>,
    states: HashSet<Rc<str>>,
}

impl<'a> Flow<'a> {
    fn new(p: &'a RuleProgram) -> Flow<'a> {
        let mut defs = Vec::new();
        let mut states = HashSet::new();
        for s in &p.stmts {
            if let StmtKind::State(n, _) = &s.kind {
                states.insert(n.name.clone());
            }
            if let (Some(n), Some(e)) = (s.target(), s.expr()) {
                defs.push((n.name.clone(), e, matches!(s.kind, StmtKind::State(..))));
            }
        }
        Flow { defs, states }
    }

    /// The expression of the update `u` (its last assignment).
    fn update(&self) -> Option<&'a Expr> {
        self.defs
            .iter()
            .rev()
            .find(|(n, _, _)| &**n == "u")
            .map(|(_, e, _)| *e)
    }

    fn defs_of<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a Expr> + 's {
        self.defs
            .iter()
            .filter(move |(n, _, _)| &**n == name)
            .map(|(_, e, _)| *e)
    }

    /// The assignments of a name (a state's start left out).
    fn assignments_of<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a Expr> + 's {
        self.defs
            .iter()
            .filter(move |(n, _, init)| &**n == name && !init)
            .map(|(_, e, _)| *e)
    }

    /// Every name `e` reads, through the definitions of what it reads.
    fn reads(&self, e: &Expr) -> HashSet<Rc<str>> {
        let mut seen = HashSet::new();
        let mut todo = Vec::new();
        crate::program::names_read(e, &mut todo);
        while let Some(n) = todo.pop() {
            if seen.insert(n.clone()) {
                for d in self.assignments_of(&n) {
                    crate::program::names_read(d, &mut todo);
                }
            }
        }
        seen
    }

    /// Whether `name` is a state that accumulates the gradient: one of its
    /// assignments reads itself and `g`, linearly (a momentum), or with
    /// `nonlinear` under `^`, `abs` or in a product of two terms that read `g` (a
    /// second moment).
    fn accumulates(&self, name: &str, nonlinear: bool) -> bool {
        if !self.states.contains(name) {
            return false;
        }
        let direct = |e: &Expr| {
            let mut read = Vec::new();
            crate::program::names_read(e, &mut read);
            read.iter().any(|n| &**n == name)
        };
        self.assignments_of(name).any(|e| {
            direct(e)
                && if nonlinear {
                    self.nonlinear_in_g(e)
                } else {
                    self.reads(e).contains("g") && !self.nonlinear_in_g(e)
                }
        })
    }

    fn nonlinear_in_g(&self, e: &Expr) -> bool {
        let reads_g = |x: &Expr| self.reads(x).contains("g");
        match &e.kind {
            ExprKind::Binary(BinOp::Pow, a, _) if reads_g(a) => true,
            ExprKind::Binary(BinOp::Mul, a, b) if reads_g(a) && reads_g(b) => true,
            ExprKind::Call(f, args)
                if matches!(&f.kind, ExprKind::Name(n) if &**n == "abs")
                    && args.iter().any(|a| reads_g(&a.value)) =>
            {
                true
            }
            ExprKind::Unary(_, x) => self.nonlinear_in_g(x),
            ExprKind::Binary(_, a, b) => self.nonlinear_in_g(a) || self.nonlinear_in_g(b),
            ExprKind::Call(_, args) => args.iter().any(|a| self.nonlinear_in_g(&a.value)),
            ExprKind::Name(n) => self
                .defs_of(n)
                .filter(|_| !self.states.contains(n))
                .any(|d| self.nonlinear_in_g(d)),
            _ => false,
        }
    }

    /// Whether a term of `e` (a factor of a sum's term, through `+ - * /`,
    /// negation and lets, not into other calls) is `sign(x)` of an `x` that reads
    /// `g`: the update moves by the sign of something.
    fn signed_term(&self, e: &Expr) -> bool {
        let mut visited = HashSet::new();
        self.signed_term_in(e, &mut visited)
    }

    fn signed_term_in(&self, e: &Expr, visited: &mut HashSet<Rc<str>>) -> bool {
        match &e.kind {
            ExprKind::Call(f, args) if matches!(&f.kind, ExprKind::Name(n) if &**n == "sign") => {
                args.iter().any(|a| self.reads(&a.value).contains("g"))
            }
            ExprKind::Binary(BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div, a, b) => {
                self.signed_term_in(a, visited) || self.signed_term_in(b, visited)
            }
            ExprKind::Unary(_, x) => self.signed_term_in(x, visited),
            ExprKind::Name(n) if !self.states.contains(n) && visited.insert(n.clone()) => {
                let defs: Vec<&Expr> = self.defs_of(n).collect();
                defs.into_iter().any(|d| self.signed_term_in(d, visited))
            }
            _ => false,
        }
    }

    /// Whether `e` (through lets) divides by an expression satisfying `den`.
    fn divides_by(&self, e: &Expr, den: &dyn Fn(&Expr) -> bool) -> bool {
        self.any_node(
            e,
            &mut |x| matches!(&x.kind, ExprKind::Binary(BinOp::Div, _, b) if den(b)),
        )
    }

    /// Whether any node of `e`, or of the `let` definitions it reads, satisfies `p`.
    fn any_node(&self, e: &Expr, p: &mut dyn FnMut(&Expr) -> bool) -> bool {
        let mut visited = HashSet::new();
        self.any_node_in(e, p, &mut visited)
    }

    fn any_node_in(
        &self,
        e: &Expr,
        p: &mut dyn FnMut(&Expr) -> bool,
        visited: &mut HashSet<Rc<str>>,
    ) -> bool {
        if p(e) {
            return true;
        }
        match &e.kind {
            ExprKind::Unary(_, x) => self.any_node_in(x, p, visited),
            ExprKind::Binary(_, a, b) => {
                self.any_node_in(a, p, visited) || self.any_node_in(b, p, visited)
            }
            ExprKind::Call(_, args) => args.iter().any(|a| self.any_node_in(&a.value, p, visited)),
            ExprKind::Name(n) if !self.states.contains(n) && visited.insert(n.clone()) => {
                let defs: Vec<&Expr> = self.defs_of(n).collect();
                defs.into_iter().any(|d| self.any_node_in(d, p, visited))
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests;
