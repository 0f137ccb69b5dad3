//! Frank–Wolfe (conditional gradient) for a smooth `f` over a product of sets
//! and finite boxes, with away steps on simplex blocks (Lacoste-Julien & Jaggi
//! 2015) and three step rules.
//!
//! Each iteration asks the linear minimization oracle for `s = argmin ⟨∇f(x), s⟩`
//! (block by block: a vertex of each simplex or ℓ1 ball, a boundary point of each
//! ℓ2 ball, `−r·u₁v₁ᵀ` on each nuclear ball from one top singular pair warm-started
//! from the last one, a corner of the box), whose FW gap `⟨∇f(x), x − s⟩` bounds
//! `f(x) − f*` for convex `f`. With `away`, a simplex block whose away direction
//! `x − r·e_a` (`a` the active vertex of largest gradient) descends faster than its
//! FW direction moves away instead, capping the step at the weight of `e_a` so the
//! iterate stays in the simplex; this gives linear convergence on polytopes where
//! plain FW zig-zags.

use crate::facts::VarFact;
use crate::problem::{Bounds, Clock, Nlp, Options, SolveResult, Status, dot, inf_norm};
use optl_linalg::prox::{Set, top_singular_pair};

/// How the step along the direction is chosen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Step {
    /// The secant of the directional derivative (exact on quadratics), then
    /// halving until `f` decreases.
    LineSearch,
    /// Demyanov–Rubinov `min(γmax, gap/(L‖d‖²))` with `L` adapted by backtracking
    /// (Pedregosa et al. 2020).
    Short,
    /// `2/(k + 2)`.
    OpenLoop,
}

/// The method's settings.
#[derive(Clone, Copy, Debug)]
pub struct FrankWolfe {
    pub step: Step,
    pub away: bool,
}

/// One block of the product domain.
#[derive(Clone, Debug)]
enum Block {
    Set {
        set: Set,
        range: std::ops::Range<usize>,
        /// The last top right singular vector (nuclear ball).
        warm: Option<Vec<f64>>,
    },
    Box {
        i: usize,
        lo: f64,
        hi: f64,
    },
}

/// Tolerance of the singular-pair solve of the nuclear oracle (relative).
const SVD_TOL: f64 = 1e-10;
/// Halvings of a line-search step before the iteration is given up.
const MAX_HALVINGS: usize = 60;

fn blocks(vars: &[VarFact], bounds: &Bounds) -> Vec<Block> {
    let mut out = Vec::new();
    for v in vars {
        match v.set {
            Some(set) => out.push(Block::Set {
                set,
                range: v.range(),
                warm: None,
            }),
            None => out.extend(v.range().map(|i| Block::Box {
                i,
                lo: bounds.lower[i],
                hi: bounds.upper[i],
            })),
        }
    }
    out
}

/// The FW vertex `s` of every block, written into `s`.
fn oracle(blocks: &mut [Block], g: &[f64], s: &mut [f64]) -> Result<(), String> {
    for b in blocks.iter_mut() {
        match b {
            Block::Box { i, lo, hi } => s[*i] = if g[*i] > 0.0 { *lo } else { *hi },
            Block::Set {
                set: Set::NuclearBall { radius, rows, cols },
                range,
                warm,
            } => {
                let pair =
                    top_singular_pair(&g[range.clone()], *rows, *cols, warm.as_deref(), SVD_TOL)
                        .map_err(|e| e.to_string())?;
                for r in 0..*rows {
                    for c in 0..*cols {
                        s[range.start + r * *cols + c] = -*radius * pair.u[r] * pair.v[c];
                    }
                }
                *warm = Some(pair.v);
            }
            Block::Set { set, range, .. } => set
                .lmo(&g[range.clone()], &mut s[range.clone()])
                .map_err(|e| e.to_string())?,
        }
    }
    Ok(())
}

