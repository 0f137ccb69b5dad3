//! Problems as IR: a `problem` instance traced into one `Function` whose inputs
//! are the vars and whose outputs are the objectives and constraint residuals
//! (`TracedProblem`), with a `lower` block traced into `TracedLower`; var bounds,
//! starts and sets checked as they are traced.

use super::asked_here;
use crate::convert::to_tensor;
use crate::env::Scope;
use crate::evaluator::{EvalResult, Interp, err_label};
use crate::trace::not_traceable;
use crate::value::{SymKind, SymObj, Value};
use optl_ir::{Function, Shape};
use optl_linalg::prox::Set;
use optl_syntax::ast::{BinOp, ExprKind, StmtKind};
use optl_syntax::span::Span;
use optl_syntax::{Diagnostic, codes};
use optl_tensor::Tensor;
use std::rc::Rc;

/// A `var` of a traced problem.
#[derive(Clone, Debug)]
pub struct TracedVar {
    pub name: Rc<str>,
    pub shape: Shape,
    pub init: Tensor,
    pub lower: Tensor,
    pub upper: Tensor,
    /// The set the var is declared in (`in simplex`); its bounds are then infinite.
    pub set: Option<Set>,
}

/// The sets a var can be declared in, as the language names them.
pub const SET_NAMES: &[&str] = &["simplex", "l1ball", "l2ball", "nuclear_ball"];

/// The start projected onto its set (it was finite before).
fn project_start(set: Set, init: Tensor, span: Span) -> EvalResult<Tensor> {
    let flat: Vec<f64> = init.iter().copied().collect();
    let mut out = vec![0.0; flat.len()];
    set.project(&flat, &mut out)
        .map_err(|e| err_label(codes::INVALID_ARGUMENT, e.to_string(), span, "this set"))?;
    Tensor::from_shape_vec(init.raw_dim(), out)
        .map_err(|e| err_label(codes::INVALID_ARGUMENT, e.to_string(), span, "this set"))
}

/// A var's bounds must be numbers with every lower bound at most its upper
/// bound: a NaN bound or an empty interval is an error at the declaration, before
/// anything runs.
fn check_bounds(lower: &Tensor, upper: &Tensor, v: &optl_syntax::ast::VarDecl) -> EvalResult<()> {
    let at = v
        .bounds
        .as_ref()
        .map_or(v.name.span, |b| b.0.span.to(b.1.span));
    let entry = |i: usize| match lower.len() {
        1 => String::new(),
        _ => format!(" at entry {i}"),
    };
    let pairs = lower.iter().zip(upper.iter()).enumerate();
    for (i, (&lo, &hi)) in pairs {
        let problem = if lo.is_nan() || hi.is_nan() {
            format!("a bound of `{}` is NaN{}", v.name.name, entry(i))
        } else if lo > hi {
            format!(
                "the bounds of `{}` are empty{}: lower {lo} is above upper {hi}",
                v.name.name,
                entry(i)
            )
        } else {
            continue;
        };
        let d = Diagnostic::error(codes::INVALID_ARGUMENT, problem)
            .at(at, "these bounds")
            .hint(
                "write `var x in [lower, upper]` with finite or infinite numbers, lower <= upper",
            );
        return Err(Box::new(d));
    }
    Ok(())
}

