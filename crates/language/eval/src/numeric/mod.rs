//! Numeric code as IR: tracing functions and problem bodies into `optl_ir::Function`s,
//! and the builtins built on that: `grad`, `value_and_grad`, `fhash`.

use crate::convert::{from_tensor, to_tensor};
use crate::env::Scope;
use crate::evaluator::{ArgVal, EvalResult, Interp, a_type, err_label};
use crate::trace::not_traceable;
use crate::value::{Func, SymKind, SymObj, Value};
use optl_ir::{Function, Shape};
use optl_syntax::ast::StmtKind;
use optl_syntax::span::Span;
use optl_syntax::{Diagnostic, codes};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

mod problem;

pub use problem::{
    ConstraintKind, SET_NAMES, TracedConstraint, TracedLower, TracedProblem, TracedVar,
};

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
pub(super) fn asked_here(mut d: Box<Diagnostic>, span: Span, message: String) -> Box<Diagnostic> {
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
            if let Value::Float(x) = value
                && !x.is_finite()
            {
                let d = Diagnostic::error(
                    codes::INVALID_ARGUMENT,
                    format!(
                        "the hyper-parameter `{name}` of the rule `{}` is {x}",
                        r.name()
                    ),
                )
                .at(decl_span, "in this rule")
                .hint("a rule's hyper-parameters must be finite numbers");
                return Err(Box::new(d));
            }
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
