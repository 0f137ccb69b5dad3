//! Code memory is bounded: the JIT compiles into generations of modules, the kernel
//! cache keeps only the current and the previous generation, and a retired module is
//! freed once no kernel of it is alive, while a kernel that is still held (or that
//! outlives its JIT) stays callable.

use optl_ir::{BinaryOp, Function, Graph, UnaryOp};
use optl_jit::{GENERATION_KERNELS, Jit, Kernel, KernelCache};
use optl_tensor::Tensor;

/// `exp(x) * i`, a distinct kernel for each `i` (the constant is part of the key).
fn scaled_exp(i: usize) -> Function {
    let mut g = Graph::new();
    let x = g.input(vec![3]);
    let e = g.unary(UnaryOp::Exp, x);
    let c = g.full_like(i as f64, e);
    let y = g.binary(BinaryOp::Mul, e, c).expect("same shapes");
    Function {
        graph: g,
        outputs: vec![y],
    }
}

fn run(k: &Kernel, x: &[f64]) -> Vec<f64> {
    let t: Tensor = optl_tensor::from_vec(&[x.len()], x.to_vec()).expect("shape");
    let out = k.eval(&[t]).expect("runs");
    out[0].iter().copied().collect()
}

#[test]
fn retired_generations_are_freed_and_held_kernels_stay_callable() {
    let mut jit = Jit::new().expect("jit");
    let mut cache = KernelCache::new();
    let held = cache
        .get_or_compile(&mut jit, &scaled_exp(7))
        .expect("compiles");
    let total = 4 * GENERATION_KERNELS + 10;
    for i in 0..total {
        cache
            .get_or_compile(&mut jit, &scaled_exp(1000 + i))
            .expect("compiles");
    }
    assert_eq!(jit.generation(), 4);
    // The current generation's module, the previous one (its kernels are cached),
    // and generation 0, kept by `held`; generations 1 and 2 were freed.
    assert_eq!(jit.code_modules(), 3);
    assert!(cache.len() <= 2 * GENERATION_KERNELS, "{}", cache.len());
    let x = [0.0, 1.0, -2.0];
    let want: Vec<f64> = x.iter().map(|v: &f64| v.exp() * 7.0).collect();
    assert_eq!(run(&held, &x), want);

    // Once no kernel of a retired module is left (the held one dropped, the cache
    // cleared), the module is freed at the next compile: only the current is left.
    drop(held);
    cache.clear();
    cache
        .get_or_compile(&mut jit, &scaled_exp(1))
        .expect("compiles");
    assert_eq!(jit.code_modules(), 1);

    // An evicted kernel is compiled again, and computes the same.
    let again = cache
        .get_or_compile(&mut jit, &scaled_exp(7))
        .expect("compiles");
    assert_eq!(run(&again, &x), want);
}

#[test]
fn a_kernel_outlives_its_jit() {
    let kernel = {
        let mut jit = Jit::new().expect("jit");
        jit.compile(&scaled_exp(3)).expect("compiles")
    };
    let x = [0.5, -0.25, 2.0];
    let want: Vec<f64> = x.iter().map(|v: &f64| v.exp() * 3.0).collect();
    assert_eq!(run(&kernel, &x), want);
}
