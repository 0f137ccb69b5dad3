//! SOR with the relaxation ω chosen per system by an online bandit that learns
//! from iteration counts (after Khodak, Chow, Balcan, Talwalkar, 2024: "Learning
//! to Relax: Setting Solver Parameters Across a Sequence of Linear System
//! Instances").
//!
//! The arms are a grid of ω values. The iteration count of SOR is unimodal in ω
//! (it falls slowly up to the optimum and rises above it), so the bandit follows
//! the unimodal-bandit scheme of Combes & Proutière (OSUB): it only plays the
//! current leader (lowest discounted mean count) or one of its grid neighbours,
//! whichever has the lowest lower-confidence bound (discounted UCB, for slowly
//! drifting systems). Two choices keep exploration cheap:
//!
//! - The first system opens with a few Gauss–Seidel sweeps whose convergence
//!   factor λ estimates `ρ(J)²`; Young's formula `ω = 2 / (1 + √(1 − λ))` (exact
//!   for consistently ordered matrices such as the 5-point Laplacian) picks the
//!   nearest arm, with which the first system is finished. When the estimate is
//!   unusable (λ ∉ (0, 1)), the largest ω of the grid is played, the side on which
//!   the count grows slowly (as `1 / (2 − ω)` for SPD matrices). The probe's
//!   sweeps count in the first system's iterations; as they also blur its count,
//!   the first observation is taken on the second system, played with the same
//!   arm unchallenged.
//! - A challenger gets at most `(1 + slack)` × the leader's mean count; if it
//!   has not converged by then, its observation is censored (recorded as that
//!   budget times `1 + slack`, plus one, so it ranks behind the leader) and the
//!   solve continues from the current iterate with the leader's ω.
//!
//! Ties are broken by a seeded generator: the same seed and systems give the same
//! choices and bits.

use crate::error::{Error, Result};
use crate::iterative::{
    IterResult, Operator, SorSystem, Status, check_omega, check_system, sor_diagonal, zero_solution,
};

/// Gauss–Seidel sweeps of the probe that opens the first system.
const PROBE_SWEEPS: usize = 12;
/// The convergence factor is measured over the probe's last this many sweeps.
const PROBE_WINDOW: usize = 4;

/// Parameters of the ω bandit.
#[derive(Debug, Clone, PartialEq)]
pub struct SorBandit {
    /// The arms, increasing, each in (0, 2) (default 1.00, 1.05, ..., 1.95).
    pub omegas: Vec<f64>,
    /// Relative residual tolerance of every solve.
    pub tol: f64,
    /// Limit on sweeps per system.
    pub max_iters: usize,
    /// Seed of the tie-breaking generator.
    pub seed: u64,
    /// Width of the confidence bonus, relative to the leader's mean count.
    pub exploration: f64,
    /// A challenger's budget is `(1 + slack)` × the leader's mean count.
    pub slack: f64,
    /// Discount of past observations per system (1 = plain means).
    pub discount: f64,
}

impl Default for SorBandit {
    fn default() -> Self {
        SorBandit {
            omegas: (0..20).map(|i| 1.0 + 0.05 * i as f64).collect(),
            tol: 1e-8,
            max_iters: 100_000,
            seed: 0,
            exploration: 0.1,
            slack: 0.1,
            discount: 0.99,
        }
    }
}

/// SplitMix64: a small deterministic generator for tie-breaking.
#[derive(Debug, Clone)]
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The ω bandit's state across a sequence of systems.
#[derive(Debug, Clone)]
pub struct SorBanditSolver {
    config: SorBandit,
    /// Discounted observation weight per arm.
    weight: Vec<f64>,
    /// Discounted sum of observed counts per arm.
    sum: Vec<f64>,
    rng: SplitMix,
    /// The arm the opening probe chose, played unchallenged on the second system
    /// so that its first observation is a clean count (the first system's count
    /// includes the probe's Gauss–Seidel sweeps).
    start: Option<usize>,
}

/// One bandit-driven solve.
#[derive(Debug, Clone, PartialEq)]
pub struct BanditSolve {
    /// The solve (iterations and matvecs include a censored challenger's).
    pub result: IterResult,
    /// The ω the bandit chose for this system.
    pub omega: f64,
    /// Whether the chosen ω was stopped at its budget and the leader finished.
    pub censored: bool,
}

