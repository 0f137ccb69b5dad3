//! The embedding API of the `optl` facade: sessions, values, host functions,
//! limits, output capture and diagnostics.

use optl::{Interpreter, Limits, Stage, Value};

#[test]
fn definitions_persist_between_calls() {
    let mut optl = Interpreter::new();
    optl.eval_str("let n = 4\nfn sq(x) = x * x")
        .expect("defines");
    let v = optl.eval_str("sq(n)").expect("uses earlier definitions");
    assert_eq!(i64::try_from(v), Ok(16));
    optl.eval_str("let n = 5")
        .expect("a later call may rebind a global");
    assert_eq!(i64::try_from(optl.get("n").expect("bound")), Ok(5));
    optl.reset();
    assert!(optl.get("n").is_none());
    assert!(optl.get("sum").is_some(), "the prelude survives a reset");
}

#[test]
fn values_cross_the_boundary() {
    let mut optl = Interpreter::new();
    optl.set("w", Value::from(vec![3.0, 4.0]));
    let v = optl.eval_str("norm(w)").expect("evaluates");
    assert_eq!(f64::try_from(v), Ok(5.0));
    let v = optl.eval_str("w * 2").expect("evaluates");
    assert_eq!(Vec::<f64>::try_from(v), Ok(vec![6.0, 8.0]));
    let v = optl.eval_str("\"a\" + \"b\"").expect("evaluates");
    assert_eq!(String::try_from(v), Ok("ab".to_string()));
}

#[test]
fn host_functions_are_checked_like_builtins() {
    let mut optl = Interpreter::new();
    optl.register_fn("twice", "x", |args| {
        let x = f64::try_from(args[0].clone()).map_err(|e| e.to_string())?;
        Ok(Value::from(2.0 * x))
    });
    assert_eq!(
        f64::try_from(optl.eval_str("twice(4)").expect("calls")),
        Ok(8.0)
    );
    let err = optl.eval_str("twice(1, 2)").expect_err("arity is checked");
    assert_eq!(err.stage, Stage::Static);
    assert_eq!(err.diagnostics[0].code.id, "E0104");
    let err = optl
        .eval_str("twice(\"x\")")
        .expect_err("host errors surface");
    assert_eq!(err.diagnostics[0].code.id, "E0214");
    assert!(optl.render(&err, false).contains("expected a number"));
}

#[test]
fn output_is_captured_not_printed() {
    let mut optl = Interpreter::new();
    optl.eval_str("print(1, \"two\", [3, 4])").expect("prints");
    assert_eq!(optl.take_output(), "1 two [3, 4]\n");
    let lines = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = lines.clone();
    optl.set_output(move |s| sink.borrow_mut().push(s.to_string()));
    optl.eval_str("print(5)").expect("prints");
    assert_eq!(*lines.borrow(), vec!["5\n".to_string()]);
}

#[test]
fn limits_are_settings() {
    let mut optl = Interpreter::new();
    optl.set_limits(Limits {
        max_elements: 1000,
        ..Limits::default()
    });
    let err = optl.eval_str("zeros([100, 100])").expect_err("too large");
    assert_eq!(err.stage, Stage::Runtime);
    assert_eq!(err.exit_code(), 1);
    assert_eq!(err.diagnostics[0].code.id, "E0207");
    optl.set_limits(Limits {
        max_steps: 100,
        ..Limits::default()
    });
    let err = optl
        .eval_str("sum([i for i in range(1000)])")
        .expect_err("budget");
    assert_eq!(err.diagnostics[0].code.id, "E0209");
}

#[test]
fn eval_file_resolves_imports_relative_to_the_file() {
    let mut optl = Interpreter::new();
    let path = std::path::Path::new("examples/16_imports.opt");
    optl.eval_file(path).expect("the imports example runs");
    assert!(optl.take_output().contains("quadratic(n = 4, scale = 1)"));
}

