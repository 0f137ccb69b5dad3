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
