//! The tree-walking evaluator: expressions and statements to values.
//!
//! Runs only programs the checker (`crate::check`) accepted, so names resolve; every
//! error found here is a runtime diagnostic (exit code 1). Recursion goes through
//! `stacker` so deep but legal programs never overflow the native stack, and every
//! step is counted against the limits.

mod call;
mod domains;
mod index;
mod ops;

pub use call::ArgVal;

use crate::builtins::Builtins;
use crate::env::Scope;
use crate::limits::Limits;
use crate::value::{Family, Record, SymKind, SymObj, Value};
use optl_syntax::ast::*;
use optl_syntax::codes;
use optl_syntax::diag::Diagnostic;
use optl_syntax::span::Span;
use std::rc::Rc;
use std::time::Instant;

/// Errors carry one boxed diagnostic, so results stay small.
pub type EvalResult<T> = Result<T, Box<Diagnostic>>;

/// Builds a runtime error at a span.
pub fn err(
    code: optl_syntax::codes::Code,
    message: impl Into<String>,
    span: Span,
) -> Box<Diagnostic> {
    let message = message.into();
    Box::new(Diagnostic::error(code, message).at(span, ""))
}

/// Builds a runtime error with a label message.
pub fn err_label(
    code: optl_syntax::codes::Code,
    message: impl Into<String>,
    span: Span,
    label: impl Into<String>,
) -> Box<Diagnostic> {
    Box::new(Diagnostic::error(code, message).at(span, label))
}

/// Evaluation state of one run: limits and counters, the output sink, the prelude.
pub struct Interp {
    pub limits: Limits,
    pub builtins: Rc<Builtins>,
    pub output: Box<dyn FnMut(&str)>,
    /// The run's seed (`--seed`), for random builtins called without one.
    pub seed: u64,
    rng_calls: u64,
    steps: u64,
    call_depth: usize,
    started: Instant,
    /// The JIT/interpreter choice for numeric code, and its statistics.
    pub engines: optl_jit::engines::Engines,
    /// One entry per `solve` call of the run, for plots (`optl run --plot`).
    pub solve_log: Vec<crate::solve::SolveLog>,
    /// Numbers held by `solve_log`, and the solves left out of it (past its bound).
    pub(crate) logged_numbers: usize,
    pub solves_not_logged: usize,
    /// When set, `print` hands values to `json_output` instead of writing text.
    pub print_json: bool,
    /// Graphs being recorded (innermost last); see `crate::trace`.
    pub(crate) traces: Vec<crate::trace::Trace>,
    pub(crate) trace_counter: u64,
    /// Set while a rule is traced: where `hutchinson()` finds (or makes) its input.
    pub(crate) rule_probe: Option<crate::numeric::RuleProbe>,
    /// The directory of the script being run: where data files' relative paths start.
    pub base_dir: Option<std::path::PathBuf>,
    /// Where long operations report progress (the CLI's progress bar), if anywhere.
    pub progress: Option<crate::progress::ProgressFn>,
    /// The session's prelude, for builtins whose defaults are prelude values
    /// (`discover`'s `start = adamw()`).
    pub(crate) prelude: Option<Rc<Scope>>,
    /// The session's top-level evaluations so far, for search helpers to redo
    /// (`search(..., parallel)`); `None` once the host defined a value or function,
    /// which a helper could not recreate.
    pub(crate) replay: Option<Vec<crate::search::workers::ReplayStep>>,
    /// The trials of each `search` call made so far this session, in call order
    /// (helpers find theirs by number, and replay the earlier ones from these).
    pub(crate) searches: Vec<std::sync::Arc<Vec<optl_search::Trial>>>,
    /// Set on a search helper's interpreter: the search it joins.
    pub(crate) worker: Option<crate::search::workers::WorkerRole>,
    /// Whether the host registered functions (`Interpreter::register_fn`), which
    /// could keep the values they are given.
    pub(crate) host_functions: bool,
}

impl Interp {
    /// Ends a call's or block's scope (`env::release`): with no host functions,
    /// which could have kept a value made in it, a scope that its own bindings hold
    /// but the result cannot reach is cleared.
    pub(crate) fn end_scope(&self, scope: Rc<Scope>, result: &EvalResult<Value>) {
        if self.host_functions {
            return;
        }
        crate::env::release(scope, result.as_ref().unwrap_or(&Value::Unit));
    }

