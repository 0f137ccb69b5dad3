//! `solve` for a bilevel problem: the one traced function split into the upper
//! level (its objectives and `subject to` residuals) and the lower level (the
//! `lower` block's objective and residuals), each a [`ProblemModel`] over all
//! vars in the function's input order; a [`BilevelModel`] gives both to the
//! bilevel methods through [`Nlp::bilevel`], and the Result reports both levels.

use super::model::ProblemModel;
use super::{Borrower, Lent, SolveLog, given_plan, result_value, solve_options, structure};
use crate::builtins::Args;
use crate::evaluator::{EvalResult, Interp};
use crate::numeric::{TracedConstraint, TracedLower, TracedProblem, TracedVar};
use crate::value::{Record, SymObj, Value};
use optl_ir::Function;
use optl_jit::engines::Engines;
use optl_solvers::bilevel::{Bilevel, Levels, LowerFact};
use optl_solvers::registry::Plan;
use optl_solvers::{Bounds, MultiObjective, Nlp, Outcome};
use std::rc::Rc;
use std::time::Instant;

/// Both levels of a bilevel problem; as an [`Nlp`] it is the upper level.
struct BilevelModel {
    upper: ProblemModel,
    lower: ProblemModel,
    levels: Levels,
}

impl Nlp for BilevelModel {
    fn n(&self) -> usize {
        self.levels.n
    }
    fn objective(&mut self, z: &[f64], grad: Option<&mut [f64]>) -> f64 {
        Nlp::objective(&mut self.upper, z, grad)
    }
    fn hvp(&mut self, z: &[f64], v: &[f64], out: &mut [f64]) {
        self.upper.hvp(z, v, out)
    }
    fn var_shapes(&self) -> Vec<Vec<usize>> {
        self.upper.var_shapes()
    }
    fn n_eq(&self) -> usize {
        Nlp::n_eq(&self.upper)
    }
    fn n_ineq(&self) -> usize {
        Nlp::n_ineq(&self.upper)
    }
    fn constraints(&mut self, z: &[f64], c_eq: &mut [f64], c_ineq: &mut [f64]) {
        Nlp::constraints(&mut self.upper, z, c_eq, c_ineq)
    }
    fn constraints_jt(&mut self, z: &[f64], y_eq: &[f64], y_ineq: &[f64], out: &mut [f64]) {
        self.upper.constraints_jt(z, y_eq, y_ineq, out)
    }
    fn bilevel(&mut self) -> Option<Bilevel<'_>> {
        Some(Bilevel {
            upper: &mut self.upper,
            lower: &mut self.lower,
            levels: &self.levels,
        })
    }
}

impl Borrower for BilevelModel {
    fn borrower(&mut self) -> &mut ProblemModel {
        &mut self.upper
    }
}

impl MultiObjective for BilevelModel {
    fn n(&self) -> usize {
        self.levels.n
    }
    fn n_obj(&self) -> usize {
        self.upper.n_obj()
    }
    fn objectives(&mut self, z: &[f64], out: &mut [f64]) {
        self.upper.objectives(z, out)
    }
}

/// The two levels as problems over all vars (in input order), and the places
/// of the lower vars.
fn split_levels(traced: TracedProblem) -> (TracedProblem, TracedProblem, Levels, TracedLower) {
    let lower = traced
        .lower
        .clone()
        .expect("a bilevel problem has a lower level");
    let k = lower.first_input;
    let vars: Vec<TracedVar> = traced.vars[..k]
        .iter()
        .chain(&lower.vars)
        .chain(&traced.vars[k..])
        .cloned()
        .collect();
    let size = |v: &TracedVar| v.shape.iter().product::<usize>();
    let start: usize = traced.vars[..k].iter().map(size).sum();
    let count: usize = lower.vars.iter().map(size).sum();
    let levels = Levels {
        n: vars.iter().map(size).sum(),
        lower: (start..start + count).collect(),
    };
    let outputs = &traced.function.outputs;
    let function = |outs: &[optl_ir::NodeId]| Function {
        graph: traced.function.graph.clone(),
        outputs: outs.to_vec(),
    };
    let first = lower.objective;
    let upper = TracedProblem {
        name: traced.name.clone(),
        function: function(&outputs[..first]),
        vars: vars.clone(),
        maximize: traced.maximize.clone(),
        constraints: traced.constraints.clone(),
        lower: None,
    };
    let lower_problem = TracedProblem {
        name: lower.name.clone(),
        function: function(&outputs[first..]),
        vars,
        maximize: vec![lower.maximize],
        constraints: lower
            .constraints
            .iter()
            .map(|c| TracedConstraint {
                output: c.output - first,
                ..c.clone()
            })
            .collect(),
        lower: None,
    };
    (upper, lower_problem, levels, lower)
}

