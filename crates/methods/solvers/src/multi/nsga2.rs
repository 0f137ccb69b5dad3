//! NSGA-II (Deb, Pratap, Agarwal & Meyarivan 2002) for multi-objective
//! problems within finite bounds: fast non-dominated sorting, crowding
//! distance, binary tournaments on (rank, crowding), simulated binary crossover
//! and polynomial mutation (the bounded variants of Deb's reference code), and
//! elitist (μ+λ) survival. Constraints use Deb's constrained domination: a
//! feasible point beats an infeasible one, and of two infeasible points the one
//! with the smaller total violation wins.
//!
//! Deterministic for a given seed (ChaCha8).

use super::hypervolume::hypervolume;
use crate::problem::{Bounds, Clock, MultiObjective, Options, Status};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

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

/// One member of the population.
#[derive(Clone, Debug)]
struct Ind {
    x: Vec<f64>,
    f: Vec<f64>,
    cv: f64,
    rank: usize,
    crowd: f64,
}

/// Constrained domination: does `a` dominate `b`?
fn dominates(a: &Ind, b: &Ind) -> bool {
    if a.cv < b.cv {
        return true;
    }
    if a.cv > b.cv || a.cv > 0.0 {
        return false;
    }
    let mut strictly = false;
    for (x, y) in a.f.iter().zip(&b.f) {
        if x > y {
            return false;
        }
        if x < y {
            strictly = true;
        }
    }
    strictly
}

/// Fast non-dominated sort: sets `rank` and returns the fronts as index lists.
fn sort_fronts(pop: &mut [Ind]) -> Vec<Vec<usize>> {
    let n = pop.len();
    let mut dominated_by: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut count = vec![0usize; n];
    for i in 0..n {
        for j in (i + 1)..n {
            if dominates(&pop[i], &pop[j]) {
                dominated_by[i].push(j);
                count[j] += 1;
            } else if dominates(&pop[j], &pop[i]) {
                dominated_by[j].push(i);
                count[i] += 1;
            }
        }
    }
    let mut fronts = Vec::new();
    let mut current: Vec<usize> = (0..n).filter(|&i| count[i] == 0).collect();
    let mut rank = 0;
    while !current.is_empty() {
        let mut next = Vec::new();
        for &i in &current {
            pop[i].rank = rank;
            for &j in &dominated_by[i] {
                count[j] -= 1;
                if count[j] == 0 {
                    next.push(j);
                }
            }
        }
        fronts.push(std::mem::take(&mut current));
        current = next;
        rank += 1;
    }
    fronts
}