    pub fn new(limits: Limits, builtins: Rc<Builtins>, output: Box<dyn FnMut(&str)>) -> Interp {
        Interp {
            limits,
            builtins,
            output,
            seed: 0,
            rng_calls: 0,
            steps: 0,
            call_depth: 0,
            started: Instant::now(),
            engines: optl_jit::engines::Engines::default(),
            solve_log: Vec::new(),
            logged_numbers: 0,
            solves_not_logged: 0,
            print_json: false,
            traces: Vec::new(),
            trace_counter: 0,
            rule_probe: None,
            base_dir: None,
            progress: None,
            prelude: None,
            replay: Some(Vec::new()),
            searches: Vec::new(),
            worker: None,
            host_functions: false,
        }
    }

    /// Moves the random builtins to stream `n` (the call counter `next_seed` counts
    /// from); returns the stream it was on. A search trial runs on a stream of its
    /// own, so its draws do not depend on the trials before it or on the thread.
    pub(crate) fn swap_rng_stream(&mut self, n: u64) -> u64 {
        std::mem::replace(&mut self.rng_calls, n)
    }

    /// A fresh seed derived from the run's seed and a call counter (SplitMix64).
    pub fn next_seed(&mut self) -> u64 {
        self.rng_calls += 1;
        let mut z = self
            .seed
            .wrapping_add(self.rng_calls.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Starts the budgets of a new run (steps and wall clock).
    pub fn reset_budget(&mut self) {
        self.steps = 0;
        self.call_depth = 0;
        self.started = Instant::now();
    }

    /// Largest list or string, derived from the element limit (list items are bigger).
    pub fn max_list_len(&self) -> usize {
        (self.limits.max_elements / 8).max(1)
    }

    /// Counts one step and enforces the step and time budgets.
    pub fn tick(&mut self, span: Span) -> EvalResult<()> {
        self.steps += 1;
        if self.steps > self.limits.max_steps {
            return Err(Box::new(
                Diagnostic::error(
                    codes::STEP_LIMIT,
                    format!("evaluation stopped after {} steps", self.limits.max_steps),
                )
                .at(span, "the budget ran out here")
                .hint("raise it with `--max-steps` or `Limits::max_steps`"),
            ));
        }
        if self.steps.is_multiple_of(4096) {
            self.check_time(span)?;
        }
        Ok(())
    }

    /// What is left of the run's time budget, if it has one.
    pub fn time_left(&self) -> Option<std::time::Duration> {
        self.limits
            .timeout
            .map(|t| t.saturating_sub(self.started.elapsed()))
    }

    /// The shorter of a call's own time limit and the time left to the run.
    pub fn within_time_left(
        &self,
        own: Option<std::time::Duration>,
    ) -> Option<std::time::Duration> {
        match (own, self.time_left()) {
            (Some(own), Some(left)) => Some(own.min(left)),
            (own, left) => own.or(left),
        }
    }

    /// Enforces the time budget now (`tick` does it every 4096 steps; a loop that
    /// calls OptL code only now and then, or swallows some of its errors, calls this
    /// itself).
    pub fn check_time(&self, span: Span) -> EvalResult<()> {
        if self.worker.as_ref().is_some_and(|w| w.cancelled()) {
            return Err(Box::new(
                Diagnostic::error(codes::TIMEOUT, "the search this helper joined is over")
                    .at(span, "stopped here"),
            ));
        }
        match self.limits.timeout {
            Some(t) if self.started.elapsed() > t => Err(Box::new(
                Diagnostic::error(codes::TIMEOUT, format!("time limit of {:?} exceeded", t))
                    .at(span, "still running here")
                    .hint("raise it with `--timeout` or `Limits::timeout`"),
            )),
            _ => Ok(()),
        }
    }

    // ---------- statements ----------

    /// Runs a statement list in `env`; returns the value of a final expression statement.
    pub fn exec_stmts(&mut self, stmts: &[Stmt], env: &Rc<Scope>) -> EvalResult<Value> {
        self.hoist(stmts, env);
        let mut last = Value::Unit;
        for s in stmts {
            last = self.exec_stmt(s, env)?;
        }
        Ok(last)
    }

    /// Defines the functions, problems and rules of a statement list before running
    /// it, so they may call each other whatever their order.
    pub fn hoist(&mut self, stmts: &[Stmt], env: &Rc<Scope>) {
        for s in stmts {
            match &s.kind {
                StmtKind::Fn(f) => {
                    let closure = crate::value::Closure {
                        name: Some(f.name.name.clone()),
                        params: Rc::new(f.params.clone()),
                        body: f.body.clone(),
                        env: env.clone(),
                        span: s.span,
                    };
                    env.define(
                        f.name.name.clone(),
                        Value::Func(Rc::new(crate::value::Func::Closure(closure))),
                    );
                }
                StmtKind::Problem(d) | StmtKind::Rule(d) => {
                    let kind = if matches!(s.kind, StmtKind::Problem(_)) {
                        SymKind::Problem
                    } else {
                        SymKind::Rule
                    };
                    let family = Rc::new(Family {
                        kind,
                        decl: d.clone(),
                        env: env.clone(),
                        span: s.span,
                    });
                    let value = if d.params.is_none() {
                        Value::Sym(Rc::new(SymObj {
                            family,
                            args: Vec::new(),
                        }))
                    } else {
                        Value::Family(family)
                    };
                    env.define(d.name.name.clone(), value);
                }
                _ => {}
            }
        }
    }

    fn exec_stmt(&mut self, s: &Stmt, env: &Rc<Scope>) -> EvalResult<Value> {
        self.tick(s.span)?;
        match &s.kind {
            StmtKind::Let(name, e) => {
                let v = self.eval(e, env)?;
                env.define(name.name.clone(), v);
                Ok(Value::Unit)
            }
            StmtKind::Expr(e) => self.eval(e, env),
            // Declarations were hoisted; imports were bound by the checker's loader.
            StmtKind::Fn(_) | StmtKind::Problem(_) | StmtKind::Rule(_) | StmtKind::Import(_) => {
                Ok(Value::Unit)
            }
            // Problem and rule bodies run when solved, not here; the checker rejects
            // these statements anywhere else.
            StmtKind::Var(_)
            | StmtKind::Lower(_)
            | StmtKind::Minimize(_)
            | StmtKind::Maximize(_)
            | StmtKind::SubjectTo(_)
            | StmtKind::State(..)
            | StmtKind::Assign(..)
            | StmtKind::Error => Err(err(
                codes::MISPLACED_STATEMENT,
                "this statement cannot run here",
                s.span,
            )),
        }
    }

    // ---------- expressions ----------

    pub fn eval(&mut self, e: &Expr, env: &Rc<Scope>) -> EvalResult<Value> {
        stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || self.eval_inner(e, env))
    }

    fn eval_inner(&mut self, e: &Expr, env: &Rc<Scope>) -> EvalResult<Value> {
        self.tick(e.span)?;
        match &e.kind {
            ExprKind::Int(n) => Ok(Value::Int(*n)),
            ExprKind::Float(x) => Ok(Value::Float(*x)),
            ExprKind::Str(s) => Ok(Value::Str(s.clone())),
            ExprKind::Bool(b) => Ok(Value::Bool(*b)),
            ExprKind::Name(n) => env
                .lookup(n)
                .ok_or_else(|| err(codes::UNKNOWN_NAME, format!("unknown name `{n}`"), e.span)),
            ExprKind::List(items) => {
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    values.push(self.eval(item, env)?);
                }
                self.make_list(values, e.span)
            }
            ExprKind::Record(fields) => {
                let mut out = Vec::with_capacity(fields.len());
                for (name, value) in fields {
                    out.push((name.name.clone(), self.eval(value, env)?));
                }
                Ok(Value::Record(Rc::new(Record { fields: out })))
            }
            ExprKind::Block(stmts, last) => {
                let scope = Scope::child(env);
                let result = self
                    .exec_stmts(stmts, &scope)
                    .and_then(|_| self.eval(last, &scope));
                self.end_scope(scope, &result);
                result
            }
            ExprKind::Unary(op, x) => {
                let v = self.eval(x, env)?;
                self.unary(*op, v, e.span)
            }
            ExprKind::Binary(BinOp::And, a, b) => {
                if self.truth(a, env)? {
                    Ok(Value::Bool(self.truth(b, env)?))
                } else {
                    Ok(Value::Bool(false))
                }
            }
            ExprKind::Binary(BinOp::Or, a, b) => {
                if self.truth(a, env)? {
                    Ok(Value::Bool(true))
                } else {
                    Ok(Value::Bool(self.truth(b, env)?))
                }
            }
            ExprKind::Binary(op, a, b) => {
                let x = self.eval(a, env)?;
                let y = self.eval(b, env)?;
                self.binary(*op, x, y, e.span)
            }
            ExprKind::If(c, a, b) => {
                if self.truth(c, env)? {
                    self.eval(a, env)
                } else {
                    self.eval(b, env)
                }
            }
            ExprKind::Lambda(params, body) => Ok(Value::Func(Rc::new(
                crate::value::Func::Closure(crate::value::Closure {
                    name: None,
                    params: params.clone(),
                    body: body.clone(),
                    env: env.clone(),
                    span: e.span,
                }),
            ))),
            ExprKind::Call(callee, args) => self.eval_call(callee, args, e.span, env),
            ExprKind::Index(base, items) => {
                let v = self.eval(base, env)?;
                self.eval_index(v, items, env, e.span)
            }
            ExprKind::Field(base, name) => {
                let v = self.eval(base, env)?;
                self.field(&v, name, base.span)
            }
            ExprKind::Comprehension(body, clauses) => {
                let mut out = Vec::new();
                self.comprehend(body, clauses, env, &mut out, e.span)?;
                self.make_list(out, e.span)
            }
            ExprKind::Error => Err(err(codes::UNEXPECTED_TOKEN, "syntax error", e.span)),
        }
    }