/// `solve(p, m, ...)` for a problem with a `lower` block.
pub(super) fn solve(
    interp: &mut Interp,
    problem: &Rc<SymObj>,
    traced: TracedProblem,
    solver: Option<&SymObj>,
    args: &Args,
    started: Instant,
) -> EvalResult<Value> {
    let (upper, lower, levels, traced_lower) = split_levels(traced);
    let mut s = structure(&upper, None);
    s.lower = Some(LowerFact {
        name: traced_lower.name.to_string(),
        levels: levels.clone(),
        constraints: traced_lower.constraints.len(),
        rows: traced_lower.constraints.iter().map(|c| c.rows).sum(),
    });
    let given = given_plan(solver, &s, args.span(1))?;
    let ir_error = |e| crate::trace::ir_error(e, args.span(0));
    let upper = ProblemModel::new(upper, None, &mut interp.engines, true).map_err(ir_error)?;
    let mut lower_engines = Engines::default();
    lower_engines.engine = interp.engines.engine;
    let mut lower = ProblemModel::new(lower, None, &mut lower_engines, true).map_err(ir_error)?;
    lower.engines = lower_engines;
    let mut model = BilevelModel {
        upper,
        lower,
        levels,
    };
    let (z0, lo, hi) = model.upper.start_and_bounds();
    let bounds = Bounds::new(lo, hi);
    model.upper.engines = std::mem::take(&mut interp.engines);
    model.upper.progress = interp.progress.take();
    let plan = match given {
        Some(plan) => plan,
        None => Plan::auto(&s, &mut model, &bounds),
    };
    let opts = solve_options(interp, args, &plan)?;
    let lent = Lent {
        interp,
        model: &mut model,
    };
    let (interp, model) = (&mut *lent.interp, &mut *lent.model);
    let r = match plan.run(model, &s, &z0, &bounds, &opts) {
        Outcome::Point(r) => r,
        Outcome::Front(_) => unreachable!("bilevel methods return one point"),
    };
    for m in [&mut model.upper, &mut model.lower] {
        if let Some(e) = m.error.take() {
            return Err(super::evaluation_error(e, args.span(0)));
        }
    }
    let sign = if model.upper.problem.maximize.first() == Some(&true) {
        -1.0
    } else {
        1.0
    };
    interp.log_solve(SolveLog {
        problem: problem.name().to_string(),
        solver: solver.map_or("auto".into(), |s| s.name().to_string()),
        history: r.history.iter().map(|f| sign * f).collect(),
        violation: r.violation_history.clone(),
        front: Vec::new(),
        status: r.status.as_str(),
        nan: super::has_nan(&r),
    });
    let value = result_value(
        &model.upper,
        &r,
        (r.method, plan.reason),
        Vec::new(),
        started,
    );
    Ok(with_levels(value, model, &r, &traced_lower))
}

/// The Result record of a bilevel solve: `vars` holds the upper vars, and
/// `lower` the lower problem at the final point (`f`, `vars`, `residual`, `gap`,
/// `status`, `solves`, `evals`).
fn with_levels(
    value: Value,
    model: &BilevelModel,
    r: &optl_solvers::SolveResult,
    traced_lower: &TracedLower,
) -> Value {
    let Value::Result(record) = value else {
        return value;
    };
    let parts = model.upper.split(&r.x);
    let is_lower = |i: usize| {
        i >= traced_lower.first_input && i < traced_lower.first_input + traced_lower.vars.len()
    };
    let (mut upper_vars, mut lower_vars) = (Vec::new(), Vec::new());
    for (i, (v, t)) in model.upper.problem.vars.iter().zip(parts).enumerate() {
        let field = (v.name.clone(), crate::convert::from_tensor(t));
        match is_lower(i) {
            true => lower_vars.push(field),
            false => upper_vars.push(field),
        }
    }
    let sign = if traced_lower.maximize { -1.0 } else { 1.0 };
    let report = r.lower.as_ref();
    let num = |f: fn(&optl_solvers::bilevel::LowerReport) -> f64| {
        Value::Float(report.map_or(f64::NAN, f))
    };
    let lower = Value::record(vec![
        (
            "status".into(),
            Value::str(report.map_or("error", |l| l.status.as_str())),
        ),
        (
            "f".into(),
            Value::Float(sign * report.map_or(f64::NAN, |l| l.f)),
        ),
        ("vars".into(), Value::record(lower_vars)),
        ("residual".into(), num(|l| l.residual)),
        ("gap".into(), num(|l| l.gap)),
        (
            "solves".into(),
            Value::Int(report.map_or(0, |l| l.solves as i64)),
        ),
        ("evals".into(), Value::Int(model.lower.evals as i64)),
    ]);
    let mut fields: Vec<(Rc<str>, Value)> = record
        .fields
        .iter()
        .map(|(k, v)| match &**k {
            "vars" => (k.clone(), Value::record(upper_vars.clone())),
            _ => (k.clone(), v.clone()),
        })
        .collect();
    let at = fields
        .iter()
        .position(|(k, _)| &**k == "vars")
        .map_or(0, |i| i + 1);
    fields.insert(at, ("lower".into(), lower));
    Value::Result(Rc::new(Record { fields }))
}