/// Crowding distance within one front.
fn crowding(pop: &mut [Ind], front: &[usize]) {
    for &i in front {
        pop[i].crowd = 0.0;
    }
    if front.len() <= 2 {
        for &i in front {
            pop[i].crowd = f64::INFINITY;
        }
        return;
    }
    let m = pop[front[0]].f.len();
    let mut idx = front.to_vec();
    for k in 0..m {
        idx.sort_by(|&a, &b| pop[a].f[k].total_cmp(&pop[b].f[k]));
        let (lo, hi) = (pop[idx[0]].f[k], pop[idx[idx.len() - 1]].f[k]);
        pop[idx[0]].crowd = f64::INFINITY;
        pop[idx[idx.len() - 1]].crowd = f64::INFINITY;
        let range = hi - lo;
        if !(range > 0.0) || !range.is_finite() {
            continue;
        }
        for w in 1..idx.len() - 1 {
            let gap = (pop[idx[w + 1]].f[k] - pop[idx[w - 1]].f[k]) / range;
            if gap.is_finite() {
                pop[idx[w]].crowd += gap;
            }
        }
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
        let clock = Clock::new(opts.timeout);
        let n = mo.n();
        let m = mo.n_obj();
        let fail = |status, msg: String| FrontResult {
            status,
            front_x: Vec::new(),
            front_f: Vec::new(),
            hypervolume: 0.0,
            reference: Vec::new(),
            generations: 0,
            evals: 0,
            message: msg,
            time_s: clock.elapsed_s(),
        };
        if let Err((s, msg)) = bounds.validate(n) {
            return fail(s, msg);
        }
        if !bounds.is_finite() {
            return fail(
                Status::Error,
                "nsga2 needs finite bounds on every variable".to_string(),
            );
        }
        if m == 0 {
            return fail(Status::Error, "the problem has no objectives".to_string());
        }
        let pop_size = self.pop.max(4).div_ceil(2) * 2;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed.unwrap_or(opts.seed));
        let (me, mi) = (mo.n_eq(), mo.n_ineq());
        let mut evals = 0usize;
        let mut ce = vec![0.0; me];
        let mut ci = vec![0.0; mi];
        let eq_tol = self.eq_tol;
        let mut evaluate = |x: Vec<f64>, evals: &mut usize| -> Ind {
            *evals += 1;
            let mut f = vec![0.0; m];
            mo.objectives(&x, &mut f);
            // A NaN objective makes the point as bad as a point can be: it
            // counts as infinitely infeasible, so every other point beats it.
            let mut cv = 0.0;
            for v in f.iter_mut() {
                if v.is_nan() {
                    *v = f64::INFINITY;
                    cv = f64::INFINITY;
                }
            }
            if me + mi > 0 {
                mo.constraints(&x, &mut ce, &mut ci);
                cv += ce.iter().map(|c| (c.abs() - eq_tol).max(0.0)).sum::<f64>()
                    + ci.iter().map(|c| c.max(0.0)).sum::<f64>();
                if cv.is_nan() {
                    cv = f64::INFINITY;
                }
            }
            Ind {
                x,
                f,
                cv,
                rank: 0,
                crowd: 0.0,
            }
        };
        let (lo, hi) = (&bounds.lower, &bounds.upper);
        let mut pop: Vec<Ind> = (0..pop_size)
            .map(|_| {
                let x = (0..n)
                    .map(|i| lo[i] + rng.random::<f64>() * (hi[i] - lo[i]))
                    .collect();
                evaluate(x, &mut evals)
            })
            .collect();
        let fronts = sort_fronts(&mut pop);
        for fr in &fronts {
            crowding(&mut pop, fr);
        }
        let pm = self.mutation_prob.unwrap_or(1.0 / n.max(1) as f64);
        let mut gen_done = 0;
        let mut status = Status::Converged;
        let mut message = format!("completed {} generations", self.generations);
        while gen_done < self.generations {
            if clock.expired() {
                status = Status::Timeout;
                message = format!("timeout after {gen_done} generations");
                break;
            }
            let mut offspring = Vec::with_capacity(pop_size);
            while offspring.len() < pop_size {
                let p1 = tournament(&pop, &mut rng);
                let p2 = tournament(&pop, &mut rng);
                let (mut c1, mut c2) = (pop[p1].x.clone(), pop[p2].x.clone());
                if rng.random::<f64>() <= self.crossover_prob {
                    sbx(&mut c1, &mut c2, lo, hi, self.eta_c, &mut rng);
                }
                mutate(&mut c1, lo, hi, pm, self.eta_m, &mut rng);
                mutate(&mut c2, lo, hi, pm, self.eta_m, &mut rng);
                offspring.push(evaluate(c1, &mut evals));
                offspring.push(evaluate(c2, &mut evals));
            }
            pop.extend(offspring);
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
            gen_done += 1;
        }
        let first: Vec<&Ind> = pop.iter().filter(|p| p.rank == 0).collect();
        let feasible = first.iter().any(|p| p.cv == 0.0);
        if !feasible && status == Status::Converged {
            status = Status::Infeasible;
            message =
                "no feasible point found; the front holds the least violating points".to_string();
        }
        let front_x: Vec<Vec<f64>> = first.iter().map(|p| p.x.clone()).collect();
        let front_f: Vec<Vec<f64>> = first.iter().map(|p| p.f.clone()).collect();
        let reference = self
            .reference
            .clone()
            .unwrap_or_else(|| default_reference(&front_f, m));
        let hv = if feasible {
            hypervolume(&front_f, &reference)
        } else {
            0.0
        };
        FrontResult {
            status,
            front_x,
            front_f,
            hypervolume: hv,
            reference,
            generations: gen_done,
            evals,
            message,
            time_s: clock.elapsed_s(),
        }
    }
}

