//! The abstract syntax tree, with a byte span on every node.
//!
//! Expressions record their nesting depth so the parser can refuse trees too deep to
//! walk safely, and `Drop` is iterative so even a refused deep tree frees without
//! recursion.

use crate::span::Span;
use std::rc::Rc;

/// A name with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: Rc<str>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub stmts: Vec<Stmt>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ImportPath {
    /// `import std.tasks`: the dotted path after `std`.
    Std(Vec<Ident>),
    /// `import "lib/x.opt"`: a path relative to the importing file.
    File(String, Span),
}

/// A declared parameter: `x` or `scale = 1.0`.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub default: Option<Expr>,
    /// The numbers it admits (`problem` and `rule` parameters only).
    pub domain: Option<ParamDomain>,
}

/// `in [lo, hi]`, with `(`/`)` for open ends: the domain of a declaration's
/// parameter (docs/language.md, "Parameter domains").
#[derive(Clone, Debug, PartialEq)]
pub struct ParamDomain {
    pub lo: Expr,
    pub hi: Expr,
    pub lo_open: bool,
    pub hi_open: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FnDecl {
    pub name: Ident,
    pub params: Vec<Param>,
    pub body: Rc<Expr>,
}

/// `problem NAME(params) { ... }` or `rule NAME(params) { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Decl {
    pub name: Ident,
    /// `None` for `problem hs71 { ... }` (no parameter list at all).
    pub params: Option<Vec<Param>>,
    pub body: Rc<Vec<Stmt>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VarDecl {
    pub name: Ident,
    pub dims: Option<Vec<Expr>>,
    pub bounds: Option<(Expr, Expr)>,
    /// `in simplex`, `in l1ball(r)`: a set instead of a box.
    pub set: Option<SetDecl>,
    pub init: Option<Expr>,
}

/// The set of a var declaration: its name and arguments (`l1ball(2)`).
#[derive(Clone, Debug, PartialEq)]
pub struct SetDecl {
    pub name: Ident,
    pub args: Vec<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    Import(ImportPath),
    Let(Ident, Expr),
    Fn(FnDecl),
    Problem(Decl),
    Rule(Decl),
    /// `lower NAME { ... }` inside a problem: the lower level of a bilevel problem
    /// (never has a parameter list).
    Lower(Decl),
    Var(Box<VarDecl>),
    Minimize(Expr),
    Maximize(Expr),
    SubjectTo(Expr),
    State(Ident, Expr),
    Assign(Ident, Expr),
    Expr(Expr),
    /// A statement the parser could not make sense of; its error is already reported.
    Error,
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

/// A call argument: positional, or `name = value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Expr,
}

/// One position inside `x[...]`.
#[derive(Clone, Debug, PartialEq)]
pub enum IndexItem {
    At(Expr),
    Slice {
        start: Option<Expr>,
        stop: Option<Expr>,
        step: Option<Expr>,
    },
}

/// A clause of a comprehension: `for i in xs` or `if cond`.
#[derive(Clone, Debug, PartialEq)]
pub enum Clause {
    For(Ident, Expr),
    If(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
    /// Height of this subtree (a leaf is 1); bounded by the parser.
    pub depth: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Int(i64),
    Float(f64),
    Str(Rc<str>),
    Bool(bool),
    Name(Rc<str>),
    List(Vec<Expr>),
    Record(Vec<(Ident, Expr)>),
    /// `{ stmt; ...; expr }`: statements then the value.
    Block(Rc<Vec<Stmt>>, Box<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Lambda(Rc<Vec<Param>>, Rc<Expr>),
    Call(Box<Expr>, Vec<Arg>),
    Index(Box<Expr>, Vec<IndexItem>),
    Field(Box<Expr>, Ident),
    Comprehension(Box<Expr>, Vec<Clause>),
    /// An expression the parser could not make sense of; its error is already reported.
    Error,
}

impl Expr {
    /// Builds a node, computing its depth from its children.
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        let mut depth = 0;
        kind.for_each_child(|c| depth = depth.max(c.depth));
        Expr {
            kind,
            span,
            depth: depth + 1,
        }
    }
}

impl ExprKind {
    /// Visits the direct sub-expressions (not those inside nested statements).
    pub fn for_each_child(&self, mut f: impl FnMut(&Expr)) {
        use ExprKind::*;
        match self {
            Int(_) | Float(_) | Str(_) | Bool(_) | Name(_) | Error | Block(..) => {}
            List(items) => items.iter().for_each(f),
            Record(fields) => fields.iter().for_each(|(_, e)| f(e)),
            Unary(_, e) => f(e),
            Binary(_, a, b) => {
                f(a);
                f(b)
            }
            If(c, a, b) => {
                f(c);
                f(a);
                f(b)
            }
            Lambda(_, body) => f(body),
            Call(callee, args) => {
                f(callee);
                args.iter().for_each(|a| f(&a.value))
            }
            Index(base, items) => {
                f(base);
                for item in items {
                    match item {
                        IndexItem::At(e) => f(e),
                        IndexItem::Slice { start, stop, step } => {
                            [start, stop, step].into_iter().flatten().for_each(&mut f)
                        }
                    }
                }
            }
            Field(base, _) => f(base),
            Comprehension(body, clauses) => {
                f(body);
                for c in clauses {
                    match c {
                        Clause::For(_, e) | Clause::If(e) => f(e),
                    }
                }
            }
        }
    }
}

impl Drop for Expr {
    fn drop(&mut self) {
        // Shallow trees drop recursively as usual; deep ones are unlinked onto a heap
        // stack first so that dropping never recurses more than a few levels.
        if self.depth < 64 {
            return;
        }
        let mut stack = vec![std::mem::replace(&mut self.kind, ExprKind::Error)];
        while let Some(mut kind) = stack.pop() {
            take_children(&mut kind, &mut stack);
        }
    }
}

/// Moves the boxed children of a node onto `stack`, leaving cheap placeholders.
fn take_children(kind: &mut ExprKind, stack: &mut Vec<ExprKind>) {
    use ExprKind::*;
    let mut take = |e: &mut Expr| {
        e.depth = 0;
        stack.push(std::mem::replace(&mut e.kind, Error));
    };
    match kind {
        Int(_) | Float(_) | Str(_) | Bool(_) | Name(_) | Error | Block(..) => {}
        List(items) => items.iter_mut().for_each(take),
        Record(fields) => fields.iter_mut().for_each(|(_, e)| take(e)),
        Unary(_, e) => take(e),
        Binary(_, a, b) => {
            take(a);
            take(b)
        }
        If(c, a, b) => {
            take(c);
            take(a);
            take(b)
        }
        Lambda(_, body) => {
            if let Some(body) = Rc::get_mut(body) {
                take(body)
            }
        }
        Call(callee, args) => {
            take(callee);
            args.iter_mut().for_each(|a| take(&mut a.value))
        }
        Index(base, items) => {
            take(base);
            for item in items {
                match item {
                    IndexItem::At(e) => take(e),
                    IndexItem::Slice { start, stop, step } => [start, stop, step]
                        .into_iter()
                        .flatten()
                        .for_each(&mut take),
                }
            }
        }
        Field(base, _) => take(base),
        Comprehension(body, clauses) => {
            take(body);
            for c in clauses {
                match c {
                    Clause::For(_, e) | Clause::If(e) => take(e),
                }
            }
        }
    }
}
