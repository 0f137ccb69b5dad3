//! Hand-written JIT cases, each checked bit for bit against the interpreter: every
//! operation on special values, fused chains, reductions along every axis and of
//! every length class of the pairwise sum, negative-step slices, unslices and
//! concatenations, matrix products, `where` with NaN, and the kernel API.

mod common;

use common::*;
use optl_ir::{BinaryOp as B, Function, Graph, NodeId, Op, UnaryOp as U};
use optl_jit::{Jit, JitError, KernelStats};
use optl_tensor::Tensor;

const SPECIAL: [f64; 12] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -2.5,
    1e300,
    -1e-310,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    3.0,
];

/// A function of inputs of `shapes`, with outputs from `build`.
fn func(shapes: &[&[usize]], build: impl FnOnce(&mut Graph, &[NodeId]) -> Vec<NodeId>) -> Function {
    let mut g = Graph::new();
    let xs: Vec<NodeId> = shapes.iter().map(|s| g.input(s.to_vec())).collect();
    let outputs = build(&mut g, &xs);
    Function { graph: g, outputs }
}

fn jit() -> Jit {
    Jit::new().expect("jit")
}

#[test]
fn every_unary_op_on_special_values_alone_and_summed() {
    let mut j = jit();
    let x = t(&[12], &SPECIAL);
    for op in [
        U::Neg,
        U::Exp,
        U::Log,
        U::Log1p,
        U::Sqrt,
        U::Abs,
        U::Sign,
        U::Sin,
        U::Cos,
        U::Tan,
        U::Atan,
        U::Tanh,
        U::Sigmoid,
        U::Floor,
        U::Ceil,
    ] {
        let f = func(&[&[12]], |g, x| {
            let y = g.unary(op, x[0]);
            let s = g.sum(y, None).unwrap();
            vec![y, s]
        });
        check(&mut j, &f, std::slice::from_ref(&x));
    }
}

#[test]
fn every_binary_op_on_all_pairs_of_special_values() {
    let mut j = jit();
    let n = SPECIAL.len();
    let a: Vec<f64> = (0..n * n).map(|i| SPECIAL[i / n]).collect();
    let b: Vec<f64> = (0..n * n).map(|i| SPECIAL[i % n]).collect();
    let (a, b) = (t(&[n, n], &a), t(&[n, n], &b));
    for op in [
        B::Add,
        B::Sub,
        B::Mul,
        B::Div,
        B::Pow,
        B::Min,
        B::Max,
        B::Lt,
        B::Le,
        B::Gt,
        B::Ge,
        B::Eq,
        B::Ne,
    ] {
        let f = func(&[&[n, n], &[n, n]], |g, x| {
            // The builders order commutative operands; push keeps both orders.
            let shape = vec![n, n];
            let p = g.push(Op::Binary(op), vec![x[0], x[1]], shape.clone());
            let q = g.push(Op::Binary(op), vec![x[1], x[0]], shape);
            vec![p, q]
        });
        check(&mut j, &f, &[a.clone(), b.clone()]);
    }
}

#[test]
fn where_treats_nan_as_true_and_negative_zero_as_false() {
    let mut j = jit();
    let c = t(&[5], &[f64::NAN, -0.0, 0.0, 2.0, f64::NEG_INFINITY]);
    let f = func(&[&[5], &[5], &[5]], |g, x| {
        vec![g.where_(x[0], x[1], x[2]).unwrap()]
    });
    let k = check(&mut j, &f, &[c.clone(), values(&[5], 1), values(&[5], 2)]);
    let out = k
        .eval(&[c, t(&[5], &[1.0; 5]), t(&[5], &[2.0; 5])])
        .unwrap();
    assert_eq!(
        out[0].iter().copied().collect::<Vec<_>>(),
        vec![1.0, 2.0, 2.0, 1.0, 1.0]
    );
}

