//! HypE (Bader & Zitzler 2011) within finite bounds: hypervolume-based selection
//! for many objectives, with the hypervolume estimated by Monte Carlo. A point's
//! fitness `I_h^k(a)` is the expected hypervolume it loses when `k` points are
//! removed at random: each sample dominated by exactly `i ≤ k` points adds
//! `α_i / i` to each of them, `α_i = Π_{l<i} (k − l)/(|P| − l)`. Mating is a binary
//! tournament on (front, then fitness with `k = |P|`); survival fills whole fronts
//! and reduces the last one by removing its least fit point, `k` = the number
//! still to remove, one at a time. The `samples` points are drawn uniformly
//! between the population's ideal point and a reference point 10% beyond its worst
//! values, once per selection (so one removal's estimate is consistent with the
//! next).
//!
//! Deterministic for a given seed (ChaCha8).

use super::FrontResult;
use super::dominance::sort_fronts;
use super::population::{Member, Run, keep, random_points};
use super::variation::Variation;
use crate::problem::{Bounds, MultiObjective, Options};
use rand::RngExt;
use rand::rngs::ChaCha8Rng;

/// HypE configuration. `Hype::default()` gives the documented defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Hype {
    /// Population size (default 100; rounded up to an even number, at least 4).
    pub pop: usize,
    /// Number of generations (default 200).
    pub generations: usize,
    /// Monte Carlo samples per fitness estimate (default 10 000).
    pub samples: usize,
    /// Random seed; `None` uses `Options::seed` (default `None`).
    pub seed: Option<u64>,
    /// Distribution index of simulated binary crossover (default 15).
    pub eta_c: f64,
    /// Distribution index of polynomial mutation (default 20).
    pub eta_m: f64,
    /// Violation below which an equality constraint counts as met (default `1e-8`).
    pub eq_tol: f64,
}

impl Default for Hype {
    fn default() -> Self {
        Hype {
            pop: 100,
            generations: 200,
            samples: 10_000,
            seed: None,
            eta_c: 15.0,
            eta_m: 20.0,
            eq_tol: 1e-8,
        }
    }
}

/// Monte Carlo samples and, per sample, the points that weakly dominate it.
struct Samples {
    dominators: Vec<Vec<usize>>,
    /// Volume of the sampled box per sample.
    weight: f64,
}

impl Samples {
    fn draw(points: &[&[f64]], count: usize, rng: &mut ChaCha8Rng) -> Samples {
        let m = points.first().map_or(0, |p| p.len());
        let finite = |k: usize| points.iter().map(move |p| p[k]).filter(|v| v.is_finite());
        let lo: Vec<f64> = (0..m)
            .map(|k| finite(k).fold(f64::INFINITY, f64::min))
            .collect();
        let hi: Vec<f64> = (0..m)
            .map(|k| {
                let worst = finite(k).fold(f64::NEG_INFINITY, f64::max);
                let range = worst - lo[k];
                worst + 0.1 * if range > 0.0 { range } else { 1.0 }
            })
            .collect();
        if lo.iter().chain(&hi).any(|v| !v.is_finite()) {
            return Samples {
                dominators: Vec::new(),
                weight: 0.0,
            };
        }
        let volume: f64 = lo.iter().zip(&hi).map(|(a, b)| b - a).product();
        let mut s = vec![0.0; m];
        let dominators = (0..count)
            .map(|_| {
                for k in 0..m {
                    s[k] = lo[k] + rng.random::<f64>() * (hi[k] - lo[k]);
                }
                (0..points.len())
                    .filter(|&i| points[i].iter().zip(&s).all(|(a, b)| a <= b))
                    .collect()
            })
            .collect();
        Samples {
            dominators,
            weight: volume / count.max(1) as f64,
        }
    }

    /// `I_h^k` of each of `alive` points (of `len` in all; `alive.len()` of them
    /// count as the population).
    fn fitness(&self, alive: &[bool], k: usize) -> Vec<f64> {
        let size = alive.iter().filter(|a| **a).count();
        let mut alpha = vec![0.0; k + 1];
        let mut a = 1.0;
        for i in 1..=k {
            alpha[i] = a;
            a *= (k - i) as f64 / (size as f64 - i as f64).max(1.0);
        }
        let mut fit = vec![0.0; alive.len()];
        let mut live: Vec<usize> = Vec::new();
        for dom in &self.dominators {
            live.clear();
            live.extend(dom.iter().copied().filter(|&i| alive[i]));
            let c = live.len();
            if c == 0 || c > k {
                continue;
            }
            for &i in &live {
                fit[i] += alpha[c] / c as f64;
            }
        }
        fit.iter_mut().for_each(|f| *f *= self.weight);
        fit
    }
}