    /// Evaluates a condition, which must be a Bool.
    fn truth(&mut self, e: &Expr, env: &Rc<Scope>) -> EvalResult<bool> {
        match self.eval(e, env)? {
            Value::Bool(b) => Ok(b),
            Value::Tracer(_) => Err(crate::trace::traced_branch(e.span)),
            Value::Tensor(_) => Err(Box::new(
                Diagnostic::error(codes::TYPE_MISMATCH, "a condition must be a Bool, not a Tensor")
                    .at(e.span, "this is a tensor")
                    .hint("reduce it with `all(...)` or `any(...)`, or select elementwise with `where(c, a, b)`"),
            )),
            other => Err(err_label(
                codes::TYPE_MISMATCH,
                format!("a condition must be a Bool, not {}", other.type_name()),
                e.span,
                format!("this is {}", a_type(&other)),
            )),
        }
    }

    fn comprehend(
        &mut self,
        body: &Expr,
        clauses: &[Clause],
        env: &Rc<Scope>,
        out: &mut Vec<Value>,
        span: Span,
    ) -> EvalResult<()> {
        let Some((first, rest)) = clauses.split_first() else {
            if out.len() >= self.max_list_len() {
                return Err(self.too_large(out.len() as u128 + 1, span));
            }
            let v = self.eval(body, env)?;
            out.push(v);
            return Ok(());
        };
        match first {
            Clause::If(c) => {
                if self.truth(c, env)? {
                    self.comprehend(body, rest, env, out, span)?;
                }
            }
            Clause::For(name, iterable) => {
                let items = self.eval(iterable, env)?;
                let items = self.iterate(items, iterable.span)?;
                for item in items {
                    let scope = Scope::child(env);
                    scope.define(name.name.clone(), item);
                    self.comprehend(body, rest, &scope, out, span)?;
                }
            }
        }
        Ok(())
    }

