//! Rule programs as data: the statements of a rule body (`state x = e`, `let x = e`,
//! `x = e`) over numbers, names, unary and binary operators and calls, which is what
//! mutations and simplification look into. Anything else a binding's language has
//! (another kind of statement, a lambda, a list, an index, ...) is an opaque handle
//! the binding maps back, with the names it reads so that liveness stays exact.
//!
//! Every node has an [`Origin`]: a handle the binding maps back to where the node
//! was written. Mutations copy the origin of the node they edit, give new nodes the
//! origin of [`crate::Context::origin`], and never look at origins otherwise.
//!
//! [`to_source`] prints an expression as OptL source with the fewest parentheses
//! (the text `optl_syntax::print::expr_to_source` gives for the same tree).

use std::fmt::Write as _;
use std::rc::Rc;

/// Where a node came from: a handle that only the binding interprets (OptL's binding
/// numbers the spans of the body it converted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Origin(pub u32);

/// The body of a rule: its statements in order.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RuleProgram {
    pub stmts: Vec<Stmt>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `state x = e`: a tensor kept between steps, `e` its initial value.
    State(Name, Expr),
    /// `let x = e`.
    Let(Name, Expr),
    /// `x = e`: the update `u`, or a state's new value.
    Assign(Name, Expr),
    /// A statement of another kind, kept as it was (a handle the binding maps back).
    /// It defines no name that mutations see and is never edited or dropped.
    Other(u32),
}

/// A name with its origin (a statement's target, a keyword argument's name).
#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    pub name: Rc<str>,
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Int(i64),
    Float(f64),
    Name(Rc<str>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `f(args)`: the callee is any expression (a name for the functions mutations
    /// know); mutations and simplification look into the arguments only.
    Call(Box<Expr>, Vec<Arg>),
    /// An expression of another kind, kept whole.
    Other(Opaque),
}

/// An expression the representation does not express: the binding's handle and
/// every name it reads (for liveness and [`names_read`]), in reading order.
#[derive(Clone, Debug, PartialEq)]
pub struct Opaque {
    pub handle: u32,
    pub reads: Rc<[Rc<str>]>,
}

/// A call argument: positional, or `name = value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub name: Option<Name>,
    pub value: Expr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    MatMul,
    Pow,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        use BinOp::*;
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Rem => "%",
            MatMul => "@",
            Pow => "^",
            Eq => "==",
            Ne => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            And => "and",
            Or => "or",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    Neg,
    Not,
}

impl Expr {
    pub fn new(kind: ExprKind, origin: Origin) -> Expr {
        Expr { kind, origin }
    }
}

impl RuleProgram {
    /// The program's length: its statements plus the nodes of their expressions
    /// (what simplification reports before and after).
    pub fn length(&self) -> usize {
        self.stmts
            .iter()
            .map(|s| 1 + s.expr().map_or(0, Expr::nodes))
            .sum()
    }
}

