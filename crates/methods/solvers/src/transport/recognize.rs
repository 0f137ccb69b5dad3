//! Recognising entropic optimal transport in a problem as written, by probing the
//! problem's own functions (so any algebraically equal way of writing it counts):
//!
//! - one variable `P[n, m]` with lower bound 0 and no upper bound;
//! - an objective whose gradient is `M' + reg · log P` for a constant matrix `M'`
//!   and a constant `reg > 0` (read off the gradients at `P = 1` and `P = e`) and
//!   whose values follow `⟨M', P⟩ + reg Σ (P log P − P)` up to a constant (checked
//!   at random points);
//! - equality constraints that are affine and, row by row, a row sum or a column
//!   sum of `P` (either sign) minus a constant, covering every row and column once;
//!   no inequalities.
//!
//! Each check that fails says which, so `solve(p, sinkhorn())` can tell the user.

use crate::problem::{Bounds, Nlp};

/// Relative tolerance of the probe comparisons (the probes evaluate the user's
/// functions in floating point, in whatever order they were written).
const RTOL: f64 = 1e-9;

/// An entropic transport problem read off a model: minimize
/// `⟨M, P⟩ + reg Σ P (log P − 1)` subject to `P 1 = a`, `Pᵀ 1 = b`, `P ≥ 0`
/// (equal to the model's objective up to a constant on the feasible set).
#[derive(Clone, Debug, PartialEq)]
pub struct TransportForm {
    pub rows: usize,
    pub cols: usize,
    /// Row-major `[rows, cols]`.
    pub cost: Vec<f64>,
    pub reg: f64,
    pub a: Vec<f64>,
    pub b: Vec<f64>,
    /// The model's objective minus the transport objective (a constant).
    pub offset: f64,
}

fn close(x: f64, y: f64, scale: f64) -> bool {
    (x - y).abs() <= RTOL * scale.max(1.0)
}

/// Deterministic probe values in [0.5, 1.5).
fn probe(len: usize, seed: u64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            0.5 + (s >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

/// The transport form of `model` whose one variable has shape `[rows, cols]`, or
/// why it is not one.
pub fn recognize(
    model: &mut dyn Nlp,
    rows: usize,
    cols: usize,
    bounds: &Bounds,
) -> Result<TransportForm, String> {
    let n = rows * cols;
    if n == 0 || model.n() != n {
        return Err("the problem must have one matrix variable P[n, m]".into());
    }
    if !bounds.lower.iter().all(|&l| l == 0.0) || !bounds.upper.iter().all(|&u| u == f64::INFINITY)
    {
        return Err("P must be declared `>= 0` with no upper bound".into());
    }
    if model.n_ineq() != 0 {
        return Err("a transport problem has no inequality constraints".into());
    }
    if model.n_eq() != rows + cols {
        return Err(format!(
            "a transport problem constrains the {rows} row sums and {cols} column sums ({} equalities), this one has {}",
            rows + cols,
            model.n_eq()
        ));
    }
    let (cost, reg) = objective_form(model, n)?;
    let offset = check_values(model, &cost, reg)?;
    let (a, b) = marginals(model, rows, cols)?;
    Ok(TransportForm {
        rows,
        cols,
        cost,
        reg,
        a,
        b,
        offset,
    })
}

/// `M'` and `reg` from the gradients at `P = 1` and `P = e`.
fn objective_form(model: &mut dyn Nlp, n: usize) -> Result<(Vec<f64>, f64), String> {
    let not_entropic = || "the objective is not ⟨M, P⟩ + reg · Σ P log P".to_string();
    let mut g1 = vec![0.0; n];
    let mut ge = vec![0.0; n];
    model.objective(&vec![1.0; n], Some(&mut g1));
    model.objective(&vec![std::f64::consts::E; n], Some(&mut ge));
    let reg = ge[0] - g1[0];
    if !(reg > 0.0 && reg.is_finite()) || g1.iter().any(|v| !v.is_finite()) {
        return Err(not_entropic());
    }
    let scale = g1.iter().chain(&ge).fold(0.0f64, |m, v| m.max(v.abs()));
    let constant_step = ge.iter().zip(&g1).all(|(e, o)| close(e - o, reg, scale));
    if !constant_step {
        return Err(not_entropic());
    }
    Ok((g1, reg))
}

/// Checks `f(P) − f(1) = ⟨M', P − 1⟩ + reg Σ (P log P − P + 1)` at random points;
/// gives `f(1) − ⟨M', 1⟩ + reg · n`, the constant by which `f` differs from the
/// transport objective.
fn check_values(model: &mut dyn Nlp, cost: &[f64], reg: f64) -> Result<f64, String> {
    let n = cost.len();
    let f1 = model.objective(&vec![1.0; n], None);
    let transport = |p: &[f64]| -> f64 {
        p.iter()
            .zip(cost)
            .map(|(&x, &c)| c * x + reg * (x * x.ln() - x))
            .sum()
    };
    let offset = f1 - transport(&vec![1.0; n]);
    for seed in [1, 2] {
        let p = probe(n, seed);
        let f = model.objective(&p, None);
        let predicted = transport(&p) + offset;
        if !close(f, predicted, f.abs().max(predicted.abs())) {
            return Err("the objective is not ⟨M, P⟩ + reg · Σ P log P".into());
        }
    }
    Ok(offset)
}

/// `a` and `b` from affine equality constraints that are row and column sums.
fn marginals(
    model: &mut dyn Nlp,
    rows: usize,
    cols: usize,
) -> Result<(Vec<f64>, Vec<f64>), String> {
    let n = rows * cols;
    let k = rows + cols;
    let mut c0 = vec![0.0; k];
    model.constraints(&vec![0.0; n], &mut c0, &mut []);
    let probes: Vec<Vec<f64>> = [3, 4].iter().map(|&s| probe(n, s)).collect();
    let mut deltas = Vec::new();
    for p in &probes {
        let mut c = vec![0.0; k];
        model.constraints(p, &mut c, &mut []);
        deltas.push(c.iter().zip(&c0).map(|(x, y)| x - y).collect::<Vec<f64>>());
    }
    let sums = |p: &[f64]| -> Vec<f64> {
        let mut s = vec![0.0; k];
        for i in 0..rows {
            for j in 0..cols {
                s[i] += p[i * cols + j];
                s[rows + j] += p[i * cols + j];
            }
        }
        s
    };
    let expected: Vec<Vec<f64>> = probes.iter().map(|p| sums(p)).collect();
    let (mut a, mut b) = (vec![f64::NAN; rows], vec![f64::NAN; cols]);
    for r in 0..k {
        let found = (0..k).find_map(|t| {
            [1.0, -1.0].into_iter().find_map(|sign| {
                let fits = (0..probes.len()).all(|q| {
                    let e = sign * expected[q][t];
                    close(deltas[q][r], e, e.abs())
                });
                fits.then_some((t, sign))
            })
        });
        let Some((t, sign)) = found else {
            return Err(format!(
                "equality {} is not a row or column sum of P minus a constant",
                r + 1
            ));
        };
        let target = -sign * c0[r];
        let slot = if t < rows {
            &mut a[t]
        } else {
            &mut b[t - rows]
        };
        if !slot.is_nan() {
            return Err("a row or column sum of P is constrained twice".into());
        }
        *slot = target;
    }
    Ok((a, b))
}
