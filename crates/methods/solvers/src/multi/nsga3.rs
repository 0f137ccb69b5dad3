//! NSGA-III (Deb & Jain 2014) for many objectives within finite bounds:
//! NSGA-II's elitist (μ+λ) loop with crowding distance replaced by reference
//! directions. Each generation breeds a whole offspring population (binary
//! tournaments on constraint violation, then at random; SBX and polynomial
//! mutation), evaluates it in one batch, sorts parents and offspring into fronts,
//! normalises the objectives ([`Normalisation`]), associates every point with its
//! nearest reference direction (perpendicular distance) and fills the last front
//! by niching: the least crowded direction next, its closest point when it has
//! none yet, else a random one (as pymoo's `ReferenceDirectionSurvival`).
//!
//! Deterministic for a given seed (ChaCha8).

use super::FrontResult;
use super::dominance::sort_fronts;
use super::nearest::Directions;
use super::normalize::Normalisation;
use super::population::{Member, Run, keep, random_points};
use super::reference::{direction_count, directions, partitions_for};
use super::variation::Variation;
use crate::problem::{Bounds, MultiObjective, Options};
use rand::RngExt;
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom;

/// NSGA-III configuration. `Nsga3::default()` gives the documented defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Nsga3 {
    /// Population size (default 92; rounded up to an even number, at least 4).
    pub pop: usize,
    /// Number of generations (default 400).
    pub generations: usize,
    /// Partitions of the Das–Dennis reference directions; 0 (the default) picks
    /// the most whose directions number at most `pop`. More directions than `pop`
    /// is an error.
    pub partitions: usize,
    /// Random seed; `None` uses `Options::seed` (default `None`).
    pub seed: Option<u64>,
    /// Probability that two parents are crossed over (default 1.0, as Deb & Jain).
    pub crossover_prob: f64,
    /// Distribution index of simulated binary crossover (default 30).
    pub eta_c: f64,
    /// Per-variable mutation probability; `None` means `1/n` (default `None`).
    pub mutation_prob: Option<f64>,
    /// Distribution index of polynomial mutation (default 20).
    pub eta_m: f64,
    /// Probability that a child is mutated at all (default 0.9, as pymoo's
    /// `PM`; Deb & Jain mutate every child).
    pub child_mutation_prob: f64,
    /// Violation below which an equality constraint counts as met (default `1e-8`).
    pub eq_tol: f64,
}

impl Default for Nsga3 {
    fn default() -> Self {
        Nsga3 {
            pop: 92,
            generations: 400,
            partitions: 0,
            seed: None,
            crossover_prob: 1.0,
            eta_c: 30.0,
            mutation_prob: None,
            eta_m: 20.0,
            child_mutation_prob: 0.9,
            eq_tol: 1e-8,
        }
    }
}

/// The reference directions for `m` objectives, `partitions` (0: chosen from
/// `pop`) and a population of `pop`; an error message when they outnumber it.
pub(crate) fn reference_directions(
    name: &str,
    m: usize,
    partitions: usize,
    pop: usize,
) -> Result<Vec<Vec<f64>>, String> {
    let p = if partitions == 0 {
        partitions_for(m, pop)
    } else {
        partitions
    };
    match direction_count(m, p) {
        Some(count) if count <= pop => Ok(directions(m, p)),
        count => Err(format!(
            "{name}: partitions = {p} gives {} reference directions for {m} objectives, \
             more than the population of {pop}; raise pop or lower partitions",
            count.map_or("more than 2^64".to_string(), |c| c.to_string())
        )),
    }
}

impl Nsga3 {
    /// Runs NSGA-III on `mo` within `bounds`, which must all be finite.
    pub fn solve(
        &self,
        mo: &mut dyn MultiObjective,
        bounds: &Bounds,
        opts: &Options,
    ) -> FrontResult {
        let mut run = match Run::start("nsga3", mo, bounds, opts, self.seed, self.eq_tol) {
            Ok(run) => run,
            Err(refused) => return *refused,
        };
        let (n, m) = (run.eval.n, run.eval.m);
        let pop_size = self.pop.max(4).div_ceil(2) * 2;
        let dirs = match reference_directions("nsga3", m, self.partitions, pop_size) {
            Ok(d) => d,
            Err(msg) => return run.refuse(msg),
        };
        let variation = Variation {
            crossover_prob: self.crossover_prob,
            eta_c: self.eta_c,
            mutation_prob: self.mutation_prob.unwrap_or(1.0 / n.max(1) as f64),
            eta_m: self.eta_m,
            child_mutation_prob: self.child_mutation_prob,
        };
        let mut pop = run
            .eval
            .evaluate(random_points(bounds, pop_size, &mut run.rng));
        let mut state = ReferenceSurvival::new(&dirs);
        while run.goes_on(self.generations) {
            let mut children = Vec::with_capacity(pop_size);
            while children.len() < pop_size {
                let a = tournament(&pop, &mut run.rng);
                let b = tournament(&pop, &mut run.rng);
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
            pop = survive(pop, pop_size, &mut state, &mut run.rng);
            run.done += 1;
        }
        run.finish(&pop, self.generations, None)
    }
}

/// Binary tournament: the smaller violation, else one of the two at random.
fn tournament(pop: &[Member], rng: &mut ChaCha8Rng) -> usize {
    let a = rng.random_range(0..pop.len());
    let b = rng.random_range(0..pop.len());
    if pop[a].cv < pop[b].cv {
        a
    } else if pop[b].cv < pop[a].cv {
        b
    } else if rng.random::<f64>() < 0.5 {
        a
    } else {
        b
    }
}

/// Environmental selection of `size` members from parents and offspring.
fn survive(
    pop: Vec<Member>,
    size: usize,
    state: &mut ReferenceSurvival,
    rng: &mut ChaCha8Rng,
) -> Vec<Member> {
    let fs: Vec<&[f64]> = pop.iter().map(|p| p.f.as_slice()).collect();
    let cv: Vec<f64> = pop.iter().map(|p| p.cv).collect();
    let chosen = state.select(&fs, &cv, size, rng);
    keep(pop, &chosen)
}

/// NSGA-III's environmental selection and the state it keeps across
/// generations: the reference directions, indexed once for the association,
/// and the running normalisation. optl-search's `nsga3` uses it on scores.
#[derive(Clone, Debug)]
pub struct ReferenceSurvival {
    dirs: Directions,
    norm: Normalisation,
}

impl ReferenceSurvival {
    /// For the reference directions `dirs` (all of one length, the objectives).
    pub fn new(dirs: &[Vec<f64>]) -> ReferenceSurvival {
        ReferenceSurvival {
            dirs: Directions::new(dirs),
            norm: Normalisation::new(dirs.first().map_or(0, Vec::len)),
        }
    }