impl Interp {
    /// The set of a var declaration, checked: a known name, at most one radius (a
    /// finite number > 0, default 1), `nuclear_ball` only on a matrix.
    fn var_set(
        &mut self,
        decl: &optl_syntax::ast::SetDecl,
        shape: &[usize],
        scope: &Rc<Scope>,
    ) -> EvalResult<Set> {
        let name = &*decl.name.name;
        if !SET_NAMES.contains(&name) {
            let known = "a var is declared `in [lo, hi]` or in `simplex`, `simplex(r)`, `l1ball(r)`, `l2ball(r)` or `nuclear_ball(r)`";
            let hint = match crate::suggest::closest(name, SET_NAMES.iter().copied()) {
                Some(close) => format!(
                    "did you mean `{close}`? {}{}",
                    known[..1].to_uppercase(),
                    &known[1..]
                ),
                None => known.to_string(),
            };
            let d = Diagnostic::error(codes::INVALID_ARGUMENT, format!("unknown set `{name}`"))
                .at(decl.name.span, "not a set")
                .hint(hint);
            return Err(Box::new(d));
        }
        if decl.args.len() > 1 {
            return Err(err_label(
                codes::INVALID_ARGUMENT,
                format!(
                    "`{name}` takes one radius, found {} arguments",
                    decl.args.len()
                ),
                decl.span,
                "too many arguments",
            ));
        }
        let radius = match decl.args.first() {
            None => 1.0,
            Some(e) => match self.eval(e, scope)? {
                Value::Int(n) => n as f64,
                Value::Float(x) => x,
                other => {
                    return Err(err_label(
                        codes::INVALID_ARGUMENT,
                        format!(
                            "the radius of `{name}` must be a number, found {}",
                            other.display()
                        ),
                        e.span,
                        "not a radius",
                    ));
                }
            },
        };
        if !(radius.is_finite() && radius > 0.0) {
            let at = decl.args.first().map_or(decl.span, |e| e.span);
            return Err(err_label(
                codes::INVALID_ARGUMENT,
                format!("the radius of `{name}` must be a finite number > 0, found {radius}"),
                at,
                "an empty or unbounded set",
            ));
        }
        Ok(match name {
            "simplex" => Set::Simplex { radius },
            "l1ball" => Set::L1Ball { radius },
            "l2ball" => Set::L2Ball { radius },
            _ => match shape {
                [rows, cols] => Set::NuclearBall {
                    radius,
                    rows: *rows,
                    cols: *cols,
                },
                _ => {
                    return Err(err_label(
                        codes::INVALID_ARGUMENT,
                        format!(
                            "`nuclear_ball` bounds the singular values of a matrix, and this var has shape {}",
                            optl_tensor::shape_str(shape)
                        ),
                        decl.span,
                        "needs a matrix var",
                    ));
                }
            },
        })
    }
}

/// Whether a constraint row must be `<= 0` or `== 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstraintKind {
    LessEq,
    Equal,
}

/// A `subject to` statement: its residual is output `output` of the function.
#[derive(Clone, Debug)]
pub struct TracedConstraint {
    pub kind: ConstraintKind,
    pub output: usize,
    pub rows: usize,
    pub span: Span,
}

/// A problem instance as IR. The function's inputs are the vars in declaration order;
/// its outputs are the objectives (minimize sense; `maximize` is negated) and then one
/// flattened residual vector per constraint.
#[derive(Clone, Debug)]
pub struct TracedProblem {
    pub name: Rc<str>,
    pub function: Function,
    pub vars: Vec<TracedVar>,
    /// Per objective: true when it was written as `maximize` (and negated).
    pub maximize: Vec<bool>,
    pub constraints: Vec<TracedConstraint>,
    /// The lower problem, when the problem is bilevel.
    pub lower: Option<TracedLower>,
}

/// The statements of one level traced so far.
#[derive(Default)]
struct Level {
    vars: Vec<TracedVar>,
    objectives: Vec<optl_ir::NodeId>,
    maximize: Vec<bool>,
    residuals: Vec<(optl_ir::NodeId, Span)>,
    kinds: Vec<ConstraintKind>,
    /// For a lower level: the upper vars declared before its block.
    upper_before: usize,
}

/// The lower problem of a bilevel problem (`lower NAME { ... }`): its vars are
/// inputs of the problem's function after the upper vars declared before the
/// block; its objective and constraint residuals are outputs after the upper ones.
#[derive(Clone, Debug)]
pub struct TracedLower {
    pub name: Rc<str>,
    /// The name as written in the `lower` statement.
    pub span: Span,
    pub vars: Vec<TracedVar>,
    /// The upper vars declared before the block: the lower vars are the
    /// function's inputs from this index on.
    pub first_input: usize,
    /// The output holding the lower objective (minimize sense).
    pub objective: usize,
    pub maximize: bool,
    pub constraints: Vec<TracedConstraint>,
}

