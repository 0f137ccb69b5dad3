//! Runtime values (LANGUAGE.md §2) and their printed forms.

use crate::format::{fmt_g, fmt_tensor, repr_f64};
use crate::signature::Signature;
use crate::tensor::Tensor;
use optl_syntax::ast::{Decl, Expr, Param};
use optl_syntax::span::Span;
use std::fmt::Write;
use std::rc::Rc;

use crate::env::Scope;

/// A value of the language. Cheap to clone: aggregates are shared behind `Rc`.
#[derive(Clone, Debug)]
pub enum Value {
    /// What statements and `print` give back; never printed.
    Unit,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Rc<str>),
    Tensor(Rc<Tensor>),
    /// A sparse matrix in CSR form (`sparse`, `load_mtx`).
    Sparse(Rc<optl_linalg::Csr>),
    List(Rc<Vec<Value>>),
    Record(Rc<Record>),
    Func(Rc<Func>),
    /// A `problem` or `rule` declaration with parameters: call it to get an instance.
    Family(Rc<Family>),
    /// A symbolic object: a problem or rule instance (constructor name + arguments).
    Sym(Rc<SymObj>),
    Module(Rc<Module>),
    /// A value being traced into the numeric IR: a node of the active graph.
    Tracer(Rc<Tracer>),
    /// What `solve` returns: a record of fields that prints as a short summary.
    Result(Rc<Record>),
    /// A hyper-value (`oneof`, `manyof`, `floatv`, `intv`): a value containing one
    /// is a search space (LANGUAGE.md §7).
    Hyper(Rc<Hyper>),
}

/// A decision left open in a value, to be made by `sample`, `materialize` or `search`.
#[derive(Debug)]
pub enum Hyper {
    OneOf(Vec<Value>),
    ManyOf {
        k: usize,
        candidates: Vec<Value>,
        distinct: bool,
        sorted: bool,
    },
    Float {
        lo: f64,
        hi: f64,
        log: bool,
    },
    Int {
        lo: i64,
        hi: i64,
    },
}

/// A traced numeric value: a node of the graph being recorded, with its shape.
#[derive(Debug)]
pub struct Tracer {
    pub node: optl_ir::NodeId,
    pub shape: Vec<usize>,
    /// Identifies the trace the node belongs to (values of different traces never mix).
    pub trace: u64,
}

impl Tracer {
    /// The type of the value this one stands for: `Float` when 0-d, else `Tensor`.
    pub fn stands_for(&self) -> &'static str {
        if self.shape.is_empty() {
            "Float"
        } else {
            "Tensor"
        }
    }
}

/// Fields in the order they were written.
#[derive(Clone, Debug, Default)]
pub struct Record {
    pub fields: Vec<(Rc<str>, Value)>,
}

impl Record {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, v)| v)
    }
}

/// A function value: a closure written in OptL, a prelude builtin, or a host function.
#[derive(Debug)]
pub enum Func {
    Closure(Closure),
    Builtin(crate::builtins::Builtin),
    Host(HostFn),
    /// `grad(f)` or `value_and_grad(f)`.
    Derived(crate::numeric::Derived),
}

#[derive(Debug)]
pub struct Closure {
    /// `None` for anonymous `fn(x) = ...`.
    pub name: Option<Rc<str>>,
    pub params: Rc<Vec<Param>>,
    pub body: Rc<Expr>,
    pub env: Rc<Scope>,
    pub span: Span,
}

/// A Rust function registered by an embedding program.
pub struct HostFn {
    pub name: Rc<str>,
    pub signature: Signature,
    #[allow(clippy::type_complexity)]
    pub f: Box<dyn Fn(&[Value]) -> Result<Value, String>>,
}

impl std::fmt::Debug for HostFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<host fn {}>", self.name)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SymKind {
    Problem,
    Rule,
    /// A native solver constructor (`lbfgs()`, `auglag(inner = lbfgs())`).
    Solver,
    /// `chain(r1, r2, ...)`: rules applied in turn, each one's `u` the next one's `g`.
    /// Its arguments are the rules, named by position (`"0"`, `"1"`, ...).
    Chain,
    /// A learning-rate schedule (`cosine(1e-3, steps = 500)`): a value per step.
    Schedule,
    /// A search algorithm (`evolution(population = 16)`).
    Algorithm,
}

