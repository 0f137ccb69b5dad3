//! A traced problem as the solvers see it: `optl_solvers::Nlp` implemented by IR
//! programs (value and gradient, Hessian-vector product, constraint values, and
//! Jacobian-transpose products), all derived from the one traced graph by AD.

use crate::numeric::{ConstraintKind, TracedProblem};
use optl_ir::{BinaryOp, Function, Graph, IrError, IrResult, NodeId};
use optl_jit::Kernel;
use optl_jit::engines::{Engines, Program};
use optl_tensor::Tensor;

/// Evaluations between progress reports of a native solve.
const PROGRESS_EVERY: usize = 256;

/// Constraint rows up to which the Jacobian is one program (one copy of the
/// Jacobian-transpose program per row, sharing the forward pass) rather than one
/// run of the Jacobian-transpose program per row: SQP's problems (at most 50 rows
/// under `auto`) get the one program, bigger ones are not copied that many times.
const JACOBIAN_PROGRAM_MAX_ROWS: usize = 64;

/// Where each var lies in the flat variable vector, and its shape.
#[derive(Clone, Debug)]
pub struct Layout {
    shapes: Vec<Vec<usize>>,
    /// Start and length of each var.
    spans: Vec<(usize, usize)>,
}

impl Layout {
    /// Splits a flat vector into one tensor per var.
    pub fn split(&self, x: &[f64]) -> Vec<Tensor> {
        self.shapes
            .iter()
            .zip(&self.spans)
            .map(|(shape, &(start, len))| {
                Tensor::from_shape_vec(ndarray::IxDyn(shape), x[start..start + len].to_vec())
                    .unwrap_or_else(|_| optl_tensor::scalar(f64::NAN))
            })
            .collect()
    }
}

/// The objective and gradient of a problem as a compiled kernel alone: `Send`, so a
/// training run can use it on another thread. It computes what
/// `ProblemModel::objective` computes, with the same kernel, so the same bits.
pub struct KernelObjective {
    kernel: Kernel,
    layout: Layout,
}

impl KernelObjective {
    /// The objective at `x`, its gradient written to `grad`.
    pub fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        match self.kernel.eval(&self.layout.split(x)) {
            Ok(out) => {
                flatten_into(&out[1..], grad);
                out[0].iter().next().copied().unwrap_or(f64::NAN)
            }
            Err(_) => f64::NAN,
        }
    }
}

/// The IR programs of one problem, and the flat layout of its variables.
pub struct ProblemModel {
    pub problem: TracedProblem,
    layout: Layout,
    n: usize,
    /// vars → [objective, gradient per var], once built (see `new`).
    value_grad: Option<Program>,
    /// vars → [smooth part, gradient per var], for an objective with
    /// prox-friendly terms (the splitting methods' `f`).
    smooth: Option<Program>,
    /// The smooth part's program, from which `smooth` is built on first use.
    smooth_function: Option<Function>,
    /// vars → [objective]: the first objective, from which the gradient (when not
    /// built at once) and the Hessian-vector product programs are derived on first use (only Newton-CG asks for one, and building it
    /// by reverse-over-reverse AD costs about as much as the gradient).
    first_objective: Option<Function>,
    /// vars, directions → [H·v per var], once built.
    hvp: Option<Program>,
    /// vars → every objective (for several objectives)
    objectives: Program,
    /// vars → constraint residuals, one output per `subject to`
    constraints: Program,
    /// vars, multipliers per constraint → [yᵀc, gradient per var, ...]
    constraints_jt: Option<Program>,
    /// vars → the Jacobian's rows (one output per row and var), built on first use
    /// (only SQP asks for the whole Jacobian); `Some(None)` when there are too many
    /// rows or it cannot be built, and the rows come from `constraints_jt`.
    jacobian: Option<Option<Program>>,
    pub evals: usize,
    /// The embedder's progress callback, lent by the interpreter during a solve.
    pub progress: Option<crate::progress::ProgressFn>,
    /// The engines, lent by the interpreter for the duration of a solve.
    pub engines: Engines,
    /// The first evaluation error (shapes are checked when tracing, so this only
    /// happens when an element limit is hit or a linear-algebra operation meets a
    /// singular or indefinite matrix); it ends the solve.
    pub error: Option<IrError>,
}

