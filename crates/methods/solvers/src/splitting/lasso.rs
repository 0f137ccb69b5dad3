//! Block coordinate descent for least squares plus ℓ1 (Lasso, elastic net): the
//! reduction of a [`LeastSquaresForm`] with ℓ1 terms to
//!
//! `P(x) = ½‖Dx − t‖² + Σⱼ (Wⱼxⱼ² − 2uⱼxⱼ) + Σⱼ λⱼ|xⱼ| + const`
//!
//! (`D`, `t` the dense least-squares blocks stacked and scaled by `√(2w)`, stored
//! by columns; `W`, `u` the identity blocks, a ridge), solved by exact coordinate
//! minimization with the residual `res = t − Dx` kept up to date.
//!
//! Working sets (as celer, Massias et al. 2018): each outer iteration computes the
//! whole gradient and the duality gap ([`LassoDual`]'s, from `res`), stops when the
//! gap is at most the tolerance, else solves the problem restricted to the support
//! plus the coordinates that violate optimality most (at least twice the support,
//! doubling each time) to a fraction of that gap. Inner epochs follow `rule` and
//! are extrapolated every few epochs by Anderson acceleration (Bertrand & Massias
//! 2021), kept only when it lowers `P`.

use super::certificate::LassoDual;
use crate::problem::{Clock, Options, SolveResult, Status, dot};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

/// The order of coordinate updates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rule {
    Cyclic,
    /// A seeded permutation per epoch.
    Random,
    /// The coordinate farthest from optimality (distance of `−∇ⱼf` to `λⱼ∂|xⱼ|`).
    GaussSouthwell,
    /// The coordinate whose exact minimization lowers `P` most.
    Greedy,
}

/// The method's settings.
#[derive(Clone, Copy, Debug)]
pub struct Bcd {
    pub rule: Rule,
    /// Coordinates per update (1: exact coordinate minimization; more: one
    /// proximal-gradient step on the block with its own curvature).
    pub block: usize,
}

/// Epochs between Anderson extrapolations, and iterates they combine.
const ANDERSON: usize = 5;
/// Epochs between inner gap checks.
const CHECK_EVERY: usize = 10;
/// The restricted problem is solved to this fraction of the outer gap.
const INNER_FRACTION: f64 = 0.3;
/// The smallest working set.
const MIN_WORKING_SET: usize = 10;

/// The reduced problem.
struct Design {
    m: usize,
    n: usize,
    /// Column-major `[m, n]`.
    cols: Vec<f64>,
    target: Vec<f64>,
    ridge: Vec<f64>,
    ridge_target: Vec<f64>,
    /// `‖Dⱼ‖² + 2Wⱼ`.
    curvature: Vec<f64>,
    lambda: Vec<f64>,
}

impl Design {
    fn new(dual: &LassoDual) -> Design {
        let form = &dual.form;
        let n = form.n;
        let m: usize = form
            .blocks
            .iter()
            .filter(|b| b.a.is_some())
            .map(|b| b.rows)
            .sum();
        let mut cols = vec![0.0; m * n];
        let mut target = vec![0.0; m];
        let mut ridge = vec![0.0; n];
        let mut ridge_target = vec![0.0; n];
        let mut row0 = 0;
        for blk in &form.blocks {
            match &blk.a {
                Some(a) => {
                    let scale = (2.0 * blk.weight).sqrt();
                    // Transposed in tiles, so both sides are read and written in
                    // cache-sized runs.
                    const TILE: usize = 32;
                    for r0 in (0..blk.rows).step_by(TILE) {
                        for j0 in (0..n).step_by(TILE) {
                            for r in r0..(r0 + TILE).min(blk.rows) {
                                for j in j0..(j0 + TILE).min(n) {
                                    cols[j * m + row0 + r] = scale * a[r * n + j];
                                }
                            }
                        }
                    }
                    for r in 0..blk.rows {
                        target[row0 + r] = scale * blk.b.as_ref().map_or(0.0, |b| b[r]);
                    }
                    row0 += blk.rows;
                }
                None => {
                    for j in 0..n {
                        ridge[j] += blk.weight;
                        ridge_target[j] += blk.weight * blk.b.as_ref().map_or(0.0, |b| b[j]);
                    }
                }
            }
        }
        let curvature = (0..n)
            .map(|j| {
                let c = &cols[j * m..(j + 1) * m];
                dot(c, c) + 2.0 * ridge[j]
            })
            .collect();
        Design {
            m,
            n,
            cols,
            target,
            ridge,
            ridge_target,
            curvature,
            lambda: dual.lambda.clone(),
        }
    }

    fn col(&self, j: usize) -> &[f64] {
        &self.cols[j * self.m..(j + 1) * self.m]
    }

