//! Pareto evolution on DNA for several scores: generations of `population`
//! children bred by binary tournaments, tree-aware crossover and mutation, and
//! elitist (μ+λ) survival of one of three kinds ([`Survival`]):
//!
//! - NSGA-II (Deb et al. 2002): non-dominated sorting and crowding distance;
//!   tournaments on (rank, then larger crowding distance);
//! - NSGA-III (Deb & Jain 2014): reference directions, optl-solvers's
//!   `ReferenceSurvival` with its running normalisation; tournaments on rank,
//!   ties at random;
//! - HypE (Bader & Zitzler 2011): Monte Carlo hypervolume contributions,
//!   optl-solvers's `hypervolume_survival`; tournaments on rank, ties at random.
//!
//! The scores are the solvers' objectives, so the survival is the solvers' own
//! code. A generation's survival runs when the next generation's first child is
//! proposed, on the study's generator, so a study stays a function of its seed.

use rand::rngs::ChaCha8Rng;

use super::Algorithm;
use crate::dna::Dna;
use crate::space::Space;
use crate::walk::{below, unit};
use optl_solvers::multi::dominance::{crowding, fronts};
use optl_solvers::{ReferenceSurvival, directions, hypervolume_survival, partitions_for};

/// Probability that two parents are crossed over rather than one copied.
const CROSSOVER: f64 = 0.9;

/// How the survivors of a generation are chosen.
#[derive(Clone, Debug, PartialEq)]
pub enum Survival {
    /// NSGA-II's crowding distance.
    Crowding,
    /// NSGA-III's Das–Dennis reference directions with `partitions` (0: the most
    /// whose directions number at most the population).
    Reference { partitions: usize },
    /// HypE's hypervolume contributions from `samples` Monte Carlo points.
    Hypervolume { samples: usize },
}

/// Evolution towards a Pareto front over DNA. Each generation is one batch of
/// `population` proposals: random at first, then children of the surviving
/// parents (crossover with probability 0.9, then a mutation at rate 1/len(DNA),
/// which always changes at least one decision). Failed trials score `+inf` in
/// every objective.
#[derive(Clone, Debug)]
pub struct ParetoEvolution {
    pub population: usize,
    pub survival: Survival,
    /// Survivors with their scores, rank and crowding distance (0 unless
    /// [`Survival::Crowding`]).
    parents: Vec<Member>,
    /// The current generation's observed children.
    children: Vec<(Dna, Option<Vec<f64>>)>,
    /// Number of objectives, learnt from the first successful trial.
    objectives: usize,
    /// NSGA-III's directions and normalisation, once the objectives are known.
    reference: Option<ReferenceSurvival>,
}

#[derive(Clone, Debug)]
struct Member {
    dna: Dna,
    scores: Vec<f64>,
    rank: usize,
    crowd: f64,
}

impl ParetoEvolution {
    fn new(population: usize, survival: Survival) -> ParetoEvolution {
        ParetoEvolution {
            population: population.max(2),
            survival,
            parents: Vec::new(),
            children: Vec::new(),
            objectives: 0,
            reference: None,
        }
    }

    /// NSGA-II; `population` is taken as at least 2.
    pub fn nsga2(population: usize) -> ParetoEvolution {
        Self::new(population, Survival::Crowding)
    }

    /// NSGA-III; `population` is taken as at least 2.
    pub fn nsga3(population: usize, partitions: usize) -> ParetoEvolution {
        Self::new(population, Survival::Reference { partitions })
    }

    /// HypE; `population` is taken as at least 2, `samples` as at least 1.
    pub fn hype(population: usize, samples: usize) -> ParetoEvolution {
        Self::new(
            population,
            Survival::Hypervolume {
                samples: samples.max(1),
            },
        )
    }

    /// Binary tournament on rank, then (NSGA-II) the larger crowding distance;
    /// remaining ties go to the first drawn.
    fn tournament(&self, rng: &mut ChaCha8Rng) -> &Member {
        let a = &self.parents[below(rng, self.parents.len())];
        let b = &self.parents[below(rng, self.parents.len())];
        if b.rank < a.rank || (b.rank == a.rank && b.crowd > a.crowd) {
            b
        } else {
            a
        }
    }