impl Hype {
    /// Runs HypE on `mo` within `bounds`, which must all be finite.
    pub fn solve(
        &self,
        mo: &mut dyn MultiObjective,
        bounds: &Bounds,
        opts: &Options,
    ) -> FrontResult {
        let mut run = match Run::start("hype", mo, bounds, opts, self.seed, self.eq_tol) {
            Ok(run) => run,
            Err(refused) => return *refused,
        };
        let n = run.eval.n;
        let size = self.pop.max(4).div_ceil(2) * 2;
        let variation = Variation {
            crossover_prob: 1.0,
            eta_c: self.eta_c,
            mutation_prob: 1.0 / n.max(1) as f64,
            eta_m: self.eta_m,
            child_mutation_prob: 1.0,
        };
        let mut pop = run.eval.evaluate(random_points(bounds, size, &mut run.rng));
        while run.goes_on(self.generations) {
            let (rank, fit) = self.mating_fitness(&pop, &mut run.rng);
            let pick = |rng: &mut ChaCha8Rng| {
                let a = rng.random_range(0..pop.len());
                let b = rng.random_range(0..pop.len());
                match (rank[a], fit[a]) > (rank[b], fit[b]) {
                    true => b,
                    false
                        if (rank[a], fit[a]) == (rank[b], fit[b]) && rng.random::<f64>() < 0.5 =>
                    {
                        b
                    }
                    false => a,
                }
            };
            let mut children = Vec::with_capacity(size);
            while children.len() < size {
                let (a, b) = (pick(&mut run.rng), pick(&mut run.rng));
                let (c1, c2) = variation.children(
                    &pop[a].x,
                    &pop[b].x,
                    &bounds.lower,
                    &bounds.upper,
                    &mut run.rng,
                );
                children.push(c1);
                children.push(c2);
            }
            pop.extend(run.eval.evaluate(children));
            pop = self.survive(pop, size, &mut run.rng);
            run.done += 1;
        }
        run.finish(&pop, self.generations, None)
    }

    /// Each member's front and its fitness (negated, so smaller is better) with
    /// `k` = the population size.
    fn mating_fitness(&self, pop: &[Member], rng: &mut ChaCha8Rng) -> (Vec<usize>, Vec<f64>) {
        let fs: Vec<&[f64]> = pop.iter().map(|p| p.f.as_slice()).collect();
        let cv: Vec<f64> = pop.iter().map(|p| p.cv).collect();
        let mut rank = vec![0; pop.len()];
        for (r, front) in sort_fronts(&fs, &cv).iter().enumerate() {
            for &i in front {
                rank[i] = r;
            }
        }
        let samples = Samples::draw(&fs, self.samples, rng);
        let fit = samples.fitness(&vec![true; pop.len()], pop.len());
        (rank, fit.into_iter().map(|f| -f).collect())
    }

    /// Fills whole fronts, then reduces the last one point by point.
    fn survive(&self, pop: Vec<Member>, size: usize, rng: &mut ChaCha8Rng) -> Vec<Member> {
        let fs: Vec<&[f64]> = pop.iter().map(|p| p.f.as_slice()).collect();
        let cv: Vec<f64> = pop.iter().map(|p| p.cv).collect();
        let chosen = hypervolume_survival(&fs, &cv, size, self.samples, rng);
        keep(pop, &chosen)
    }
}

/// HypE's environmental selection: the indices (ascending) of `size` of the
/// points with objectives `fs` and violations `cv`, whole fronts first, the last
/// reduced point by point by the Monte Carlo fitness `I_h^k` from `samples`
/// points. optl-search's `hype` uses it on scores.
pub fn hypervolume_survival(
    fs: &[&[f64]],
    cv: &[f64],
    size: usize,
    samples: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<usize> {
    let mut chosen: Vec<usize> = Vec::with_capacity(size);
    for front in sort_fronts(fs, cv) {
        if chosen.len() + front.len() <= size {
            chosen.extend(front);
            continue;
        }
        let last: Vec<&[f64]> = front.iter().map(|&i| fs[i]).collect();
        let samples = Samples::draw(&last, samples, rng);
        let mut alive = vec![true; front.len()];
        let mut left = front.len();
        while chosen.len() + left > size {
            let fit = samples.fitness(&alive, chosen.len() + left - size);
            let worst = (0..front.len())
                .filter(|&i| alive[i])
                .min_by(|&a, &b| fit[a].total_cmp(&fit[b]))
                .expect("the last front has members left");
            alive[worst] = false;
            left -= 1;
        }
        chosen.extend(
            front
                .iter()
                .zip(&alive)
                .filter(|(_, a)| **a)
                .map(|(i, _)| *i),
        );
        break;
    }
    chosen.sort_unstable();
    chosen
}
