//! Solver constructors (LANGUAGE.md §5): `lbfgs()`, `newton()`, `auglag(inner = lbfgs())`,
//! `sqp()`, `nelder_mead()`, `nsga2()`, `sinkhorn()` and `auto` are symbolic objects like problems and
//! rules: printable, comparable, rebindable with `.with(...)`. Their parameter lists
//! come from the method registry (`optl_solvers::registry`), written out as OptL
//! source and parsed on first mention, so defaults are ordinary expressions
//! (`inner = lbfgs()`).

use optl_solvers::{Signature, registry};

/// A signature's parameter list in OptL syntax: `m = 10, tol = 1e-10, ...`.
pub fn parameter_list(sig: &Signature) -> String {
    let params: Vec<String> = sig
        .params
        .iter()
        .map(|p| format!("{} = {}", p.name, p.default.source()))
        .collect();
    params.join(", ")
}

/// The OptL source the parameter lists are parsed from: one `fn` per method.
pub fn declarations() -> String {
    let lists: Vec<(&str, String)> = registry::METHODS
        .iter()
        .map(|m| (m.signature().name, parameter_list(m.signature())))
        .collect();
    native_source(
        "the method registry (optl_solvers::registry)",
        lists
            .iter()
            .map(|(name, params)| (*name, params.as_str(), "0")),
    )
}

/// OptL source declaring one `fn name(params) = body` per item: how the native
/// constructors (solvers, schedules, search algorithms) get their parameter lists,
/// defaults included, from the parser. `origin` names where the table lives.
pub fn native_source<'a>(
    origin: &str,
    items: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
) -> String {
    let mut src = format!("# Generated from {origin}.\n");
    for (name, params, body) in items {
        src.push_str(&format!("fn {name}({params}) = {body}\n"));
    }
    src
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generated lists are the ones users were told (LANGUAGE.md §5, docs/stdlib.md).
    #[test]
    fn parameter_lists_as_documented() {
        let list = |name| parameter_list(registry::lookup(name).unwrap().signature());
        assert_eq!(
            list("lbfgs"),
            "m = 10, max_iters = 100000, tol = 1e-10, line_search = \"more_thuente\""
        );
        assert_eq!(
            list("auglag"),
            "inner = lbfgs(), max_outer = 100, tol = 1e-10, feas_tol = 1e-8, penalty = 10.0"
        );
        assert_eq!(list("nsga2"), "pop = 100, generations = 200, seed = 0");
        assert_eq!(list("sqp"), "max_iters = 200, tol = 1e-10, feas_tol = 1e-8");
    }
}