impl Interp {
    /// Traces a problem instance: vars become inputs, objectives and constraints outputs.
    pub fn trace_problem(&mut self, p: &SymObj, span: Span) -> EvalResult<TracedProblem> {
        if p.family.kind != SymKind::Problem {
            return Err(err_label(
                codes::TYPE_MISMATCH,
                "expected a problem",
                span,
                "this is a rule",
            ));
        }
        self.begin_trace();
        let result = self.trace_problem_body(p, span);
        let graph = self.end_trace();
        // An error inside a problem declared in another file (the stdlib's tasks, an
        // imported module) also points at the place that asked for the problem.
        let (outputs, vars, maximize, constraints, lower) = result.map_err(|d| {
            match d
                .labels
                .iter()
                .any(|l| l.primary && l.span.file != span.file)
            {
                true => asked_here(d, span, format!("in the problem `{}`", p.name())),
                false => d,
            }
        })?;
        Ok(TracedProblem {
            name: p.name().clone(),
            function: optl_ir::prune(&Function { graph, outputs }),
            vars,
            maximize,
            constraints,
            lower,
        })
    }

    #[allow(clippy::type_complexity)]
    fn trace_problem_body(
        &mut self,
        p: &SymObj,
        span: Span,
    ) -> EvalResult<(
        Vec<optl_ir::NodeId>,
        Vec<TracedVar>,
        Vec<bool>,
        Vec<TracedConstraint>,
        Option<TracedLower>,
    )> {
        let scope = Scope::child(&p.family.env);
        for (name, value) in &p.args {
            scope.define(name.clone(), value.clone());
        }
        self.hoist(&p.family.decl.body, &scope);
        let mut upper = Level::default();
        let mut lower = None;
        self.trace_level(&p.family.decl.body, &scope, &mut upper, Some(&mut lower))?;
        let _ = span;
        let mut outputs = Vec::new();
        let upper_constraints = self.level_outputs(&mut upper, &mut outputs);
        let lower = match lower {
            Some((name, name_span, mut level)) => {
                let objective = outputs.len();
                let maximize = level.maximize.first().copied().unwrap_or(false);
                let constraints = self.level_outputs(&mut level, &mut outputs);
                Some(TracedLower {
                    name,
                    span: name_span,
                    first_input: level.upper_before,
                    vars: level.vars,
                    objective,
                    maximize,
                    constraints,
                })
            }
            None => None,
        };
        Ok((
            outputs,
            upper.vars,
            upper.maximize,
            upper_constraints,
            lower,
        ))
    }

    /// Appends a level's objectives and then its constraint residuals to
    /// `outputs`; the constraints, numbered by their place there.
    fn level_outputs(
        &mut self,
        level: &mut Level,
        outputs: &mut Vec<optl_ir::NodeId>,
    ) -> Vec<TracedConstraint> {
        outputs.append(&mut level.objectives);
        let mut constraints = Vec::new();
        for ((node, cspan), kind) in level.residuals.drain(..).zip(level.kinds.drain(..)) {
            let rows = self
                .traces
                .last()
                .map_or(0, |t| t.graph.shape(node).iter().product());
            constraints.push(TracedConstraint {
                kind,
                output: outputs.len(),
                rows,
                span: cspan,
            });
            outputs.push(node);
        }
        constraints
    }

