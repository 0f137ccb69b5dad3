//! Embedding OptL in a Rust program: evaluate source, call a host function from
//! OptL, read values back, and render diagnostics. Run with
//! `cargo run --example embed`.
#![allow(clippy::print_stdout)]

use optl::{Interpreter, Limits, Value};
use std::time::Duration;

fn main() {
    let mut optl = Interpreter::new();
    optl.set_limits(Limits {
        timeout: Some(Duration::from_secs(5)),
        ..Limits::default()
    });

    // A host function: OptL code can call it like any builtin.
    optl.register_fn("host_scale", "x, factor?", |args| {
        let x = f64::try_from(args[0].clone()).map_err(|e| e.to_string())?;
        let factor = match &args[1] {
            Value::Unit => 2.0,
            v => f64::try_from(v.clone()).map_err(|e| e.to_string())?,
        };
        Ok(Value::from(x * factor))
    });

    optl.set("data", Value::from(vec![1.0, 2.0, 3.0]));
    optl.eval_str("fn loss(w) = sum((w - data)^2)")
        .expect("definitions are valid");
    let at_zero = optl.eval_str("loss(zeros(3))").expect("evaluates");
    println!("loss at zero = {}", at_zero.display());

    let scaled = optl.eval_str("host_scale(21)").expect("host call works");
    println!(
        "host_scale(21) = {}",
        f64::try_from(scaled).expect("a number")
    );

    optl.eval_str("print(\"printed from OptL\", 1 + 2)")
        .expect("prints");
    print!("{}", optl.take_output());

    // Mistakes come back as diagnostics, rendered where the host chooses.
    if let Err(e) = optl.eval_str("loss(zeros(4))") {
        println!(
            "exit code {} with:\n{}",
            e.exit_code(),
            optl.render(&e, false)
        );
    }
}