    /// `∂f/∂xⱼ` from the residual.
    fn partial(&self, j: usize, x: &[f64], res: &[f64]) -> f64 {
        -dot(self.col(j), res) + 2.0 * self.ridge[j] * x[j] - 2.0 * self.ridge_target[j]
    }

    /// `P(x)` up to the form's constant and the ridge targets' `Σ w b²`.
    fn objective(&self, x: &[f64], res: &[f64]) -> f64 {
        let mut p = 0.5 * dot(res, res);
        for j in 0..self.n {
            p += self.ridge[j] * x[j] * x[j] - 2.0 * self.ridge_target[j] * x[j]
                + self.lambda[j] * x[j].abs();
        }
        p
    }

    /// `res = t − Dx`.
    fn residual(&self, x: &[f64], res: &mut [f64]) {
        res.copy_from_slice(&self.target);
        for (j, &xj) in x.iter().enumerate() {
            if xj != 0.0 {
                axpy(-xj, self.col(j), res);
            }
        }
    }

    /// The exact minimizer over `xⱼ` (NaN when `P` is unbounded along it).
    fn minimize_coordinate(&self, j: usize, x: &[f64], g: f64) -> f64 {
        let h = self.curvature[j];
        if h > 0.0 {
            soft(h * x[j] - g, self.lambda[j]) / h
        } else if (g - h * x[j]).abs() <= self.lambda[j] {
            0.0
        } else {
            f64::NAN
        }
    }
}

fn soft(v: f64, t: f64) -> f64 {
    v.signum() * (v.abs() - t).max(0.0)
}

fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// How far coordinate `j` is from optimality: the distance of `−gⱼ` to `λⱼ∂|xⱼ|`.
fn violation(x: f64, g: f64, lambda: f64) -> f64 {
    if x == 0.0 {
        (g.abs() - lambda).max(0.0)
    } else {
        (g + lambda * x.signum()).abs()
    }
}

/// The Lasso gap from the residual (the dense part) and `x` (the ridge), with
/// the whole gradient `grad`.
fn gap(d: &Design, dual: &LassoDual, x: &[f64], res: &[f64], grad: &[f64]) -> f64 {
    if !grad.iter().chain(res).all(|v| v.is_finite()) {
        return f64::NAN;
    }
    let s = grad
        .iter()
        .zip(&d.lambda)
        .map(|(g, l)| g.abs() / l)
        .fold(1.0f64, f64::max);
    let mut total = 0.0;
    for (r, t) in res.iter().zip(&d.target) {
        let shifted = t - r / s;
        total += 0.5 * (r * r - t * t + shifted * shifted);
    }
    for blk in dual.form.blocks.iter().filter(|b| b.a.is_none()) {
        for j in 0..d.n {
            let b = blk.b.as_ref().map_or(0.0, |b| b[j]);
            let r = x[j] - b;
            let shifted = b + r / s;
            total += blk.weight * (r * r - b * b + shifted * shifted);
        }
    }
    total += x
        .iter()
        .zip(&d.lambda)
        .map(|(v, l)| l * v.abs())
        .sum::<f64>();
    if total < 0.0 { 0.0 } else { total }
}

impl Bcd {
    pub fn run(&self, dual: &LassoDual, x0: &[f64], opts: &Options) -> SolveResult {
        let clock = Clock::new(opts.timeout);
        let d = Design::new(dual);
        let n = d.n;
        let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
        let mut x = x0.to_vec();
        let mut res = vec![0.0; d.m];
        d.residual(&x, &mut res);
        let constant = full_constant(dual);
        let mut grad = vec![0.0; n];
        let mut history = Vec::new();
        let mut ws_size = MIN_WORKING_SET.min(n);
        let mut epochs = 0;
        let (mut status, mut message) = (Status::MaxIters, String::from("iteration limit"));
        let mut last_gap;
        loop {
            for j in 0..n {
                grad[j] = d.partial(j, &x, &res);
            }
            let p = d.objective(&x, &res) + constant;
            history.push(p);
            last_gap = gap(&d, dual, &x, &res, &grad);
            let tol = opts.tol * p.abs().max(1.0);
            if !last_gap.is_finite() {
                (status, message) = (Status::Diverged, "NaN in the coordinate updates".into());
                break;
            }
            if last_gap <= tol {
                (status, message) = (Status::Converged, "duality gap below tol".into());
                break;
            }
            if epochs >= opts.max_iters {
                break;
            }
            if clock.expired() {
                (status, message) = (Status::Timeout, "time limit".into());
                break;
            }
            // The working set: the support, then the worst violators.
            let support = x.iter().filter(|v| **v != 0.0).count();
            ws_size = ws_size.max(2 * support).min(n);
            let mut order: Vec<usize> = (0..n).collect();
            let score = |j: usize| {
                if x[j] != 0.0 {
                    f64::INFINITY
                } else {
                    violation(x[j], grad[j], d.lambda[j])
                }
            };
            order.sort_by(|&a, &b| score(b).total_cmp(&score(a)).then(a.cmp(&b)));
            let mut ws: Vec<usize> = order[..ws_size].to_vec();
            ws.sort_unstable();
            let inner_tol = (INNER_FRACTION * last_gap).max(tol);
            match self.inner(
                &d,
                dual,
                &ws,
                &mut x,
                &mut res,
                inner_tol,
                opts.max_iters - epochs,
                &clock,
                &mut rng,
            ) {
                Ok(done) => epochs += done,
                Err(e) => {
                    (status, message) = (Status::Unbounded, e);
                    break;
                }
            }
            ws_size = (2 * ws_size).min(n);
        }
        let f = d.objective(&x, &res) + constant;
        let mut r = SolveResult::new(status, x, f, message);
        r.iters = epochs;
        r.inner_iters = epochs;
        r.evals = 0;
        r.history = history;
        r.grad_norm = last_gap;
        r.kkt_residual = last_gap;
        r.time_s = clock.elapsed_s();
        r.certificate = "duality_gap";
        r.gap = last_gap;
        r
    }