#[test]
fn symbolic_objects_are_values() {
    let mut optl = Interpreter::new();
    let v = optl
        .eval_str("adam(lr = 0.1).with(b1 = 0.8)")
        .expect("rebinds");
    assert_eq!(
        v.display(),
        "adam(lr = 0.1, b1 = 0.8, b2 = 0.999, eps = 1e-08)"
    );
    assert_eq!(v.repr(), "adam(lr = 0.1, b1 = 0.8, b2 = 0.999, eps = 1e-8)");
    assert_eq!(v.type_name(), "Rule");
}

/// A small program is interpreted for its first runs and then compiled; an equal
/// program prepared later (another function with the same body) finds the kernel in
/// the cache and runs compiled from its first call.
#[test]
fn equal_programs_share_a_compiled_kernel() {
    let mut optl = Interpreter::new();
    optl.eval_str(
        "fn f(x) = sum(x^2)\nlet g1 = grad(f)\nlet a = [g1([1.0, 2.0]) for i in range(60)]",
    )
    .expect("first gradient");
    let before = optl.engine_stats();
    assert_eq!(before.compiled, 1, "{before:?}");
    assert!(before.interp_runs >= 1, "{before:?}");
    optl.eval_str(
        "fn h(y) = sum(y^2)\nlet g2 = grad(h)\nlet b = [g2([3.0, 4.0]) for i in range(5)]",
    )
    .expect("second gradient");
    let after = optl.engine_stats();
    assert_eq!(after.compiled, 1, "no second compile: {after:?}");
    assert_eq!(after.interp_runs, before.interp_runs, "{after:?}");
    assert_eq!(after.jit_runs, before.jit_runs + 5, "{after:?}");
}

/// The gradient of a loss over 3001 × 97 data (split into blocks of rows, the last
/// one shorter) is the same to the bit on the JIT (blocks on all cores) and on the
/// interpreter (blocks in turn), and agrees with the gradient written out in Rust.
#[test]
fn gradients_over_data_split_into_row_blocks_are_exact_and_engine_independent() {
    let setup = "let X = randn([3001, 97], seed = 1)\n\
                 let y = where(X @ (randn([97], seed = 2) / 10) > 0, 1.0, 0.0)\n\
                 fn loss(w) = mean(softplus(X @ w) - y * (X @ w)) + 1e-3 * sum(w^2)\n\
                 let w0 = randn([97], seed = 3) / 10";
    let gradient = |engine: optl::Engine| {
        let mut optl = Interpreter::new();
        optl.set_engine(engine);
        optl.eval_str(setup).expect("setup");
        let g = Vec::<f64>::try_from(optl.eval_str("grad(loss)(w0)").expect("gradient"))
            .expect("a vector");
        (g, optl.engine_stats())
    };
    let (jit, jit_stats) = gradient(optl::Engine::Jit);
    let (interp, interp_stats) = gradient(optl::Engine::Interp);
    assert_eq!(jit, interp, "the engines differ");
    // One run per block of rows (and one for the rest): more than one block ran.
    assert!(jit_stats.jit_runs > 3, "{jit_stats:?}");
    assert!(interp_stats.interp_runs > 3, "{interp_stats:?}");

    let mut optl = Interpreter::new();
    optl.eval_str(setup).expect("setup");
    let mut flat = |e: &str| Vec::<f64>::try_from(optl.eval_str(e).expect(e)).expect("numbers");
    let (x, y, w) = (flat("reshape(X, [-1])"), flat("y"), flat("w0"));
    let (n, d) = (3001, 97);
    let mut want: Vec<f64> = w.iter().map(|wi| 2e-3 * wi).collect();
    for i in 0..n {
        let row = &x[i * d..(i + 1) * d];
        let z: f64 = row.iter().zip(&w).map(|(a, b)| a * b).sum();
        let r = (1.0 / (1.0 + (-z).exp()) - y[i]) / n as f64;
        want.iter_mut().zip(row).for_each(|(g, xi)| *g += r * xi);
    }
    for (k, (a, b)) in jit.iter().zip(&want).enumerate() {
        assert!(
            (a - b).abs() <= 1e-12 * b.abs().max(1e-3),
            "g[{k}]: {a} vs {b}"
        );
    }
}
