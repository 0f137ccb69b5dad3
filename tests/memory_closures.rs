//! Memory stays bounded within one run: a closure defined inside a call holds the
//! call's scope, which holds the closure (an `Rc` cycle); when the call's result
//! cannot reach the closure, the scope is cleared as the call ends
//! (`env::release`). Before, every such call left about 1.8 KB behind, so a long
//! search whose objective defines a helper closure grew without bound. Closures
//! that escape through the result keep working. One test binary of its own, so that
//! the resident size is this test's alone.

use optl::Interpreter;

mod common;

use common::resident_mb;

#[test]
fn closures_made_inside_calls_are_freed_and_escaping_ones_still_work() {
    let mut optl = Interpreter::new();
    optl.eval_str(
        "fn outer(k) {
           let g = fn(y) = y + k
           let h = fn(y) = g(y) * 2
           h(1)
         }
         fn adder(k) {
           let g = fn(y) = y + k
           g
         }
         fn pair(k) {
           let g = fn(y) = y * k
           {twice: fn(y) = g(g(y)), once: g}
         }",
    )
    .expect("declares");
    let run = |optl: &mut Interpreter, n: usize| {
        let v = optl
            .eval_str(&format!("fold(fn(acc, i) = acc + outer(i), 0, range({n}))"))
            .expect("runs");
        i64::try_from(v).expect("an Int")
    };
    assert_eq!(
        run(&mut optl, 1000),
        (0..1000).map(|i| 2 * (1 + i)).sum::<i64>()
    );
    let before = resident_mb();
    run(&mut optl, 100_000);
    if let (Some(before), Some(after)) = (before, resident_mb()) {
        // 100,000 leaking calls would keep about 180 MB.
        assert!(
            after - before < 20.0,
            "resident memory grew by {:.1} MB over 100,000 calls",
            after - before
        );
    }
    // Closures that leave through the result keep their scope.
    let v = optl.eval_str("adder(2)(3)").expect("runs");
    assert_eq!(i64::try_from(v).expect("an Int"), 5);
    let v = optl
        .eval_str("let p = pair(3)\n[p.once(2), p.twice(2)]")
        .expect("runs");
    assert_eq!(Vec::<f64>::try_from(v).expect("numbers"), vec![6.0, 18.0]);
    let v = optl
        .eval_str("let fs = [adder(k) for k in range(3)]\n[f(10) for f in fs]")
        .expect("runs");
    assert_eq!(
        Vec::<f64>::try_from(v).expect("numbers"),
        vec![10.0, 11.0, 12.0]
    );
}
