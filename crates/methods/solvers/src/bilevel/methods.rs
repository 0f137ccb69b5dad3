//! The bilevel family as [`Method`]s: `implicit`, `bilevel_penalty` and
//! `unrolled`, their signatures, which bilevel problems each accepts, and when
//! `auto` picks them. They run on the model's [`Nlp::bilevel`] parts; the
//! registry's [`fit`](crate::registry::fit) has made sure the problem is bilevel.

use super::{Bilevel, Implicit, LowerFact, Unrolled, ValuePenalty};
use crate::method::{
    AutoFit, DefaultValue as D, Domain, Fit, Method, Model, Outcome, Param, Params, Signature,
    Structure, plain_objective,
};
use crate::nlp::methods::LbfgsMethod;
use crate::problem::{Bounds, Options, SolveResult, Status};

const MAX_ITERS: Param = Param {
    name: "max_iters",
    default: D::Int(1000),
    domain: Domain::Int { min: 1 },
};
const TOL: Param = Param {
    name: "tol",
    default: D::Float(1e-8),
    domain: Domain::Float { positive: false },
};

/// The options a bilevel method runs its upper solve with: the solve's when the
/// user gave them (or the method's parameters, which the binding has read),
/// else the method's defaults (under `auto`).
fn upper_options(params: &Params, opts: &Options) -> Options {
    let mut o = opts.clone();
    if params.auto && !opts.max_iters_given {
        o.max_iters = 1000;
    }
    if params.auto && !opts.tol_given {
        o.tol = 1e-8;
    }
    o
}

/// Runs `body` on the model's two levels, or reports that it has none.
fn on_levels(
    model: &mut dyn Model,
    x0: &[f64],
    body: impl FnOnce(&mut Bilevel) -> SolveResult,
) -> Outcome {
    Outcome::Point(match model.bilevel() {
        Some(mut parts) => body(&mut parts),
        None => SolveResult::new(
            Status::Error,
            x0.to_vec(),
            f64::NAN,
            "a bilevel method was given a problem without a lower level",
        ),
    })
}

fn lower_of(s: &Structure) -> Option<&LowerFact> {
    s.lower.as_ref()
}

/// The refusal of a method that needs a level without constraints.
fn constrained(method: &str, what: String) -> Fit {
    Fit::No {
        message: format!("`{method}` needs {what}"),
        label: "this method",
        hint: "use `bilevel_penalty()` (or `auto`), which handles constraints at both levels"
            .into(),
    }
}

/// No upper and no lower constraints (bounds are fine).
fn unconstrained(method: &str, s: &Structure) -> Fit {
    let lower = lower_of(s);
    if s.constraints > 0 {
        return constrained(
            method,
            format!(
                "an upper level without `subject to`, and `{}` has {}",
                s.name, s.constraints
            ),
        );
    }
    match lower {
        Some(l) if l.constraints > 0 => constrained(
            method,
            format!(
                "a lower problem without `subject to`, and `{}` has {}",
                l.name, l.constraints
            ),
        ),
        _ => plain_objective(method, s),
    }
}

/// `implicit(inner, cg_iters, lower_tol, max_iters, tol)`.
pub struct ImplicitMethod;

static IMPLICIT: Signature = Signature {
    name: "implicit",
    params: &[
        Param {
            name: "inner",
            default: D::Method("lbfgs"),
            domain: Domain::Method("lbfgs"),
        },
        Param {
            name: "cg_iters",
            default: D::Int(1000),
            domain: Domain::Int { min: 1 },
        },
        Param {
            name: "lower_tol",
            default: D::Float(1e-12),
            domain: Domain::Float { positive: true },
        },
        MAX_ITERS,
        TOL,
    ],
    doc: "Implicit differentiation: L-BFGS-B on the upper variables, the lower problem solved to `lower_tol` at each point (warm-started), the hypergradient by CG on lower Hessian-vector products.",
};

impl Method for ImplicitMethod {
    fn signature(&self) -> &'static Signature {
        &IMPLICIT
    }

    fn bilevel(&self) -> bool {
        true
    }

    fn accepts(&self, s: &Structure) -> Fit {
        unconstrained(IMPLICIT.name, s)
    }

    fn auto_fit(&self, s: &Structure) -> Option<AutoFit> {
        (unconstrained(IMPLICIT.name, s) == Fit::Yes).then_some(AutoFit {
            reason: "bilevel problem without constraints at either level: implicit differentiation (the value-function penalty if the lower problem is not strongly convex)",
            fallback: Some("bilevel_penalty"),
        })
    }

    fn run(
        &self,
        model: &mut dyn Model,
        _: &Structure,
        x0: &[f64],
        bounds: &Bounds,
        params: &Params,
        opts: &Options,
    ) -> Outcome {
        let mut method = Implicit::default();
        if !params.auto {
            if let Some(inner) = params.method("inner") {
                method.inner = LbfgsMethod::configure(inner);
            }
            method.cg_iters = params.int("cg_iters", method.cg_iters);
            method.lower_tol = params.float("lower_tol", method.lower_tol);
        }
        let opts = upper_options(params, opts);
        on_levels(model, x0, |parts| method.run(parts, x0, bounds, &opts))
    }
}

/// `bilevel_penalty(gamma, growth, rounds, gap_tol, lower_tol, starts, max_iters, tol)`.
pub struct PenaltyMethod;

