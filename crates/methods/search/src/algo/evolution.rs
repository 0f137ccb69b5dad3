//! Regularized (aging) evolution, Real, Aggarwal, Huang & Le 2019: tournament
//! selection, mutation of the winner, and removal of the oldest member.

use std::collections::VecDeque;

use rand::rngs::ChaCha8Rng;

use super::{Algorithm, first_score};
use crate::dna::Dna;
use crate::space::Space;
use crate::walk::below;

/// Regularized evolution on the first score. The first `population`
/// proposals are random; after that each proposal samples `tournament`
/// distinct members of the current population uniformly, mutates the best
/// (`Space::mutate` with `mutation_rate`; ties go to the earliest sampled),
/// and every observed child joins the population, whose oldest member leaves
/// once it holds more than `population`. Failed trials score `+inf`.
/// One proposal per batch, as in the sequential algorithm of the paper; with
/// `parallel(k)`, `k` children of the same population per batch (each from its
/// own tournament), as the paper's asynchronous workers do.
#[derive(Clone, Debug)]
pub struct Evolution {
    pub population: usize,
    pub tournament: usize,
    pub mutation_rate: f64,
    /// Proposals per batch (1 unless `parallel` raised it).
    pub batch: usize,
    members: VecDeque<(Dna, f64)>,
    proposed: usize,
}

impl Evolution {
    /// `population` and `tournament` are taken as at least 1; the
    /// tournament is at most the population.
    pub fn new(population: usize, tournament: usize, mutation_rate: f64) -> Evolution {
        Evolution {
            population: population.max(1),
            tournament: tournament.max(1),
            mutation_rate,
            batch: 1,
            members: VecDeque::new(),
            proposed: 0,
        }
    }
}

impl Algorithm for Evolution {
    fn batch(&self) -> usize {
        self.batch.max(1)
    }

    fn parallel(&mut self, k: usize) {
        self.batch = k.max(1);
    }

    fn propose(&mut self, space: &Space, rng: &mut ChaCha8Rng) -> Option<Dna> {
        self.proposed += 1;
        if self.proposed <= self.population || self.members.is_empty() {
            return Some(space.random(rng));
        }
        // Partial Fisher–Yates: the first `t` slots become a uniform sample
        // without replacement.
        let n = self.members.len();
        let t = self.tournament.min(n);
        let mut idx: Vec<usize> = (0..n).collect();
        let mut best = usize::MAX;
        for j in 0..t {
            let r = j + below(rng, n - j);
            idx.swap(j, r);
            let i = idx[j];
            if best == usize::MAX || self.members[i].1 < self.members[best].1 {
                best = i;
            }
        }
        Some(space.mutate(&self.members[best].0, rng, self.mutation_rate))
    }

    fn observe(&mut self, dna: &Dna, scores: Option<&[f64]>) {
        self.members.push_back((dna.clone(), first_score(scores)));
        while self.members.len() > self.population {
            self.members.pop_front();
        }
    }

    fn describe(&self) -> String {
        format!(
            "evolution(population={}, tournament={}, mutation_rate={:?}{})",
            self.population,
            self.tournament,
            self.mutation_rate,
            super::batch_text(self.batch)
        )
    }
}