#[test]
fn sums_of_every_length_class_with_a_fused_producer() {
    let mut j = jit();
    for n in [
        1, 2, 7, 8, 9, 15, 16, 17, 127, 128, 129, 130, 255, 256, 257, 1000, 4099, 100_000,
    ] {
        let f = func(&[&[n]], |g, x| {
            let y = g.binary(B::Mul, x[0], x[0]).unwrap();
            let z = g.unary(U::Sin, x[0]);
            let w = g.binary(B::Sub, y, z).unwrap();
            vec![g.sum(w, None).unwrap()]
        });
        let k = check(&mut j, &f, &[values(&[n], n as u64)]);
        assert_eq!(k.stats().scratch, 0, "n = {n}: the producer is fused");
    }
}

#[test]
fn reductions_along_every_axis() {
    let mut j = jit();
    for shape in [
        vec![5, 4],
        vec![3, 200],
        vec![200, 3],
        vec![2, 3, 4],
        vec![4, 1, 300],
        vec![1, 7],
    ] {
        for axis in (0..shape.len()).map(Some).chain([None]) {
            let f = func(&[&shape], |g, x| {
                let y = g.unary(U::Exp, x[0]);
                let d = g.binary(B::Sub, y, x[0]).unwrap();
                vec![
                    g.sum(d, axis).unwrap(),
                    g.max(d, axis).unwrap(),
                    g.min(x[0], axis).unwrap(),
                ]
            });
            check(&mut j, &f, &[values(&shape, 7)]);
        }
    }
}

#[test]
fn max_and_min_keep_the_first_of_equal_zeros_and_propagate_nan() {
    let mut j = jit();
    let cases = [
        t(&[2, 3], &[-0.0, 0.0, 1.0, 0.0, -0.0, 1.0]),
        t(&[2, 3], &[0.0, f64::NAN, 1.0, -0.0, 5.0, f64::NAN]),
        t(&[2, 3], &[f64::NAN, -1.0, 1.0, 2.0, 2.0, -0.0]),
    ];
    for axis in [None, Some(0), Some(1)] {
        let f = func(&[&[2, 3]], |g, x| {
            vec![g.max(x[0], axis).unwrap(), g.min(x[0], axis).unwrap()]
        });
        for c in &cases {
            check(&mut j, &f, std::slice::from_ref(c));
        }
    }
}

#[test]
fn negative_step_slices() {
    let mut j = jit();
    let f = func(&[&[5, 4]], |g, x| {
        let a = g.slice(x[0], vec![sl(4, -1, 5), sl(3, -2, 2)]).unwrap();
        let b = g.slice(x[0], vec![sl(1, 2, 2), sl(0, 3, 2)]).unwrap();
        let c = g.binary(B::Mul, a, a).unwrap();
        let s = g.sum(c, Some(0)).unwrap();
        vec![a, b, c, s]
    });
    check(&mut j, &f, &[values(&[5, 4], 3)]);
    let f = func(&[&[300]], |g, x| {
        let r = g.slice(x[0], vec![sl(299, -1, 300)]).unwrap();
        let d = g.binary(B::Sub, x[0], r).unwrap();
        vec![d, g.sum(d, None).unwrap()]
    });
    check(&mut j, &f, &[values(&[300], 4)]);
}

#[test]
fn unslices_with_unit_steps_fuse_and_others_scatter() {
    let mut j = jit();
    let f = func(&[&[3, 2], &[5, 4]], |g, x| {
        let u = g
            .unslice(x[0], vec![sl(1, 1, 3), sl(2, -1, 2)], &[5, 4])
            .unwrap();
        let v = g
            .unslice(x[0], vec![sl(4, -2, 3), sl(0, 3, 2)], &[5, 4])
            .unwrap();
        let s = g.binary(B::Add, u, x[1]).unwrap();
        let w = g.binary(B::Mul, s, v).unwrap();
        vec![
            s,
            w,
            g.sum(u, None).unwrap(),
            g.sum(u, Some(1)).unwrap(),
            g.sum(u, Some(0)).unwrap(),
        ]
    });
    check(&mut j, &f, &[values(&[3, 2], 5), values(&[5, 4], 6)]);
}

