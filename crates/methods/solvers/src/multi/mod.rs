//! The multi-objective family: Pareto fronts over the
//! [`MultiObjective`](crate::MultiObjective) trait.
//!
//! - [`Nsga2`]: NSGA-II (Deb et al. 2002), crowding distance;
//! - [`Nsga3`]: NSGA-III (Deb & Jain 2014), reference directions, for many objectives;
//! - [`Moead`]: MOEA/D (Zhang & Li 2007), decomposition into scalar subproblems;
//! - [`Hype`]: HypE (Bader & Zitzler 2011), Monte Carlo hypervolume selection;
//! - indicators: exact [`hypervolume`] and [`auto_hypervolume`] (Monte Carlo
//!   above four objectives), [`igd`], [`igd_plus`], [`gd`].
//!
//! Shared pieces: `dominance.rs` (constrained domination, non-dominated
//! sorting), `variation.rs` (SBX, polynomial mutation), `population.rs` (checks,
//! batch evaluation, the result), `reference.rs` (Das–Dennis directions),
//! `normalize.rs` (NSGA-III's normalisation). `methods.rs` binds the methods to
//! the [`Method`](crate::Method) trait.

pub mod dominance;
mod hype;
mod hypervolume;
mod indicators;
pub mod methods;
mod moead;
mod nearest;
mod normalize;
mod nsga2;
mod nsga3;
mod population;
mod reference;
mod variation;

pub use hype::{Hype, hypervolume_survival};
pub use hypervolume::hypervolume;
pub use indicators::{
    EXACT_HV_MAX_OBJECTIVES, HV_SAMPLES, Hypervolume, auto_hypervolume, check_reference, gd,
    hypervolume_mc, igd, igd_plus,
};
pub use moead::{Decomposition, Moead};
pub use nsga2::{FrontResult, Nsga2};
pub use nsga3::{Nsga3, ReferenceSurvival};
pub use reference::{das_dennis, direction_count, directions, lattice_size, partitions_for};

/// The non-dominated points of `points` (minimization), each once, in order.
pub fn nondominated(points: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let cv = vec![0.0; points.len()];
    let fronts = dominance::sort_fronts(points, &cv);
    let mut out: Vec<Vec<f64>> = Vec::new();
    for &i in fronts.first().map(Vec::as_slice).unwrap_or(&[]) {
        if !out.contains(&points[i]) {
            out.push(points[i].clone());
        }
    }
    out
}
