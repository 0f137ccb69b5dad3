//! Nelder–Mead simplex search with the adaptive parameters of Gao & Han (2012):
//! reflection 1, expansion `1 + 2/n`, contraction `0.75 − 1/(2n)`, shrink
//! `1 − 1/n`. Derivative-free, so it suits non-smooth objectives.
//!
//! Bounds are respected by projecting every trial vertex onto the box. NaN/Inf
//! values rank as `+inf`, so the simplex moves away from them.

use crate::problem::{Bounds, Clock, Nlp, Options, SolveResult, Solver, Status, UNBOUNDED_F};

/// Nelder–Mead configuration. `NelderMead::default()` gives the documented defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct NelderMead {
    /// Relative size of the initial simplex: vertex `i` moves `x0_i` by
    /// `initial_step·|x0_i|`, or by `0.00025` when `x0_i = 0` (default `0.05`,
    /// as in SciPy).
    pub initial_step: f64,
    /// Simplex diameter (infinity norm, relative to `max(1, ‖x‖∞)`) below which
    /// the search stops (default `1e-8`).
    pub xtol: f64,
    /// Spread of the vertex values, relative to `max(1, |f_best|)`, below which
    /// the search stops; `None` uses `Options::tol` (default `None`).
    pub ftol: Option<f64>,
    /// Use the adaptive parameters of Gao & Han; `false` gives the classic
    /// (1, 2, 0.5, 0.5) (default `true`).
    pub adaptive: bool,
}

impl Default for NelderMead {
    fn default() -> Self {
        NelderMead {
            initial_step: 0.05,
            xtol: 1e-8,
            ftol: None,
            adaptive: true,
        }
    }
}

/// NaN and Inf rank last.
fn rank(f: f64) -> f64 {
    if f.is_nan() { f64::INFINITY } else { f }
}