impl SymKind {
    pub fn word(self) -> &'static str {
        match self {
            SymKind::Problem => "problem",
            SymKind::Rule => "rule",
            SymKind::Solver => "solver",
            SymKind::Chain => "chain",
            SymKind::Schedule => "schedule",
            SymKind::Algorithm => "algorithm",
        }
    }
}

/// A declared `problem` or `rule` with the scope it was declared in.
#[derive(Debug)]
pub struct Family {
    pub kind: SymKind,
    pub decl: Decl,
    pub env: Rc<Scope>,
    pub span: Span,
}

impl Family {
    pub fn name(&self) -> &Rc<str> {
        &self.decl.name.name
    }

    pub fn params(&self) -> &[Param] {
        self.decl.params.as_deref().unwrap_or(&[])
    }
}

/// An instance: every declared parameter bound to a value, in declaration order.
#[derive(Debug)]
pub struct SymObj {
    pub family: Rc<Family>,
    pub args: Vec<(Rc<str>, Value)>,
}

impl SymObj {
    pub fn name(&self) -> &Rc<str> {
        self.family.name()
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.args.iter().find(|(n, _)| &**n == name).map(|(_, v)| v)
    }
}

/// An imported module: its top-level names.
#[derive(Debug)]
pub struct Module {
    pub name: Rc<str>,
    pub members: Record,
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(s.into())
    }

    pub fn tensor(t: Tensor) -> Value {
        Value::Tensor(Rc::new(t))
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(items))
    }

    pub fn record(fields: Vec<(Rc<str>, Value)>) -> Value {
        Value::Record(Rc::new(Record { fields }))
    }

    /// The name of this value's type, as error messages and `type(x)` show it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Unit => "Unit",
            Value::Bool(_) => "Bool",
            Value::Int(_) => "Int",
            Value::Float(_) => "Float",
            Value::Str(_) => "Str",
            Value::Tensor(_) => "Tensor",
            Value::Sparse(_) => "Sparse",
            Value::List(_) => "List",
            Value::Record(_) => "Record",
            Value::Func(_) => "Function",
            Value::Family(f) => match f.kind {
                SymKind::Problem => "ProblemFamily",
                SymKind::Rule => "RuleFamily",
                SymKind::Solver => "SolverFamily",
                SymKind::Chain => "ChainFamily",
                SymKind::Schedule => "ScheduleFamily",
                SymKind::Algorithm => "AlgorithmFamily",
            },
            Value::Sym(s) => match s.family.kind {
                SymKind::Problem => "Problem",
                SymKind::Rule => "Rule",
                SymKind::Solver => "Solver",
                SymKind::Chain => "Chain",
                SymKind::Schedule => "Schedule",
                SymKind::Algorithm => "Algorithm",
            },
            Value::Result(_) => "Result",
            Value::Hyper(_) => "HyperValue",
            Value::Module(_) => "Module",
            Value::Tracer(_) => "Traced",
        }
    }

    /// The text `print` shows: strings bare, Floats `%g`, everything else canonical
    /// with `%g` numbers inside.
    pub fn display(&self) -> String {
        match self {
            Value::Str(s) => s.to_string(),
            _ => {
                let mut out = String::new();
                write_value(&mut out, self, Style::Display);
                out
            }
        }
    }

    /// Canonical source form: Floats round-trip exactly, strings quoted.
    pub fn repr(&self) -> String {
        let mut out = String::new();
        write_value(&mut out, self, Style::Repr);
        out
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Display,
    Repr,
}

fn float_text(x: f64, style: Style) -> String {
    match style {
        Style::Display => fmt_g(x),
        Style::Repr => repr_f64(x),
    }
}

/// A sparse matrix: a short summary to display, the `sparse(...)` call that
/// rebuilds it as its canonical source.
fn write_sparse(out: &mut String, a: &optl_linalg::Csr, style: Style) {
    let (m, n) = a.shape();
    if style == Style::Display {
        let _ = write!(out, "<sparse {m}x{n}, {} stored>", a.nnz());
        return;
    }
    let (mut rows, mut cols, mut vals) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..m {
        let (js, xs) = a.row(i);
        for (&j, &x) in js.iter().zip(xs) {
            rows.push(i.to_string());
            cols.push(j.to_string());
            vals.push(float_text(x, style));
        }
    }
    let _ = write!(
        out,
        "sparse([{}], [{}], [{}], [{m}, {n}])",
        rows.join(", "),
        cols.join(", "),
        vals.join(", ")
    );
}

