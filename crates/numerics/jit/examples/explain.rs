//! Diagnostics: prints the IR, the JIT plan, compile timings and the disassembly of
//! the chained Rosenbrock value+gradient kernel.
//! `cargo run --release -p optl-jit --example explain -- N [ir|plan|asm]`.
#![allow(clippy::print_stdout)]
#[path = "../tests/common/mod.rs"]
mod common;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);
    let what = args.get(2).map(String::as_str).unwrap_or("asm");
    let gf = match args.get(3).and_then(|s| s.parse::<usize>().ok()) {
        // A third argument m: the value+gradient of an N-node DAG over [m].
        Some(m) => optl_ir::grad(&common::dag(n, m, 7)).unwrap(),
        None => common::rosenbrock(n).1,
    };
    match what {
        "ir" => println!("{}", optl_ir::to_text(&gf)),
        "plan" => println!("{}", optl_jit::explain(&gf).unwrap()),
        "repeat" => {
            let mut jit = optl_jit::Jit::new().unwrap();
            let t = std::time::Instant::now();
            for _ in 0..200 {
                std::hint::black_box(jit.compile(&gf).unwrap());
            }
            println!("mean compile {:?}", t.elapsed() / 200);
        }
        _ => {
            let mut jit = optl_jit::Jit::new().unwrap();
            jit.set_debug(true);
            let t = std::time::Instant::now();
            let k = jit.compile(&gf).unwrap();
            println!("total {:?} {:?}", t.elapsed(), k.stats());
            println!("{}", k.debug_text().unwrap_or(""));
        }
    }
}
