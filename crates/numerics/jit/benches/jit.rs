//! JIT benchmark, side by side in one run (`cargo bench -p optl-jit --bench jit`):
//! Rosenbrock value+gradient at n = 2 (JIT kernel against hand-written Rust and the
//! IR interpreter), chained Rosenbrock at n = 10⁶ (JIT against hand-written Rust),
//! the compile latency of a 1,000-node DAG's value+gradient, and the break-even
//! table behind `Engine::Auto`.
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::time::{Duration, Instant};

#[path = "../tests/common/mod.rs"]
mod common;

use common::{dag, rosenbrock};
use optl_ir::Function;
use optl_jit::{Jit, Kernel};
use optl_tensor::Tensor;

/// Median over `runs` of the time per call of `f` (seconds), each run timing
/// `reps` calls.
fn per_call(runs: usize, reps: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..reps {
                f();
            }
            t.elapsed().as_secs_f64() / reps as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

/// Times `a` and `b` in alternation (so both see the same machine load): median
/// time per call of each, and the median of the per-round ratios `a / b`.
fn race(rounds: usize, reps: usize, mut a: impl FnMut(), mut b: impl FnMut()) -> (f64, f64, f64) {
    let time = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        for _ in 0..reps {
            f();
        }
        t.elapsed().as_secs_f64() / reps as f64
    };
    let mut ta = Vec::with_capacity(rounds);
    let mut tb = Vec::with_capacity(rounds);
    let mut ratios = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let x = time(&mut a);
        let y = time(&mut b);
        ratios.push(x / y);
        ta.push(x);
        tb.push(y);
    }
    ta.sort_by(f64::total_cmp);
    tb.sort_by(f64::total_cmp);
    ratios.sort_by(f64::total_cmp);
    (ta[rounds / 2], tb[rounds / 2], ratios[rounds / 2])
}

fn fmt(seconds: f64) -> String {
    let ns = seconds * 1e9;
    if ns < 1e3 {
        format!("{ns:.2} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{:.3} ms", ns / 1e6)
    }
}

/// Hand-written chained Rosenbrock value and gradient, one pass.
#[inline(never)]
fn rosenbrock_rust(x: &[f64], g: &mut [f64]) -> f64 {
    let n = x.len();
    let mut f = 0.0;
    let mut carry = 0.0;
    for i in 0..n - 1 {
        let xi = x[i];
        let t = x[i + 1] - xi * xi;
        let u = 1.0 - xi;
        f += 100.0 * t * t + u * u;
        g[i] = carry - 400.0 * xi * t - 2.0 * u;
        carry = 200.0 * t;
    }
    g[n - 1] = carry;
    f
}

fn input(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| -1.2 + 0.7 * ((i as f64) * 0.37).sin())
        .collect()
}

fn call(k: &Kernel, x: &[f64], f: &mut [f64], g: &mut [f64]) {
    k.call(&[x], &mut [f, g]).unwrap();
}

fn live_nodes(f: &Function) -> usize {
    f.graph.reachable(&f.outputs).iter().filter(|&&l| l).count()
}