#[test]
fn concatenation_parts_are_written_by_fused_loops() {
    let mut j = jit();
    let f = func(&[&[2, 3], &[2, 4]], |g, x| {
        let a = g.unary(U::Neg, x[0]);
        let b = g.binary(B::Mul, x[1], x[1]).unwrap();
        let c = g.concat(&[a, b, x[0]], 1).unwrap();
        let at = g.transpose(x[0]);
        let d = g.concat(&[at, at], 0).unwrap();
        let e = g.binary(B::Add, c, c).unwrap();
        vec![e, d]
    });
    check(&mut j, &f, &[values(&[2, 3], 8), values(&[2, 4], 9)]);
}

#[test]
fn matrix_products_of_fused_operands() {
    let mut j = jit();
    let f = func(&[&[2, 3], &[4, 3], &[1, 1]], |g, x| {
        let a = g.unary(U::Tanh, x[0]);
        let bt = g.transpose(x[1]);
        let p = g.matmul(a, bt).unwrap();
        let q = g.matmul(x[2], x[2]).unwrap();
        let s = g.sum(p, Some(1)).unwrap();
        vec![p, q, s]
    });
    let k = check(
        &mut j,
        &f,
        &[values(&[2, 3], 10), values(&[4, 3], 11), t(&[1, 1], &[1.5])],
    );
    assert_eq!(k.stats().matmuls, 2);
    // The gradient of a matrix product uses products of transposes.
    let f = func(&[&[3, 4], &[4, 2]], |g, x| {
        let p = g.matmul(x[0], x[1]).unwrap();
        let e = g.unary(U::Sin, p);
        vec![g.sum(e, None).unwrap()]
    });
    let gf = optl_ir::grad(&f).unwrap();
    check(&mut j, &gf, &[values(&[3, 4], 12), values(&[4, 2], 13)]);
}

#[test]
fn reshape_transpose_and_broadcast() {
    let mut j = jit();
    let f = func(&[&[2, 3, 4], &[4], &[5, 1]], |g, x| {
        let y = g.unary(U::Exp, x[0]);
        let r = g.reshape(y, &[6, 4]).unwrap();
        let tr = g.transpose(x[0]);
        let row = g.broadcast(x[1], &[6, 4]).unwrap();
        let s = g.binary(B::Add, r, row).unwrap();
        let col = g.broadcast(x[2], &[5, 4]).unwrap();
        let c = g.binary(B::Mul, col, col).unwrap();
        vec![s, tr, c, g.reshape(x[0], &[24]).unwrap()]
    });
    check(
        &mut j,
        &f,
        &[
            values(&[2, 3, 4], 14),
            values(&[4], 15),
            values(&[5, 1], 16),
        ],
    );
}

#[test]
fn expensive_nodes_broadcast_over_a_loop_are_stored_once() {
    let mut j = jit();
    let f = func(&[&[3], &[1000, 3]], |g, x| {
        let e = g.unary(U::Exp, x[0]);
        let b = g.broadcast(e, &[1000, 3]).unwrap();
        vec![g.binary(B::Mul, b, x[1]).unwrap()]
    });
    let k = check(&mut j, &f, &[values(&[3], 17), values(&[1000, 3], 18)]);
    assert_eq!(k.stats().scratch, 3);
}

#[test]
fn rosenbrock_value_and_gradient_is_two_passes_without_temporaries() {
    let mut j = jit();
    for n in [2, 3, 10, 1000, 100_001] {
        let (f, gf) = rosenbrock(n);
        let x = values(&[n], 19);
        check(&mut j, &f, std::slice::from_ref(&x));
        let k = check(&mut j, &gf, &[x]);
        if n > 2 {
            assert_eq!(
                k.stats(),
                KernelStats {
                    loops: 2,
                    straight: 0,
                    matmuls: 0,
                    scratch: 0
                }
            );
        }
    }
}

