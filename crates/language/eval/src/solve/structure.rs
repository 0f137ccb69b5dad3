//! A traced problem's `Structure` as the methods read it: counts, each var's place,
//! bounds and set (declared or written as constraints), affine equalities, and the
//! objective as a smooth part plus prox-friendly terms.

use crate::numeric::TracedProblem;
use optl_solvers::{
    CompletionForm, Composite, Coupling, LeastSquaresBlock, LeastSquaresForm, LinearEquality,
    ProxTerm, Structure, VarFact,
};

/// The problem's structure, as the methods read it: counts, the vars' places,
/// bounds and sets, and the objective split into smooth part and prox-friendly
/// terms (`split`, for one objective).
pub(super) fn structure(problem: &TracedProblem, split: Option<&optl_ir::Split>) -> Structure {
    let mut vars = Vec::new();
    let mut start = 0;
    for v in &problem.vars {
        let len: usize = v.shape.iter().product();
        let finite = |t: &optl_tensor::Tensor| t.iter().map(|b| b.is_finite()).collect::<Vec<_>>();
        let (lo, hi) = (finite(&v.lower), finite(&v.upper));
        vars.push(VarFact {
            name: v.name.to_string(),
            shape: v.shape.clone(),
            start,
            len,
            bounded: lo.iter().zip(&hi).all(|(a, b)| *a && *b),
            boxed: lo.iter().chain(&hi).any(|b| *b),
            set: v.set,
            set_written: false,
        });
        start += len;
    }
    let set_constraints = written_sets(problem, &mut vars);
    let names: Vec<&str> = problem.vars.iter().map(|v| &*v.name).collect();
    let composite = split.map_or_else(Composite::default, |s| composite(s, &vars, &names));
    let linear_equalities = linear_equalities(problem);
    Structure {
        name: problem.name.to_string(),
        n: start,
        objectives: problem.maximize.len(),
        constraints: problem.constraints.len(),
        rows: problem.constraints.iter().map(|c| c.rows).sum(),
        vars,
        composite,
        linear_equalities,
        set_constraints,
        lower: None,
    }
}

/// Sets written as constraints on a whole var without a declared set: `sum(x) ==
/// r` with `x >= 0` (as a constraint or as its bounds `[0, inf]`) is the simplex,
/// `norm(x, 1) <= r` the ℓ1 ball, `norm(x) <= r` or `sum(x^2) <= r^2` the ℓ2 ball
/// (for a var without bounds). The vars' facts get the set; returns how many
/// `subject to` statements they account for.
pub(super) fn written_sets(problem: &TracedProblem, vars: &mut [VarFact]) -> usize {
    use optl_ir::SetConstraint as C;
    let read: Vec<Option<C>> = problem
        .constraints
        .iter()
        .map(|c| {
            let equal = c.kind == crate::numeric::ConstraintKind::Equal;
            optl_ir::set_constraint(&problem.function, c.output, equal)
        })
        .collect();
    let mut absorbed = 0;
    for (i, var) in vars.iter_mut().enumerate() {
        if var.set.is_some() {
            continue;
        }
        let traced = &problem.vars[i];
        let on = |c: &C| match *c {
            C::SumEquals { input, .. }
            | C::NonNegative { input }
            | C::L1Ball { input, .. }
            | C::L2Ball { input, .. } => input as usize == i,
        };
        let mine: Vec<&C> = read.iter().flatten().filter(|c| on(c)).collect();
        let nonneg_bounds = traced.lower.iter().all(|l| *l == 0.0)
            && traced.upper.iter().all(|u| *u == f64::INFINITY);
        let free = traced.lower.iter().all(|l| *l == f64::NEG_INFINITY)
            && traced.upper.iter().all(|u| *u == f64::INFINITY);
        let sum = mine.iter().find_map(|c| match c {
            C::SumEquals { r, .. } => Some(*r),
            _ => None,
        });
        let nonneg = mine.iter().any(|c| matches!(c, C::NonNegative { .. }));
        let (set, count) = match (sum, nonneg || nonneg_bounds, mine.len()) {
            (Some(radius), true, k) if k == 1 + usize::from(nonneg) => {
                (Some(optl_linalg::prox::Set::Simplex { radius }), k)
            }
            (None, false, 1) if free => match mine[0] {
                C::L1Ball { r, .. } => (Some(optl_linalg::prox::Set::L1Ball { radius: *r }), 1),
                C::L2Ball { r, .. } => (Some(optl_linalg::prox::Set::L2Ball { radius: *r }), 1),
                _ => (None, 0),
            },
            _ => (None, 0),
        };
        if let Some(set) = set {
            var.set = Some(set);
            var.set_written = true;
            absorbed += count;
        }
    }
    absorbed
}

