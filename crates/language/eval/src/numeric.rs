//! Numeric code as IR: tracing functions and problem bodies into `optl_ir::Function`s,
//! and the builtins built on that: `grad`, `value_and_grad`, `fhash`.

use crate::convert::{from_tensor, to_tensor};
use crate::env::Scope;
use crate::evaluator::{ArgVal, EvalResult, Interp, a_type, err_label};
use crate::trace::not_traceable;
use crate::value::{Func, SymKind, SymObj, Value};
use optl_ir::{Function, Shape};
use optl_linalg::prox::Set;
use optl_syntax::ast::{BinOp, ExprKind, StmtKind};
use optl_syntax::span::Span;
use optl_syntax::{Diagnostic, codes};
use optl_tensor::Tensor;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// What a derived function computes from the function it wraps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DerivedKind {
    Grad,
    ValueAndGrad,
}

/// `grad(f)` / `value_and_grad(f)`: traces `f` once per argument shapes, differentiates
/// the IR, and evaluates the gradient program on each call.
#[derive(Debug)]
pub struct Derived {
    pub kind: DerivedKind,
    pub f: Value,
    pub cache: RefCell<HashMap<Vec<Shape>, optl_jit::engines::Program>>,
}

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

/// The shape of a numeric argument value (for tracing at the shapes of a call).
pub fn shape_of(v: &Value, span: Span, limit: usize) -> EvalResult<Shape> {
    match v {
        Value::Tracer(t) => Ok(t.shape.clone()),
        other => Ok(to_tensor(other, span, limit)?.shape().to_vec()),
    }
}

impl Interp {
    /// Traces a callable at argument shapes into a one-output function.
    pub fn trace_function(
        &mut self,
        f: &Value,
        shapes: &[Shape],
        span: Span,
    ) -> EvalResult<Function> {
        self.begin_trace();
        let result = (|| {
            let args: Vec<ArgVal> = shapes
                .iter()
                .map(|s| ArgVal::positional(self.trace_input(s.clone()), span))
                .collect();
            let out = self.call(f, args, span)?;
            self.lift(&out, span)
        })();
        let graph = self.end_trace();
        let output = result?;
        Ok(optl_ir::prune_owned(Function {
            graph,
            outputs: vec![output],
        }))
    }

