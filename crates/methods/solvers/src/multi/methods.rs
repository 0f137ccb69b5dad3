//! The multi-objective family as [`Method`]s.

use super::Nsga2;
use crate::method::{
    AutoFit, DefaultValue as D, Domain, Fit, Method, Model, Outcome, Param, Params, Signature,
    Structure,
};
use crate::problem::{Bounds, Options};

/// `nsga2(pop, generations, seed)`.
pub struct Nsga2Method;

static NSGA2: Signature = Signature {
    name: "nsga2",
    params: &[
        Param {
            name: "pop",
            default: D::Int(100),
            domain: Domain::Int { min: 4 },
        },
        Param {
            name: "generations",
            default: D::Int(200),
            domain: Domain::Int { min: 1 },
        },
        Param {
            name: "seed",
            default: D::Int(0),
            domain: Domain::Int { min: 0 },
        },
    ],
    doc: "NSGA-II for several objectives: returns a Pareto front and its hypervolume.",
};

impl Method for Nsga2Method {
    fn signature(&self) -> &'static Signature {
        &NSGA2
    }

    fn accepts(&self, _s: &Structure) -> Fit {
        Fit::Yes
    }

    fn auto_fit(&self, s: &Structure) -> Option<AutoFit> {
        (s.objectives > 1).then_some(AutoFit {
            reason: "several objectives",
            fallback: None,
        })
    }

    /// Chosen by `auto`, the population is seeded from the solve's seed; as
    /// `nsga2(...)`, from its own `seed`.
    fn run(&self, m: &mut dyn Model, _x0: &[f64], b: &Bounds, p: &Params, o: &Options) -> Outcome {
        let mut g = Nsga2::default();
        if !p.auto {
            g.pop = p.int("pop", g.pop);
            g.generations = p.int("generations", g.generations);
            g.seed = Some(p.int("seed", 0) as u64);
        }
        Outcome::Front(g.solve(m, b, o))
    }
}
