//! NSGA-II (Deb, Pratap, Agarwal & Meyarivan 2002) for multi-objective
//! problems within finite bounds: fast non-dominated sorting, crowding
//! distance, binary tournaments on (rank, crowding), simulated binary crossover
//! and polynomial mutation (the bounded variants of Deb's reference code), and
//! elitist (μ+λ) survival. Constraints use Deb's constrained domination: a
//! feasible point beats an infeasible one, and of two infeasible points the one
//! with the smaller total violation wins.
//!
//! Sorting, variation and evaluation are the family's shared pieces
//! (`dominance.rs`, `variation.rs`, `population.rs`).
//!
//! Deterministic for a given seed (ChaCha8).

use super::dominance;
use super::population::{Member, Run, random_points};
use super::variation::Variation;
use crate::problem::{Bounds, MultiObjective, Options, Status};
use rand::RngExt;
use rand::rngs::ChaCha8Rng;

/// NSGA-II configuration. `Nsga2::default()` gives the documented defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Nsga2 {
    /// Population size (default 100; rounded up to an even number, at least 4).
    pub pop: usize,
    /// Number of generations (default 200). `Options::max_iters` is not used.
    pub generations: usize,
    /// Random seed; `None` uses `Options::seed` (default `None`).
    pub seed: Option<u64>,
    /// Probability that a pair of parents is crossed over (default 0.9).
    pub crossover_prob: f64,
    /// Distribution index of simulated binary crossover (default 15).
    pub eta_c: f64,
    /// Per-variable mutation probability; `None` means `1/n` (default `None`).
    pub mutation_prob: Option<f64>,
    /// Distribution index of polynomial mutation (default 20).
    pub eta_m: f64,
    /// Reference point of the hypervolume; `None` uses the front's nadir point
    /// moved away by 10%: `nadir_i + 0.1·max(|nadir_i|, nadir_i − ideal_i)`
    /// (`= 1.1·nadir` for a positive nadir; default `None`).
    pub reference: Option<Vec<f64>>,
    /// Violation below which an equality constraint counts as satisfied (default `1e-8`).
    pub eq_tol: f64,
}

impl Default for Nsga2 {
    fn default() -> Self {
        Nsga2 {
            pop: 100,
            generations: 200,
            seed: None,
            crossover_prob: 0.9,
            eta_c: 15.0,
            mutation_prob: None,
            eta_m: 20.0,
            reference: None,
            eq_tol: 1e-8,
        }
    }
}

/// The outcome of NSGA-II: the first non-dominated front of the final population.
#[derive(Clone, Debug, PartialEq)]
pub struct FrontResult {
    /// `Converged` after all generations (NSGA-II has no optimality test),
    /// `Timeout`, `Infeasible` when no feasible point was found, `Error` on bad input.
    pub status: Status,
    /// Decision vectors of the front.
    pub front_x: Vec<Vec<f64>>,
    /// Objective vectors of the front (same order as `front_x`).
    pub front_f: Vec<Vec<f64>>,
    /// Hypervolume of `front_f` with respect to `reference`.
    pub hypervolume: f64,
    /// Whether `hypervolume` is exact (up to four objectives) or a seeded Monte
    /// Carlo estimate (above).
    pub hypervolume_exact: bool,
    /// The reference point used for the hypervolume.
    pub reference: Vec<f64>,
    /// Generations run.
    pub generations: usize,
    /// Evaluations of the objectives.
    pub evals: usize,
    /// Human-readable reason for the status.
    pub message: String,
    /// Wall-clock time spent, in seconds.
    pub time_s: f64,
}

impl FrontResult {
    /// As [`SolveResult::guard_nan`](crate::SolveResult::guard_nan): a front with
    /// a NaN objective or point is never `converged`.
    pub fn guard_nan(&mut self) {
        let nan = |rows: &[Vec<f64>]| rows.iter().flatten().any(|v| v.is_nan());
        if self.status == Status::Converged && (nan(&self.front_f) || nan(&self.front_x)) {
            self.status = Status::Diverged;
            self.message = format!("the front holds NaN ({})", self.message);
        }
    }
}

/// One member of the population.
#[derive(Clone, Debug)]
struct Ind {
    x: Vec<f64>,
    f: Vec<f64>,
    cv: f64,
    rank: usize,
    crowd: f64,
}