static PENALTY: Signature = Signature {
    name: "bilevel_penalty",
    params: &[
        Param {
            name: "gamma",
            default: D::Float(10.0),
            domain: Domain::Float { positive: true },
        },
        Param {
            name: "growth",
            default: D::Float(10.0),
            domain: Domain::Float { positive: true },
        },
        Param {
            name: "rounds",
            default: D::Int(8),
            domain: Domain::Int { min: 1 },
        },
        Param {
            name: "gap_tol",
            default: D::Float(1e-9),
            domain: Domain::Float { positive: true },
        },
        Param {
            name: "lower_tol",
            default: D::Float(1e-12),
            domain: Domain::Float { positive: true },
        },
        Param {
            name: "starts",
            default: D::Int(0),
            domain: Domain::Int { min: 0 },
        },
        Param {
            name: "max_iters",
            default: D::Int(10000),
            domain: Domain::Int { min: 1 },
        },
        TOL,
    ],
    doc: "Value-function penalty: minimizes F + gamma·(f − v(x)) over both levels with the upper and lower constraints, gamma growing by `growth` until the gap f − v is within `gap_tol`; v's gradient by Danskin's theorem with the lower multipliers (first-order, Hessian-free); the best of `starts` seeded starts (0: 8 up to 100 variables, else 1).",
};

impl Method for PenaltyMethod {
    fn signature(&self) -> &'static Signature {
        &PENALTY
    }

    fn bilevel(&self) -> bool {
        true
    }

    fn accepts(&self, s: &Structure) -> Fit {
        plain_objective(PENALTY.name, s)
    }

    fn auto_fit(&self, s: &Structure) -> Option<AutoFit> {
        (self.accepts(s) == Fit::Yes).then_some(AutoFit {
            reason: "bilevel problem with constraints: the value-function penalty",
            fallback: None,
        })
    }

    fn run(
        &self,
        model: &mut dyn Model,
        _: &Structure,
        x0: &[f64],
        bounds: &Bounds,
        params: &Params,
        opts: &Options,
    ) -> Outcome {
        let mut method = ValuePenalty::default();
        if !params.auto {
            method.gamma = params.float("gamma", method.gamma);
            method.growth = params.float("growth", method.growth);
            method.rounds = params.int("rounds", method.rounds);
            method.gap_tol = params.float("gap_tol", method.gap_tol);
            method.lower_tol = params.float("lower_tol", method.lower_tol);
            method.starts = params.int("starts", method.starts);
        }
        let mut opts = upper_options(params, opts);
        if params.auto && !opts.max_iters_given {
            opts.max_iters = 10000;
        }
        on_levels(model, x0, |parts| method.run(parts, x0, bounds, &opts))
    }
}

/// `unrolled(steps, lr, momentum, lower_tol, max_iters, tol)`.
pub struct UnrolledMethod;

static UNROLLED: Signature = Signature {
    name: "unrolled",
    params: &[
        Param {
            name: "steps",
            default: D::Int(100),
            domain: Domain::Int { min: 1 },
        },
        Param {
            name: "lr",
            default: D::Float(0.1),
            domain: Domain::Float { positive: true },
        },
        Param {
            name: "momentum",
            default: D::Float(0.9),
            domain: Domain::Float { positive: false },
        },
        Param {
            name: "lower_tol",
            default: D::Float(1e-6),
            domain: Domain::Float { positive: true },
        },
        MAX_ITERS,
        TOL,
    ],
    doc: "Unrolled differentiation: `steps` heavy-ball gradient steps on the lower problem from its start, the upper objective at the last step minimized by L-BFGS-B with its exact gradient (reverse mode through the steps, one lower Hessian-vector product per step).",
};

impl Method for UnrolledMethod {
    fn signature(&self) -> &'static Signature {
        &UNROLLED
    }

    fn bilevel(&self) -> bool {
        true
    }

    fn accepts(&self, s: &Structure) -> Fit {
        let fit = unconstrained(UNROLLED.name, s);
        let Some(lower) = lower_of(s).filter(|_| fit == Fit::Yes) else {
            return fit;
        };
        let bounded = s
            .vars
            .iter()
            .find(|v| v.boxed && v.range().any(|i| lower.levels.lower.contains(&i)));
        match bounded {
            Some(v) => Fit::No {
                message: format!(
                    "`unrolled` takes plain gradient steps on the lower problem, and its var `{}` has bounds",
                    v.name
                ),
                label: "this method",
                hint:
                    "use `implicit()` or `bilevel_penalty()` (or `auto`), which keep lower bounds"
                        .into(),
            },
            None => Fit::Yes,
        }
    }

    fn run(
        &self,
        model: &mut dyn Model,
        _: &Structure,
        x0: &[f64],
        bounds: &Bounds,
        params: &Params,
        opts: &Options,
    ) -> Outcome {
        let mut method = Unrolled::default();
        if !params.auto {
            method.steps = params.int("steps", method.steps);
            method.lr = params.float("lr", method.lr);
            method.momentum = params.float("momentum", method.momentum);
            method.lower_tol = params.float("lower_tol", method.lower_tol);
        }
        let opts = upper_options(params, opts);
        on_levels(model, x0, |parts| method.run(parts, x0, bounds, &opts))
    }
}