/// Nelder–Mead uses no gradients and ignores the constraints of `nlp`;
/// `grad_norm` is not computed (NaN).
impl Solver for NelderMead {
    fn run(
        &self,
        nlp: &mut dyn Nlp,
        x0: Vec<f64>,
        bounds: &Bounds,
        opts: &Options,
        clock: &Clock,
    ) -> SolveResult {
        let n = nlp.n();
        let nf = n.max(1) as f64;
        let (alpha, beta, gamma, delta) = if self.adaptive && n >= 2 {
            (1.0, 1.0 + 2.0 / nf, 0.75 - 1.0 / (2.0 * nf), 1.0 - 1.0 / nf)
        } else {
            (1.0, 2.0, 0.5, 0.5)
        };
        let ftol = self.ftol.unwrap_or(opts.tol);
        let mut evals = 0usize;
        let mut eval = |x: &[f64], evals: &mut usize| {
            *evals += 1;
            rank(nlp.objective(x, None))
        };
        let mut simplex: Vec<Vec<f64>> = vec![x0.clone()];
        for i in 0..n {
            let mut v = x0.clone();
            let step = if v[i] != 0.0 {
                self.initial_step * v[i]
            } else {
                0.00025
            };
            v[i] += step;
            bounds.project(&mut v);
            if v[i] == x0[i] {
                // Pinned at a bound: step the other way.
                v[i] -= step;
                bounds.project(&mut v);
            }
            simplex.push(v);
        }
        let mut fs: Vec<f64> = simplex.iter().map(|v| eval(v, &mut evals)).collect();
        let mut history = vec![fs[0]];
        let mut iters = 0usize;
        let finish =
            |status, msg: String, simplex: Vec<Vec<f64>>, fs: Vec<f64>, iters, evals, history| {
                let best = (0..fs.len())
                    .min_by(|&a, &b| fs[a].total_cmp(&fs[b]))
                    .unwrap_or(0);
                let x = simplex.into_iter().nth(best).unwrap_or_default();
                let mut r =
                    SolveResult::new(status, x, fs.get(best).copied().unwrap_or(f64::NAN), msg);
                r.iters = iters;
                r.inner_iters = iters;
                r.evals = evals;
                r.history = history;
                r.time_s = clock.elapsed_s();
                if status == Status::Diverged {
                    r.diverged_at = Some(0);
                }
                r
            };
        if fs.iter().all(|f| !f.is_finite()) {
            let msg = "objective is NaN/Inf at every vertex of the initial simplex".to_string();
            return finish(Status::Diverged, msg, simplex, fs, 0, evals, history);
        }
        let mut order: Vec<usize> = (0..=n).collect();
        loop {
            order.sort_by(|&a, &b| fs[a].total_cmp(&fs[b]));
            let (best, worst) = (order[0], order[n]);
            let fbest = fs[best];
            if fbest < UNBOUNDED_F {
                let msg = format!("objective {fbest:.3e} fell below {UNBOUNDED_F:e}");
                return finish(Status::Unbounded, msg, simplex, fs, iters, evals, history);
            }
            let xscale = simplex[best].iter().fold(1.0f64, |m, v| m.max(v.abs()));
            let diam = simplex
                .iter()
                .flat_map(|v| v.iter().zip(&simplex[best]).map(|(a, b)| (a - b).abs()))
                .fold(0.0f64, f64::max);
            let spread = fs[worst] - fbest;
            if diam <= self.xtol * xscale && spread <= ftol * fbest.abs().max(1.0) {
                let msg = format!(
                    "simplex diameter {diam:.3e} and value spread {spread:.3e} below tolerance"
                );
                return finish(Status::Converged, msg, simplex, fs, iters, evals, history);
            }
            if diam == 0.0 || (diam <= 1e-15 * xscale && spread.is_finite()) {
                let msg = format!("simplex collapsed (value spread {spread:.3e})");
                return finish(Status::Stalled, msg, simplex, fs, iters, evals, history);
            }
            if iters >= opts.max_iters {
                let msg = format!("reached max_iters = {}", opts.max_iters);
                return finish(Status::MaxIters, msg, simplex, fs, iters, evals, history);
            }
            if clock.expired() {
                let msg = format!("timeout after {iters} iterations");
                return finish(Status::Timeout, msg, simplex, fs, iters, evals, history);
            }
            iters += 1;
            let second_worst = order[n.saturating_sub(1)];
            let mut centroid = vec![0.0; n];
            for &k in &order[..n] {
                for (c, v) in centroid.iter_mut().zip(&simplex[k]) {
                    *c += v / nf;
                }
            }
            let point = |t: f64| -> Vec<f64> {
                let mut p: Vec<f64> = centroid
                    .iter()
                    .zip(&simplex[worst])
                    .map(|(c, w)| c + t * (c - w))
                    .collect();
                bounds.project(&mut p);
                p
            };
            let xr = point(alpha);
            let fr = eval(&xr, &mut evals);
            let mut shrink = false;
            if fr < fbest {
                let xe = point(alpha * beta);
                let fe = eval(&xe, &mut evals);
                if fe < fr {
                    simplex[worst] = xe;
                    fs[worst] = fe;
                } else {
                    simplex[worst] = xr;
                    fs[worst] = fr;
                }
            } else if fr < fs[second_worst] {
                simplex[worst] = xr;
                fs[worst] = fr;
            } else if fr < fs[worst] {
                let xc = point(alpha * gamma);
                let fc = eval(&xc, &mut evals);
                if fc <= fr {
                    simplex[worst] = xc;
                    fs[worst] = fc;
                } else {
                    shrink = true;
                }
            } else {
                let xc = point(-gamma);
                let fc = eval(&xc, &mut evals);
                if fc < fs[worst] {
                    simplex[worst] = xc;
                    fs[worst] = fc;
                } else {
                    shrink = true;
                }
            }
            if shrink {
                let xb = simplex[best].clone();
                for k in 0..=n {
                    if k == best {
                        continue;
                    }
                    for (v, b) in simplex[k].iter_mut().zip(&xb) {
                        *v = b + delta * (*v - b);
                    }
                    bounds.project(&mut simplex[k]);
                    fs[k] = eval(&simplex[k], &mut evals);
                }
            }
            let fmin = fs.iter().copied().fold(f64::INFINITY, f64::min);
            history.push(fmin);
        }
    }
}