    /// Epochs over the working set `ws` until its restricted gap is at most `tol`;
    /// returns the epochs run.
    #[allow(clippy::too_many_arguments)]
    fn inner(
        &self,
        d: &Design,
        dual: &LassoDual,
        ws: &[usize],
        x: &mut [f64],
        res: &mut [f64],
        tol: f64,
        max_epochs: usize,
        clock: &Clock,
        rng: &mut ChaCha8Rng,
    ) -> Result<usize, String> {
        let mut past: Vec<Vec<f64>> = Vec::with_capacity(ANDERSON + 1);
        let mut order: Vec<usize> = ws.to_vec();
        let gram = matches!(self.rule, Rule::GaussSouthwell | Rule::Greedy).then(|| gram_of(d, ws));
        let mut epochs = 0;
        while epochs < max_epochs {
            epochs += 1;
            match (&gram, self.block) {
                (Some(gram), _) => self.greedy_epoch(d, ws, gram, x, res)?,
                (None, 1) => {
                    if self.rule == Rule::Random {
                        for i in (1..order.len()).rev() {
                            let j = rng.random_range(0..=i);
                            order.swap(i, j);
                        }
                    }
                    for &j in &order {
                        let g = d.partial(j, x, res);
                        let new = d.minimize_coordinate(j, x, g);
                        if new.is_nan() {
                            return Err(format!("the objective is unbounded along coordinate {j}"));
                        }
                        let delta = new - x[j];
                        if delta != 0.0 {
                            axpy(-delta, d.col(j), res);
                            x[j] = new;
                        }
                    }
                }
                (None, b) => block_epoch(d, &order, b, x, res),
            }
            past.push(ws.iter().map(|&j| x[j]).collect());
            if past.len() == ANDERSON + 1 {
                anderson(d, ws, &past, x, res);
                past.clear();
            }
            // The gap of the problem restricted to the working set (the other
            // coordinates are zero and stay so).
            if epochs % CHECK_EVERY == 0 || epochs == max_epochs {
                let mut grad = vec![0.0; d.n];
                for &j in ws {
                    grad[j] = d.partial(j, x, res);
                }
                let restricted = gap(d, dual, x, res, &grad);
                if !(restricted > tol) || clock.expired() {
                    break;
                }
            }
        }
        Ok(epochs)
    }

    /// One epoch of `|ws|` updates, each of the coordinate the rule picks, with
    /// the restricted gradient kept by the working set's Gram matrix.
    fn greedy_epoch(
        &self,
        d: &Design,
        ws: &[usize],
        gram: &[f64],
        x: &mut [f64],
        res: &mut [f64],
    ) -> Result<(), String> {
        let k = ws.len();
        let mut g: Vec<f64> = ws.iter().map(|&j| d.partial(j, x, res)).collect();
        for _ in 0..k {
            let mut best = (0usize, 0.0f64);
            for (p, &j) in ws.iter().enumerate() {
                let score = match self.rule {
                    Rule::Greedy => {
                        let new = d.minimize_coordinate(j, x, g[p]);
                        let delta = new - x[j];
                        -(g[p] * delta
                            + 0.5 * d.curvature[j] * delta * delta
                            + d.lambda[j] * (new.abs() - x[j].abs()))
                    }
                    _ => violation(x[j], g[p], d.lambda[j]),
                };
                if score > best.1 {
                    best = (p, score);
                }
            }
            if best.1 <= 0.0 {
                break;
            }
            let (p, j) = (best.0, ws[best.0]);
            let new = d.minimize_coordinate(j, x, g[p]);
            if new.is_nan() {
                return Err(format!("the objective is unbounded along coordinate {j}"));
            }
            let delta = new - x[j];
            x[j] = new;
            axpy(-delta, d.col(j), res);
            for q in 0..k {
                g[q] += gram[q * k + p] * delta;
            }
            g[p] += 2.0 * d.ridge[j] * delta;
        }
        Ok(())
    }
}

