//! The JIT does not compile `solve`, `logdet`, `cholesky` or `sparse_matvec`:
//! validation refuses a function with a live one as `Unsupported`, and the engines
//! run it on the interpreter, counted as a fallback, with the interpreter's results
//! (and errors).

use optl_ir::{BinaryOp, Function, Graph, IrResult, NodeId, Op};
use optl_jit::engines::Engines;
use optl_jit::{Engine, Jit, JitError, KernelCache};
use optl_tensor::Tensor;

fn t(shape: &[usize], data: &[f64]) -> Tensor {
    optl_tensor::from_vec(shape, data.to_vec()).expect("test tensor")
}

fn func(
    shapes: &[&[usize]],
    build: impl FnOnce(&mut Graph, &[NodeId]) -> IrResult<NodeId>,
) -> Function {
    let mut g = Graph::new();
    let xs: Vec<NodeId> = shapes.iter().map(|s| g.input(s.to_vec())).collect();
    let out = build(&mut g, &xs).expect("builds");
    Function {
        graph: g,
        outputs: vec![out],
    }
}

/// `sum(solve(a, b) * b)`: a linear-algebra node among ops the JIT compiles.
fn solve_objective() -> Function {
    func(&[&[2, 2], &[2]], |g, v| {
        let x = g.solve(v[0], v[1])?;
        let p = g.binary(BinaryOp::Mul, x, v[1])?;
        g.sum(p, None)
    })
}

fn inputs() -> Vec<Tensor> {
    vec![t(&[2, 2], &[4.0, 1.0, 1.0, 3.0]), t(&[2], &[1.0, 2.0])]
}

#[test]
fn the_jit_refuses_each_linear_algebra_op_as_unsupported() {
    let mut jit = Jit::new().expect("jit");
    let cases = [
        (solve_objective(), Op::Solve),
        (func(&[&[2, 2]], |g, v| g.logdet(v[0])), Op::LogDet),
        (
            func(&[&[2, 2]], |g, v| {
                let l = g.cholesky(v[0])?;
                g.sum(l, None)
            }),
            Op::Cholesky,
        ),
    ];
    for (f, op) in cases {
        assert_eq!(
            jit.compile(&f).err(),
            Some(JitError::Unsupported(op.clone()))
        );
        assert_eq!(optl_jit::explain(&f).err(), Some(JitError::Unsupported(op)));
        // So is its gradient, which solves too.
        let gf = optl_ir::grad(&f).expect("grad");
        assert!(matches!(jit.compile(&gf), Err(JitError::Unsupported(_))));
    }
}

#[test]
fn a_dead_linear_algebra_node_does_not_stop_compilation() {
    let mut g = Graph::new();
    let a = g.input(vec![2, 2]);
    let _dead = g.cholesky(a).expect("cholesky");
    let s = g.sum(a, None).expect("sum");
    let f = Function {
        graph: g,
        outputs: vec![s],
    };
    let k = Jit::new().expect("jit").compile(&f).expect("compiles");
    let out = k.eval(&inputs()[..1]).expect("runs");
    assert_eq!(out[0].first().copied(), Some(9.0));
}

#[test]
fn engines_fall_back_to_the_interpreter_and_count_it() {
    let f = solve_objective();
    let want = optl_ir::eval(&f, &inputs()).expect("interpreter");
    for engine in [Engine::Jit, Engine::Auto] {
        let mut engines = Engines::default();
        engines.engine = engine;
        // `prepare_hot` compiles at once under `auto` too.
        let p = engines.prepare_hot(f.clone());
        assert!(p.compiled().is_none(), "{engine:?}");
        assert_eq!(engines.stats.fallbacks, 1, "{engine:?}");
        assert_eq!(engines.stats.compiled, 0, "{engine:?}");
        let got = engines.run(&p, &inputs()).expect("runs");
        assert_eq!(got, want);
        assert_eq!((engines.stats.interp_runs, engines.stats.jit_runs), (1, 0));
        // The interpreter's numerical errors come through.
        let singular = [t(&[2, 2], &[1.0, 2.0, 2.0, 4.0]), t(&[2], &[1.0, 2.0])];
        let err = engines.run(&p, &singular).expect_err("singular");
        assert!(err.to_string().contains("singular"), "{err}");
    }
    let mut engines = Engines::default();
    engines.engine = Engine::Jit;
    let kernels = engines.compile_all(&[f.clone(), optl_ir::grad(&f).expect("grad")]);
    assert!(kernels.iter().all(Option::is_none));
    assert_eq!(engines.stats.fallbacks, 2);
}

#[test]
fn the_kernel_cache_remembers_the_refusal() {
    let mut jit = Jit::new().expect("jit");
    let mut cache = KernelCache::new();
    let f = solve_objective();
    for _ in 0..2 {
        assert!(matches!(
            cache.get_or_compile(&mut jit, &f),
            Err(JitError::Unsupported(Op::Solve))
        ));
    }
    assert_eq!((cache.misses(), cache.hits()), (1, 1));
}