fn sub_function(f: &Function, outputs: Vec<NodeId>) -> Function {
    optl_ir::simplify(&Function {
        graph: f.graph.clone(),
        outputs,
    })
}

impl ProblemModel {
    /// Prepares the programs with `engines` (compiling them when the engine says so;
    /// under `auto`, the gradient programs at once when `hot`, the solver being
    /// one that runs them many times); the caller lends the engines to the model
    /// for the solve (`engines` field).
    pub fn new(
        problem: TracedProblem,
        smooth: Option<&Function>,
        engines: &mut Engines,
        hot: bool,
    ) -> IrResult<ProblemModel> {
        let f = &problem.function;
        let n_obj = problem.maximize.len();
        let mut spans = Vec::new();
        let mut n = 0;
        for v in &problem.vars {
            let len: usize = v.shape.iter().product();
            spans.push((n, len));
            n += len;
        }
        let layout = Layout {
            shapes: problem.vars.iter().map(|v| v.shape.clone()).collect(),
            spans,
        };
        let objectives = engines.prepare(sub_function(f, f.outputs[..n_obj].to_vec()));
        // The gradient programs are built now when the solver runs them many
        // times (and compiled, under `auto`), else on first use: a method that
        // reads the problem's constants (`bcd`) evaluates the objective once.
        let first_objective = (n_obj >= 1).then(|| sub_function(f, vec![f.outputs[0]]));
        let value_grad = match (&first_objective, hot) {
            (Some(obj), true) => Some(engines.prepare_with(optl_ir::grad(obj)?, hot)),
            _ => None,
        };
        let smooth_function = smooth.cloned();
        let smooth = match (&smooth_function, hot) {
            (Some(s), true) => Some(engines.prepare_with(optl_ir::grad(s)?, hot)),
            _ => None,
        };
        let constraints_fn = sub_function(f, f.outputs[n_obj..].to_vec());
        // With constraints, the augmented Lagrangian evaluates them with every
        // objective evaluation.
        let constrained = !problem.constraints.is_empty();
        let constraints_jt = if constrained {
            Some(engines.prepare_with(jt_function(&constraints_fn)?, hot))
        } else {
            None
        };
        let constraints = engines.prepare_with(constraints_fn, constrained && hot);
        Ok(ProblemModel {
            problem,
            layout,
            n,
            value_grad,
            smooth,
            smooth_function,
            first_objective,
            hvp: None,
            objectives,
            constraints,
            constraints_jt,
            jacobian: None,
            evals: 0,
            progress: None,
            engines: Engines::default(),
            error: None,
        })
    }

    pub fn n(&self) -> usize {
        self.n
    }

