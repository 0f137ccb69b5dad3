//! A rule body's syntax tree as an `optl_discover::RuleProgram` and back, for the
//! mutations and simplifications of `optl-discover`. Statements and expressions
//! the program form does not express (a `fn` statement, a lambda, a list, an
//! index, ...) become opaque handles to copies of their trees, with the names they
//! read; every node's span becomes an `Origin` numbering the spans seen. Raising a
//! program rebuilds the tree with those spans (and opaque parts as they were), so
//! a body lowered and raised unchanged is the body it was, spans and all.

use optl_discover as d;
use optl_syntax::ast::{Arg, BinOp, Expr, ExprKind, Ident, Stmt, StmtKind, UnOp};
use optl_syntax::span::Span;
use std::rc::Rc;

/// A body as a program, with what it takes to raise programs made from it.
pub(super) struct Lowered {
    pub program: d::RuleProgram,
    /// The span of each origin.
    spans: Vec<Span>,
    /// The opaque statements and expressions, by handle.
    stmts: Vec<Stmt>,
    exprs: Vec<Expr>,
}

impl Lowered {
    pub fn new(body: &[Stmt]) -> Lowered {
        let mut l = Lowered {
            program: d::RuleProgram::default(),
            spans: Vec::new(),
            stmts: Vec::new(),
            exprs: Vec::new(),
        };
        l.program.stmts = body.iter().map(|s| l.stmt(s)).collect();
        l
    }

    /// An origin standing for `span` (for the nodes a mutation makes).
    pub fn origin(&mut self, span: Span) -> d::Origin {
        self.spans.push(span);
        d::Origin((self.spans.len() - 1) as u32)
    }

    fn name(&mut self, n: &Ident) -> d::Name {
        d::Name {
            name: n.name.clone(),
            origin: self.origin(n.span),
        }
    }

    fn stmt(&mut self, s: &Stmt) -> d::Stmt {
        let origin = self.origin(s.span);
        let kind = match &s.kind {
            StmtKind::State(n, e) => d::StmtKind::State(self.name(n), self.expr(e)),
            StmtKind::Let(n, e) => d::StmtKind::Let(self.name(n), self.expr(e)),
            StmtKind::Assign(n, e) => d::StmtKind::Assign(self.name(n), self.expr(e)),
            _ => {
                self.stmts.push(s.clone());
                d::StmtKind::Other((self.stmts.len() - 1) as u32)
            }
        };
        d::Stmt { kind, origin }
    }

    fn expr(&mut self, e: &Expr) -> d::Expr {
        let origin = self.origin(e.span);
        let kind = match &e.kind {
            ExprKind::Int(n) => d::ExprKind::Int(*n),
            ExprKind::Float(x) => d::ExprKind::Float(*x),
            ExprKind::Name(n) => d::ExprKind::Name(n.clone()),
            ExprKind::Unary(op, x) => d::ExprKind::Unary(un_op(*op), Box::new(self.expr(x))),
            ExprKind::Binary(op, a, b) => {
                let a = self.expr(a);
                let b = self.expr(b);
                d::ExprKind::Binary(bin_op(*op), Box::new(a), Box::new(b))
            }
            ExprKind::Call(f, args) => {
                let f = self.expr(f);
                let args = args
                    .iter()
                    .map(|a| d::Arg {
                        name: a.name.as_ref().map(|n| self.name(n)),
                        value: self.expr(&a.value),
                    })
                    .collect();
                d::ExprKind::Call(Box::new(f), args)
            }
            _ => {
                let mut reads = Vec::new();
                names_read(e, &mut reads);
                self.exprs.push(e.clone());
                d::ExprKind::Other(d::Opaque {
                    handle: (self.exprs.len() - 1) as u32,
                    reads: reads.into(),
                })
            }
        };
        d::Expr::new(kind, origin)
    }

    /// The body of `program`, a program made from this one's (its origins and
    /// handles are this one's).
    pub fn raise(&self, program: &d::RuleProgram) -> Vec<Stmt> {
        program.stmts.iter().map(|s| self.raise_stmt(s)).collect()
    }

