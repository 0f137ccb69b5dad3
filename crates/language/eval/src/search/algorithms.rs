//! Search algorithm constructors (LANGUAGE.md §7): `random()`, `grid()`,
//! `evolution(...)`, `tpe(...)` are symbolic objects like solvers, declared here by
//! parameter lists in OptL syntax; `nsga2(pop = ...)` (the solver constructor) also
//! serves as the multi-objective search algorithm. The algorithms themselves live in
//! `optl_search` and see only DNA and scores.

use crate::evaluator::{EvalResult, err_label};
use crate::value::{SymKind, SymObj, Value};
use optl_search::{Algorithm, Evolution, Grid, ParetoEvolution, Random, Tpe};
use optl_syntax::codes;
use optl_syntax::span::Span;

/// (name, parameter list in OptL syntax, documentation).
pub const ALGORITHMS: &[(&str, &str, &str)] = &[
    (
        "random",
        "",
        "Uniform random sampling of the space (every manyof tuple equally likely; floats uniform in linear or log scale).",
    ),
    (
        "grid",
        "float_points = 5",
        "Every point of a finite space in order; each floatv is cut into `float_points` evenly spaced values (in log scale when log).",
    ),
    (
        "evolution",
        "population = 16, tournament = 4, mutation = 0.1",
        "Regularized evolution (Real et al. 2019): mutate the best of a random tournament, retire the oldest member.",
    ),
    (
        "tpe",
        "startup = 10, gamma = 0.25, candidates = 24",
        "Tree-structured Parzen estimator (Bergstra et al. 2011), per decision as Optuna's default: model-based, for continuous spaces.",
    ),
];

/// The OptL source the parameter lists are parsed from: one `fn` per algorithm.
pub fn declarations() -> String {
    crate::solvers::native_source(
        "crates/language/eval/src/search/algorithms.rs: search algorithms",
        ALGORITHMS
            .iter()
            .map(|(name, params, _)| (*name, *params, "0")),
    )
}

fn count(a: &SymObj, name: &str, default: usize, span: Span) -> EvalResult<usize> {
    match a.get(name) {
        None => Ok(default),
        Some(Value::Int(n)) if *n >= 1 => Ok(*n as usize),
        Some(other) => Err(err_label(
            codes::INVALID_ARGUMENT,
            format!(
                "`{name}` of `{}` must be a positive Int, found {}",
                a.name(),
                other.display()
            ),
            span,
            "in this algorithm",
        )),
    }
}

fn fraction(a: &SymObj, name: &str, default: f64, span: Span) -> EvalResult<f64> {
    let x = match a.get(name) {
        None => default,
        Some(Value::Float(x)) => *x,
        Some(Value::Int(n)) => *n as f64,
        Some(other) => {
            return Err(err_label(
                codes::TYPE_MISMATCH,
                format!(
                    "`{name}` of `{}` must be a number, found {}",
                    a.name(),
                    other.display()
                ),
                span,
                "in this algorithm",
            ));
        }
    };
    if !(x > 0.0 && x <= 1.0) {
        return Err(err_label(
            codes::INVALID_ARGUMENT,
            format!("`{name}` of `{}` must be in (0, 1], found {x}", a.name()),
            span,
            "in this algorithm",
        ));
    }
    Ok(x)
}

/// The algorithm an `algo` value stands for (default: `random()`).
pub fn algorithm_of(v: &Value, span: Span) -> EvalResult<Box<dyn Algorithm>> {
    let a = match v {
        Value::Unit => return Ok(Box::new(Random::default())),
        Value::Sym(s) if matches!(s.family.kind, SymKind::Algorithm | SymKind::Solver) => s,
        other => {
            return Err(err_label(
                codes::TYPE_MISMATCH,
                format!(
                    "expected a search algorithm such as `evolution()`, found {}",
                    crate::evaluator::a_type(other)
                ),
                span,
                "not a search algorithm",
            ));
        }
    };
    Ok(match &**a.name() {
        "random" => Box::new(Random::default()),
        "grid" => Box::new(Grid::new(count(a, "float_points", 5, span)?)),
        "evolution" => {
            let population = count(a, "population", 16, span)?;
            let tournament = count(a, "tournament", 4, span)?;
            if tournament > population {
                return Err(err_label(
                    codes::INVALID_ARGUMENT,
                    format!(
                        "the tournament ({tournament}) is larger than the population ({population})"
                    ),
                    span,
                    "in this algorithm",
                ));
            }
            Box::new(Evolution::new(
                population,
                tournament,
                fraction(a, "mutation", 0.1, span)?,
            ))
        }
        "tpe" => Box::new(Tpe::new(
            count(a, "startup", 10, span)?,
            fraction(a, "gamma", 0.25, span)?,
            count(a, "candidates", 24, span)?,
        )),
        "nsga2" => Box::new(ParetoEvolution::nsga2(count(a, "pop", 100, span)?.max(2))),
        "nsga3" => Box::new(ParetoEvolution::nsga3(
            count(a, "pop", 92, span)?.max(2),
            match a.get("partitions") {
                Some(Value::Int(0)) => 0,
                _ => count(a, "partitions", 0, span)?,
            },
        )),
        "hype" => Box::new(ParetoEvolution::hype(
            count(a, "pop", 100, span)?.max(2),
            count(a, "samples", 10000, span)?.max(1),
        )),
        other => {
            return Err(err_label(
                codes::INVALID_ARGUMENT,
                format!("`{other}` is a solver, not a search algorithm"),
                span,
                "use random(), grid(), evolution(), tpe(), nsga2(), nsga3() or hype()",
            ));
        }
    })
}