impl SorBanditSolver {
    /// Checks the configuration (a non-empty increasing grid inside (0, 2), a
    /// tolerance, non-negative widths, a discount in (0, 1]).
    pub fn new(config: SorBandit) -> Result<Self> {
        let bad = |reason: String| Error::InvalidArgument {
            op: "sor_bandit",
            reason,
        };
        if config.omegas.is_empty() {
            return Err(bad("the grid of omegas is empty".into()));
        }
        for &w in &config.omegas {
            check_omega(w)?;
        }
        if config.omegas.windows(2).any(|p| p[0] >= p[1]) {
            return Err(bad("the grid of omegas must be increasing".into()));
        }
        let width_ok = |v: f64| v >= 0.0 && v.is_finite();
        if !width_ok(config.exploration) || !width_ok(config.slack) {
            return Err(bad("exploration and slack must be finite and >= 0".into()));
        }
        if !(config.discount > 0.0 && config.discount <= 1.0) {
            return Err(bad(format!(
                "discount must be in (0, 1], got {}",
                config.discount
            )));
        }
        let k = config.omegas.len();
        Ok(SorBanditSolver {
            rng: SplitMix(config.seed),
            config,
            weight: vec![0.0; k],
            sum: vec![0.0; k],
            start: None,
        })
    }

    /// Discounted mean count of each arm (`None` before its first observation).
    pub fn means(&self) -> Vec<Option<f64>> {
        self.weight
            .iter()
            .zip(&self.sum)
            .map(|(&w, &s)| (w > 0.0).then(|| s / w))
            .collect()
    }

    fn mean(&self, arm: usize) -> f64 {
        self.sum[arm] / self.weight[arm]
    }

    /// The arm with the lowest mean (ties by the generator); `None` before any observation.
    fn leader(&mut self) -> Option<usize> {
        let observed: Vec<usize> = (0..self.weight.len())
            .filter(|&a| self.weight[a] > 0.0)
            .collect();
        let best = observed
            .iter()
            .map(|&a| self.mean(a))
            .fold(f64::INFINITY, f64::min);
        let tied: Vec<usize> = observed
            .into_iter()
            .filter(|&a| self.mean(a) == best)
            .collect();
        self.pick(&tied)
    }

    fn pick(&mut self, arms: &[usize]) -> Option<usize> {
        match arms.len() {
            0 => None,
            1 => Some(arms[0]),
            len => Some(arms[(self.rng.next() % len as u64) as usize]),
        }
    }

    /// The arm to play and the leader it challenges.
    fn choose(&mut self) -> (usize, Option<usize>) {
        let k = self.weight.len();
        let Some(leader) = self.leader() else {
            return (self.start.unwrap_or(k - 1), None);
        };
        let lo = leader.saturating_sub(1);
        let hi = (leader + 1).min(k - 1);
        let total: f64 = self.weight.iter().sum();
        let scale = self.config.exploration * self.mean(leader);
        let index = |s: &Self, a: usize| -> f64 {
            if s.weight[a] == 0.0 {
                return f64::NEG_INFINITY;
            }
            s.mean(a) - scale * (total.max(1.0).ln() / s.weight[a]).sqrt()
        };
        let scores: Vec<(usize, f64)> = (lo..=hi).map(|a| (a, index(self, a))).collect();
        let best = scores.iter().map(|&(_, v)| v).fold(f64::INFINITY, f64::min);
        let tied: Vec<usize> = scores
            .iter()
            .filter(|&&(_, v)| v == best)
            .map(|&(a, _)| a)
            .collect();
        let arm = self.pick(&tied).unwrap_or(leader);
        (arm, Some(leader))
    }

    fn observe(&mut self, arm: usize, count: f64) {
        for (w, s) in self.weight.iter_mut().zip(self.sum.iter_mut()) {
            *w *= self.config.discount;
            *s *= self.config.discount;
        }
        self.weight[arm] += 1.0;
        self.sum[arm] += count;
    }