#[test]
fn scalar_functions_are_straight_line_code() {
    let mut j = jit();
    let f = func(&[&[], &[]], |g, x| {
        let a = g.binary(B::Mul, x[0], x[1]).unwrap();
        let b = g.unary(U::Sin, a);
        let c = g.binary(B::Add, b, x[0]).unwrap();
        let d = g.binary(B::Max, c, a).unwrap();
        vec![d, c]
    });
    let gf = optl_ir::grad(&Function {
        graph: f.graph.clone(),
        outputs: vec![f.outputs[0]],
    })
    .unwrap();
    for func in [&f, &gf] {
        let k = check(&mut j, func, &[t(&[], &[0.7]), t(&[], &[-1.3])]);
        assert_eq!(k.stats().loops, 0);
    }
}

#[test]
fn outputs_that_are_inputs_constants_or_repeated() {
    let mut j = jit();
    let f = func(&[&[3]], |g, x| {
        let c = g.constant(t(&[2], &[4.0, -0.0]));
        let y = g.unary(U::Neg, x[0]);
        vec![x[0], c, y, y, x[0]]
    });
    check(&mut j, &f, &[values(&[3], 20)]);
}

#[test]
fn kernels_check_their_arguments() {
    let mut j = jit();
    let f = func(&[&[3]], |g, x| vec![g.sum(x[0], None).unwrap()]);
    let k = j.compile(&f).unwrap();
    let mut out = [0.0];
    assert!(matches!(
        k.call(&[&[1.0, 2.0]], &mut [&mut out]),
        Err(JitError::Arguments(_))
    ));
    assert!(matches!(
        k.call(&[], &mut [&mut out]),
        Err(JitError::Arguments(_))
    ));
    assert!(matches!(
        k.call(&[&[1.0; 3]], &mut []),
        Err(JitError::Arguments(_))
    ));
    k.call(&[&[1.0, 2.0, 3.0]], &mut [&mut out]).unwrap();
    assert_eq!(out, [6.0]);
    assert!(matches!(
        k.eval(&[t(&[2], &[1.0, 2.0])]),
        Err(JitError::Arguments(_))
    ));
}

#[test]
fn what_the_interpreter_refuses_is_unsupported() {
    let mut j = jit();
    let f = func(&[&[3, 0]], |g, x| vec![g.max(x[0], Some(1)).unwrap()]);
    assert!(matches!(
        j.compile(&f),
        Err(JitError::Unsupported(Op::Max(Some(1))))
    ));
    assert!(optl_ir::eval(&f, &[optl_tensor::zeros(&[3, 0], 10).unwrap()]).is_err());
    // A sum over nothing is fine: zeros.
    let f = func(&[&[3, 0]], |g, x| {
        vec![g.sum(x[0], Some(1)).unwrap(), g.sum(x[0], None).unwrap()]
    });
    check(&mut j, &f, &[optl_tensor::zeros(&[3, 0], 10).unwrap()]);
}

#[test]
fn malformed_graphs_are_invalid_not_compiled() {
    let mut j = jit();
    let mut g = Graph::new();
    let x = g.input(vec![3]);
    let y = g.push(Op::Binary(B::Add), vec![x, x], vec![4]);
    let f = Function {
        graph: g,
        outputs: vec![y],
    };
    assert!(matches!(j.compile(&f), Err(JitError::Invalid(_))));
}

#[test]
fn many_functions_compile_in_one_batch() {
    let mut j = jit();
    let fs: Vec<Function> = (1..20).map(|n| rosenbrock(n + 1).1).collect();
    let refs: Vec<&Function> = fs.iter().collect();
    for (f, k) in fs.iter().zip(j.compile_many(&refs)) {
        let n = f.input_shapes()[0][0];
        check_kernel(&k.unwrap(), f, &[values(&[n], 21)]);
    }
}