    /// The flat start point, lower and upper bounds.
    pub fn start_and_bounds(&self) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let flat = |f: &dyn Fn(&crate::numeric::TracedVar) -> &Tensor| {
            self.problem
                .vars
                .iter()
                .flat_map(|v| f(v).iter().copied().collect::<Vec<_>>())
                .collect::<Vec<f64>>()
        };
        (flat(&|v| &v.init), flat(&|v| &v.lower), flat(&|v| &v.upper))
    }

    /// Splits a flat vector into one tensor per var.
    pub fn split(&self, x: &[f64]) -> Vec<Tensor> {
        self.layout.split(x)
    }

    /// The objective and gradient as a compiled kernel alone, when they run
    /// compiled (not interpreted, not split over the rows of their data).
    pub fn kernel_objective(&self) -> Option<KernelObjective> {
        Some(KernelObjective {
            kernel: self.value_grad.as_ref()?.compiled()?,
            layout: self.layout.clone(),
        })
    }

    /// The objective at `x` with its gradient written to `grad`, when the
    /// value-and-gradient program runs as one compiled kernel: its inputs are the
    /// vars' spans of `x`, its outputs the value and the gradient's spans.
    fn value_grad_flat(&mut self, f: &Program, x: &[f64], grad: &mut [f64]) -> Option<f64> {
        let inputs: Vec<&[f64]> = self
            .layout
            .spans
            .iter()
            .map(|&(s, n)| &x[s..s + n])
            .collect();
        let mut value = [0.0];
        let mut outputs: Vec<&mut [f64]> = vec![&mut value];
        let mut rest = grad;
        for &(_, n) in &self.layout.spans {
            let (head, tail) = std::mem::take(&mut rest).split_at_mut(n);
            outputs.push(head);
            rest = tail;
        }
        let run = self.engines.run_flat(f, &inputs, &mut outputs)?;
        self.evals += 1;
        if let Err(e) = run {
            self.error.get_or_insert(e);
            return Some(f64::NAN);
        }
        Some(value[0])
    }

    fn run(&mut self, p: &Program, inputs: &[Tensor]) -> Option<Vec<Tensor>> {
        self.evals += 1;
        match self.engines.run(p, inputs) {
            Ok(out) => Some(out),
            Err(e) => {
                self.error.get_or_insert(e);
                None
            }
        }
    }

    /// Which `subject to` (1-based, in declaration order) and which of its rows
    /// (0-based) a solver's equality or inequality row is.
    pub fn constraint_of_row(&self, c: optl_solvers::ConstraintRef) -> (usize, usize) {
        let (kind, mut row) = match c {
            optl_solvers::ConstraintRef::Eq(i) => (ConstraintKind::Equal, i),
            optl_solvers::ConstraintRef::Ineq(i) => (ConstraintKind::LessEq, i),
        };
        for (k, con) in self.problem.constraints.iter().enumerate() {
            if con.kind != kind {
                continue;
            }
            if row < con.rows {
                return (k + 1, row);
            }
            row -= con.rows;
        }
        (0, row)
    }

    /// Rows of equality and of inequality constraints.
    pub fn rows(&self, kind: ConstraintKind) -> usize {
        self.problem
            .constraints
            .iter()
            .filter(|c| c.kind == kind)
            .map(|c| c.rows)
            .sum()
    }

    /// Every objective at `x` (user sense restored for `maximize`).
    pub fn objective_values(&mut self, x: &[f64]) -> Vec<f64> {
        let inputs = self.split(x);
        let f = self.objectives.clone();
        let out = self.run(&f, &inputs).unwrap_or_default();
        out.iter()
            .map(|t| t.iter().next().copied().unwrap_or(f64::NAN))
            .collect()
    }
}

/// Writes the flat concatenation of tensors into `out`.
fn flatten_into(ts: &[Tensor], out: &mut [f64]) {
    let mut rest = out;
    for t in ts {
        let k = t.len().min(rest.len());
        let (head, tail) = std::mem::take(&mut rest).split_at_mut(k);
        match t.as_slice() {
            Some(values) => head.copy_from_slice(&values[..head.len()]),
            None => head.iter_mut().zip(t.iter()).for_each(|(o, x)| *o = *x),
        }
        rest = tail;
    }
}

/// vars, y_1..y_k → [Σ sum(c_k · y_k), d/dvars ...]: Jacobian-transpose products by AD.
fn jt_function(constraints: &Function) -> IrResult<Function> {
    let mut g = Graph::new();
    let xs = g.inputs(constraints.input_shapes());
    let cs = optl_ir::inline(&mut g, constraints, &xs)?;
    let mut total: Option<NodeId> = None;
    for c in cs {
        let y = g.input(g.shape(c).to_vec());
        let p = g.binary(BinaryOp::Mul, c, y)?;
        let s = g.sum(p, None)?;
        total = Some(match total {
            None => s,
            Some(t) => g.binary(BinaryOp::Add, t, s)?,
        });
    }
    let Some(total) = total else {
        return Err(IrError::Invalid("no constraints".into()));
    };
    optl_ir::grad(&Function {
        graph: g,
        outputs: vec![total],
    })
}