    /// The elements a `for` clause walks over.
    pub fn iterate(&mut self, v: Value, span: Span) -> EvalResult<Vec<Value>> {
        match v {
            Value::List(items) => Ok(items.as_ref().clone()),
            Value::Tensor(t) => {
                if t.ndim() == 0 {
                    return Err(err(
                        codes::TYPE_MISMATCH,
                        "cannot iterate over a 0-d tensor",
                        span,
                    ));
                }
                Ok(t.outer_iter()
                    .map(|row| {
                        if row.ndim() == 0 {
                            Value::Float(row.iter().copied().next().unwrap_or(0.0))
                        } else {
                            Value::tensor(row.to_owned())
                        }
                    })
                    .collect())
            }
            Value::Str(s) => Ok(s.chars().map(|c| Value::str(&c.to_string())).collect()),
            Value::Tracer(t) if !t.shape.is_empty() => {
                let v = Value::Tracer(t.clone());
                (0..t.shape[0] as i64)
                    .map(|i| self.trace_index(&v, &[crate::tensor::IndexSpec::At(i)], span))
                    .collect()
            }
            other => Err(err_label(
                codes::TYPE_MISMATCH,
                format!("cannot iterate over {}", a_type(&other)),
                span,
                "expected a list, tensor or string",
            )),
        }
    }