    fn span(&self, o: d::Origin) -> Span {
        self.spans[o.0 as usize]
    }

    fn ident(&self, n: &d::Name) -> Ident {
        Ident {
            name: n.name.clone(),
            span: self.span(n.origin),
        }
    }

    fn raise_stmt(&self, s: &d::Stmt) -> Stmt {
        let kind = match &s.kind {
            d::StmtKind::State(n, e) => StmtKind::State(self.ident(n), self.raise_expr(e)),
            d::StmtKind::Let(n, e) => StmtKind::Let(self.ident(n), self.raise_expr(e)),
            d::StmtKind::Assign(n, e) => StmtKind::Assign(self.ident(n), self.raise_expr(e)),
            d::StmtKind::Other(h) => return self.stmts[*h as usize].clone(),
        };
        Stmt {
            kind,
            span: self.span(s.origin),
        }
    }

    fn raise_expr(&self, e: &d::Expr) -> Expr {
        let kind = match &e.kind {
            d::ExprKind::Int(n) => ExprKind::Int(*n),
            d::ExprKind::Float(x) => ExprKind::Float(*x),
            d::ExprKind::Name(n) => ExprKind::Name(n.clone()),
            d::ExprKind::Unary(op, x) => {
                ExprKind::Unary(un_op_back(*op), Box::new(self.raise_expr(x)))
            }
            d::ExprKind::Binary(op, a, b) => ExprKind::Binary(
                bin_op_back(*op),
                Box::new(self.raise_expr(a)),
                Box::new(self.raise_expr(b)),
            ),
            d::ExprKind::Call(f, args) => ExprKind::Call(
                Box::new(self.raise_expr(f)),
                args.iter()
                    .map(|a| Arg {
                        name: a.name.as_ref().map(|n| self.ident(n)),
                        value: self.raise_expr(&a.value),
                    })
                    .collect(),
            ),
            d::ExprKind::Other(o) => return self.exprs[o.handle as usize].clone(),
        };
        Expr::new(kind, self.span(e.origin))
    }
}

/// Every name an expression reads (through all of its sub-expressions).
fn names_read(e: &Expr, out: &mut Vec<Rc<str>>) {
    if let ExprKind::Name(n) = &e.kind {
        out.push(n.clone());
    }
    e.kind.for_each_child(|c| names_read(c, out));
}

fn un_op(op: UnOp) -> d::UnOp {
    match op {
        UnOp::Neg => d::UnOp::Neg,
        UnOp::Not => d::UnOp::Not,
    }
}

fn un_op_back(op: d::UnOp) -> UnOp {
    match op {
        d::UnOp::Neg => UnOp::Neg,
        d::UnOp::Not => UnOp::Not,
    }
}

/// The binary operators of both, in one table (the order of `BinOp`).
const BIN_OPS: [(BinOp, d::BinOp); 15] = [
    (BinOp::Add, d::BinOp::Add),
    (BinOp::Sub, d::BinOp::Sub),
    (BinOp::Mul, d::BinOp::Mul),
    (BinOp::Div, d::BinOp::Div),
    (BinOp::Rem, d::BinOp::Rem),
    (BinOp::MatMul, d::BinOp::MatMul),
    (BinOp::Pow, d::BinOp::Pow),
    (BinOp::Eq, d::BinOp::Eq),
    (BinOp::Ne, d::BinOp::Ne),
    (BinOp::Lt, d::BinOp::Lt),
    (BinOp::Le, d::BinOp::Le),
    (BinOp::Gt, d::BinOp::Gt),
    (BinOp::Ge, d::BinOp::Ge),
    (BinOp::And, d::BinOp::And),
    (BinOp::Or, d::BinOp::Or),
];

fn bin_op(op: BinOp) -> d::BinOp {
    BIN_OPS[op as usize].1
}

fn bin_op_back(op: d::BinOp) -> BinOp {
    BIN_OPS[op as usize].0
}

#[cfg(test)]
mod tests;