/// The `sparse_matvec` operation of the CSR matrix
/// `[[1, 0, 2.5, 0], [0, 0, 0, 0], [0.1, -3, 0, 4]]`.
fn sparse_op(transpose: bool) -> Op {
    Op::SparseMatVec {
        ncols: 4,
        transpose,
    }
}

/// `sum(sparse_matvec(A, x)^2) + sum(x)` (`Aᵀ x` when `transpose`): a sparse product
/// among ops the JIT compiles.
fn sparse_objective(transpose: bool) -> Function {
    let len = if transpose { 3 } else { 4 };
    func(&[&[len]], |g, v| {
        let p = g.constant(t(&[4], &[0.0, 2.0, 2.0, 5.0]));
        let j = g.constant(t(&[5], &[2.0, 0.0, 3.0, 1.0, 0.0]));
        let a = g.constant(t(&[5], &[2.5, 1.0, 4.0, -3.0, 0.1]));
        let y = g.sparse_matvec(p, j, a, v[0], 4, transpose)?;
        let yy = g.binary(BinaryOp::Mul, y, y)?;
        let s = g.sum(yy, None)?;
        let sx = g.sum(v[0], None)?;
        g.binary(BinaryOp::Add, s, sx)
    })
}

fn sparse_input(transpose: bool) -> Vec<Tensor> {
    if transpose {
        vec![t(&[3], &[1.0, -2.0, 0.5])]
    } else {
        vec![t(&[4], &[1.0, 2.0, 3.0, 4.0])]
    }
}

#[test]
fn the_jit_refuses_sparse_matvec_and_its_gradient() {
    let mut jit = Jit::new().expect("jit");
    for transpose in [false, true] {
        let f = sparse_objective(transpose);
        let op = sparse_op(transpose);
        assert_eq!(
            jit.compile(&f).err(),
            Some(JitError::Unsupported(op.clone()))
        );
        assert_eq!(optl_jit::explain(&f).err(), Some(JitError::Unsupported(op)));
        // The gradient has the product in the other orientation (and the value's).
        let gf = optl_ir::grad(&f).expect("grad");
        assert!(matches!(
            jit.compile(&gf),
            Err(JitError::Unsupported(Op::SparseMatVec { ncols: 4, .. }))
        ));
        let go = optl_ir::grad_only(&f).expect("grad_only");
        assert!(matches!(
            jit.compile(&go),
            Err(JitError::Unsupported(Op::SparseMatVec { .. }))
        ));
    }
}

#[test]
fn a_dead_sparse_product_does_not_stop_compilation() {
    let mut g = Graph::new();
    let x = g.input(vec![4]);
    let p = g.constant(t(&[2], &[0.0, 1.0]));
    let j = g.constant(t(&[1], &[3.0]));
    let a = g.constant(t(&[1], &[2.0]));
    let _dead = g.sparse_matvec(p, j, a, x, 4, false).expect("sparse");
    let s = g.sum(x, None).expect("sum");
    let f = Function {
        graph: g,
        outputs: vec![s],
    };
    let k = Jit::new().expect("jit").compile(&f).expect("compiles");
    let out = k.eval(&sparse_input(false)).expect("runs");
    assert_eq!(out[0].first().copied(), Some(10.0));
}

#[test]
fn engines_run_sparse_products_on_the_interpreter_and_count_it() {
    for transpose in [false, true] {
        let f = sparse_objective(transpose);
        let gf = optl_ir::grad(&f).expect("grad");
        let x = sparse_input(transpose);
        for engine in [Engine::Jit, Engine::Auto] {
            let mut engines = Engines::default();
            engines.engine = engine;
            for (k, program) in [&f, &gf].into_iter().enumerate() {
                let want = optl_ir::eval(program, &x).expect("interpreter");
                let p = engines.prepare_hot(program.clone());
                assert!(p.compiled().is_none(), "{engine:?}");
                assert_eq!(engines.stats.fallbacks, k as u64 + 1, "{engine:?}");
                let got = engines.run(&p, &x).expect("runs");
                assert_eq!(got, want);
            }
            assert_eq!(engines.stats.compiled, 0, "{engine:?}");
            assert_eq!((engines.stats.interp_runs, engines.stats.jit_runs), (2, 0));
        }
    }
    // The known value: A x = [8.5, 0, 10.1], so 8.5² + 10.1² + 10.
    let mut engines = Engines::default();
    engines.engine = Engine::Jit;
    let p = engines.prepare_hot(sparse_objective(false));
    let got = engines.run(&p, &sparse_input(false)).expect("runs");
    let want = 8.5f64 * 8.5 + 10.1f64 * 10.1 + 10.0;
    assert!((got[0].first().copied().expect("scalar") - want).abs() < 1e-12);
    // Under `interp` nothing is asked of the JIT, so nothing falls back.
    let mut engines = Engines::default();
    engines.engine = Engine::Interp;
    let p = engines.prepare_hot(sparse_objective(true));
    engines.run(&p, &sparse_input(true)).expect("runs");
    assert_eq!(engines.stats.fallbacks, 0);
}
