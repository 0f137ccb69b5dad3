//! MOEA/D (Zhang & Li 2007) within finite bounds: one subproblem per Das–Dennis
//! weight vector, each scalarized by Tchebycheff `max_k w_k |f_k − z_k|` or by
//! penalty-based boundary intersection (PBI, θ = 5) `d₁ + θ d₂` around the ideal
//! point `z`. Each generation breeds one child per subproblem from two parents
//! drawn from its `neighbours` nearest weight vectors (with probability 0.9, else
//! from the whole population), evaluates all children in one batch (the
//! population-at-once form of tensorized MOEA/D, Liang et al. 2024), and then, in
//! subproblem order, updates the ideal point and lets each child replace the
//! members of its subproblem's neighbourhood that it scalarizes better (as pymoo).
//!
//! Deterministic for a given seed (ChaCha8).

use super::FrontResult;
use super::nsga3::reference_directions;
use super::population::{Run, random_points};
use super::reference::partitions_for;
use super::variation::Variation;
use crate::problem::{Bounds, MultiObjective, Options};
use rand::RngExt;
use rand::rngs::ChaCha8Rng;

/// How a subproblem scalarizes the objectives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decomposition {
    Tchebycheff,
    /// Penalty-based boundary intersection with θ = 5.
    Pbi,
}

/// MOEA/D configuration. `Moead::default()` gives the documented defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Moead {
    /// Population size (default 92): the number of weight vectors is the largest
    /// Das–Dennis set of at most `pop`, so the population may be smaller.
    pub pop: usize,
    /// Number of generations (default 400).
    pub generations: usize,
    /// The scalarization (default Tchebycheff).
    pub decomposition: Decomposition,
    /// Size of each subproblem's neighbourhood (default 20, at most the population).
    pub neighbours: usize,
    /// Probability of mating within the neighbourhood (default 0.9).
    pub neighbour_mating: f64,
    /// Random seed; `None` uses `Options::seed` (default `None`).
    pub seed: Option<u64>,
    /// Distribution index of simulated binary crossover (default 20).
    pub eta_c: f64,
    /// Distribution index of polynomial mutation (default 20).
    pub eta_m: f64,
    /// Violation below which an equality constraint counts as met (default `1e-8`).
    pub eq_tol: f64,
}

impl Default for Moead {
    fn default() -> Self {
        Moead {
            pop: 92,
            generations: 400,
            decomposition: Decomposition::Tchebycheff,
            neighbours: 20,
            neighbour_mating: 0.9,
            seed: None,
            eta_c: 20.0,
            eta_m: 20.0,
            eq_tol: 1e-8,
        }
    }
}

/// The scalarized value of `f` for weights `w` around the ideal point `z`.
fn scalarize(d: Decomposition, f: &[f64], w: &[f64], z: &[f64]) -> f64 {
    match d {
        Decomposition::Tchebycheff => f
            .iter()
            .zip(w)
            .zip(z)
            .map(|((v, wk), zk)| wk.max(1e-6) * (v - zk).abs())
            .fold(f64::NEG_INFINITY, f64::max),
        Decomposition::Pbi => {
            let norm = w.iter().map(|v| v * v).sum::<f64>().sqrt();
            let d1: f64 = f
                .iter()
                .zip(w)
                .zip(z)
                .map(|((v, wk), zk)| (v - zk) * wk)
                .sum::<f64>()
                / norm;
            let d2 = f
                .iter()
                .zip(w)
                .zip(z)
                .map(|((v, wk), zk)| (v - zk - d1 * wk / norm).powi(2))
                .sum::<f64>()
                .sqrt();
            d1 + 5.0 * d2
        }
    }
}

/// Each weight vector's `t` nearest (itself first), ties by index.
fn neighbourhoods(w: &[Vec<f64>], t: usize) -> Vec<Vec<usize>> {
    w.iter()
        .map(|a| {
            let mut by: Vec<(f64, usize)> = w
                .iter()
                .enumerate()
                .map(|(j, b)| (a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum(), j))
                .collect();
            by.sort_by(|p, q| p.0.total_cmp(&q.0).then(p.1.cmp(&q.1)));
            by.into_iter().take(t).map(|(_, j)| j).collect()
        })
        .collect()
}

impl Moead {
    /// Runs MOEA/D on `mo` within `bounds`, which must all be finite.
    pub fn solve(
        &self,
        mo: &mut dyn MultiObjective,
        bounds: &Bounds,
        opts: &Options,
    ) -> FrontResult {
        let mut run = match Run::start("moead", mo, bounds, opts, self.seed, self.eq_tol) {
            Ok(run) => run,
            Err(refused) => return *refused,
        };
        let (n, m) = (run.eval.n, run.eval.m);
        let pop_size = self.pop.max(m.max(4));
        let weights = match reference_directions("moead", m, partitions_for(m, pop_size), pop_size)
        {
            Ok(w) => w,
            Err(msg) => return run.refuse(msg),
        };
        let size = weights.len();
        let hood = neighbourhoods(&weights, self.neighbours.clamp(2, size));
        let variation = Variation {
            crossover_prob: 1.0,
            eta_c: self.eta_c,
            mutation_prob: 1.0 / n.max(1) as f64,
            eta_m: self.eta_m,
            child_mutation_prob: 1.0,
        };
        let mut pop = run.eval.evaluate(random_points(bounds, size, &mut run.rng));
        let mut ideal = vec![f64::INFINITY; m];
        let update_ideal = |ideal: &mut Vec<f64>, f: &[f64]| {
            for (z, v) in ideal.iter_mut().zip(f) {
                if v.is_finite() {
                    *z = z.min(*v);
                }
            }
        };
        for p in &pop {
            update_ideal(&mut ideal, &p.f);
        }
        // Violation first, then the scalarized value (Deb's rule per subproblem).
        let key = |cv: f64, f: &[f64], i: usize, z: &[f64]| {
            (cv, scalarize(self.decomposition, f, &weights[i], z))
        };
        while run.goes_on(self.generations) {
            let mut children = Vec::with_capacity(size);
            for i in 0..size {
                let local = run.rng.random::<f64>() < self.neighbour_mating;
                let draw = |rng: &mut ChaCha8Rng| match local {
                    true => hood[i][rng.random_range(0..hood[i].len())],
                    false => rng.random_range(0..size),
                };
                let (a, b) = (draw(&mut run.rng), draw(&mut run.rng));
                let (c1, c2) = variation.children(
                    &pop[a].x,
                    &pop[b].x,
                    &bounds.lower,
                    &bounds.upper,
                    &mut run.rng,
                );
                children.push(if run.rng.random::<f64>() < 0.5 {
                    c1
                } else {
                    c2
                });
            }
            let children = run.eval.evaluate(children);
            for (i, child) in children.into_iter().enumerate() {
                update_ideal(&mut ideal, &child.f);
                for &j in &hood[i] {
                    let mine = key(child.cv, &child.f, j, &ideal);
                    let theirs = key(pop[j].cv, &pop[j].f, j, &ideal);
                    if mine.0 < theirs.0 || (mine.0 == theirs.0 && mine.1 < theirs.1) {
                        pop[j] = child.clone();
                    }
                }
            }
            run.done += 1;
        }
        run.finish(&pop, self.generations, None)
    }
}