/// vars → the Jacobian's rows, equality rows first (each row one output per var):
/// `jt` (from [`jt_function`], with `n_vars` var inputs) inlined once per row with
/// that row's unit multiplier as a constant. The copies share the forward pass, and
/// the zero multipliers of scalar constraints fold away (so a NaN in one
/// constraint's gradient stays in that constraint's row).
fn jacobian_function(jt: &Function, n_vars: usize, kinds: &[ConstraintKind]) -> IrResult<Function> {
    let shapes = jt.input_shapes();
    let (var_shapes, y_shapes) = shapes.split_at(n_vars.min(shapes.len()));
    let mut g = Graph::new();
    let xs = g.inputs(var_shapes);
    let mut outputs = Vec::new();
    let equality_first = [ConstraintKind::Equal, ConstraintKind::LessEq];
    for kind in equality_first {
        for (k, shape) in y_shapes.iter().enumerate() {
            if kinds.get(k) != Some(&kind) {
                continue;
            }
            for i in 0..shape.iter().product() {
                let mut args = xs.clone();
                for (j, s) in y_shapes.iter().enumerate() {
                    let mut y = Tensor::zeros(ndarray::IxDyn(s));
                    if j == k
                        && let Some(v) = y.iter_mut().nth(i)
                    {
                        *v = 1.0;
                    }
                    args.push(g.constant(y));
                }
                let out = optl_ir::inline(&mut g, jt, &args)?;
                outputs.extend_from_slice(out.get(1..1 + n_vars).unwrap_or_default());
            }
        }
    }
    Ok(optl_ir::simplify(&Function { graph: g, outputs }))
}

impl ProblemModel {
    /// The Jacobian program, built on first use when the rows are few enough.
    fn jacobian_program(&mut self) -> Option<Program> {
        if self.jacobian.is_none() {
            let rows = self.rows(ConstraintKind::Equal) + self.rows(ConstraintKind::LessEq);
            let kinds: Vec<ConstraintKind> =
                self.problem.constraints.iter().map(|c| c.kind).collect();
            let built = match &self.constraints_jt {
                Some(jt) if rows <= JACOBIAN_PROGRAM_MAX_ROWS => {
                    jacobian_function(&jt.function, self.problem.vars.len(), &kinds)
                        .ok()
                        .map(|f| self.engines.prepare(f))
                }
                _ => None,
            };
            self.jacobian = Some(built);
        }
        self.jacobian.clone().flatten()
    }
}

/// The objectives and constraints for multi-objective methods (which rank a point
/// by its total violation first: see optl-solvers's `multi/dominance.rs`).
impl optl_solvers::MultiObjective for ProblemModel {
    fn n(&self) -> usize {
        ProblemModel::n(self)
    }

    fn n_obj(&self) -> usize {
        self.problem.maximize.len()
    }

    fn objectives(&mut self, x: &[f64], out: &mut [f64]) {
        let v = self.objective_values(x);
        for (o, x) in out.iter_mut().zip(v) {
            *o = x;
        }
    }

    /// A whole population through the compiled objectives at once, over the
    /// cores (the same kernel per point as [`Self::objectives`], so the same
    /// bits); point by point when the program is not one compiled kernel.
    fn objectives_batch(&mut self, xs: &[f64], out: &mut [f64]) {
        let n = ProblemModel::n(self);
        let p = self.objectives.clone();
        match self
            .engines
            .run_flat_many(&p, xs, n, &self.layout.spans, out)
        {
            Some(Ok(())) => self.evals += xs.len() / n.max(1),
            Some(Err(e)) => {
                self.error.get_or_insert(e);
                out.iter_mut().for_each(|o| *o = f64::NAN);
            }
            None => {
                let m = self.problem.maximize.len();
                for (x, row) in xs
                    .chunks_exact(n.max(1))
                    .zip(out.chunks_exact_mut(m.max(1)))
                {
                    optl_solvers::MultiObjective::objectives(self, x, row);
                }
            }
        }
    }

    fn n_eq(&self) -> usize {
        self.rows(ConstraintKind::Equal)
    }

    fn n_ineq(&self) -> usize {
        self.rows(ConstraintKind::LessEq)
    }

    fn constraints(&mut self, x: &[f64], c_eq: &mut [f64], c_ineq: &mut [f64]) {
        optl_solvers::Nlp::constraints(self, x, c_eq, c_ineq);
    }
}

impl ProblemModel {
    /// A value-and-gradient program at `x` (compiled on the flat vectors when it
    /// can be), the gradient written to `grad`; progress reported now and then.
    fn value_and_grad(&mut self, f: Option<Program>, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let Some(f) = f else {
            if let Some(g) = grad {
                g.iter_mut().for_each(|v| *v = 0.0);
            }
            return 0.0;
        };
        // A solver's objective runs compiled on the flat vectors themselves.
        let mut grad = grad;
        let flat = match grad.as_deref_mut() {
            Some(g) => self.value_grad_flat(&f, x, g),
            None => None,
        };
        let value = match flat {
            Some(value) => value,
            None => {
                let inputs = self.split(x);
                let Some(out) = self.run(&f, &inputs) else {
                    return f64::NAN;
                };
                if let Some(g) = grad {
                    flatten_into(&out[1..], g);
                }
                out[0].iter().next().copied().unwrap_or(f64::NAN)
            }
        };
        if self.evals.is_multiple_of(PROGRESS_EVERY)
            && let Some(report) = self.progress.as_mut()
        {
            report(&crate::progress::Progress::Evals {
                evals: self.evals,
                f: value,
            });
        }
        value
    }
}

