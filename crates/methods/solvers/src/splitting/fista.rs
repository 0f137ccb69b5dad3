//! FISTA: accelerated proximal gradient (Beck & Teboulle 2009) on
//! `F(x) = f(x) + h(x)`, `f` smooth (the model's smooth part), `h` the
//! [`Nonsmooth`] part.
//!
//! Each iteration takes the prox-gradient step `z = prox_{h/L}(y − ∇f(y)/L)` from
//! the extrapolated point `y`, with `L` found by backtracking (doubled until
//! `f(z) ≤ f(y) + ⟨∇f(y), z − y⟩ + L/2 ‖z − y‖²`, then shrunk by 0.9 so it can
//! follow a smaller local curvature) or fixed from a power-iteration estimate.
//! Function-value restart (O'Donoghue & Candès 2015): when `F(z) > F(x)` the
//! momentum is dropped and the step is redone from `x`, so the run is monotone.
//! It stops when the [`Certificate`] is at most `tol·max(1, |F|)`.

use super::certificate::Certificate;
use super::nonsmooth::Nonsmooth;
use crate::problem::{Clock, Nlp, Options, SolveResult, Status, UNBOUNDED_F, dot, inf_norm};

/// Doublings of `L` in one backtracking search before the step is given up.
const MAX_DOUBLINGS: usize = 80;
/// Iterations without any change of `x` or `F` before the run is `stalled`.
const STALL_ITERS: usize = 5;

/// The method's settings.
#[derive(Clone, Copy, Debug)]
pub struct Fista {
    pub backtracking: bool,
    pub restart: bool,
}

/// A point with its smooth value and gradient.
struct Point {
    x: Vec<f64>,
    f: f64,
    g: Vec<f64>,
}

fn eval(nlp: &mut dyn Nlp, x: Vec<f64>, evals: &mut usize) -> Point {
    let mut g = vec![0.0; x.len()];
    let f = nlp.smooth_objective(&x, Some(&mut g));
    *evals += 1;
    Point { x, f, g }
}

fn finite(p: &Point) -> bool {
    p.f.is_finite() && p.g.iter().all(|v| v.is_finite())
}

impl Fista {
    /// Runs from `x0` (projected onto the sets and boxes first).
    pub fn run(
        &self,
        nlp: &mut dyn Nlp,
        h: &mut Nonsmooth,
        cert: &Certificate,
        x0: &[f64],
        opts: &Options,
    ) -> SolveResult {
        let clock = Clock::new(opts.timeout);
        let n = x0.len();
        let mut evals = 0;
        let mut start = vec![0.0; n];
        if let Err(e) = h.project(x0, &mut start) {
            return SolveResult::new(Status::Error, x0.to_vec(), f64::NAN, e);
        }
        let mut x = eval(nlp, start, &mut evals);
        if !finite(&x) {
            let mut r = SolveResult::new(
                Status::Diverged,
                x.x,
                f64::NAN,
                "the smooth part is NaN or infinite at the start",
            );
            r.diverged_at = Some(0);
            r.evals = evals;
            return r;
        }
        let mut big_f = x.f + h.value(&x.x);
        let mut history = vec![big_f];
        let mut lip = match self.backtracking {
            true => initial_lipschitz(nlp, &x, &mut evals),
            false => power_lipschitz(nlp, &x, &mut evals),
        };
        let mut y: Option<Point> = None; // None: y = x
        let mut t: f64 = 1.0;
        let mut still = 0;
        let mut trial = vec![0.0; n];
        let mut z_x = vec![0.0; n];
        let (mut status, mut message) = (Status::MaxIters, String::from("iteration limit"));
        let mut residual = f64::NAN;
        let mut iters = 0;
        while iters < opts.max_iters {
            if clock.expired() {
                (status, message) = (Status::Timeout, "time limit".into());
                break;
            }
            iters += 1;
            let momentum = y.is_some();
            let base = y.as_ref().unwrap_or(&x);
            // Backtracking on L.
            let mut z = None;
            for _ in 0..MAX_DOUBLINGS {
                for i in 0..n {
                    trial[i] = base.x[i] - base.g[i] / lip;
                }
                if let Err(e) = h.prox(&trial, 1.0 / lip, &mut z_x) {
                    return failed(x, big_f, Status::Error, e, iters, evals, history);
                }
                let p = eval(nlp, z_x.clone(), &mut evals);
                let ok = finite(&p) && {
                    let d: Vec<f64> = p.x.iter().zip(&base.x).map(|(a, b)| a - b).collect();
                    let model = base.f + dot(&base.g, &d) + 0.5 * lip * dot(&d, &d);
                    p.f <= model + 8.0 * f64::EPSILON * base.f.abs().max(1.0)
                };
                if ok || !self.backtracking && finite(&p) {
                    z = Some(p);
                    break;
                }
                lip *= 2.0;
                if !lip.is_finite() {
                    break;
                }
            }
            let Some(z) = z else {
                (status, message) = (
                    Status::Stalled,
                    "no step length satisfies the sufficient-decrease test".into(),
                );
                break;
            };
            let f_z = z.f + h.value(&z.x);
            if self.restart && momentum && f_z > big_f {
                y = None;
                t = 1.0;
                continue;
            }
            if f_z < UNBOUNDED_F {
                x = z;
                big_f = f_z;
                (status, message) = (Status::Unbounded, "the objective is unbounded below".into());
                break;
            }
            let moved = z.x != x.x || f_z != big_f;
            still = if moved { 0 } else { still + 1 };
            // Momentum.
            let t_next = 0.5 * (1.0 + (1.0 + 4.0 * t * t).sqrt());
            let beta = (t - 1.0) / t_next;
            let yx: Vec<f64> =
                z.x.iter()
                    .zip(&x.x)
                    .map(|(a, b)| a + beta * (a - b))
                    .collect();
            t = t_next;
            x = z;
            big_f = f_z;
            history.push(big_f);
            // Certificate at the new x.
            residual = prox_residual(h, &x, lip, &mut trial, &mut z_x).unwrap_or(f64::NAN);
            let gap = cert.value(&x.x, &x.g, big_f, residual);
            if gap <= opts.tol * big_f.abs().max(1.0) {
                (status, message) = (Status::Converged, cert.converged_message().into());
                break;
            }
            if still >= STALL_ITERS {
                (status, message) = (Status::Stalled, "x and F stopped changing".into());
                break;
            }
            y = (beta != 0.0).then(|| eval(nlp, yx, &mut evals));
            if y.as_ref().is_some_and(|p| !finite(p)) {
                y = None;
                t = 1.0;
            }
            if self.backtracking {
                lip *= 0.9;
            }
        }
        let gap = cert.value(&x.x, &x.g, big_f, residual);
        let mut r = SolveResult::new(status, x.x, big_f, message);
        r.iters = iters;
        r.inner_iters = iters;
        r.evals = evals;
        r.grad_norm = residual;
        r.kkt_residual = residual;
        r.history = history;
        r.time_s = clock.elapsed_s();
        r.certificate = cert.name();
        r.gap = gap;
        r
    }
}

