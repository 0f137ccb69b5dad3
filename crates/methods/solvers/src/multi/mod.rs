//! The multi-objective family: Pareto fronts over the
//! [`MultiObjective`](crate::MultiObjective) trait.
//!
//! - [`Nsga2`]: NSGA-II (Deb et al. 2002), with the front's exact [`hypervolume`].
//!
//! `methods.rs` binds it to the [`Method`](crate::Method) trait.

mod hypervolume;
pub mod methods;
mod nsga2;

pub use hypervolume::hypervolume;
pub use nsga2::{FrontResult, Nsga2};