    /// Traces the statements of one level of a problem body into `level`; a
    /// `lower` block (allowed when `lower` is given) into that slot.
    #[allow(clippy::type_complexity)]
    fn trace_level(
        &mut self,
        body: &[optl_syntax::ast::Stmt],
        scope: &Rc<Scope>,
        level: &mut Level,
        mut lower: Option<&mut Option<(Rc<str>, Span, Level)>>,
    ) -> EvalResult<()> {
        let limit = self.limits.max_elements;
        for s in body {
            match &s.kind {
                StmtKind::Var(v) => {
                    let mut shape = Vec::new();
                    for d in v.dims.iter().flatten() {
                        match self.eval(d, scope)? {
                            Value::Int(n) if n >= 1 => shape.push(n as usize),
                            other => {
                                let d = Diagnostic::error(
                                    codes::INVALID_ARGUMENT,
                                    format!(
                                        "a var dimension must be a positive Int, found {}",
                                        other.display()
                                    ),
                                )
                                .at(d.span, "bad dimension")
                                .hint("a var with no entries has nothing to optimize; give each dimension as an Int >= 1");
                                return Err(Box::new(d));
                            }
                        }
                    }
                    optl_tensor::check_limit(&shape, limit)
                        .map_err(|e| crate::convert::tensor_error(e, s.span))?;
                    // A start or bound broadcasts to the var's shape, never beyond it.
                    let var_name = &v.name.name;
                    let fill = |interp: &mut Interp,
                                e: Option<&optl_syntax::ast::Expr>,
                                default: f64,
                                what: &str|
                     -> EvalResult<Tensor> {
                        let base = optl_tensor::full(&shape, default, limit)
                            .map_err(|e| crate::convert::tensor_error(e, s.span))?;
                        let Some(e) = e else { return Ok(base) };
                        let v = interp.eval(e, scope)?;
                        if matches!(v, Value::Tracer(_)) {
                            return Err(not_traceable(
                                "a var's start or bounds depending on other vars",
                                e.span,
                            ));
                        }
                        let t = to_tensor(&v, e.span, limit)?;
                        match optl_tensor::broadcast_shapes(base.shape(), t.shape()) {
                            Ok(b) if b == shape => {}
                            _ => {
                                return Err(err_label(
                                    codes::SHAPE_MISMATCH,
                                    format!(
                                        "the {what} of `{}` has shape {}, which does not broadcast to the var's shape {}",
                                        var_name,
                                        optl_tensor::shape_str(t.shape()),
                                        optl_tensor::shape_str(&shape)
                                    ),
                                    e.span,
                                    format!("shape {}", optl_tensor::shape_str(t.shape())),
                                ));
                            }
                        }
                        optl_tensor::zip_with(&base, &t, limit, |_, x| x)
                            .map_err(|err| crate::convert::tensor_error(err, e.span))
                    };
                    let bounds = v.bounds.as_ref();
                    let lower = fill(self, bounds.map(|b| &b.0), f64::NEG_INFINITY, "lower bound")?;
                    let upper = fill(self, bounds.map(|b| &b.1), f64::INFINITY, "upper bound")?;
                    check_bounds(&lower, &upper, v)?;
                    let init = fill(self, v.init.as_ref(), 0.0, "start value")?;
                    // A start outside the bounds is projected onto them (LANGUAGE.md §5);
                    // NaN stays NaN (`max` would turn it into the lower bound), and a
                    // start that is not finite after the projection is an error here.
                    let init = optl_tensor::zip3_with(&init, &lower, &upper, limit, |x, lo, hi| {
                        if x.is_nan() { x } else { x.max(lo).min(hi) }
                    })
                    .map_err(|e| crate::convert::tensor_error(e, s.span))?;
                    if let Some((i, x)) = init.iter().enumerate().find(|(_, x)| !x.is_finite()) {
                        let at = v.init.as_ref().map_or(v.name.span, |e| e.span);
                        return Err(err_label(
                            codes::INVALID_ARGUMENT,
                            format!(
                                "the start of `{}` must be finite, but entry {i} is {x}",
                                v.name.name
                            ),
                            at,
                            "not a finite start",
                        ));
                    }
                    let (set, init) = match &v.set {
                        Some(decl) => {
                            let set = self.var_set(decl, &shape, scope)?;
                            (Some(set), project_start(set, init, decl.span)?)
                        }
                        None => (None, init),
                    };
                    let tracer = self.trace_input(shape.clone());
                    scope.define(v.name.name.clone(), tracer);
                    level.vars.push(TracedVar {
                        name: v.name.name.clone(),
                        shape,
                        init,
                        lower,
                        upper,
                        set,
                    });
                }
                StmtKind::Let(name, e) => {
                    let v = self.eval(e, scope)?;
                    scope.define(name.name.clone(), v);
                }
                StmtKind::Minimize(e) | StmtKind::Maximize(e) => {
                    let is_max = matches!(s.kind, StmtKind::Maximize(_));
                    let v = self.eval(e, scope)?;
                    let node = self.lift(&v, e.span)?;
                    // A vector is one objective per entry, in order.
                    let count = match self.active(e.span)?.graph.shape(node) {
                        [] => None,
                        [k] if *k > 0 => Some(*k),
                        other => {
                            return Err(err_label(
                                codes::SHAPE_MISMATCH,
                                format!(
                                    "an objective must be a scalar or a vector of objectives, this one has shape {}",
                                    optl_ir::graph::shape_text(other)
                                ),
                                e.span,
                                "not a scalar or a vector",
                            ));
                        }
                    };
                    for i in 0..count.unwrap_or(1) {
                        let part = self.build(e.span, |g| {
                            let entry = match count {
                                None => node,
                                Some(_) => {
                                    let one = optl_ir::graph::AxisSlice {
                                        start: i,
                                        step: 1,
                                        len: 1,
                                    };
                                    let s = g.slice(node, vec![one])?;
                                    g.reshape(s, &[])?
                                }
                            };
                            Ok(if is_max {
                                g.unary(optl_ir::UnaryOp::Neg, entry)
                            } else {
                                entry
                            })
                        })?;
                        level.objectives.push(self.lift(&part, e.span)?);
                        level.maximize.push(is_max);
                    }
                }
                StmtKind::SubjectTo(e) => {
                    let ExprKind::Binary(
                        op @ (BinOp::Le | BinOp::Ge | BinOp::Eq | BinOp::Lt | BinOp::Gt),
                        lhs,
                        rhs,
                    ) = &e.kind
                    else {
                        return Err(err_label(
                            codes::TYPE_MISMATCH,
                            "a constraint must be a relation `A <= B`, `A >= B` or `A == B`",
                            e.span,
                            "not a relation",
                        ));
                    };
                    let a = self.eval(lhs, scope)?;
                    let b = self.eval(rhs, scope)?;
                    let (kind, first, second) = match op {
                        BinOp::Le | BinOp::Lt => (ConstraintKind::LessEq, &a, &b),
                        BinOp::Ge | BinOp::Gt => (ConstraintKind::LessEq, &b, &a),
                        _ => (ConstraintKind::Equal, &a, &b),
                    };
                    let (x, y, _) = self.lift_pair(first, second, e.span)?;
                    let r = self.build(e.span, |g| {
                        let d = g.binary(optl_ir::BinaryOp::Sub, x, y)?;
                        let n: usize = g.shape(d).iter().product();
                        g.reshape(d, &[n])
                    })?;
                    level.residuals.push((self.lift(&r, e.span)?, e.span));
                    level.kinds.push(kind);
                }
                StmtKind::Lower(d) => {
                    let Some(slot) = lower.as_deref_mut() else {
                        return Err(err_label(
                            codes::MISPLACED_STATEMENT,
                            "a `lower` block inside a lower problem",
                            s.span,
                            "not allowed here",
                        ));
                    };
                    let inner = Scope::child(scope);
                    let mut level = Level {
                        upper_before: level.vars.len(),
                        ..Level::default()
                    };
                    self.trace_level(&d.body, &inner, &mut level, None)?;
                    let fields: Vec<(Rc<str>, Value)> = level
                        .vars
                        .iter()
                        .map(|v| {
                            let value = inner.lookup(&v.name).unwrap_or(Value::Unit);
                            (v.name.clone(), value)
                        })
                        .collect();
                    scope.define(d.name.name.clone(), Value::record(fields));
                    *slot = Some((d.name.name.clone(), d.name.span, level));
                }
                StmtKind::Fn(_) | StmtKind::Problem(_) | StmtKind::Rule(_) => {}
                _ => {
                    return Err(err_label(
                        codes::MISPLACED_STATEMENT,
                        "this statement cannot run in a problem body",
                        s.span,
                        "not allowed here",
                    ));
                }
            }
        }
        Ok(())
    }
}
