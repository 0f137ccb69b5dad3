//! The algorithms that ignore scores: uniform random sampling and grid
//! enumeration.

use rand::rngs::ChaCha8Rng;

use super::Algorithm;
use crate::dna::Dna;
use crate::space::Space;

/// Independent uniform samples (`Space::random`). Scores are ignored, so the
/// batch size changes nothing but how many candidates may run at once.
#[derive(Clone, Debug, PartialEq)]
pub struct Random {
    /// Proposals per batch (default 8).
    pub batch: usize,
    /// Proposals per batch under `parallel(k)`: 8k, so that k workers rarely wait
    /// at a batch's end. Not part of `describe`: it changes no proposal.
    pub in_flight: usize,
}

impl Default for Random {
    fn default() -> Self {
        Random {
            batch: 8,
            in_flight: 0,
        }
    }
}

impl Algorithm for Random {
    fn batch(&self) -> usize {
        self.batch.max(self.in_flight).max(1)
    }

    fn parallel(&mut self, k: usize) {
        self.in_flight = if k > 1 { 8 * k } else { 0 };
    }

    fn propose(&mut self, space: &Space, rng: &mut ChaCha8Rng) -> Option<Dna> {
        Some(space.random(rng))
    }

    fn observe(&mut self, _: &Dna, _: Option<&[f64]>) {}

    fn describe(&self) -> String {
        format!("random(batch={})", self.batch())
    }
}

/// Every point of the grid in `Space::enumerate` order, then `None`.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// Values per float decision (default 5).
    pub float_points: usize,
    /// Proposals per batch (default 8).
    pub batch: usize,
    /// The last DNA proposed; `Some(None)` once the grid is exhausted.
    last: Option<Option<Dna>>,
}

impl Grid {
    /// A grid with `float_points` values per float and batches of 8.
    pub fn new(float_points: usize) -> Grid {
        Grid {
            float_points,
            batch: 8,
            last: None,
        }
    }
}

impl Default for Grid {
    fn default() -> Self {
        Grid::new(5)
    }
}

impl Algorithm for Grid {
    fn batch(&self) -> usize {
        self.batch.max(1)
    }

    fn parallel(&mut self, k: usize) {
        self.batch = self.batch.max(k);
    }

    fn propose(&mut self, space: &Space, _: &mut ChaCha8Rng) -> Option<Dna> {
        let next = match &self.last {
            None => Some(space.grid_first(self.float_points)),
            Some(None) => None,
            Some(Some(d)) => space.grid_next(d, self.float_points),
        };
        self.last = Some(next.clone());
        next
    }

    fn observe(&mut self, _: &Dna, _: Option<&[f64]>) {}

    fn describe(&self) -> String {
        format!(
            "grid(float_points={}, batch={})",
            self.float_points,
            self.batch()
        )
    }
}