#[test]
fn the_kernel_cache_compiles_once() {
    let mut j = jit();
    let mut cache = optl_jit::KernelCache::new();
    let (_, a) = rosenbrock(10);
    let (_, b) = rosenbrock(10);
    let (_, c) = rosenbrock(11);
    for f in [&a, &b, &c, &a] {
        cache.get_or_compile(&mut j, f).unwrap();
    }
    assert_eq!((cache.hits(), cache.misses(), cache.len()), (2, 2, 2));
    let bad = func(&[&[2, 0]], |g, x| vec![g.min(x[0], None).unwrap()]);
    assert!(cache.get_or_compile(&mut j, &bad).is_err());
    assert!(cache.get_or_compile(&mut j, &bad).is_err());
    assert_eq!((cache.hits(), cache.misses()), (3, 3));
}

#[test]
fn the_engine_policy() {
    use optl_jit::{Choice, Engine, choose};
    let small = func(&[&[3]], |g, x| vec![g.sum(x[0], None).unwrap()]);
    let big = rosenbrock(1000).1;
    // A small function is interpreted until it has run often enough to pay for
    // its compile.
    assert_eq!(
        choose(Engine::Auto, &small),
        Choice::JitAfter(optl_jit::AUTO_SMALL_RUNS)
    );
    assert_eq!(choose(Engine::Auto, &big), Choice::Jit);
    assert_eq!(choose(Engine::Jit, &small), Choice::Jit);
    assert_eq!(choose(Engine::Interp, &big), Choice::Interp);
    assert_eq!("auto".parse::<Engine>(), Ok(Engine::Auto));
    assert!("fast".parse::<Engine>().is_err());
}

#[test]
fn kernels_run_on_other_threads() {
    let mut j = jit();
    let (_, gf) = rosenbrock(500);
    let k = j.compile(&gf).unwrap();
    let x: Tensor = values(&[500], 22);
    let want = optl_ir::eval(&gf, std::slice::from_ref(&x)).unwrap();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| assert!(diff(&k.eval(std::slice::from_ref(&x)).unwrap(), &want).is_none()));
        }
    });
}

#[test]
fn loops_over_one_domain_fuse_and_forward_values_in_registers() {
    let mut j = jit();
    let f = func(&[&[1000]], |g, x| {
        let e = g.unary(U::Exp, x[0]);
        let s = g.unary(U::Sin, x[0]);
        let a = g.binary(B::Mul, e, s).unwrap();
        let b = g.binary(B::Add, a, e).unwrap();
        let c = g.binary(B::Sub, e, s).unwrap();
        vec![b, c]
    });
    let k = check(&mut j, &f, &[values(&[1000], 23)]);
    // exp and sin are stored once each (two readers) but fused with their readers.
    assert_eq!(k.stats().loops, 1);
    let plan = optl_jit::explain(&f).unwrap();
    assert_eq!(plan.matches("forwarded only").count(), 2, "{plan}");
}

#[test]
fn gradients_of_random_dags_agree() {
    let mut j = jit();
    for (nodes, m, seed) in [
        (200, 16, 1),
        (300, 7, 2),
        (120, 1, 3),
        (400, 33, 4),
        (1000, 3, 5),
    ] {
        let f = dag(nodes, m, seed);
        let gf = optl_ir::grad(&f).unwrap();
        check(&mut j, &gf, &[values(&[m], seed)]);
    }
}

#[test]
fn unrolled_sums_of_scalar_terms_compile() {
    // `sum([i * x[i]^2 for i in range(n)])` as the tracer records it: one slice,
    // power and product per term, chained additions; its gradient concatenates
    // the n scalar derivatives.
    let n = 2000;
    let f = func(&[&[n]], |g, x| {
        let mut acc = g.scalar(0.0);
        for i in 0..n {
            let xi = g.slice(x[0], vec![sl(i, 1, 1)]).unwrap();
            let xi = g.reshape(xi, &[]).unwrap();
            let two = g.scalar(2.0);
            let p = g.binary(B::Pow, xi, two).unwrap();
            let c = g.scalar(i as f64);
            let t = g.binary(B::Mul, c, p).unwrap();
            acc = g.binary(B::Add, acc, t).unwrap();
        }
        vec![acc]
    });
    let gf = optl_ir::grad(&f).unwrap();
    let mut j = jit();
    check(&mut j, &gf, &[values(&[n], 24)]);
}