impl Expr {
    /// The node's kind with `f` applied to its operands (of unary and binary
    /// operators) and call arguments; a callee and other nodes are kept as they are.
    pub fn map_operands(&self, mut f: impl FnMut(&Expr) -> Expr) -> ExprKind {
        match &self.kind {
            ExprKind::Unary(op, a) => ExprKind::Unary(*op, Box::new(f(a))),
            ExprKind::Binary(op, a, b) => ExprKind::Binary(*op, Box::new(f(a)), Box::new(f(b))),
            ExprKind::Call(callee, args) => ExprKind::Call(
                callee.clone(),
                args.iter()
                    .map(|a| Arg {
                        name: a.name.clone(),
                        value: f(&a.value),
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// The number of nodes of the expression (an opaque one counts one).
    pub fn nodes(&self) -> usize {
        1 + match &self.kind {
            ExprKind::Unary(_, x) => x.nodes(),
            ExprKind::Binary(_, a, b) => a.nodes() + b.nodes(),
            ExprKind::Call(f, args) => {
                f.nodes() + args.iter().map(|a| a.value.nodes()).sum::<usize>()
            }
            _ => 0,
        }
    }
}

impl Stmt {
    /// The statement with its expression (if it has one) replaced by `f` of it.
    pub fn map_expr(&self, f: impl FnOnce(&Expr) -> Expr) -> Stmt {
        let kind = match &self.kind {
            StmtKind::Let(n, e) => StmtKind::Let(n.clone(), f(e)),
            StmtKind::Assign(n, e) => StmtKind::Assign(n.clone(), f(e)),
            StmtKind::State(n, e) => StmtKind::State(n.clone(), f(e)),
            other => other.clone(),
        };
        Stmt {
            kind,
            origin: self.origin,
        }
    }

    /// The name a `state`, `let` or assignment defines.
    pub fn target(&self) -> Option<&Name> {
        match &self.kind {
            StmtKind::State(n, _) | StmtKind::Let(n, _) | StmtKind::Assign(n, _) => Some(n),
            StmtKind::Other(_) => None,
        }
    }

    /// The expression a `state`, `let` or assignment computes.
    pub fn expr(&self) -> Option<&Expr> {
        match &self.kind {
            StmtKind::State(_, e) | StmtKind::Let(_, e) | StmtKind::Assign(_, e) => Some(e),
            StmtKind::Other(_) => None,
        }
    }
}

/// Every name an expression reads (through all of its sub-expressions, the callee
/// of a call included), in pre-order.
pub fn names_read(e: &Expr, out: &mut Vec<Rc<str>>) {
    match &e.kind {
        ExprKind::Int(_) | ExprKind::Float(_) => {}
        ExprKind::Name(n) => out.push(n.clone()),
        ExprKind::Unary(_, x) => names_read(x, out),
        ExprKind::Binary(_, a, b) => {
            names_read(a, out);
            names_read(b, out);
        }
        ExprKind::Call(f, args) => {
            names_read(f, out);
            for a in args {
                names_read(&a.value, out);
            }
        }
        ExprKind::Other(o) => out.extend(o.reads.iter().cloned()),
    }
}

/// The expression as OptL source, parenthesized only where precedence needs it.
/// Floats print in Rust's shortest round-trip form (`1.0`, `0.09999999999999998`),
/// as OptL's printer does. An opaque node, which the representation cannot print,
/// prints as `<other H>` for its handle `H`.
pub fn to_source(e: &Expr) -> String {
    let mut out = String::new();
    source(&mut out, e, 0);
    out
}

/// Binding strength of an expression's top operator (higher binds tighter), as in
/// OptL's grammar.
fn level(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary(BinOp::Or, ..) => 2,
        ExprKind::Binary(BinOp::And, ..) => 3,
        ExprKind::Unary(UnOp::Not, _) => 4,
        ExprKind::Binary(
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge,
            ..,
        ) => 5,
        ExprKind::Binary(BinOp::Add | BinOp::Sub, ..) => 6,
        ExprKind::Binary(BinOp::Mul | BinOp::Div | BinOp::Rem | BinOp::MatMul, ..) => 7,
        ExprKind::Unary(UnOp::Neg, _) => 8,
        ExprKind::Binary(BinOp::Pow, ..) => 9,
        _ => 10,
    }
}

fn source(o: &mut String, e: &Expr, min: u8) {
    let lv = level(e);
    let paren = lv < min;
    if paren {
        o.push('(');
    }
    match &e.kind {
        ExprKind::Int(n) => {
            let _ = write!(o, "{n}");
        }
        ExprKind::Float(x) => {
            let _ = write!(o, "{x:?}");
        }
        ExprKind::Name(n) => o.push_str(n),
        ExprKind::Unary(UnOp::Neg, x) => {
            o.push('-');
            source(o, x, 8);
        }
        ExprKind::Unary(UnOp::Not, x) => {
            o.push_str("not ");
            source(o, x, 4);
        }
        ExprKind::Binary(op, a, b) => {
            // Left-associative operators keep their left operand at the same level;
            // `^` is right-associative and comparisons do not associate.
            let (l, r) = match op {
                BinOp::Pow => (10, 8),
                BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => (6, 6),
                _ => (lv, lv + 1),
            };
            source(o, a, l);
            let _ = write!(o, " {} ", op.symbol());
            source(o, b, r);
        }
        ExprKind::Call(f, args) => {
            source(o, f, 10);
            o.push('(');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    o.push_str(", ");
                }
                if let Some(n) = &a.name {
                    let _ = write!(o, "{} = ", n.name);
                }
                source(o, &a.value, 1);
            }
            o.push(')');
        }
        ExprKind::Other(x) => {
            let _ = write!(o, "<other {}>", x.handle);
        }
    }
    if paren {
        o.push(')');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{expr, program};

    #[test]
    fn printing_uses_the_fewest_parentheses() {
        for text in [
            "lr * (m / (1 - b1 ^ step)) / (sqrt(v / (1 - b2 ^ step)) + eps)",
            "a - (b - c) - d",
            "-g ^ 2",
            "(-g) ^ 2",
            "a ^ b ^ c",
            "(a ^ b) ^ c",
            "-(a + b)",
            "f(x = -1.0, g * 2)",
            "0.5 * 2.0",
            "-0.5",
        ] {
            assert_eq!(to_source(&expr(text)), text);
        }
        assert_eq!(to_source(&expr("((a)) * (b)")), "a * b");
        assert_eq!(to_source(&expr("1.0 - 0.9 + 0.1e1")), "1.0 - 0.9 + 1.0");
    }

    #[test]
    fn names_are_read_in_order_and_through_opaque_nodes() {
        let p = program("let x = f(a, -b) * c ^ <other 0: d e>\nu = x + 1");
        let mut read = Vec::new();
        names_read(p.stmts[0].expr().expect("an expression"), &mut read);
        let read: Vec<&str> = read.iter().map(|n| &**n).collect();
        assert_eq!(read, ["f", "a", "b", "c", "d", "e"]);
        assert_eq!(p.stmts[1].target().map(|n| &*n.name), Some("u"));
    }
}
