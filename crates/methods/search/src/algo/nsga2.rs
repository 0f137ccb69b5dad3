//! NSGA-II on DNA (Deb et al. 2002) for several scores: generations of
//! `population` children bred by binary tournaments on (rank, crowding),
//! tree-aware crossover and mutation, and elitist (μ+λ) survival by
//! non-dominated sorting and crowding distance.

use rand::rngs::ChaCha8Rng;

use super::Algorithm;
use crate::dna::Dna;
use crate::space::Space;
use crate::walk::{below, unit};
use optl_solvers::multi::dominance::{crowding, fronts};

/// Probability that two parents are crossed over rather than one copied.
const CROSSOVER: f64 = 0.9;

/// NSGA-II over DNA. Each generation is one batch of `population`
/// proposals: random at first, then children of the surviving parents
/// (crossover with probability 0.9, then a mutation at rate 1/len(DNA), which
/// always changes at least one decision). Failed trials score `+inf` in every
/// objective.
#[derive(Clone, Debug)]
pub struct Nsga2 {
    pub population: usize,
    /// Survivors with their scores, rank and crowding distance.
    parents: Vec<Member>,
    /// The current generation's observed children.
    children: Vec<(Dna, Option<Vec<f64>>)>,
    /// Number of objectives, learnt from the first successful trial.
    objectives: usize,
}

#[derive(Clone, Debug)]
struct Member {
    dna: Dna,
    scores: Vec<f64>,
    rank: usize,
    crowd: f64,
}

impl Nsga2 {
    /// `population` is taken as at least 2.
    pub fn new(population: usize) -> Nsga2 {
        Nsga2 {
            population: population.max(2),
            parents: Vec::new(),
            children: Vec::new(),
            objectives: 0,
        }
    }

    /// Binary tournament on (rank, then larger crowding distance); ties go
    /// to the first drawn.
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
    fn select(&mut self) {
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
        let mut chosen: Vec<(usize, usize, f64)> = Vec::with_capacity(self.population);
        for (rank, front) in fronts(&points).into_iter().enumerate() {
            let crowd = crowding(&points, &front);
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
}

impl Algorithm for Nsga2 {
    fn batch(&self) -> usize {
        self.population
    }

    fn propose(&mut self, space: &Space, rng: &mut ChaCha8Rng) -> Option<Dna> {
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
        if self.children.len() >= self.population {
            self.select();
        }
    }

    fn describe(&self) -> String {
        format!("nsga2(population={})", self.population)
    }
}