impl FrankWolfe {
    pub fn run(
        &self,
        nlp: &mut dyn Nlp,
        vars: &[VarFact],
        bounds: &Bounds,
        x0: &[f64],
        opts: &Options,
    ) -> SolveResult {
        let clock = Clock::new(opts.timeout);
        let n = x0.len();
        let mut blocks = blocks(vars, bounds);
        let mut x = vec![0.0; n];
        // A feasible start: each block's projection.
        for b in &blocks {
            match b {
                Block::Box { i, lo, hi } => x[*i] = x0[*i].clamp(*lo, *hi),
                Block::Set { set, range, .. } => {
                    if let Err(e) = set.project(&x0[range.clone()], &mut x[range.clone()]) {
                        return SolveResult::new(
                            Status::Error,
                            x0.to_vec(),
                            f64::NAN,
                            e.to_string(),
                        );
                    }
                }
            }
        }
        let mut evals = 0;
        let mut g = vec![0.0; n];
        let mut f = nlp.smooth_objective(&x, Some(&mut g));
        evals += 1;
        if !f.is_finite() || !g.iter().all(|v| v.is_finite()) {
            let mut r = SolveResult::new(
                Status::Diverged,
                x,
                f,
                "the objective is NaN or infinite at the start",
            );
            r.diverged_at = Some(0);
            r.evals = evals;
            return r;
        }
        let mut history = vec![f];
        let mut s = vec![0.0; n];
        let mut d = vec![0.0; n];
        let mut trial = vec![0.0; n];
        let mut g_trial = vec![0.0; n];
        let mut lip = 0.0f64;
        let mut gap = f64::NAN;
        let (mut status, mut message) = (Status::MaxIters, String::from("iteration limit"));
        let mut iters = 0;
        while iters < opts.max_iters {
            if clock.expired() {
                (status, message) = (Status::Timeout, "time limit".into());
                break;
            }
            if let Err(e) = oracle(&mut blocks, &g, &mut s) {
                (status, message) = (Status::Error, e);
                break;
            }
            for i in 0..n {
                d[i] = s[i] - x[i];
            }
            gap = -dot(&g, &d);
            if !gap.is_finite() {
                (status, message) = (Status::Diverged, "the FW gap is NaN".into());
                break;
            }
            if gap <= opts.tol * f.abs().max(1.0) {
                (status, message) = (Status::Converged, "FW gap below tol".into());
                break;
            }
            iters += 1;
            let gamma_max = if self.away {
                away_directions(&blocks, &x, &g, &mut d)
            } else {
                1.0
            };
            let slope = dot(&g, &d);
            if !(slope < 0.0) {
                (status, message) = (Status::Stalled, "no descent direction".into());
                break;
            }
            let dd = dot(&d, &d);
            let mut gamma = match self.step {
                Step::OpenLoop => (2.0 / (iters as f64 + 2.0)).min(gamma_max),
                Step::Short => {
                    if lip == 0.0 {
                        lip = estimate_lipschitz(nlp, &x, &g, &d, &mut evals);
                    }
                    (-slope / (lip * dd)).min(gamma_max)
                }
                Step::LineSearch => {
                    for i in 0..n {
                        trial[i] = x[i] + gamma_max * d[i];
                    }
                    nlp.smooth_objective(&trial, Some(&mut g_trial));
                    evals += 1;
                    let end_slope = dot(&g_trial, &d);
                    if end_slope.is_finite() && end_slope <= 0.0 {
                        gamma_max
                    } else if end_slope.is_finite() {
                        gamma_max * slope / (slope - end_slope)
                    } else {
                        0.5 * gamma_max
                    }
                }
            };
            // Accept the first step that decreases f (sufficient decrease for `short`).
            let mut accepted = None;
            for _ in 0..MAX_HALVINGS {
                for i in 0..n {
                    trial[i] = x[i] + gamma * d[i];
                }
                let ft = nlp.smooth_objective(&trial, Some(&mut g_trial));
                evals += 1;
                let want = match self.step {
                    Step::Short => f + gamma * slope + 0.5 * lip * gamma * gamma * dd,
                    _ => f,
                };
                if ft.is_finite() && ft <= want + 4.0 * f64::EPSILON * f.abs() {
                    accepted = Some(ft);
                    break;
                }
                match self.step {
                    Step::Short => {
                        lip *= 2.0;
                        gamma = (-slope / (lip * dd)).min(gamma_max);
                    }
                    _ => gamma *= 0.5,
                }
            }
            let Some(ft) = accepted else {
                (status, message) = (Status::Stalled, "no step decreases the objective".into());
                break;
            };
            if self.step == Step::Short {
                lip *= 0.9;
            }
            let moved = gamma * inf_norm(&d) > 0.0;
            x.copy_from_slice(&trial);
            g.copy_from_slice(&g_trial);
            let unchanged = ft == f;
            f = ft;
            history.push(f);
            if !moved && unchanged {
                (status, message) = (Status::Stalled, "the step vanished".into());
                break;
            }
        }
        if !matches!(status, Status::Converged | Status::Error)
            && oracle(&mut blocks, &g, &mut s).is_ok()
        {
            // The gap of the point returned, not of the one before the last step.
            gap = x
                .iter()
                .zip(&s)
                .zip(&g)
                .map(|((a, b), c)| c * (a - b))
                .sum();
        }
        let mut r = SolveResult::new(status, x, f, message);
        r.iters = iters;
        r.inner_iters = iters;
        r.evals = evals;
        r.grad_norm = gap;
        r.kkt_residual = gap;
        r.history = history;
        r.time_s = clock.elapsed_s();
        r.certificate = "fw_gap";
        r.gap = gap;
        r
    }
}