impl optl_solvers::Nlp for ProblemModel {
    fn n(&self) -> usize {
        self.n
    }

    fn var_shapes(&self) -> Vec<Vec<usize>> {
        self.problem.vars.iter().map(|v| v.shape.clone()).collect()
    }

    fn objective(&mut self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        if grad.is_none() && self.value_grad.is_none() {
            // A value alone: the objectives program, without building the gradient.
            return self
                .objective_values(x)
                .first()
                .copied()
                .unwrap_or(f64::NAN);
        }
        if self.value_grad.is_none()
            && let Some(obj) = &self.first_objective
        {
            match optl_ir::grad(obj) {
                Ok(g) => self.value_grad = Some(self.engines.prepare(g)),
                Err(e) => {
                    self.error.get_or_insert(e);
                }
            }
        }
        let f = self.value_grad.clone();
        self.value_and_grad(f, x, grad)
    }

    fn smooth_objective(&mut self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let Some(smooth) = self.smooth_function.clone() else {
            return self.objective(x, grad);
        };
        if self.smooth.is_none() {
            match optl_ir::grad(&smooth) {
                Ok(g) => self.smooth = Some(self.engines.prepare(g)),
                Err(e) => {
                    self.error.get_or_insert(e);
                }
            }
        }
        let f = self.smooth.clone();
        self.value_and_grad(f, x, grad)
    }
    fn hvp(&mut self, x: &[f64], v: &[f64], out: &mut [f64]) {
        if self.hvp.is_none()
            && let Some(obj) = &self.first_objective
        {
            match optl_ir::hvp(obj) {
                Ok(h) => self.hvp = Some(self.engines.prepare(h)),
                Err(e) => {
                    self.error.get_or_insert(e);
                }
            }
        }
        let Some(h) = self.hvp.clone() else {
            let fill = if self.error.is_some() { f64::NAN } else { 0.0 };
            out.iter_mut().for_each(|o| *o = fill);
            return;
        };
        let mut inputs = self.split(x);
        inputs.extend(self.split(v));
        match self.run(&h, &inputs) {
            Some(r) => flatten_into(&r, out),
            None => out.iter_mut().for_each(|o| *o = f64::NAN),
        }
    }

    fn n_eq(&self) -> usize {
        self.rows(ConstraintKind::Equal)
    }

    fn n_ineq(&self) -> usize {
        self.rows(ConstraintKind::LessEq)
    }

    fn constraints(&mut self, x: &[f64], c_eq: &mut [f64], c_ineq: &mut [f64]) {
        let inputs = self.split(x);
        let f = self.constraints.clone();
        let out = self.run(&f, &inputs).unwrap_or_default();
        let (mut ie, mut ii) = (0, 0);
        for (c, t) in self.problem.constraints.iter().zip(out.iter()) {
            for &v in t.iter() {
                let slot = match c.kind {
                    ConstraintKind::Equal => {
                        ie += 1;
                        c_eq.get_mut(ie - 1)
                    }
                    ConstraintKind::LessEq => {
                        ii += 1;
                        c_ineq.get_mut(ii - 1)
                    }
                };
                if let Some(s) = slot {
                    *s = v;
                }
            }
        }
    }

    fn constraints_jt(&mut self, x: &[f64], y_eq: &[f64], y_ineq: &[f64], out: &mut [f64]) {
        let Some(f) = self.constraints_jt.clone() else {
            out.iter_mut().for_each(|o| *o = 0.0);
            return;
        };
        let mut inputs = self.split(x);
        let (mut ie, mut ii) = (0, 0);
        for c in &self.problem.constraints {
            let src = match c.kind {
                ConstraintKind::Equal => {
                    ie += c.rows;
                    &y_eq[ie - c.rows..ie]
                }
                ConstraintKind::LessEq => {
                    ii += c.rows;
                    &y_ineq[ii - c.rows..ii]
                }
            };
            inputs.push(
                Tensor::from_shape_vec(ndarray::IxDyn(&[c.rows]), src.to_vec())
                    .unwrap_or_else(|_| optl_tensor::scalar(0.0)),
            );
        }
        match self.run(&f, &inputs) {
            Some(r) => flatten_into(&r[1..1 + self.problem.vars.len()], out),
            None => out.iter_mut().for_each(|o| *o = f64::NAN),
        }
    }