    /// Calls a derived function (`grad(f)(x)`).
    pub fn call_derived(
        &mut self,
        d: &Derived,
        args: Vec<ArgVal>,
        span: Span,
    ) -> EvalResult<Value> {
        if args.iter().any(|a| matches!(a.value, Value::Tracer(_))) {
            return Err(not_traceable("differentiating inside traced code", span));
        }
        if let Some(a) = args.iter().find(|a| a.name.is_some()) {
            return Err(err_label(
                codes::UNKNOWN_KEYWORD,
                "a gradient function takes its arguments by position",
                a.span,
                "keyword argument",
            ));
        }
        let limit = self.limits.max_elements;
        let mut shapes = Vec::with_capacity(args.len());
        let mut inputs = Vec::with_capacity(args.len());
        for a in &args {
            let t = to_tensor(&a.value, a.span, limit)?;
            shapes.push(t.shape().to_vec());
            inputs.push(Rc::unwrap_or_clone(t));
        }
        let cached = d.cache.borrow().get(&shapes).cloned();
        let program = match cached {
            Some(p) => p,
            None => {
                let f = self.trace_function(&d.f, &shapes, span)?;
                if !f.graph.shape(f.outputs[0]).is_empty() {
                    return Err(err_label(
                        codes::SHAPE_MISMATCH,
                        format!(
                            "`grad` needs a function with a scalar result, this one gives shape {}",
                            optl_ir::graph::shape_text(f.graph.shape(f.outputs[0]))
                        ),
                        span,
                        "not a scalar",
                    ));
                }
                // `grad(f)` does not return the value: its program leaves it out, so
                // that the value's nodes the gradient does not need are not run.
                // The traced function is not needed afterwards, and is already
                // simplified and hash-consed: differentiate it in place.
                let gf = optl_ir::ad::grad_in_place(f, d.kind == DerivedKind::ValueAndGrad);
                let g = self
                    .engines
                    .prepare(gf.map_err(|e| crate::trace::ir_error(e, span))?);
                d.cache.borrow_mut().insert(shapes, g.clone());
                g
            }
        };
        let mut outs = self
            .engines
            .run(&program, &inputs)
            .map_err(|e| crate::trace::ir_error(e, span))?
            .into_iter();
        let value = match d.kind {
            DerivedKind::Grad => Value::Unit,
            DerivedKind::ValueAndGrad => outs.next().map(from_tensor).unwrap_or(Value::Unit),
        };
        let grads: Vec<Value> = outs.map(from_tensor).collect();
        let grad = if grads.len() == 1 {
            grads.into_iter().next().unwrap_or(Value::Unit)
        } else {
            Value::list(grads)
        };
        Ok(match d.kind {
            DerivedKind::Grad => grad,
            DerivedKind::ValueAndGrad => {
                Value::record(vec![("value".into(), value), ("grad".into(), grad)])
            }
        })
    }

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
                            Value::Int(n) if n >= 0 => shape.push(n as usize),
                            other => {
                                return Err(err_label(
                                    codes::INVALID_ARGUMENT,
                                    format!(
                                        "a var dimension must be a non-negative Int, found {}",
                                        other.display()
                                    ),
                                    d.span,
                                    "bad dimension",
                                ));
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

/// The argument shapes `fhash(f, shapes...)` traces at: the given ones, or one scalar
/// per parameter.
pub fn fhash_shapes(f: &Value, given: &[Value], span: Span) -> EvalResult<Vec<Shape>> {
    if !given.is_empty() {
        return given
            .iter()
            .map(|v| match v {
                Value::Int(n) if *n >= 0 => Ok(vec![*n as usize]),
                Value::List(items) => items
                    .iter()
                    .map(|i| match i {
                        Value::Int(n) if *n >= 0 => Ok(*n as usize),
                        other => Err(err_label(
                            codes::TYPE_MISMATCH,
                            format!("a shape holds Ints, found {}", a_type(other)),
                            span,
                            "bad shape",
                        )),
                    })
                    .collect(),
                Value::Tensor(t) if t.ndim() == 1 => Ok(t.iter().map(|&x| x as usize).collect()),
                other => Err(err_label(
                    codes::TYPE_MISMATCH,
                    format!(
                        "a shape is an Int or a list of Ints, found {}",
                        a_type(other)
                    ),
                    span,
                    "bad shape",
                )),
            })
            .collect();
    }
    let arity = match f {
        Value::Func(func) => match &**func {
            Func::Closure(c) => c.params.len(),
            Func::Builtin(b) => b.signature.params.iter().filter(|p| p.required).count(),
            Func::Host(h) => h.signature.params.len(),
            Func::Derived(_) => 1,
        },
        other => {
            return Err(err_label(
                codes::TYPE_MISMATCH,
                format!("`fhash` needs a function, found {}", a_type(other)),
                span,
                "not a function",
            ));
        }
    };
    Ok(vec![Vec::new(); arity])
}

/// A rule (or chain) instance as IR. Inputs: `g`, `w` (the parameter shape), `step`
/// ([]), then one input per state (its current value) and, when the rule calls
/// `hutchinson()`, the probe `z * (H z)`, in the order they were met. Outputs: the
/// update `u`, the new state values, then each state's initial value (from `w`).
#[derive(Clone, Debug)]
pub struct TracedRule {
    pub function: Function,
    /// The state names, stage by stage for a chain.
    pub states: Vec<Rc<str>>,
    /// The input index of each state.
    pub state_inputs: Vec<usize>,
    /// The input index of the Hutchinson probe, when the rule uses one.
    pub probe_input: Option<usize>,
    /// Numeric hyper-parameters traced as inputs (index, value) under
    /// [`HyperParams::Inputs`]: the program is then the same for every value, so one
    /// compiled kernel serves a whole search over learning rates.
    pub hyper_inputs: Vec<(usize, f64)>,
}

/// How a rule's numeric hyper-parameters enter its traced program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HyperParams {
    /// As constants: what `fhash`, `hash` and `optl ir` see.
    #[default]
    Constants,
    /// Float hyper-parameters as scalar inputs (the first-order driver).
    Inputs,
}

/// Set while a rule is traced: the parameter shape and, once `hutchinson()` has been
/// called, the probe's input (index and traced value).
#[derive(Clone, Debug)]
pub struct RuleProbe {
    pub shape: Vec<usize>,
    pub input: Option<(usize, Value)>,
}

/// The parameter shape at which rules are traced for hashing.
pub const RULE_PROBE_SHAPE: [usize; 1] = [4];

/// The rules a rule or chain applies, in order (nested chains flattened).
pub fn chain_stages(r: &Rc<SymObj>) -> Vec<Rc<SymObj>> {
    match r.family.kind {
        SymKind::Chain => r
            .args
            .iter()
            .flat_map(|(_, v)| match v {
                Value::Sym(s) => chain_stages(s),
                _ => Vec::new(),
            })
            .collect(),
        _ => vec![Rc::clone(r)],
    }
}

/// What tracing a rule's stages collects.
#[derive(Default)]
struct RuleParts {
    hyper: HyperParams,
    states: Vec<Rc<str>>,
    state_inputs: Vec<usize>,
    new_states: Vec<optl_ir::NodeId>,
    inits: Vec<optl_ir::NodeId>,
    hyper_inputs: Vec<(usize, f64)>,
}

/// Adds a secondary label at `span`, where a problem or rule was asked for, to an
/// error raised inside its body (unless a label is there already).
fn asked_here(mut d: Box<Diagnostic>, span: Span, message: String) -> Box<Diagnostic> {
    if !d.labels.iter().any(|l| l.span == span) {
        d.labels.push(optl_syntax::Label {
            span,
            message,
            primary: false,
        });
    }
    d
}

impl Interp {
    /// Traces a rule's (or chain's) update and state initialisation for parameters of
    /// `shape`: one function, so a chain runs as one fused kernel.
    pub fn trace_rule(
        &mut self,
        r: &Rc<SymObj>,
        shape: &[usize],
        hyper: HyperParams,
        span: Span,
    ) -> EvalResult<TracedRule> {
        if !matches!(r.family.kind, SymKind::Rule | SymKind::Chain) {
            return Err(err_label(
                codes::TYPE_MISMATCH,
                format!(
                    "expected a rule or a chain, found the {} `{}`",
                    r.family.kind.word(),
                    r.name()
                ),
                span,
                "not a rule",
            ));
        }
        self.begin_trace();
        let outer_probe = self.rule_probe.replace(RuleProbe {
            shape: shape.to_vec(),
            input: None,
        });
        let result = self.trace_rule_body(r, shape, hyper, span);
        let probe = std::mem::replace(&mut self.rule_probe, outer_probe);
        let graph = self.end_trace();
        // An error inside the rule's body (often the stdlib's) also points at the
        // place that asked for the rule.
        let (outputs, parts) = result.map_err(|d| {
            let what = format!(
                "in the {} `{}`, for parameters of shape {}",
                r.family.kind.word(),
                r.name(),
                optl_tensor::shape_str(shape)
            );
            asked_here(d, span, what)
        })?;
        Ok(TracedRule {
            function: optl_ir::prune(&Function { graph, outputs }),
            states: parts.states,
            state_inputs: parts.state_inputs,
            probe_input: probe.and_then(|p| p.input.map(|(i, _)| i)),
            hyper_inputs: parts.hyper_inputs,
        })
    }

