#![allow(clippy::print_stdout)]
use optl_transport::{Method, Norm, Options, sinkhorn};
use std::time::Instant;
fn lcg(seed: u64, len: usize) -> Vec<f64> {
    let mut s = seed;
    (0..len)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}
fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let reg: f64 = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.05);
    let meth = std::env::args().nth(3).unwrap_or("s".into());
    let x = lcg(7, 2 * n);
    let y = lcg(8, 2 * n);
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let dx = x[2 * i] - y[2 * j];
            let dy = x[2 * i + 1] - y[2 * j + 1];
            m[i * n + j] = dx * dx + dy * dy;
        }
    }
    let mx = m.iter().fold(0.0f64, |a, &b| a.max(b));
    m.iter_mut().for_each(|v| *v /= mx);
    let a = vec![1.0 / n as f64; n];
    let method = match meth.as_str() {
        "l" => Method::Log,
        "n" => Method::NewtonSparse,
        _ => Method::Scaling,
    };
    if std::env::var("PI").is_ok() {
        for _ in 0..3 {
            let mut t = [0.0; 2];
            for (q, iters) in [100usize, 200].iter().enumerate() {
                let o = Options {
                    method,
                    max_iters: *iters,
                    tol: 0.0,
                    ..Options::default()
                };
                let t0 = Instant::now();
                let _ = sinkhorn(&a, &a, &m, reg, &o).unwrap();
                t[q] = t0.elapsed().as_secs_f64();
            }
            println!(
                "per iteration {:.3} ms, setup {:.1} ms",
                (t[1] - t[0]) * 10.0,
                (2.0 * t[0] - t[1]) * 1e3
            );
        }
        return;
    }
    for iters in [0usize, 1, 31, 10000] {
        let o = Options {
            method,
            max_iters: iters,
            norm: if method == Method::NewtonSparse {
                Norm::L1
            } else {
                Norm::L2
            },
            ..Options::default()
        };
        let t = Instant::now();
        let r = sinkhorn(&a, &a, &m, reg, &o).unwrap();
        println!(
            "max_iters {iters}: {:.1} ms, iters {} newton {} err {:.2e} cost {:.12e} {:?}",
            t.elapsed().as_secs_f64() * 1e3,
            r.iters,
            r.newton_steps,
            r.err,
            r.cost,
            r.status
        );
    }
}
#[allow(dead_code)]
fn per_iter() {}