    fn constraints_jacobian(&mut self, x: &[f64], out: &mut [f64]) {
        let Some(f) = self.jacobian_program() else {
            return optl_solvers::jacobian_by_rows(self, x, out);
        };
        let inputs = self.split(x);
        match self.run(&f, &inputs) {
            Some(r) => flatten_into(&r, out),
            None => out.iter_mut().for_each(|o| *o = f64::NAN),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Interpreter;
    use crate::value::Value;
    use optl_solvers::Nlp;
    use optl_syntax::span::Span;

    /// The model of problem `name` defined by `src`.
    fn model(src: &str, name: &str) -> ProblemModel {
        let mut optl = Interpreter::new();
        optl.eval_str(src).expect("the problem is defined");
        let Some(Value::Sym(p)) = optl.get(name) else {
            panic!("{name} is a problem");
        };
        let traced = optl
            .interp
            .trace_problem(&p, Span::default())
            .expect("traces");
        let mut engines = Engines::default();
        let mut m = ProblemModel::new(traced, None, &mut engines, false).expect("builds");
        m.engines = engines;
        m
    }

    /// The Jacobian as one program equals the rows taken one Jacobian-transpose
    /// product at a time, with equality rows first whatever the declaration order,
    /// and costs one program run instead of one per row.
    #[test]
    fn jacobian_program_matches_rows_one_at_a_time() {
        let src = "problem p {
              var x[3] = [0.5, -1, 2]
              var y = 0.3
              minimize sum(x^2) + y
              subject to x[0] * x[1] + sin(y) <= 1
              subject to x^2 - y == [1, 2, 3]
              subject to exp(x[2]) * y >= x[0]
            }";
        let mut m = model(src, "p");
        let (n, rows) = (m.n(), m.n_eq() + m.n_ineq());
        assert_eq!((n, m.n_eq(), m.n_ineq()), (4, 3, 2));
        for x in [[0.5, -1.0, 2.0, 0.3], [1.5, 0.25, -0.75, -2.0]] {
            let mut one = vec![0.0; rows * n];
            let before = m.evals;
            m.constraints_jacobian(&x, &mut one);
            assert_eq!(m.evals - before, 1, "one program run");
            let mut by_rows = vec![0.0; rows * n];
            optl_solvers::jacobian_by_rows(&mut m, &x, &mut by_rows);
            assert_eq!(one, by_rows, "at {x:?}");
        }
        // Row 0 is the first equality row, d(x0² - y)/d(x, y) = [2 x0, 0, 0, -1].
        let mut jac = vec![0.0; rows * n];
        m.constraints_jacobian(&[0.5, -1.0, 2.0, 0.3], &mut jac);
        assert_eq!(jac[..4], [1.0, 0.0, 0.0, -1.0]);
    }

    /// Past `JACOBIAN_PROGRAM_MAX_ROWS` rows the Jacobian comes one row at a time.
    #[test]
    fn many_rows_take_one_product_each() {
        let rows = JACOBIAN_PROGRAM_MAX_ROWS + 1;
        let src = format!(
            "problem p {{
              var x[{rows}] = 1
              minimize sum(x)
              subject to x^2 <= 4
            }}"
        );
        let mut m = model(&src, "p");
        let x: Vec<f64> = (0..rows).map(|i| i as f64 / 10.0).collect();
        let mut jac = vec![0.0; rows * rows];
        let before = m.evals;
        m.constraints_jacobian(&x, &mut jac);
        assert_eq!(m.evals - before, rows);
        for (i, row) in jac.chunks_exact(rows).enumerate() {
            for (j, v) in row.iter().enumerate() {
                assert_eq!(*v, if i == j { 2.0 * x[i] } else { 0.0 });
            }
        }
    }
}
