//! The Moré–Garbow–Hillstrom and Hock–Schittkowski collections in `stdlib/problems/`,
//! solved from their published start points with the default solver, must reach the
//! published optimal values: relative 1e-5, or absolute 1e-8 when f* = 0.
//!
//! Documented exception: HS13, whose solution violates the constraint qualification
//! (the KKT conditions do not hold there); SQP stops without converging and the
//! augmented Lagrangian it falls back to stops at 0.99924.

use optl::Interpreter;
use std::path::Path;

const EXCEPTIONS: &[&str] = &["hs13"];

/// Problems where `sqp()` alone reaches another minimum than the published one:
/// from HS2's start (bounds only, which `auto` gives to projected L-BFGS) its first
/// quasi-Newton step crosses to the global minimum, f = 0.0504261879, below the
/// published local one.
const SQP_EXCEPTIONS: &[&str] = &["hs2"];

/// Solves every problem of a collection with `solver` (an OptL expression, empty for
/// the default) and returns how many reached their optimum, and the failures.
fn check_collection(file: &str, stem: &str, solver: &str) -> (usize, Vec<String>) {
    let root = &package_root();
    let text = std::fs::read_to_string(root.join(file)).expect("collection exists");
    let names: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("problem "))
        .filter_map(|l| l.split([' ', '{', '(']).next())
        .map(String::from)
        .collect();
    let mut optl = Interpreter::new();
    let path = root.join(file);
    let dir = path.parent().expect("dir").to_string_lossy().into_owned();
    optl.eval_source(
        "<problems>",
        &format!("import \"{stem}.opt\""),
        Some(Path::new(&dir)),
    )
    .expect("imports");
    let mut failures = Vec::new();
    let mut solved = 0;
    for name in &names {
        let sqp_only = solver.contains("sqp");
        if EXCEPTIONS.contains(&name.as_str())
            || sqp_only && SQP_EXCEPTIONS.contains(&name.as_str())
        {
            continue;
        }
        let src = format!(
            "let r_{name} = solve({stem}.{name}{solver})\n[r_{name}.f, {stem}.{name}_fstar, r_{name}.max_violation]"
        );
        match optl.eval_str(&src).map(Vec::<f64>::try_from) {
            Ok(Ok(v)) => {
                let (f, fstar, viol) = (v[0], v[1], v[2]);
                let ok = if fstar == 0.0 {
                    f.abs() <= 1e-8
                } else {
                    (f - fstar).abs() <= 1e-5 * fstar.abs()
                };
                if ok && viol <= 1e-6 {
                    solved += 1;
                } else {
                    failures.push(format!(
                        "{name}: f = {f:e}, f* = {fstar:e}, violation {viol:e}"
                    ));
                }
            }
            other => failures.push(format!("{name}: {other:?}")),
        }
        failures.extend(nan_converged(&mut optl, name));
    }
    (solved, failures)
}

#[test]
fn more_garbow_hillstrom() {
    let (solved, failures) = check_collection("stdlib/problems/mgh.opt", "mgh", "");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(solved >= 15, "only {solved} problems");
}

#[test]
fn hock_schittkowski() {
    let (solved, failures) = check_collection("stdlib/problems/hs.opt", "hs", "");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(solved >= 15, "only {solved} problems");
}

/// `auto` tries SQP first on these small problems and falls back to the augmented
/// Lagrangian when it does not converge; SQP alone must solve them too (and the
/// augmented Lagrangian alone, so that the fallback is sound).
#[test]
fn hock_schittkowski_with_each_constrained_solver() {
    for solver in [", sqp()", ", auglag()"] {
        let (solved, failures) = check_collection("stdlib/problems/hs.opt", "hs", solver);
        assert!(failures.is_empty(), "{solver}: {}", failures.join("\n"));
        assert!(solved >= 15, "{solver}: only {solved} problems");
    }
}

/// The invariant of docs/language.md (*Results*): a Result whose `f` or point
/// holds NaN is never `converged`; the solves since the last call that break it.
fn nan_converged(optl: &mut Interpreter, what: &str) -> Vec<String> {
    optl.take_solve_log()
        .into_iter()
        .filter(|l| l.nan && l.status == "converged")
        .map(|l| {
            format!(
                "{what}: `{}` by {} is converged with NaN",
                l.problem, l.solver
            )
        })
        .collect()
}

/// The same invariant over every example that runs cleanly, and over the bilevel
/// and many-objective collections solved by `auto` (the MGH and HS collections
/// check it in `check_collection`).
#[test]
fn nan_is_never_converged_over_examples_and_collections() {
    let root = package_root();
    let mut broken = Vec::new();
    let mut solves = 0;
    let mut examples: Vec<_> = std::fs::read_dir(root.join("examples"))
        .expect("examples")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "opt"))
        .collect();
    examples.sort();
    for path in &examples {
        let text = std::fs::read_to_string(path).expect("readable");
        if !text.lines().any(|l| l.trim() == "# exit: 0") {
            continue;
        }
        let mut optl = Interpreter::new();
        optl.set_output(|_| {});
        let _ = optl.eval_file(path);
        let log = optl.take_solve_log();
        solves += log.len();
        broken.extend(
            log.iter()
                .filter(|l| l.nan && l.status == "converged")
                .map(|l| format!("{}: `{}` by {}", path.display(), l.problem, l.solver)),
        );
    }
    let script = "import \"bilevel.opt\"\nimport \"moo.opt\"\n\
        let b = [solve(e.problem).status for e in bilevel.bilevel_problems]\n\
        let m = [solve(p).status for p in [moo.zdt1(), moo.zdt2(), moo.zdt3()]]";
    let mut optl = Interpreter::new();
    let dir = root.join("stdlib/problems");
    optl.eval_source("<collections>", script, Some(dir.as_path()))
        .expect("the collections solve");
    let log = optl.take_solve_log();
    solves += log.len();
    broken.extend(
        log.iter()
            .filter(|l| l.nan && l.status == "converged")
            .map(|l| format!("collections: `{}` by {}", l.problem, l.solver)),
    );
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    assert!(solves >= 100, "only {solves} solves were checked");
}

/// The package's directory, where cargo runs its tests (absolute: insta reads a
/// relative snapshot path against the test's source file, and the checkout may have
/// moved since the test binary was built).
fn package_root() -> std::path::PathBuf {
    std::env::current_dir().expect("the working directory")
}