    /// The indices (ascending) of `size` of the points with objectives `fs` and
    /// violations `cv`: whole fronts first, the last front filled by niching
    /// around the directions under the normalisation, which this updates.
    pub fn select(
        &mut self,
        fs: &[&[f64]],
        cv: &[f64],
        size: usize,
        rng: &mut ChaCha8Rng,
    ) -> Vec<usize> {
        reference_select(fs, cv, size, &self.dirs, &mut self.norm, rng)
    }
}

fn reference_select(
    fs: &[&[f64]],
    cv: &[f64],
    size: usize,
    dirs: &Directions,
    norm: &mut Normalisation,
    rng: &mut ChaCha8Rng,
) -> Vec<usize> {
    let fronts = sort_fronts(fs, cv);
    if fronts.is_empty() {
        return Vec::new();
    }
    // The normalisation follows every generation (its extreme points carry over).
    let first: Vec<&[f64]> = fronts[0].iter().map(|&i| fs[i]).collect();
    let nadir = norm.update(fs, &first);
    let mut chosen: Vec<usize> = Vec::with_capacity(size);
    let mut last: &[usize] = &[];
    for fr in &fronts {
        if chosen.len() + fr.len() <= size {
            chosen.extend_from_slice(fr);
            if chosen.len() == size {
                break;
            }
        } else {
            last = fr;
            break;
        }
    }
    if !last.is_empty() {
        let candidates: Vec<usize> = chosen.iter().chain(last).copied().collect();
        let considered: Vec<&[f64]> = candidates.iter().map(|&i| fs[i]).collect();
        let scaled: Vec<Vec<f64>> = considered
            .iter()
            .map(|f| {
                f.iter()
                    .zip(&norm.ideal)
                    .zip(&nadir)
                    .map(|((v, z), w)| {
                        let range = w - z;
                        (v - z)
                            / if range == 0.0 || !range.is_finite() {
                                1e-12
                            } else {
                                range
                            }
                    })
                    .collect()
            })
            .collect();
        let niches = dirs.associate(&scaled);
        let mut count = vec![0usize; dirs.len()];
        for &(j, _) in &niches[..chosen.len()] {
            count[j] += 1;
        }
        let last_niches = &niches[chosen.len()..];
        let picked = niching(last_niches, size - chosen.len(), &mut count, rng);
        chosen.extend(picked.into_iter().map(|k| last[k]));
    }
    chosen.sort_unstable();
    chosen
}

/// Picks `want` of the last front's points (given as (direction, distance)) by
/// niche counts; returns their positions in the last front.
fn niching(
    last: &[(usize, f64)],
    want: usize,
    count: &mut [usize],
    rng: &mut ChaCha8Rng,
) -> Vec<usize> {
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); count.len()];
    for (k, &(j, _)) in last.iter().enumerate() {
        members[j].push(k);
    }
    let mut picked = Vec::with_capacity(want);
    while picked.len() < want {
        let open: Vec<usize> = (0..count.len())
            .filter(|&j| !members[j].is_empty())
            .collect();
        let Some(least) = open.iter().map(|&j| count[j]).min() else {
            break;
        };
        let mut next: Vec<usize> = open.into_iter().filter(|&j| count[j] == least).collect();
        next.shuffle(rng);
        next.truncate(want - picked.len());
        for j in next {
            let pool = &mut members[j];
            let at = if count[j] == 0 {
                (0..pool.len())
                    .min_by(|&a, &b| last[pool[a]].1.total_cmp(&last[pool[b]].1))
                    .unwrap_or(0)
            } else {
                rng.random_range(0..pool.len())
            };
            picked.push(pool.swap_remove(at));
            count[j] += 1;
        }
    }
    picked
}