/// Non-dominated sort of the population: sets `rank` and returns the fronts.
fn sort_fronts(pop: &mut [Ind]) -> Vec<Vec<usize>> {
    let fs: Vec<&[f64]> = pop.iter().map(|p| p.f.as_slice()).collect();
    let cv: Vec<f64> = pop.iter().map(|p| p.cv).collect();
    let fronts = dominance::sort_fronts(&fs, &cv);
    for (rank, front) in fronts.iter().enumerate() {
        for &i in front {
            pop[i].rank = rank;
        }
    }
    fronts
}

impl From<Member> for Ind {
    fn from(m: Member) -> Ind {
        Ind {
            x: m.x,
            f: m.f,
            cv: m.cv,
            rank: 0,
            crowd: 0.0,
        }
    }
}

/// Crowding distance within one front.
fn crowding(pop: &mut [Ind], front: &[usize]) {
    let fs: Vec<&[f64]> = pop.iter().map(|p| p.f.as_slice()).collect();
    let d = dominance::crowding(&fs, front);
    for (&i, d) in front.iter().zip(d) {
        pop[i].crowd = d;
    }
}

/// Crowded comparison: lower rank, then larger crowding distance.
fn better(a: &Ind, b: &Ind) -> Option<bool> {
    if a.rank != b.rank {
        return Some(a.rank < b.rank);
    }
    if a.crowd != b.crowd {
        return Some(a.crowd > b.crowd);
    }
    None
}

impl Nsga2 {
    /// Runs NSGA-II on `mo` within `bounds`, which must all be finite.
    pub fn solve(
        &self,
        mo: &mut dyn MultiObjective,
        bounds: &Bounds,
        opts: &Options,
    ) -> FrontResult {
        let mut run = match Run::start("nsga2", mo, bounds, opts, self.seed, self.eq_tol) {
            Ok(run) => run,
            Err(refused) => return *refused,
        };
        let n = run.eval.n;
        let pop_size = self.pop.max(4).div_ceil(2) * 2;
        let (lo, hi) = (&bounds.lower, &bounds.upper);
        let start = random_points(bounds, pop_size, &mut run.rng);
        let mut pop: Vec<Ind> = run
            .eval
            .evaluate(start)
            .into_iter()
            .map(Ind::from)
            .collect();
        let fronts = sort_fronts(&mut pop);
        for fr in &fronts {
            crowding(&mut pop, fr);
        }
        let variation = Variation {
            crossover_prob: self.crossover_prob,
            eta_c: self.eta_c,
            mutation_prob: self.mutation_prob.unwrap_or(1.0 / n.max(1) as f64),
            eta_m: self.eta_m,
            child_mutation_prob: 1.0,
        };
        while run.goes_on(self.generations) {
            let mut offspring = Vec::with_capacity(pop_size);
            while offspring.len() < pop_size {
                let p1 = tournament(&pop, &mut run.rng);
                let p2 = tournament(&pop, &mut run.rng);
                let (c1, c2) = variation.children(&pop[p1].x, &pop[p2].x, lo, hi, &mut run.rng);
                offspring.push(c1);
                offspring.push(c2);
            }
            pop.extend(run.eval.evaluate(offspring).into_iter().map(Ind::from));
            let fronts = sort_fronts(&mut pop);
            let mut keep: Vec<usize> = Vec::with_capacity(pop_size);
            for fr in &fronts {
                crowding(&mut pop, fr);
                if keep.len() + fr.len() <= pop_size {
                    keep.extend_from_slice(fr);
                } else {
                    let mut last = fr.clone();
                    last.sort_by(|&a, &b| pop[b].crowd.total_cmp(&pop[a].crowd));
                    keep.extend_from_slice(&last[..pop_size - keep.len()]);
                    break;
                }
            }
            let mut next: Vec<Ind> = keep.iter().map(|&i| pop[i].clone()).collect();
            // Ranks and crowding of the survivors, for the next tournaments.
            let fronts = sort_fronts(&mut next);
            for fr in &fronts {
                crowding(&mut next, fr);
            }
            pop = next;
            run.done += 1;
        }
        let members: Vec<Member> = pop
            .into_iter()
            .map(|p| Member {
                x: p.x,
                f: p.f,
                cv: p.cv,
            })
            .collect();
        run.finish(&members, self.generations, self.reference.clone())
    }
}

/// Binary tournament on the crowded comparison; ties broken at random.
fn tournament(pop: &[Ind], rng: &mut ChaCha8Rng) -> usize {
    let a = rng.random_range(0..pop.len());
    let b = rng.random_range(0..pop.len());
    match better(&pop[a], &pop[b]) {
        Some(true) => a,
        Some(false) => b,
        None => {
            if rng.random::<f64>() < 0.5 {
                a
            } else {
                b
            }
        }
    }
}
