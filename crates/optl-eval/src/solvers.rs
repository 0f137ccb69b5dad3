//! Solver constructors (LANGUAGE.md §5): `lbfgs()`, `newton()`, `auglag(inner = lbfgs())`,
//! `sqp()`, `nelder_mead()`, `nsga2()` and `auto` are symbolic objects like problems and rules:
//! printable, comparable, rebindable with `.with(...)`. Their parameter lists are
//! written in OptL syntax below and parsed at start-up, so defaults are ordinary
//! expressions (`inner = lbfgs()`).

/// (name, parameter list in OptL syntax, documentation).
pub const SOLVERS: &[(&str, &str, &str)] = &[
    (
        "lbfgs",
        "m = 10, max_iters = 100000, tol = 1e-10, line_search = \"more_thuente\"",
        "Limited-memory BFGS with a Moré–Thuente strong-Wolfe line search; with box bounds, a projected active-set variant.",
    ),
    (
        "newton",
        "max_iters = 1000, tol = 1e-10",
        "Newton-CG (Steihaug trust region) using Hessian-vector products from automatic differentiation.",
    ),
    (
        "auglag",
        "inner = lbfgs(), max_outer = 100, tol = 1e-10, feas_tol = 1e-8, penalty = 10.0",
        "Augmented Lagrangian for equality and inequality constraints; bounds go to the inner solver.",
    ),
    (
        "sqp",
        "max_iters = 200, tol = 1e-10, feas_tol = 1e-8",
        "Sequential quadratic programming (damped BFGS, Goldfarb–Idnani QP, l1 merit) for small dense constrained problems.",
    ),
    (
        "nelder_mead",
        "max_iters = 20000, tol = 1e-10",
        "Adaptive Nelder–Mead simplex search: no gradients, for non-smooth problems.",
    ),
    (
        "nsga2",
        "pop = 100, generations = 200, seed = 0",
        "NSGA-II for several objectives: returns a Pareto front and its hypervolume.",
    ),
];

/// The OptL source the parameter lists are parsed from: one `fn` per solver.
pub fn declarations() -> String {
    native_source(
        "crates/optl-eval/src/solvers.rs: solver parameter lists",
        SOLVERS
            .iter()
            .map(|(name, params, _)| (*name, *params, "0")),
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