fn write_value(out: &mut String, v: &Value, style: Style) {
    match v {
        Value::Unit => out.push_str("()"),
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Float(x) => out.push_str(&float_text(*x, style)),
        Value::Str(s) => {
            out.push('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        Value::Tensor(t) => out.push_str(&fmt_tensor(t, |x| float_text(x, style))),
        Value::Sparse(a) => write_sparse(out, a, style),
        Value::List(items) => write_list(out, items, style),
        Value::Record(r) => {
            out.push('{');
            for (i, (name, value)) in r.fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{name}: ");
                write_value(out, value, style);
            }
            out.push('}');
        }
        Value::Func(f) => match &**f {
            Func::Closure(c) => {
                out.push_str("<fn");
                if let Some(n) = &c.name {
                    let _ = write!(out, " {n}");
                }
                out.push('(');
                write_params(out, &c.params);
                out.push_str(")>");
            }
            Func::Builtin(b) => {
                let _ = write!(out, "<builtin {}({})>", b.name, b.signature);
            }
            Func::Host(h) => {
                let _ = write!(out, "<host fn {}({})>", h.name, h.signature);
            }
            Func::Derived(d) => {
                let word = match d.kind {
                    crate::numeric::DerivedKind::Grad => "grad",
                    crate::numeric::DerivedKind::ValueAndGrad => "value_and_grad",
                };
                let _ = write!(out, "<{word} of ");
                write_value(out, &d.f, style);
                out.push('>');
            }
        },
        Value::Family(f) => {
            let _ = write!(out, "<{} {}(", f.kind.word(), f.name());
            write_params(out, f.params());
            out.push_str(")>");
        }
        Value::Sym(s) => {
            out.push_str(s.name());
            if s.family.kind == SymKind::Chain {
                // The rules in order: `chain(clip_norm(max_norm = 1), adam(...))`.
                out.push('(');
                for (i, (_, value)) in s.args.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_value(out, value, style);
                }
                out.push(')');
            } else if s.family.decl.params.is_some() {
                out.push('(');
                for (i, (name, value)) in s.args.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    let _ = write!(out, "{name} = ");
                    write_value(out, value, style);
                }
                out.push(')');
            }
        }
        Value::Module(m) => {
            let _ = write!(out, "<module {}>", m.name);
        }
        Value::Tracer(t) => {
            let _ = write!(out, "<traced {}>", optl_ir::graph::shape_text(&t.shape));
        }
        Value::Result(r) => write_result(out, r, style),
        Value::Hyper(h) => write_hyper(out, h, style),
    }
}

fn write_params(out: &mut String, params: &[Param]) {
    for (i, p) in params.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&p.name.name);
        if let Some(d) = &p.default {
            let _ = write!(out, " = {}", optl_syntax::print::expr_to_source(d));
        }
    }
}

/// Structural equality: what `==` means for non-numeric values and what symbolic
/// objects compare by. Numbers compare by value across Int and Float.
pub fn structural_eq(a: &Value, b: &Value) -> bool {
    equal(a, b, true)
}

/// Structural equality that also tells Int from Float (`1` is not `1.0`): what a
/// value prints as must agree too.
pub fn identical(a: &Value, b: &Value) -> bool {
    equal(a, b, false)
}

fn equal(a: &Value, b: &Value, across_kinds: bool) -> bool {
    use Value::*;
    let eq = |p: &Value, q: &Value| equal(p, q, across_kinds);
    match (a, b) {
        (Unit, Unit) => true,
        (Bool(x), Bool(y)) => x == y,
        (Int(x), Int(y)) => x == y,
        (Int(x), Float(y)) | (Float(y), Int(x)) => across_kinds && (*x as f64) == *y,
        (Float(x), Float(y)) => x == y,
        (Str(x), Str(y)) => x == y,
        (Tensor(x), Tensor(y)) => {
            x.shape() == y.shape() && x.iter().zip(y.iter()).all(|(p, q)| p == q)
        }
        (List(x), List(y)) => x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| eq(p, q)),
        (Record(x), Record(y)) => {
            x.fields.len() == y.fields.len()
                && x.fields
                    .iter()
                    .zip(&y.fields)
                    .all(|((n1, v1), (n2, v2))| n1 == n2 && eq(v1, v2))
        }
        (Func(x), Func(y)) => Rc::ptr_eq(x, y),
        (Family(x), Family(y)) => Rc::ptr_eq(x, y),
        (Sym(x), Sym(y)) => {
            x.family.kind == y.family.kind
                && x.name() == y.name()
                && x.args.len() == y.args.len()
                && x.args
                    .iter()
                    .zip(&y.args)
                    .all(|((n1, v1), (n2, v2))| n1 == n2 && eq(v1, v2))
        }
        (Sparse(x), Sparse(y)) => x == y,
        (Module(x), Module(y)) => Rc::ptr_eq(x, y),
        (Tracer(x), Tracer(y)) => x.trace == y.trace && x.node == y.node,
        (Hyper(x), Hyper(y)) => hyper_eq(x, y),
        _ => false,
    }
}