/// Replaces the FW direction by the away direction on every simplex block where
/// that descends faster; returns the largest step that keeps `x` feasible.
fn away_directions(blocks: &[Block], x: &[f64], g: &[f64], d: &mut [f64]) -> f64 {
    let mut gamma_max = 1.0f64;
    for b in blocks {
        let Block::Set {
            set: Set::Simplex { radius },
            range,
            ..
        } = b
        else {
            continue;
        };
        let r = *radius;
        // The active vertex of largest gradient.
        let Some(a) = range
            .clone()
            .filter(|&i| x[i] > 0.0)
            .max_by(|&i, &j| g[i].total_cmp(&g[j]).then(j.cmp(&i)))
        else {
            continue;
        };
        let fw: f64 = range.clone().map(|i| g[i] * d[i]).sum();
        let away: f64 = range
            .clone()
            .map(|i| g[i] * (x[i] - if i == a { r } else { 0.0 }))
            .sum();
        if away < fw {
            let alpha = x[a] / r;
            for i in range.clone() {
                d[i] = x[i] - if i == a { r } else { 0.0 };
            }
            if alpha < 1.0 {
                gamma_max = gamma_max.min(alpha / (1.0 - alpha));
            }
        }
    }
    gamma_max
}

/// `L` from the gradient's change over a small step along `d`.
fn estimate_lipschitz(
    nlp: &mut dyn Nlp,
    x: &[f64],
    g: &[f64],
    d: &[f64],
    evals: &mut usize,
) -> f64 {
    let eps = 1e-3;
    let moved: Vec<f64> = x.iter().zip(d).map(|(a, b)| a + eps * b).collect();
    let mut g1 = vec![0.0; x.len()];
    nlp.smooth_objective(&moved, Some(&mut g1));
    *evals += 1;
    let dg: Vec<f64> = g1.iter().zip(g).map(|(a, b)| a - b).collect();
    let l = (dot(&dg, &dg)).sqrt() / (eps * dot(d, d).sqrt());
    if l.is_finite() && l > 0.0 { l } else { 1.0 }
}