    /// Solves one system by SOR with the bandit's ω and learns from its count.
    pub fn solve(&mut self, a: &dyn Operator, b: &[f64]) -> Result<BanditSolve> {
        const OP: &str = "sor_bandit";
        let tol = self.config.tol;
        let max_iters = self.config.max_iters;
        let bnorm = check_system(OP, a, b, tol)?;
        let diagonal = sor_diagonal(a)?;
        let (arm, leader) = self.choose();
        let omega = self.config.omegas[arm];
        let n = a.n();
        if bnorm == 0.0 {
            return Ok(BanditSolve {
                result: zero_solution(n),
                omega,
                censored: false,
            });
        }
        let system = SorSystem {
            a,
            b,
            diagonal,
            bnorm,
        };
        let mut x = vec![0.0; n];
        let mut r = vec![0.0; n];
        let challenger = leader.filter(|&l| l != arm);
        let budget = match challenger {
            Some(l) => {
                ((self.mean(l) * (1.0 + self.config.slack)).ceil() as usize).clamp(1, max_iters)
            }
            None => max_iters,
        };
        if leader.is_none() && self.start.is_none() {
            return self.open(&system, &mut x, &mut r);
        }
        let first = system.run(omega, tol, budget, &mut x, &mut r)?;
        let mut result = IterResult {
            x: Vec::new(),
            iters: first.iters,
            residual: first.residual,
            status: first.status,
            matvecs: first.matvecs,
        };
        let mut censored = false;
        match (challenger, first.status) {
            (Some(l), Status::MaxIters) if budget < max_iters => {
                censored = true;
                self.observe(arm, budget as f64 * (1.0 + self.config.slack) + 1.0);
                let rest = system.run(
                    self.config.omegas[l],
                    tol,
                    max_iters - first.iters,
                    &mut x,
                    &mut r,
                )?;
                result.iters += rest.iters;
                result.matvecs += rest.matvecs;
                result.residual = rest.residual;
                result.status = rest.status;
            }
            (_, Status::Converged | Status::MaxIters) => {
                self.observe(arm, first.iters as f64);
            }
            _ => {}
        }
        result.x = x;
        Ok(BanditSolve {
            result,
            omega,
            censored,
        })
    }

    /// The first system: a Gauss–Seidel probe, Young's ω from its convergence
    /// factor (snapped to the grid), and the rest of the solve with that arm.
    fn open(&mut self, system: &SorSystem, x: &mut [f64], r: &mut [f64]) -> Result<BanditSolve> {
        let (tol, max_iters) = (self.config.tol, self.config.max_iters);
        let mut residuals = Vec::with_capacity(PROBE_SWEEPS);
        let mut result = IterResult {
            x: Vec::new(),
            iters: 0,
            residual: f64::INFINITY,
            status: Status::MaxIters,
            matvecs: 0,
        };
        while result.iters < PROBE_SWEEPS.min(max_iters) {
            let sweep = system.run(1.0, tol, 1, x, r)?;
            result.iters += sweep.iters;
            result.matvecs += sweep.matvecs;
            result.residual = sweep.residual;
            result.status = sweep.status;
            residuals.push(sweep.residual);
            if sweep.status != Status::MaxIters {
                break;
            }
        }
        let k = self.config.omegas.len();
        let arm = match young_omega(&residuals) {
            Some(w) => nearest(&self.config.omegas, w),
            None => k - 1,
        };
        let omega = self.config.omegas[arm];
        if result.status == Status::MaxIters && result.iters < max_iters {
            let rest = system.run(omega, tol, max_iters - result.iters, x, r)?;
            result.iters += rest.iters;
            result.matvecs += rest.matvecs;
            result.residual = rest.residual;
            result.status = rest.status;
        }
        self.start = Some(arm);
        result.x = x.to_vec();
        Ok(BanditSolve {
            result,
            omega,
            censored: false,
        })
    }
}

/// Young's optimal ω from Gauss–Seidel residuals: `λ` is their per-sweep
/// reduction over the last [`PROBE_WINDOW`] sweeps; `None` when there are too few
/// or `λ` is not in (0, 1).
fn young_omega(residuals: &[f64]) -> Option<f64> {
    let n = residuals.len();
    if n <= PROBE_WINDOW {
        return None;
    }
    let lambda =
        (residuals[n - 1] / residuals[n - 1 - PROBE_WINDOW]).powf(1.0 / PROBE_WINDOW as f64);
    (lambda > 0.0 && lambda < 1.0).then(|| 2.0 / (1.0 + (1.0 - lambda).sqrt()))
}

/// Index of the grid value nearest `w` (the lower one on a tie).
fn nearest(grid: &[f64], w: f64) -> usize {
    let mut best = 0;
    for (i, &g) in grid.iter().enumerate() {
        if (g - w).abs() < (grid[best] - w).abs() {
            best = i;
        }
    }
    best
}