/// `print(solve(...))`: status, objective, counts and time on one line; the fields
/// (`r.vars`, `r.history`, ...) hold the details.
fn write_result(out: &mut String, r: &Record, style: Style) {
    if r.get("unique").is_some() {
        return write_study(out, r, style);
    }
    out.push_str("<result");
    // `time_s` stays a field but is not shown: printed output must be deterministic.
    for key in ["status", "f", "iters", "evals", "max_violation"] {
        if let Some(v) = r.get(key) {
            let _ = write!(out, " {key} = ");
            match v {
                Value::Str(s) => out.push_str(s),
                other => write_value(out, other, style),
            }
        }
    }
    if let Some(Value::List(front)) = r.get("front") {
        let _ = write!(out, " front = {} points", front.len());
    }
    out.push('>');
}

/// What `search` returns prints as a summary: counts, then the best score and value.
fn write_study(out: &mut String, r: &Record, style: Style) {
    out.push_str("<study");
    if let Some(Value::List(trials)) = r.get("trials") {
        let _ = write!(out, " trials = {}", trials.len());
    }
    for key in ["unique", "cache_hits", "failures", "best_score", "best"] {
        if let Some(v) = r.get(key) {
            let _ = write!(out, " {key} = ");
            write_value(out, v, style);
        }
    }
    out.push('>');
}

fn write_list(out: &mut String, items: &[Value], style: Style) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_value(out, item, style);
    }
    out.push(']');
}

/// Hyper-values print as the calls that make them: `floatv(0.0001, 0.1, scale = "log")`.
fn write_hyper(out: &mut String, h: &Hyper, style: Style) {
    match h {
        Hyper::OneOf(c) => {
            out.push_str("oneof(");
            write_list(out, c, style);
            out.push(')');
        }
        Hyper::ManyOf {
            k,
            candidates,
            distinct,
            sorted,
        } => {
            let _ = write!(out, "manyof({k}, ");
            write_list(out, candidates, style);
            let _ = write!(out, ", distinct = {distinct}, sorted = {sorted})");
        }
        Hyper::Float { lo, hi, log } => {
            let scale = if *log { "log" } else { "linear" };
            let _ = write!(
                out,
                "floatv({}, {}, scale = \"{scale}\")",
                float_text(*lo, style),
                float_text(*hi, style)
            );
        }
        Hyper::Int { lo, hi } => {
            let _ = write!(out, "intv({lo}, {hi})");
        }
    }
}

fn hyper_eq(x: &Hyper, y: &Hyper) -> bool {
    let all = |a: &[Value], b: &[Value]| {
        a.len() == b.len() && a.iter().zip(b).all(|(p, q)| structural_eq(p, q))
    };
    match (x, y) {
        (Hyper::OneOf(a), Hyper::OneOf(b)) => all(a, b),
        (
            Hyper::ManyOf {
                k,
                candidates,
                distinct,
                sorted,
            },
            Hyper::ManyOf {
                k: k2,
                candidates: c2,
                distinct: d2,
                sorted: s2,
            },
        ) => k == k2 && distinct == d2 && sorted == s2 && all(candidates, c2),
        (
            Hyper::Float { lo, hi, log },
            Hyper::Float {
                lo: l2,
                hi: h2,
                log: g2,
            },
        ) => lo == l2 && hi == h2 && log == g2,
        (Hyper::Int { lo, hi }, Hyper::Int { lo: l2, hi: h2 }) => lo == l2 && hi == h2,
        _ => false,
    }
}
