//! Search algorithms. They see only the space's decision tree, the DNA they
//! propose and the scores observed, never the meaning of the space, so any
//! space runs under any algorithm.

mod evolution;
mod pareto;
mod simple;
mod tpe;

pub use evolution::Evolution;
pub use pareto::{ParetoEvolution, Survival};
pub use simple::{Grid, Random};
pub use tpe::Tpe;

use rand::rngs::ChaCha8Rng;

use crate::dna::Dna;
use crate::space::Space;

/// A search algorithm: proposes DNA and learns from the scores observed.
/// Deterministic given the random number generator it is handed.
pub trait Algorithm {
    /// Number of proposals made before any of their scores is observed. Fixed
    /// by the algorithm's parameters (never by thread count), so parallel
    /// evaluation gives the same results as sequential.
    fn batch(&self) -> usize;
    /// Next candidate; `None` when the space is exhausted (grid).
    fn propose(&mut self, space: &Space, rng: &mut ChaCha8Rng) -> Option<Dna>;
    /// The outcome of a proposal: `Some(scores)` (all objectives, to
    /// MINIMIZE) or `None` for a failed trial. Called once per proposal, in
    /// proposal order.
    fn observe(&mut self, dna: &Dna, scores: Option<&[f64]>);
    /// The algorithm and its parameters as text, e.g.
    /// `evolution(population=16, tournament=4, mutation_rate=0.1)`; stored
    /// with a study so a resumed study can be checked to use the same one.
    fn describe(&self) -> String;
    /// Lets up to `k` proposals be evaluated at once (`search(..., parallel =
    /// k)`): the batch becomes at least `k`, by the algorithm's documented rule.
    /// The default keeps the batch (already fixed by the parameters).
    fn parallel(&mut self, _k: usize) {}
}

/// `, batch=k` for a describe text when `k > 1` (absent for 1, so studies stored
/// before batches existed still match).
fn batch_text(k: usize) -> String {
    if k > 1 {
        format!(", batch={k}")
    } else {
        String::new()
    }
}

/// The first score of an observation, failures as `+inf` (for the single
/// objective algorithms, which minimise the first score).
fn first_score(scores: Option<&[f64]>) -> f64 {
    match scores.and_then(|s| s.first()) {
        Some(x) if !x.is_nan() => *x,
        _ => f64::INFINITY,
    }
}