fn main() {
    let mut jit = Jit::new().unwrap();
    println!("optl-jit benchmark (release; medians)\n");
    println!(
        "{:<44} {:>12} {:>12} {:>12}   ratios",
        "case", "JIT", "Rust", "interp"
    );

    // Rosenbrock n = 2, value + gradient.
    let gf2 = rosenbrock(2).1;
    let k2 = jit.compile(&gf2).unwrap();
    let x2 = vec![-1.2, 1.0];
    let (mut f, mut g) = ([0.0], vec![0.0; 2]);
    let mut g2 = vec![0.0; 2];
    let (jit2, rust2, ratio2) = race(
        41,
        100_000,
        || call(&k2, black_box(&x2), &mut f, &mut g),
        || {
            black_box(rosenbrock_rust(black_box(&x2), &mut g2));
        },
    );
    let t2: Tensor = optl_tensor::from_vec(&[2], x2.clone()).unwrap();
    let interp2 = per_call(11, 2_000, || {
        black_box(optl_ir::eval(&gf2, std::slice::from_ref(&t2)).unwrap());
    });
    println!(
        "{:<44} {:>12} {:>12} {:>12}   JIT/Rust {:.2} (target ≤ 1.5), interp/JIT {:.0} (target ≥ 20)",
        "Rosenbrock n=2 value+grad",
        fmt(jit2),
        fmt(rust2),
        fmt(interp2),
        ratio2,
        interp2 / jit2
    );

    // Chained Rosenbrock n = 10⁶.
    let n = 1_000_000;
    let gfn = rosenbrock(n).1;
    let t = Instant::now();
    let kn = jit.compile(&gfn).unwrap();
    let compile_n = t.elapsed();
    let xn = input(n);
    let (mut fa, mut ga) = ([0.0], vec![0.0; n]);
    let mut gb = vec![0.0; n];
    let (jitn, rustn, ration) = race(
        41,
        2,
        || call(&kn, black_box(&xn), &mut fa, &mut ga),
        || {
            black_box(rosenbrock_rust(black_box(&xn), &mut gb));
        },
    );
    let tn: Tensor = optl_tensor::from_vec(&[n], xn.clone()).unwrap();
    let interpn = per_call(5, 1, || {
        black_box(optl_ir::eval(&gfn, std::slice::from_ref(&tn)).unwrap());
    });
    let rel = (fa[0] - rosenbrock_rust(&xn, &mut gb)).abs() / fa[0].abs();
    // Where the time goes: the value pass alone, and memory speed.
    let value_only = Function {
        graph: gfn.graph.clone(),
        outputs: vec![gfn.outputs[0]],
    };
    let kv = jit.compile(&value_only).unwrap();
    let jitv = per_call(31, 3, || {
        kv.call(&[black_box(&xn)], &mut [&mut fa]).unwrap()
    });
    let grad_only = Function {
        graph: gfn.graph.clone(),
        outputs: vec![gfn.outputs[1]],
    };
    let kg = jit.compile(&grad_only).unwrap();
    let jitg = per_call(31, 3, || {
        kg.call(&[black_box(&xn)], &mut [&mut ga]).unwrap()
    });
    let copy = per_call(31, 3, || gb.copy_from_slice(black_box(&xn)));
    let read = per_call(31, 3, || {
        black_box(xn.chunks(8).fold([0.0; 8], |mut a, c| {
            for (a, x) in a.iter_mut().zip(c) {
                *a += x;
            }
            a
        }));
    });
    println!(
        "{:<44} {:>12} {:>12} {:>12}   JIT/Rust {:.2} (target ≤ 1.5, ≤ 2 ms); value rel. diff vs Rust {rel:.1e}",
        "chained Rosenbrock n=1e6 value+grad",
        fmt(jitn),
        fmt(rustn),
        fmt(interpn),
        ration,
    );
    println!(
        "{:<44} {:>12}   {:?}",
        "  compile (plan + Cranelift + finalize)",
        fmt(compile_n.as_secs_f64()),
        kn.stats()
    );
    println!(
        "{:<44} {:>12}   (gradient pass alone {}; memory: copy 8 MB {}, read 8 MB {})",
        "  value pass alone (JIT)",
        fmt(jitv),
        fmt(jitg),
        fmt(copy),
        fmt(read)
    );

    // Compile latency of a 1,000-node DAG value+gradient.
    for (nodes, m) in [(1000, 1), (1000, 16), (400, 16)] {
        let f = dag(nodes, m, 7);
        let gf = optl_ir::grad(&f).unwrap();
        let mut times: Vec<Duration> = (0..7)
            .map(|_| {
                let t = Instant::now();
                black_box(jit.compile(&gf).unwrap());
                t.elapsed()
            })
            .collect();
        times.sort();
        let k = jit.compile(&gf).unwrap();
        println!(
            "{:<44} {:>12}   value {} nodes, value+grad {} nodes, {:?}",
            format!("compile DAG value+grad ({nodes} nodes, [{m}])"),
            fmt(times[3].as_secs_f64()),
            live_nodes(&f),
            live_nodes(&gf),
            k.stats()
        );
    }

    // Break-even of compiling against interpreting (for Engine::Auto).
    println!(
        "\nbreak-even (Engine::Auto compiles at ≥ 64 live nodes or a tensor of ≥ 256 elements)"
    );
    println!(
        "{:<28} {:>7} {:>12} {:>12} {:>12} {:>10}",
        "function", "nodes", "compile", "interp", "JIT call", "calls"
    );
    for (nodes, m) in [
        (8, 1),
        (30, 1),
        (64, 1),
        (200, 1),
        (8, 16),
        (8, 256),
        (30, 256),
        (8, 4096),
    ] {
        let f = dag(nodes, m, 11);
        let mut times: Vec<Duration> = (0..5)
            .map(|_| {
                let t = Instant::now();
                black_box(jit.compile(&f).unwrap());
                t.elapsed()
            })
            .collect();
        times.sort();
        let k = jit.compile(&f).unwrap();
        let x = optl_tensor::from_vec(&[m], input(m)).unwrap();
        let it = per_call(7, 200, || {
            black_box(optl_ir::eval(&f, std::slice::from_ref(&x)).unwrap());
        });
        let xs = input(m);
        let mut out = [0.0];
        let jt = per_call(7, 2000, || {
            k.call(&[black_box(&xs)], &mut [&mut out]).unwrap()
        });
        let calls = times[2].as_secs_f64() / (it - jt).max(1e-12);
        println!(
            "{:<28} {:>7} {:>12} {:>12} {:>12} {:>10.0}",
            format!("dag {nodes} nodes, [{m}]"),
            live_nodes(&f),
            fmt(times[2].as_secs_f64()),
            fmt(it),
            fmt(jt),
            calls
        );
    }
}