    /// μ+λ survival over the parents and the generation just observed.
    fn select(&mut self, rng: &mut ChaCha8Rng) {
        let m = self.objectives.max(1);
        let mut pool: Vec<(Dna, Vec<f64>)> =
            self.parents.drain(..).map(|p| (p.dna, p.scores)).collect();
        for (dna, scores) in self.children.drain(..) {
            let s = match scores {
                Some(s) if s.len() == m => s,
                _ => vec![f64::INFINITY; m],
            };
            pool.push((dna, s));
        }
        let points: Vec<Vec<f64>> = pool.iter().map(|(_, s)| s.clone()).collect();
        let chosen = match &self.survival {
            Survival::Crowding => self.by_crowding(&points),
            other => {
                let fs: Vec<&[f64]> = points.iter().map(Vec::as_slice).collect();
                let cv = vec![0.0; fs.len()];
                let kept = match other {
                    Survival::Reference { partitions } => {
                        let p = match *partitions {
                            0 => partitions_for(m, self.population),
                            p => p,
                        };
                        self.reference
                            .get_or_insert_with(|| ReferenceSurvival::new(&directions(m, p)))
                            .select(&fs, &cv, self.population, rng)
                    }
                    Survival::Hypervolume { samples } => {
                        hypervolume_survival(&fs, &cv, self.population, *samples, rng)
                    }
                    Survival::Crowding => unreachable!("handled above"),
                };
                ranked(&points, &kept)
            }
        };
        self.parents = chosen
            .into_iter()
            .map(|(i, rank, crowd)| Member {
                dna: pool[i].0.clone(),
                scores: pool[i].1.clone(),
                rank,
                crowd,
            })
            .collect();
    }

    /// NSGA-II's survivors as (index, rank, crowding distance), by index.
    fn by_crowding(&self, points: &[Vec<f64>]) -> Vec<(usize, usize, f64)> {
        let mut chosen: Vec<(usize, usize, f64)> = Vec::with_capacity(self.population);
        for (rank, front) in fronts(points).into_iter().enumerate() {
            let crowd = crowding(points, &front);
            let mut members: Vec<(usize, usize, f64)> = front
                .iter()
                .zip(crowd)
                .map(|(&i, c)| (i, rank, c))
                .collect();
            let room = self.population - chosen.len();
            if members.len() > room {
                // Most isolated first; ties keep the earlier trial.
                members.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
                members.truncate(room);
            }
            chosen.extend(members);
            if chosen.len() == self.population {
                break;
            }
        }
        chosen.sort_by_key(|c| c.0);
        chosen
    }
}

/// The survivors `kept` (ascending) as (index, rank among them, 0).
fn ranked(points: &[Vec<f64>], kept: &[usize]) -> Vec<(usize, usize, f64)> {
    let mine: Vec<&[f64]> = kept.iter().map(|&i| points[i].as_slice()).collect();
    let mut out: Vec<(usize, usize, f64)> = kept.iter().map(|&i| (i, 0, 0.0)).collect();
    for (rank, front) in fronts(&mine).into_iter().enumerate() {
        for k in front {
            out[k].1 = rank;
        }
    }
    out
}

impl Algorithm for ParetoEvolution {
    fn batch(&self) -> usize {
        self.population
    }

    fn propose(&mut self, space: &Space, rng: &mut ChaCha8Rng) -> Option<Dna> {
        if self.children.len() >= self.population {
            self.select(rng);
        }
        if self.parents.is_empty() {
            return Some(space.random(rng));
        }
        let a = self.tournament(rng).dna.clone();
        let b = self.tournament(rng).dna.clone();
        let child = if unit(rng) < CROSSOVER {
            space.crossover(&a, &b, rng)
        } else {
            a
        };
        let rate = 1.0 / child.len().max(1) as f64;
        Some(space.mutate(&child, rng, rate))
    }

    fn observe(&mut self, dna: &Dna, scores: Option<&[f64]>) {
        if self.objectives == 0
            && let Some(s) = scores
        {
            self.objectives = s.len();
        }
        self.children
            .push((dna.clone(), scores.map(<[f64]>::to_vec)));
    }

    fn describe(&self) -> String {
        match &self.survival {
            Survival::Crowding => format!("nsga2(population={})", self.population),
            Survival::Reference { partitions } => format!(
                "nsga3(population={}, partitions={partitions})",
                self.population
            ),
            Survival::Hypervolume { samples } => {
                format!("hype(population={}, samples={samples})", self.population)
            }
        }
    }
}
