//! Gradients of the examples' own numeric code against central finite differences:
//! every top-level function of one or more scalar arguments and every problem's
//! objective at its start point.

use optl::{Interpreter, Value};
use optl_syntax::ast::StmtKind;
use std::path::Path;

/// Central difference with one Richardson extrapolation step.
fn richardson(f: &mut dyn FnMut(f64) -> f64, x: f64) -> f64 {
    let h = 1e-3 * x.abs().max(1.0);
    let d = |f: &mut dyn FnMut(f64) -> f64, h: f64| (f(x + h) - f(x - h)) / (2.0 * h);
    let (d1, d2) = (d(f, h), d(f, h / 2.0));
    (4.0 * d2 - d1) / 3.0
}

fn rel_err(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1e-3)
}

fn examples() -> Vec<std::path::PathBuf> {
    let dir = Path::new("examples");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("examples")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "opt"))
        .collect();
    files.sort();
    files
}

#[test]
fn example_functions_and_objectives_match_finite_differences() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for path in examples() {
        let text = std::fs::read_to_string(&path).expect("readable");
        if !text.contains("# exit: 0") {
            continue;
        }
        let mut optl = Interpreter::new();
        if optl.eval_file(&path).is_err() {
            continue;
        }
        let parsed = optl_syntax::parse(&text, optl_syntax::FileId(0));
        for s in &parsed.program.stmts {
            match &s.kind {
                StmtKind::Fn(f) if !f.params.is_empty() => {
                    let name = &f.name.name;
                    let points: Vec<f64> =
                        (0..f.params.len()).map(|i| 0.7 - 0.45 * i as f64).collect();
                    let args: Vec<String> = points.iter().map(|p| format!("{p:?}")).collect();
                    let Ok(g) = optl.eval_str(&format!("grad({name})({})", args.join(", "))) else {
                        continue;
                    };
                    let g: Vec<f64> = match g {
                        Value::Float(x) => vec![x],
                        Value::List(items) => items
                            .iter()
                            .filter_map(|v| f64::try_from(v.clone()).ok())
                            .collect(),
                        _ => continue,
                    };
                    for (k, gk) in g.iter().enumerate() {
                        let mut f_at = |x: f64| {
                            let mut a = args.clone();
                            a[k] = format!("{x:?}");
                            optl.eval_str(&format!("{name}({})", a.join(", ")))
                                .ok()
                                .and_then(|v| f64::try_from(v).ok())
                                .unwrap_or(f64::NAN)
                        };
                        let fd = richardson(&mut f_at, points[k]);
                        checked += 1;
                        if rel_err(*gk, fd) > 1e-6 {
                            failures.push(format!(
                                "{}: {name} d/d arg{k}: ad {gk} vs fd {fd}",
                                path.display()
                            ));
                        }
                    }
                }
                StmtKind::Problem(d) => {
                    let Some(v) = optl.get(&d.name.name) else {
                        continue;
                    };
                    let Ok(p) = optl.trace_problem_value(&v) else {
                        continue;
                    };
                    if p.maximize.is_empty() {
                        continue;
                    }
                    let f = &p.function;
                    let obj = optl_ir::simplify(&optl_ir::Function {
                        graph: f.graph.clone(),
                        outputs: vec![f.outputs[0]],
                    });
                    let Ok(gf) = optl_ir::grad(&obj) else {
                        continue;
                    };
                    let x0: Vec<optl_tensor::Tensor> =
                        p.vars.iter().map(|v| v.init.clone()).collect();
                    let Ok(out) = optl_ir::eval(&gf, &x0) else {
                        continue;
                    };
                    for (vi, var) in p.vars.iter().enumerate() {
                        for (ei, &ad) in out[1 + vi].iter().enumerate() {
                            let mut f_at = |x: f64| {
                                let mut xs = x0.clone();
                                if let Some(slot) = xs[vi].iter_mut().nth(ei) {
                                    *slot = x;
                                }
                                optl_ir::eval(&obj, &xs).map_or(f64::NAN, |o| {
                                    o[0].iter().next().copied().unwrap_or(f64::NAN)
                                })
                            };
                            let x = var.init.iter().nth(ei).copied().unwrap_or(0.0);
                            let fd = richardson(&mut f_at, x);
                            checked += 1;
                            if rel_err(ad, fd) > 1e-6 {
                                failures.push(format!(
                                    "{}: problem {} d/d {}[{ei}]: ad {ad} vs fd {fd}",
                                    path.display(),
                                    d.name.name,
                                    var.name
                                ));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    assert!(checked >= 20, "only {checked} derivatives were checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Smooth builtins have their true derivative at the points where their stable
/// formulas switch branches (softplus at 0 is sigmoid(0) = 1/2, not 1).
#[test]
fn smooth_builtins_are_differentiated_at_branch_points() {
    let mut optl = Interpreter::new();
    for (src, want) in [
        ("grad(fn(x) = softplus(x))(0.0)", 0.5),
        ("grad(fn(x) = sigmoid(x))(0.0)", 0.25),
        ("grad(fn(x) = sum(softplus(x)))(zeros(3))[1]", 0.5),
    ] {
        let got = f64::try_from(optl.eval_str(src).expect("evaluates")).expect("a number");
        assert!((got - want).abs() < 1e-15, "{src}: {got}, expected {want}");
    }
}