/// `DᵀD` restricted to the working set, row-major `[k, k]` (ridge excluded).
fn gram_of(d: &Design, ws: &[usize]) -> Vec<f64> {
    let k = ws.len();
    let mut gram = vec![0.0; k * k];
    for p in 0..k {
        for q in p..k {
            let v = dot(d.col(ws[p]), d.col(ws[q]));
            gram[p * k + q] = v;
            gram[q * k + p] = v;
        }
    }
    gram
}

/// One epoch of proximal-gradient steps on consecutive blocks of `size`
/// coordinates, each with the step `1/L` of its own curvature (the trace bound
/// `Σ curvature` of the block, which is at least its largest eigenvalue).
fn block_epoch(d: &Design, order: &[usize], size: usize, x: &mut [f64], res: &mut [f64]) {
    for block in order.chunks(size) {
        let lip: f64 = block.iter().map(|&j| d.curvature[j]).sum();
        if !(lip > 0.0) {
            continue;
        }
        let g: Vec<f64> = block.iter().map(|&j| d.partial(j, x, res)).collect();
        for (&j, gj) in block.iter().zip(&g) {
            let new = soft(x[j] - gj / lip, d.lambda[j] / lip);
            let delta = new - x[j];
            if delta != 0.0 {
                axpy(-delta, d.col(j), res);
                x[j] = new;
            }
        }
    }
}

/// Anderson extrapolation of the last iterates on the working set; kept when it
/// lowers `P`.
fn anderson(d: &Design, ws: &[usize], past: &[Vec<f64>], x: &mut [f64], res: &mut [f64]) {
    let k = past.len() - 1;
    let diffs: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            past[i + 1]
                .iter()
                .zip(&past[i])
                .map(|(a, b)| a - b)
                .collect()
        })
        .collect();
    let mut m = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            m[i * k + j] = dot(&diffs[i], &diffs[j]);
        }
    }
    let scale = (0..k).map(|i| m[i * k + i]).fold(0.0f64, f64::max);
    if !(scale > 0.0) {
        return;
    }
    for i in 0..k {
        m[i * k + i] += 1e-10 * scale;
    }
    let Some(z) = solve_small(&m, k) else {
        return;
    };
    let total: f64 = z.iter().sum();
    if !(total.abs() > 0.0) {
        return;
    }
    let mut extra = x.to_vec();
    for (p, &j) in ws.iter().enumerate() {
        extra[j] = (0..k).map(|i| z[i] / total * past[i + 1][p]).sum();
    }
    let mut extra_res = vec![0.0; d.m];
    d.residual(&extra, &mut extra_res);
    if d.objective(&extra, &extra_res) < d.objective(x, res) {
        x.copy_from_slice(&extra);
        res.copy_from_slice(&extra_res);
    }
}

/// `m z = 1` for a small symmetric positive definite `m` (Gaussian elimination
/// with partial pivoting).
fn solve_small(m: &[f64], k: usize) -> Option<Vec<f64>> {
    let mut a = m.to_vec();
    let mut b = vec![1.0; k];
    for c in 0..k {
        let p = (c..k).max_by(|&i, &j| a[i * k + c].abs().total_cmp(&a[j * k + c].abs()))?;
        if a[p * k + c] == 0.0 || !a[p * k + c].is_finite() {
            return None;
        }
        for j in 0..k {
            a.swap(c * k + j, p * k + j);
        }
        b.swap(c, p);
        for r in c + 1..k {
            let f = a[r * k + c] / a[c * k + c];
            for j in c..k {
                a[r * k + j] -= f * a[c * k + j];
            }
            b[r] -= f * b[c];
        }
    }
    for c in (0..k).rev() {
        let s: f64 = (c + 1..k).map(|j| a[c * k + j] * b[j]).sum();
        b[c] = (b[c] - s) / a[c * k + c];
    }
    b.iter().all(|v| v.is_finite()).then_some(b)
}

/// The part of `P` the reduced objective leaves out: the form's constant and the
/// ridge targets' `Σ w b²`.
fn full_constant(dual: &LassoDual) -> f64 {
    let ridge: f64 = dual
        .form
        .blocks
        .iter()
        .filter(|b| b.a.is_none())
        .map(|b| b.weight * b.b.as_ref().map_or(0.0, |b| b.iter().map(|v| v * v).sum()))
        .sum();
    dual.form.constant + ridge
}
