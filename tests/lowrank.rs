//! The low-rank family through the language: completion recognised by `auto`
//! however the objective is written (mask inside or outside the square, the
//! difference either way round, a positive factor, a ridge), refused where the
//! form does not hold (a weighted mask, different ridges, bounds), `altmin()`
//! saying why, and the ridge solution checked against L-BFGS on the same problem.

use optl::Interpreter;

/// Runs `src` after a shared prelude (a rank-2 60 × 50 matrix and a 40% mask);
/// the printed output, or the rendered error.
fn run(src: &str) -> Result<String, String> {
    let prelude = "let M = randn([30, 2], seed = 1) @ transpose(randn([25, 2], seed = 2))\n\
                   let mask = rand([30, 25], seed = 3) < 0.5\n";
    let mut optl = Interpreter::new();
    match optl.eval_source("<test>", &format!("{prelude}{src}"), None) {
        Ok(_) => Ok(optl.take_output()),
        Err(e) => Err(format!("{e:?}")),
    }
}

fn problem(objective: &str, extra: &str) -> String {
    format!(
        "problem fill {{\n  var U[30, 2]{extra} = 0.1\n  var V[25, 2] = 0.1\n  minimize {objective}\n}}\n\
         let r = solve(fill)\n\
         print(r.solver)\n\
         print(norm((1 - mask) * (r.vars.U @ transpose(r.vars.V) - M)) / norm((1 - mask) * M))\n"
    )
}

fn solver_and_error(out: &str) -> (String, f64) {
    let mut lines = out.lines();
    let solver = lines.next().unwrap_or_default().trim().to_string();
    let err = lines
        .next()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(f64::NAN);
    (solver, err)
}

#[test]
fn every_way_of_writing_completion_is_recognised() {
    for objective in [
        "sum(mask * (M - U @ transpose(V))^2)",
        "sum((mask * (M - U @ transpose(V)))^2)",
        "sum(mask * (U @ transpose(V) - M)^2)",
        "3 * sum((M - U @ transpose(V))^2 * mask) + 7",
        "sum(mask * (M - U @ transpose(V))^2) / 4",
    ] {
        let out = run(&problem(objective, "")).unwrap();
        let (solver, err) = solver_and_error(&out);
        assert_eq!(solver, "altmin", "{objective}: {out}");
        assert!(err < 1e-8, "{objective}: unobserved error {err}");
    }
}

#[test]
fn other_forms_go_to_a_general_method() {
    for (objective, extra) in [
        (
            "sum(0.5 * mask * (M - U @ transpose(V))^2)",
            " in [-10, 10]",
        ),
        ("sum((mask + 0.5) * (M - U @ transpose(V))^2)", ""),
        (
            "sum(mask * (M - U @ transpose(V))^2) + sum(U^2) + 2 * sum(V^2)",
            "",
        ),
        ("sum(mask * (M - U @ transpose(V))^2) + sum(U)", ""),
    ] {
        let out = run(&problem(objective, extra)).unwrap();
        let (solver, _) = solver_and_error(&out);
        assert_ne!(solver, "altmin", "{objective}{extra}");
    }
}

#[test]
fn altmin_says_why_it_does_not_fit() {
    let src = "problem p {\n  var U[30, 2] = 0.1\n  var V[25, 2] = 0.1\n  minimize sum((mask + 0.5) * (M - U @ transpose(V))^2)\n}\nprint(solve(p, altmin()))\n";
    let err = run(src).unwrap_err();
    assert!(
        err.contains("is not `sum(W * (M - U @ transpose(V))^2)`"),
        "{err}"
    );
}

#[test]
fn the_ridge_solution_is_a_stationary_point_as_good_as_lbfgs() {
    let src = "problem p {\n  var U[30, 2] = 0.1\n  var V[25, 2] = 0.1\n  minimize sum(mask * (M - U @ transpose(V))^2) + 0.5 * (sum(U^2) + sum(V^2))\n}\n\
               let a = solve(p)\nlet b = solve(p, lbfgs())\n\
               print(a.solver)\nprint(a.f - b.f)\n\
               fn obj(U, V) = sum(mask * (M - U @ transpose(V))^2) + 0.5 * (sum(U^2) + sum(V^2))\n\
               let g = grad(obj)(a.vars.U, a.vars.V)\n\
               print(max(norm(g[0]), norm(g[1])))\n";
    let out = run(src).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0].trim(), "altmin", "{out}");
    let gap: f64 = lines[1].trim().parse().unwrap();
    let gnorm: f64 = lines[2].trim().parse().unwrap();
    assert!(gap < 1e-8, "altmin's f exceeds lbfgs's by {gap}");
    assert!(gnorm < 1e-5, "gradient norm {gnorm}");
}
