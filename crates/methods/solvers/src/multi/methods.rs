//! The multi-objective family as [`Method`]s: `nsga2`, `nsga3`, `moead`, `hype`.

use super::{Decomposition, Hype, Moead, Nsga2, Nsga3};
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

    fn accepts(&self, s: &Structure) -> Fit {
        several_objectives("nsga2", s)
    }

    fn auto_fit(&self, s: &Structure) -> Option<AutoFit> {
        (s.objectives == 2).then_some(AutoFit {
            reason: "two objectives",
            fallback: None,
        })
    }

    /// Chosen by `auto`, the population is seeded from the solve's seed; as
    /// `nsga2(...)`, from its own `seed`.
    fn run(
        &self,
        m: &mut dyn Model,
        _: &Structure,
        _x0: &[f64],
        b: &Bounds,
        p: &Params,
        o: &Options,
    ) -> Outcome {
        let mut g = Nsga2::default();
        if !p.auto {
            g.pop = p.int("pop", g.pop);
            g.generations = p.int("generations", g.generations);
            g.seed = Some(p.int("seed", 0) as u64);
        }
        Outcome::Front(g.solve(m, b, o))
    }
}

/// The error for a many-objective method given fewer than two objectives.
fn several_objectives(method: &str, s: &Structure) -> Fit {
    if s.objectives >= 2 {
        return crate::method::no_sets(method, s);
    }
    Fit::No {
        message: format!(
            "`{method}` finds a Pareto front of several objectives, and `{}` has {}",
            s.name, s.objectives
        ),
        label: "a multi-objective solver",
        hint: "use a single-objective solver such as `lbfgs()` (or `auto`)".into(),
    }
}

const POP: Param = Param {
    name: "pop",
    default: D::Int(92),
    domain: Domain::Int { min: 4 },
};

const GENERATIONS: Param = Param {
    name: "generations",
    default: D::Int(400),
    domain: Domain::Int { min: 1 },
};

const SEED: Param = Param {
    name: "seed",
    default: D::Int(0),
    domain: Domain::Int { min: 0 },
};

/// `nsga3(pop, generations, partitions, seed)`.
pub struct Nsga3Method;

static NSGA3: Signature = Signature {
    name: "nsga3",
    params: &[
        POP,
        GENERATIONS,
        Param {
            name: "partitions",
            default: D::Int(0),
            domain: Domain::Int { min: 0 },
        },
        SEED,
    ],
    doc: "NSGA-III for many objectives: Das–Dennis reference directions (0 partitions: as many as fit the population).",
};

impl Method for Nsga3Method {
    fn signature(&self) -> &'static Signature {
        &NSGA3
    }

    fn accepts(&self, s: &Structure) -> Fit {
        several_objectives("nsga3", s)
    }

    /// `auto` takes NSGA-III from three objectives on, where NSGA-II's crowding
    /// distance stops spreading the front.
    fn auto_fit(&self, s: &Structure) -> Option<AutoFit> {
        (s.objectives >= 3).then_some(AutoFit {
            reason: "three or more objectives",
            fallback: None,
        })
    }

    /// Chosen by `auto`, the population is seeded from the solve's seed; as
    /// `nsga3(...)`, from its own `seed`.
    fn run(
        &self,
        m: &mut dyn Model,
        _: &Structure,
        _x0: &[f64],
        b: &Bounds,
        p: &Params,
        o: &Options,
    ) -> Outcome {
        let mut g = Nsga3::default();
        if !p.auto {
            g.pop = p.int("pop", g.pop);
            g.generations = p.int("generations", g.generations);
            g.partitions = p.int("partitions", g.partitions);
            g.seed = Some(p.int("seed", 0) as u64);
        }
        Outcome::Front(g.solve(m, b, o))
    }
}

/// `moead(pop, generations, decomposition, neighbours, seed)`.
pub struct MoeadMethod;

static MOEAD: Signature = Signature {
    name: "moead",
    params: &[
        POP,
        GENERATIONS,
        Param {
            name: "decomposition",
            default: D::Str("tchebycheff"),
            domain: Domain::Choice(&["tchebycheff", "pbi"]),
        },
        Param {
            name: "neighbours",
            default: D::Int(20),
            domain: Domain::Int { min: 2 },
        },
        SEED,
    ],
    doc: "MOEA/D: one scalar subproblem per Das–Dennis weight vector, Tchebycheff or PBI, mating among neighbours.",
};

impl Method for MoeadMethod {
    fn signature(&self) -> &'static Signature {
        &MOEAD
    }

    fn accepts(&self, s: &Structure) -> Fit {
        several_objectives("moead", s)
    }

    fn run(
        &self,
        m: &mut dyn Model,
        _: &Structure,
        _x0: &[f64],
        b: &Bounds,
        p: &Params,
        o: &Options,
    ) -> Outcome {
        let d = Moead::default();
        let g = Moead {
            pop: p.int("pop", d.pop),
            generations: p.int("generations", d.generations),
            decomposition: match p.str("decomposition", "tchebycheff") {
                "pbi" => Decomposition::Pbi,
                _ => Decomposition::Tchebycheff,
            },
            neighbours: p.int("neighbours", d.neighbours),
            seed: Some(p.int("seed", 0) as u64),
            ..d
        };
        Outcome::Front(g.solve(m, b, o))
    }
}

/// `hype(pop, generations, samples, seed)`.
pub struct HypeMethod;

static HYPE: Signature = Signature {
    name: "hype",
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
            name: "samples",
            default: D::Int(10000),
            domain: Domain::Int { min: 1 },
        },
        SEED,
    ],
    doc: "HypE: hypervolume-based selection with the hypervolume contributions estimated from `samples` Monte Carlo points.",
};

impl Method for HypeMethod {
    fn signature(&self) -> &'static Signature {
        &HYPE
    }

    fn accepts(&self, s: &Structure) -> Fit {
        several_objectives("hype", s)
    }

    fn run(
        &self,
        m: &mut dyn Model,
        _: &Structure,
        _x0: &[f64],
        b: &Bounds,
        p: &Params,
        o: &Options,
    ) -> Outcome {
        let d = Hype::default();
        let g = Hype {
            pop: p.int("pop", d.pop),
            generations: p.int("generations", d.generations),
            samples: p.int("samples", d.samples),
            seed: Some(p.int("seed", 0) as u64),
            ..d
        };
        Outcome::Front(g.solve(m, b, o))
    }
}
