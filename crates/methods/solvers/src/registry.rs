//! The registry of methods: every solver family's constructors, looked up by name
//! by `solve(p, m)`, and asked in [`AUTO_ORDER`] by `auto`.
//!
//! Adding a family: its folder (a module beside `nlp/`), a `mod` line in `lib.rs`,
//! and its methods in [`METHODS`] (and in [`AUTO_ORDER`] if `auto` may pick it).

use crate::bilevel::methods::{ImplicitMethod, PenaltyMethod, UnrolledMethod};
use crate::lowrank::AltMinMethod;
use crate::method::{AutoFit, Fit, Method, Model, Outcome, Params, Structure};
use crate::multi::methods::{HypeMethod, MoeadMethod, Nsga2Method, Nsga3Method};
use crate::nlp::methods::{AugLagMethod, LbfgsMethod, NelderMeadMethod, NewtonMethod, SqpMethod};
use crate::problem::{Bounds, Options, Status};
use crate::splitting::methods::{
    AdmmMethod, BcdMethod, FistaMethod, FrankWolfeMethod, HalpernMethod,
};
use crate::transport::methods::SinkhornMethod;
use std::time::Duration;

/// Every method, in the order the documentation lists them.
pub static METHODS: &[&dyn Method] = &[
    &LbfgsMethod,
    &NewtonMethod,
    &AugLagMethod,
    &SqpMethod,
    &NelderMeadMethod,
    &Nsga2Method,
    &Nsga3Method,
    &MoeadMethod,
    &HypeMethod,
    &SinkhornMethod,
    &AltMinMethod,
    &FistaMethod,
    &FrankWolfeMethod,
    &BcdMethod,
    &AdmmMethod,
    &HalpernMethod,
    &ImplicitMethod,
    &PenaltyMethod,
    &UnrolledMethod,
];

/// The order in which `auto` asks methods whether they fit a problem: the first
/// whose [`Method::auto_fit`] says yes runs (L-BFGS fits every problem that the
/// others decline).
pub static AUTO_ORDER: &[&str] = &[
    "implicit",
    "bilevel_penalty",
    "nsga2",
    "nsga3",
    "sinkhorn",
    "altmin",
    "frank_wolfe",
    "bcd",
    "fista",
    "admm",
    "sqp",
    "auglag",
    "lbfgs",
];

/// The method of this constructor name.
pub fn lookup(name: &str) -> Option<&'static dyn Method> {
    METHODS.iter().copied().find(|m| m.signature().name == name)
}

/// Whether `method` solves a problem of structure `s`: a single-level method
/// refuses a bilevel problem (it would ignore the lower problem) and a bilevel
/// method a single-level one; then the method's own [`Method::accepts`].
pub fn fit(method: &dyn Method, s: &Structure) -> Fit {
    let name = method.signature().name;
    match (method.bilevel(), &s.lower) {
        (false, Some(lower)) => Fit::No {
            message: format!(
                "`{name}` solves single-level problems, and `{}` is bilevel (its lower problem is `{}`)",
                s.name, lower.name
            ),
            label: "a single-level solver",
            hint: "use `implicit()`, `bilevel_penalty()` or `unrolled()` (or `auto`) for a bilevel problem".into(),
        },
        (true, None) => Fit::No {
            message: format!(
                "`{name}` solves bilevel problems, and `{}` has no `lower` block",
                s.name
            ),
            label: "a bilevel solver",
            hint: "use `auto` or a single-level solver such as `lbfgs()`".into(),
        },
        _ => method.accepts(s),
    }
}

/// `auto`'s choice for a structure: the method, why, and what runs if it stops
/// without converging.
pub fn choose(
    s: &Structure,
    model: &mut dyn Model,
    bounds: &Bounds,
) -> (&'static dyn Method, AutoFit) {
    let levels_match = |m: &dyn Method| m.bilevel() == s.lower.is_some();
    for name in AUTO_ORDER {
        let method = lookup(name).expect("AUTO_ORDER names registered methods");
        if !levels_match(method) {
            continue;
        }
        if let Some(fit) = method.recognizes(model, s, bounds) {
            return (method, fit);
        }
    }
    for name in AUTO_ORDER {
        let method = lookup(name).expect("AUTO_ORDER names registered methods");
        if !levels_match(method) {
            continue;
        }
        if let Some(fit) = method.auto_fit(s) {
            return (method, fit);
        }
    }
    let lbfgs = lookup("lbfgs").expect("lbfgs is registered");
    let fit = AutoFit {
        reason: "the default",
        fallback: None,
    };
    (lbfgs, fit)
}

/// A method a solve runs: given by the user, or `auto`'s choice with its fallback.
pub struct Plan {
    pub method: &'static dyn Method,
    pub params: Params,
    pub fallback: Option<&'static dyn Method>,
    /// Why this method: `auto`'s reason, or that the user gave it.
    pub reason: &'static str,
}

impl Plan {
    /// The given method with its checked parameters (the binding has asked
    /// [`Method::accepts`] first).
    pub fn given(method: &'static dyn Method, params: Params) -> Plan {
        Plan {
            method,
            params,
            fallback: None,
            reason: "given",
        }
    }

    /// `auto`'s plan for the structure and the model (which methods that
    /// recognise a structure probe).
    pub fn auto(s: &Structure, model: &mut dyn Model, bounds: &Bounds) -> Plan {
        let (method, fit) = choose(s, model, bounds);
        Plan {
            method,
            params: Params::auto(method.signature()),
            fallback: fit.fallback.and_then(lookup),
            reason: fit.reason,
        }
    }

    /// Runs the method; when it stops without converging (out of iterations,
    /// stalled, or infeasible) and a fallback is planned, runs the fallback from
    /// the same start within what is left of the time limit.
    pub fn run(
        &self,
        model: &mut dyn Model,
        s: &Structure,
        x0: &[f64],
        bounds: &Bounds,
        opts: &Options,
    ) -> Outcome {
        let mut first = self.method.run(model, s, x0, bounds, &self.params, opts);
        match &mut first {
            Outcome::Point(r) => {
                r.method = self.method.signature().name;
                r.guard_nan();
            }
            Outcome::Front(r) => r.guard_nan(),
        }
        let (Some(next), Outcome::Point(r)) = (self.fallback, &first) else {
            return first;
        };
        if !matches!(
            r.status,
            Status::MaxIters | Status::Stalled | Status::Infeasible | Status::LowerNotConverged
        ) {
            return first;
        }
        let spent = Duration::try_from_secs_f64(r.time_s).unwrap_or_default();
        let rest = Options {
            timeout: opts.timeout.map(|t| t.saturating_sub(spent)),
            ..opts.clone()
        };
        let params = Params::auto(next.signature());
        match next.run(model, s, x0, bounds, &params, &rest) {
            Outcome::Point(mut second) => {
                second.guard_nan();
                let name = self.method.signature().name.to_uppercase();
                second.message =
                    format!("{} (after {name} stopped: {})", second.message, r.message);
                second.method = next.signature().name;
                Outcome::Point(second)
            }
            front => front,
        }
    }
}