/// The ∞-norm of the gradient mapping `L·(x − prox_{h/L}(x − ∇f(x)/L))`.
fn prox_residual(
    h: &mut Nonsmooth,
    x: &Point,
    lip: f64,
    trial: &mut [f64],
    out: &mut [f64],
) -> Result<f64, String> {
    for i in 0..trial.len() {
        trial[i] = x.x[i] - x.g[i] / lip;
    }
    h.prox(trial, 1.0 / lip, out)?;
    let d: Vec<f64> = x.x.iter().zip(out.iter()).map(|(a, b)| a - b).collect();
    Ok(lip * inf_norm(&d))
}

fn failed(
    x: Point,
    f: f64,
    status: Status,
    message: String,
    iters: usize,
    evals: usize,
    history: Vec<f64>,
) -> SolveResult {
    let mut r = SolveResult::new(status, x.x, f, message);
    r.iters = iters;
    r.evals = evals;
    r.history = history;
    r
}

/// A first `L`: the gradient's change over a short step along `−∇f`, divided by
/// the step's length (1 when that says nothing).
fn initial_lipschitz(nlp: &mut dyn Nlp, x: &Point, evals: &mut usize) -> f64 {
    let gn = inf_norm(&x.g);
    if gn == 0.0 || !gn.is_finite() {
        return 1.0;
    }
    let h = 1e-3 * inf_norm(&x.x).max(1.0) / gn;
    let moved: Vec<f64> = x.x.iter().zip(&x.g).map(|(a, g)| a - h * g).collect();
    let p = eval(nlp, moved, evals);
    let dg: Vec<f64> = p.g.iter().zip(&x.g).map(|(a, b)| a - b).collect();
    let dx: Vec<f64> = p.x.iter().zip(&x.x).map(|(a, b)| a - b).collect();
    let l = (dot(&dg, &dg) / dot(&dx, &dx)).sqrt();
    if l.is_finite() && l > 0.0 { l } else { 1.0 }
}

/// Power iterations on gradient differences (exact Hessian products for a
/// quadratic `f`), with a 10% margin.
fn power_lipschitz(nlp: &mut dyn Nlp, x: &Point, evals: &mut usize) -> f64 {
    let n = x.x.len();
    let mut v: Vec<f64> = (0..n).map(|i| 1.0 + (i % 7) as f64 / 7.0).collect();
    let mut lambda = 1.0;
    for _ in 0..30 {
        let vn = dot(&v, &v).sqrt();
        if vn == 0.0 || !vn.is_finite() {
            return 1.0;
        }
        let h = 1e-4 * inf_norm(&x.x).max(1.0) / vn;
        let moved: Vec<f64> = x.x.iter().zip(&v).map(|(a, b)| a + h * b).collect();
        let p = eval(nlp, moved, evals);
        let hv: Vec<f64> = p.g.iter().zip(&x.g).map(|(a, b)| (a - b) / h).collect();
        let next = dot(&hv, &hv).sqrt() / vn;
        if !next.is_finite() {
            return 1.0;
        }
        let done = (next - lambda).abs() <= 1e-3 * next;
        lambda = next;
        v = hv;
        if done {
            break;
        }
    }
    if lambda > 0.0 { 1.1 * lambda } else { 1.0 }
}