    fn trace_rule_body(
        &mut self,
        r: &Rc<SymObj>,
        shape: &[usize],
        hyper: HyperParams,
        span: Span,
    ) -> EvalResult<(Vec<optl_ir::NodeId>, RuleParts)> {
        let mut g = self.trace_input(shape.to_vec());
        let w = self.trace_input(shape.to_vec());
        let step = self.trace_input(Vec::new());
        let mut parts = RuleParts {
            hyper,
            ..RuleParts::default()
        };
        for stage in chain_stages(r) {
            g = self.trace_rule_stage(&stage, g, &w, &step, &mut parts)?;
        }
        let mut outputs = vec![self.lift(&g, span)?];
        outputs.append(&mut parts.new_states);
        outputs.extend(parts.inits.iter().copied());
        Ok((outputs, parts))
    }

    /// Traces one rule of a chain with `g` as its gradient input; returns its `u`.
    fn trace_rule_stage(
        &mut self,
        r: &SymObj,
        g: Value,
        w: &Value,
        step: &Value,
        parts: &mut RuleParts,
    ) -> EvalResult<Value> {
        let decl_span = r.family.decl.name.span;
        let mut hyper = Vec::with_capacity(r.args.len());
        for (name, value) in &r.args {
            let traced = match (parts.hyper, value) {
                (HyperParams::Inputs, Value::Float(x)) => {
                    parts.hyper_inputs.push((self.next_input_index(), *x));
                    self.trace_input(Vec::new())
                }
                _ => self.hyper_value(value, step, decl_span)?,
            };
            hyper.push((name.clone(), traced));
        }
        let scope = Scope::child(&r.family.env);
        for (name, value) in &hyper {
            scope.define(name.clone(), value.clone());
        }
        scope.define("g".into(), g);
        scope.define("w".into(), w.clone());
        scope.define("step".into(), step.clone());
        let body = r.family.decl.body.clone();
        // State inputs first (in declaration order), so input numbering is stable.
        let mut states: Vec<Rc<str>> = Vec::new();
        let mut inits = Vec::new();
        for s in body.iter() {
            if let StmtKind::State(name, init) = &s.kind {
                // The initial value sees `w`, the hyper-parameters and earlier states'
                // initial values.
                let init_scope = Scope::child(&r.family.env);
                for (n, v) in &hyper {
                    init_scope.define(n.clone(), v.clone());
                }
                init_scope.define("w".into(), w.clone());
                for (prev, v) in states.iter().zip(&inits) {
                    init_scope.define(Rc::clone(prev), self.wrap(*v));
                }
                let v = self.eval(init, &init_scope)?;
                let node = self.lift(&v, init.span)?;
                let shape_now = self
                    .traces
                    .last()
                    .map_or(Vec::new(), |t| t.graph.shape(node).to_vec());
                states.push(name.name.clone());
                inits.push(node);
                parts.state_inputs.push(self.next_input_index());
                let input = self.trace_input(shape_now);
                scope.define(name.name.clone(), input);
            }
        }
        self.hoist(&body, &scope);
        let mut u = None;
        for s in body.iter() {
            match &s.kind {
                StmtKind::State(..)
                | StmtKind::Fn(_)
                | StmtKind::Problem(_)
                | StmtKind::Rule(_) => {}
                StmtKind::Let(name, e) => {
                    let v = self.eval(e, &scope)?;
                    scope.define(name.name.clone(), v);
                }
                StmtKind::Assign(name, e) => {
                    let v = self.eval(e, &scope)?;
                    if &*name.name == "u" {
                        u = Some((v, e.span));
                    } else {
                        scope.define(name.name.clone(), v);
                    }
                }
                _ => {
                    return Err(err_label(
                        codes::MISPLACED_STATEMENT,
                        "this statement cannot run in a rule body",
                        s.span,
                        "not allowed here",
                    ));
                }
            }
        }
        let Some((u, uspan)) = u else {
            return Err(err_label(
                codes::RULE_WITHOUT_UPDATE,
                format!("rule `{}` never assigns the update `u`", r.name()),
                decl_span,
                "no `u = ...`",
            ));
        };
        // The update has the parameters' shape (a scalar `u` is broadcast).
        let u = self.lift(&u, uspan)?;
        let shape = match w {
            Value::Tracer(t) => t.shape.clone(),
            _ => Vec::new(),
        };
        let u = self.build(uspan, |graph| graph.broadcast(u, &shape))?;
        for name in &states {
            let v = scope.local(name).unwrap_or(Value::Unit);
            parts.new_states.push(self.lift(&v, decl_span)?);
        }
        parts.inits.extend(inits);
        parts.states.extend(states);
        Ok(u)
    }

    /// The index the next `trace_input` will get.
    fn next_input_index(&self) -> usize {
        self.traces
            .last()
            .map_or(0, |t| t.graph.input_shapes().len())
    }

    /// `hutchinson()` inside a rule body: the traced probe input (made at first use).
    pub fn hutchinson_probe(&mut self, span: Span) -> EvalResult<Value> {
        let Some(probe) = self.rule_probe.as_ref() else {
            return Err(err_label(
                codes::MISPLACED_STATEMENT,
                "`hutchinson()` is only available inside a rule body",
                span,
                "outside a rule",
            ));
        };
        if let Some((_, v)) = &probe.input {
            return Ok(v.clone());
        }
        let shape = probe.shape.clone();
        let index = self.next_input_index();
        let v = self.trace_input(shape);
        if let Some(p) = self.rule_probe.as_mut() {
            p.input = Some((index, v.clone()));
        }
        Ok(v)
    }

    /// The function `fhash` hashes for a rule instance.
    pub fn trace_rule_for_hash(&mut self, r: &Rc<SymObj>, span: Span) -> EvalResult<Function> {
        Ok(self
            .trace_rule(r, &RULE_PROBE_SHAPE, HyperParams::Constants, span)?
            .function)
    }
}