    /// Builds a list value: numeric items of one shape become a tensor (LANGUAGE.md §2).
    pub fn make_list(&mut self, items: Vec<Value>, span: Span) -> EvalResult<Value> {
        if items.iter().any(|v| matches!(v, Value::Tracer(_)))
            && items.iter().all(|v| {
                matches!(
                    v,
                    Value::Tracer(_) | Value::Int(_) | Value::Float(_) | Value::Tensor(_)
                )
            })
        {
            return self.trace_stack(&items, span);
        }
        match crate::convert::stack_numeric(&items, self.limits.max_elements) {
            Ok(Some(t)) => Ok(Value::tensor(t)),
            Ok(None) => Ok(Value::list(items)),
            Err(e) => Err(crate::convert::tensor_error(e, span)),
        }
    }

    pub fn too_large(&self, elements: u128, span: Span) -> Box<Diagnostic> {
        crate::convert::tensor_error(
            crate::tensor::TensorError::TooLarge {
                elements,
                limit: self.limits.max_elements,
            },
            span,
        )
    }

    fn field(&mut self, v: &Value, name: &Ident, base_span: Span) -> EvalResult<Value> {
        let found = match v {
            Value::Record(r) | Value::Result(r) => r.get(&name.name).cloned(),

            Value::Sym(s) => s.get(&name.name).cloned(),
            Value::Module(m) => m.members.get(&name.name).cloned(),
            Value::Family(f) if &*name.name == "name" => Some(Value::Str(f.name().clone())),
            _ => None,
        };
        if let Some(v) = found {
            return Ok(v);
        }
        if !matches!(
            v,
            Value::Record(_) | Value::Result(_) | Value::Sym(_) | Value::Module(_)
        ) {
            let mut d =
                Diagnostic::error(codes::TYPE_MISMATCH, format!("{} has no fields", a_type(v)))
                    .at(name.span, format!("cannot read `.{}` here", name.name))
                    .also(base_span, format!("this is {}", describe(v)));
            if let Value::Family(f) = v {
                // `adam.with(lr = 0.1)`: `.with` belongs to instances.
                d = d.hint(format!(
                    "call `{0}(...)` for an instance; `.{1}` works on the instance",
                    f.name(),
                    name.name
                ));
            }
            return Err(Box::new(d));
        }
        let available: Vec<String> = match v {
            Value::Record(r) | Value::Result(r) => {
                r.fields.iter().map(|(n, _)| n.to_string()).collect()
            }
            Value::Sym(s) => s.args.iter().map(|(n, _)| n.to_string()).collect(),
            Value::Module(m) => m
                .members
                .fields
                .iter()
                .map(|(n, _)| n.to_string())
                .collect(),
            _ => Vec::new(),
        };
        let mut d = Diagnostic::error(
            codes::NO_SUCH_FIELD,
            format!("{} has no field `{}`", a_type(v), name.name),
        )
        .at(name.span, "no such field")
        .also(base_span, format!("this is {}", describe(v)));
        if let Some(s) = crate::suggest::closest(&name.name, available.iter().map(String::as_str)) {
            d = d.hint(format!("did you mean `{s}`?"));
        } else if !available.is_empty() {
            d = d.hint(format!("its fields are: {}", available.join(", ")));
        }
        Err(Box::new(d))
    }
}

/// "an Int", "a Tensor of shape \[3\]": how error messages name a value's type.
pub fn a_type(v: &Value) -> String {
    match v {
        Value::Tensor(t) => format!("a Tensor of shape {:?}", t.shape()),
        // A traced value is named by what it stands for.
        Value::Tracer(t) if t.shape.is_empty() => format!("a traced {}", t.stands_for()),
        Value::Tracer(t) => format!("a traced {} of shape {:?}", t.stands_for(), t.shape),
        other => {
            let n = other.type_name();
            let article = if n.starts_with(['A', 'E', 'I', 'O', 'U']) {
                "an"
            } else {
                "a"
            };
            format!("{article} {n}")
        }
    }
}

/// A short description for secondary labels: the type, and the name for objects.
pub fn describe(v: &Value) -> String {
    match v {
        Value::Sym(s) => format!("the {} `{}`", s.family.kind.word(), s.name()),
        Value::Module(m) => format!("the module `{}`", m.name),
        other => a_type(other),
    }
}

impl Interp {
    /// Reports progress to the embedder's callback, if one is installed.
    pub fn report(&mut self, p: &crate::progress::Progress) {
        if let Some(f) = self.progress.as_mut() {
            f(p);
        }
    }
}