/// `nadir + 0.1·max(|nadir|, nadir − ideal)` per objective, over finite values.
fn default_reference(front: &[Vec<f64>], m: usize) -> Vec<f64> {
    (0..m)
        .map(|k| {
            let vals = front.iter().map(|f| f[k]).filter(|v| v.is_finite());
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for v in vals {
                lo = lo.min(v);
                hi = hi.max(v);
            }
            if !hi.is_finite() {
                return 0.0;
            }
            let margin = hi.abs().max(hi - lo);
            hi + 0.1 * if margin > 0.0 { margin } else { 1.0 }
        })
        .collect()
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

/// Simulated binary crossover with bounds (Deb & Agrawal 1995; NSGA-II `realcross`).
fn sbx(c1: &mut [f64], c2: &mut [f64], lo: &[f64], hi: &[f64], eta: f64, rng: &mut ChaCha8Rng) {
    for i in 0..c1.len() {
        if rng.random::<f64>() > 0.5 {
            continue;
        }
        let (a, b) = (c1[i], c2[i]);
        if (a - b).abs() <= 1e-14 {
            continue;
        }
        let (y1, y2) = if a < b { (a, b) } else { (b, a) };
        let (yl, yu) = (lo[i], hi[i]);
        let u: f64 = rng.random();
        let betaq = |beta: f64| {
            let alpha = 2.0 - beta.powf(-(eta + 1.0));
            if u <= 1.0 / alpha {
                (u * alpha).powf(1.0 / (eta + 1.0))
            } else {
                (1.0 / (2.0 - u * alpha)).powf(1.0 / (eta + 1.0))
            }
        };
        let bq1 = betaq(1.0 + 2.0 * (y1 - yl) / (y2 - y1));
        let bq2 = betaq(1.0 + 2.0 * (yu - y2) / (y2 - y1));
        let mut n1 = 0.5 * ((y1 + y2) - bq1 * (y2 - y1));
        let mut n2 = 0.5 * ((y1 + y2) + bq2 * (y2 - y1));
        n1 = if n1.is_finite() { n1.clamp(yl, yu) } else { y1 };
        n2 = if n2.is_finite() { n2.clamp(yl, yu) } else { y2 };
        if rng.random::<f64>() <= 0.5 {
            c1[i] = n2;
            c2[i] = n1;
        } else {
            c1[i] = n1;
            c2[i] = n2;
        }
    }
}

/// Polynomial mutation with bounds (Deb & Goyal 1996; NSGA-II `realmutate`).
fn mutate(x: &mut [f64], lo: &[f64], hi: &[f64], pm: f64, eta: f64, rng: &mut ChaCha8Rng) {
    for i in 0..x.len() {
        if rng.random::<f64>() > pm {
            continue;
        }
        let (yl, yu) = (lo[i], hi[i]);
        let range = yu - yl;
        if !(range > 0.0) {
            continue;
        }
        let y = x[i];
        let d1 = (y - yl) / range;
        let d2 = (yu - y) / range;
        let r: f64 = rng.random();
        let pow = 1.0 / (eta + 1.0);
        let dq = if r <= 0.5 {
            let val = 2.0 * r + (1.0 - 2.0 * r) * (1.0 - d1).powf(eta + 1.0);
            val.powf(pow) - 1.0
        } else {
            let val = 2.0 * (1.0 - r) + 2.0 * (r - 0.5) * (1.0 - d2).powf(eta + 1.0);
            1.0 - val.powf(pow)
        };
        let v = y + dq * range;
        x[i] = if v.is_finite() { v.clamp(yl, yu) } else { y };
    }
}