/// Every `subject to` as an affine equality, if each is one.
pub(super) fn linear_equalities(problem: &TracedProblem) -> Option<Vec<LinearEquality>> {
    problem
        .constraints
        .iter()
        .map(|c| {
            if c.kind != crate::numeric::ConstraintKind::Equal {
                return None;
            }
            let a = optl_ir::affine_output(&problem.function, c.output)?;
            Some(LinearEquality {
                rows: a.rows,
                terms: a
                    .terms
                    .iter()
                    .map(|(input, coef)| {
                        let coupling = match coef {
                            optl_ir::Coefficient::Scaled(s) => Coupling::Scaled(*s),
                            optl_ir::Coefficient::Dense(m) => Coupling::Dense(flat_copy(m)),
                        };
                        (*input as usize, coupling)
                    })
                    .collect(),
                offset: a
                    .offset
                    .map_or_else(|| vec![0.0; a.rows], |o| o.iter().copied().collect()),
            })
        })
        .collect()
}

/// A tensor's elements in row-major order (one copy; a memcpy when contiguous).
pub(super) fn flat_copy(t: &optl_tensor::Tensor) -> std::sync::Arc<Vec<f64>> {
    std::sync::Arc::new(match t.as_slice() {
        Some(s) => s.to_vec(),
        None => t.iter().copied().collect(),
    })
}

/// The IR's split as the methods' facts: positions made global, terms and
/// nonsmooth parts rendered with the vars' names, least squares kept when the
/// problem has one var.
pub(super) fn composite(split: &optl_ir::Split, vars: &[VarFact], names: &[&str]) -> Composite {
    let terms = split
        .terms
        .iter()
        .map(|t| {
            let var = &vars[t.input as usize];
            ProxTerm {
                penalty: t.penalty,
                weight: t.weight,
                indices: t.indices.iter().map(|i| var.start + i).collect(),
                text: t.text(names[t.input as usize]),
            }
        })
        .collect();
    let nonsmooth = split
        .nonsmooth
        .iter()
        .map(|t| optl_ir::Split::nonsmooth_text(t, names))
        .collect();
    let least_squares = match (&split.least_squares, vars) {
        (Some((blocks, constant)), [var]) => Some(std::sync::Arc::new(LeastSquaresForm {
            n: var.len,
            blocks: blocks
                .iter()
                .map(|b| LeastSquaresBlock {
                    weight: b.weight,
                    rows: b.a.as_ref().map_or(var.len, |a| a.shape()[0]),
                    a: b.a.as_deref().map(flat_copy),
                    b: b.b.as_deref().map(flat_copy),
                })
                .collect(),
            constant: *constant,
        })),
        _ => None,
    };
    let completion = split.completion.as_ref().map(|c| {
        let (u, v) = (c.u as usize, c.v as usize);
        std::sync::Arc::new(CompletionForm {
            weight: c.weight,
            u,
            v,
            rows: vars[u].shape[0],
            cols: vars[v].shape[0],
            rank: vars[u].shape[1],
            m: flat_copy(&c.m),
            mask: c.mask.as_deref().map(flat_copy),
            ridge_u: c.ridge_u,
            ridge_v: c.ridge_v,
            constant: c.constant,
        })
    });
    Composite {
        terms,
        nonsmooth,
        least_squares,
        smooth_reads: optl_ir::reads_inputs(&split.smooth),
        completion,
    }
}
