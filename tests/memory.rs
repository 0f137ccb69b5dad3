//! Memory stays bounded: dropping an interpreter frees its definitions (its scopes
//! and the functions defined in them hold each other, and `Interpreter`'s `Drop`
//! breaks those cycles). Before, each interpreter left about 64 KB behind, which a
//! long mutation fuzz (hundreds of thousands of interpreters) turned into gigabytes.
//! One test in its own binary, so that the resident size is this test's alone.

use optl::Interpreter;

mod common;

use common::resident_mb;

#[test]
fn dropped_interpreters_free_their_definitions() {
    let run = |n: usize| {
        for _ in 0..n {
            let mut optl = Interpreter::new();
            let _ = optl.eval_str("fn f(x) = x + 1\nlet y = f(2)");
        }
    };
    run(50);
    let Some(before) = resident_mb() else {
        return;
    };
    run(400);
    let after = resident_mb().expect("read before");
    // 400 leaking interpreters would keep about 25 MB.
    assert!(
        after - before < 8.0,
        "resident memory grew by {:.1} MB over 400 interpreters",
        after - before
    );
}
