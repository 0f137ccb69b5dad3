//! Tests of `split.rs`: split programs give the unsplit results (to rounding) with
//! and without a short last block, and programs that cannot be split stay whole.

use super::*;
use crate::graph::{BinaryOp, UnaryOp};
use crate::interp::eval;
use optl_tensor::Tensor;

/// A deterministic pseudo-random tensor.
fn data(shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let v = (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect();
    Tensor::from_shape_vec(ndarray::IxDyn(shape), v).unwrap()
}

/// `mean(softplus-like(X @ w) - y * (X @ w)) + 1e-4 * sum(w^2)` over `rows` x `d`
/// data, the logistic regression objective, as a function of `w`.
fn logistic(rows: usize, d: usize) -> Function {
    let mut g = Graph::new();
    let w = g.input(vec![d]);
    let x = g.constant(data(&[rows, d], 1));
    let y = g.constant(data(&[rows], 2).mapv(|v| if v > 0.0 { 1.0 } else { 0.0 }));
    let wc = g.reshape(w, &[d, 1]).unwrap();
    let z = g.matmul(x, wc).unwrap();
    let z = g.reshape(z, &[rows]).unwrap();
    let e = g.unary(UnaryOp::Exp, z);
    let sp = g.unary(UnaryOp::Log1p, e);
    let yz = g.binary(BinaryOp::Mul, y, z).unwrap();
    let terms = g.binary(BinaryOp::Sub, sp, yz).unwrap();
    let total = g.sum(terms, None).unwrap();
    let inv = g.full(1.0 / rows as f64, &[]);
    let mean = g.binary(BinaryOp::Mul, total, inv).unwrap();
    let ww = g.binary(BinaryOp::Mul, w, w).unwrap();
    let ridge = g.sum(ww, None).unwrap();
    let lam = g.full(1e-4, &[]);
    let ridge = g.binary(BinaryOp::Mul, ridge, lam).unwrap();
    let f = g.binary(BinaryOp::Add, mean, ridge).unwrap();
    Function {
        graph: g,
        outputs: vec![f],
    }
}

/// Runs a split program on the interpreter: blocks, partial sums in block order, post.
fn run_split(s: &RowSplit, inputs: &[Tensor]) -> Vec<Tensor> {
    let mut total: Option<Vec<Tensor>> = None;
    for r in s.blocks() {
        let program = match &s.tail {
            Some(t) if r.len() != s.block_rows => t,
            _ => &s.block,
        };
        let mut ins = inputs.to_vec();
        for t in &s.batched {
            ins.push(
                t.slice_axis(ndarray::Axis(0), (r.start..r.end).into())
                    .to_owned(),
            );
        }
        let part = eval(program, &ins).unwrap();
        total = Some(match total {
            None => part,
            Some(acc) => acc.iter().zip(&part).map(|(a, b)| a + b).collect(),
        });
    }
    let mut ins = inputs.to_vec();
    ins.extend(total.unwrap());
    eval(&s.post, &ins).unwrap()
}

fn assert_close(a: &[Tensor], b: &[Tensor]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.shape(), y.shape());
        for (p, q) in x.iter().zip(y.iter()) {
            assert!((p - q).abs() <= 1e-12 * p.abs().max(1.0), "{p} vs {q}");
        }
    }
}

#[test]
fn value_and_gradient_split_over_rows_give_the_whole_results() {
    for (rows, block_elements) in [(1000, 4000), (1003, 4000), (1000, 1_000_000)] {
        let f = crate::grad(&logistic(rows, 8)).unwrap();
        let s = split_rows(&f, 1000, block_elements).expect("splits");
        assert_eq!(s.rows, rows);
        // X, y and the constant -y/rows that the gradient folds.
        assert_eq!(s.batched.len(), 3);
        assert_eq!(s.tail.is_some(), rows % s.block_rows != 0);
        for seed in 0..5 {
            let w = data(&[8], 10 + seed);
            assert_close(
                &run_split(&s, std::slice::from_ref(&w)),
                &eval(&f, &[w]).unwrap(),
            );
        }
    }
}

#[test]
fn small_data_is_not_split() {
    let f = crate::grad(&logistic(100, 8)).unwrap();
    assert!(split_rows(&f, 1000, 4000).is_none());
    assert!(split_rows(&f, 800, 4000).is_some());
}

/// Programs whose use of the rows is not row-wise-then-summed stay whole.
#[test]
fn programs_that_need_all_rows_at_once_are_not_split() {
    let rows = 500;
    let build = |tail: &dyn Fn(&mut Graph, NodeId) -> NodeId| {
        let mut g = Graph::new();
        let w = g.input(vec![4]);
        let x = g.constant(data(&[rows, 4], 3));
        let wc = g.reshape(w, &[4, 1]).unwrap();
        let z = g.matmul(x, wc).unwrap();
        let z = g.reshape(z, &[rows]).unwrap();
        let out = tail(&mut g, z);
        Function {
            graph: g,
            outputs: vec![out],
        }
    };
    // The largest margin: a maximum over rows.
    let max = build(&|g, z| g.max(z, None).unwrap());
    // The margins themselves: a row-wise output.
    let margins = build(&|_, z| z);
    // Centred margins: each row needs the sum over all rows (two passes).
    let centred = build(&|g, z| {
        let s = g.sum(z, None).unwrap();
        let s = g.broadcast(s, &[rows]).unwrap();
        let c = g.binary(BinaryOp::Sub, z, s).unwrap();
        let c2 = g.binary(BinaryOp::Mul, c, c).unwrap();
        g.sum(c2, None).unwrap()
    });
    // A sum of squares is fine.
    let squares = build(&|g, z| {
        let z2 = g.binary(BinaryOp::Mul, z, z).unwrap();
        g.sum(z2, None).unwrap()
    });
    for (name, f) in [("max", &max), ("margins", &margins), ("centred", &centred)] {
        assert!(split_rows(f, 100, 400).is_none(), "{name} was split");
    }
    let s = split_rows(&squares, 100, 400).expect("a sum of squares splits");
    let w = data(&[4], 7);
    assert_close(
        &run_split(&s, std::slice::from_ref(&w)),
        &eval(&squares, &[w]).unwrap(),
    );
}

/// `solve`, `logdet` and `cholesky` need whole matrices: one over the rows is not
/// split, one of a row sum (a Gram matrix) runs in the post program.
#[test]
fn linear_algebra_over_rows_is_not_split_but_after_a_row_sum_is() {
    let rows = 500;
    let mut g = Graph::new();
    let w = g.input(vec![4]);
    let x = g.constant(data(&[rows, 4], 5));
    let wb = g.broadcast(w, &[rows, 4]).unwrap();
    let xw = g.binary(BinaryOp::Mul, x, wb).unwrap();
    let a = g.constant(data(&[4, 4], 6) + ndarray::Array2::<f64>::eye(4).into_dyn() * 4.0);
    let xwt = g.transpose(xw);
    let solved = g.solve(a, xwt).unwrap();
    let out = g.sum(solved, None).unwrap();
    let f = Function {
        graph: g.clone(),
        outputs: vec![out],
    };
    assert!(
        split_rows(&f, 100, 400).is_none(),
        "a solve over the rows was split"
    );
    let gram = g.matmul(xwt, xw).unwrap();
    let eye = g.constant(ndarray::Array2::<f64>::eye(4).into_dyn());
    let shifted = g.binary(BinaryOp::Add, gram, eye).unwrap();
    let l = g.cholesky(shifted).unwrap();
    let ld = g.logdet(shifted).unwrap();
    let ls = g.sum(l, None).unwrap();
    let out = g.binary(BinaryOp::Add, ld, ls).unwrap();
    let f = Function {
        graph: g,
        outputs: vec![out],
    };
    let s = split_rows(&f, 100, 400).expect("a Gram matrix splits");
    let w = data(&[4], 8);
    assert_close(
        &run_split(&s, std::slice::from_ref(&w)),
        &eval(&f, &[w]).unwrap(),
    );
}

/// CSR constants of an `[m, n]` matrix with `per_row` entries in every row.
fn csr(m: usize, n: usize, per_row: usize, seed: u64) -> [Tensor; 3] {
    let nnz = m * per_row;
    let indptr: Vec<f64> = (0..=m).map(|i| (i * per_row) as f64).collect();
    let indices: Vec<f64> = (0..nnz).map(|k| ((k * 7 + 3) % n) as f64).collect();
    let v = |d: Vec<f64>| Tensor::from_shape_vec(ndarray::IxDyn(&[d.len()]), d).unwrap();
    [v(indptr), v(indices), data(&[nnz], seed)]
}

/// `sparse_matvec` of a small matrix and the parameters is invariant and splits
/// (it runs in the post program); one of a matrix whose constants run along the
/// rows, of a batched vector, or of a matrix that is itself the largest constant
/// (its `nnz` is not a row axis) keeps the program whole.
#[test]
fn sparse_products_split_only_off_the_rows() {
    let rows = 500;
    // sum((X w)^2) + sum((A w)^2), optionally with `A`'s constants swapped for
    // `big` and with `A` applied to `X w` instead of `w`.
    let program = |a: &[Tensor; 3], ncols: usize, on_rows: bool| {
        let mut g = Graph::new();
        let w = g.input(vec![4]);
        let x = g.constant(data(&[rows, 4], 5));
        let wc = g.reshape(w, &[4, 1]).unwrap();
        let z = g.matmul(x, wc).unwrap();
        let z = g.reshape(z, &[rows]).unwrap();
        let zz = g.binary(BinaryOp::Mul, z, z).unwrap();
        let s = g.sum(zz, None).unwrap();
        let [p, j, v] = a.clone().map(|t| g.constant(t));
        let arg = if on_rows { z } else { w };
        let y = g.sparse_matvec(p, j, v, arg, ncols, false).unwrap();
        let yy = g.binary(BinaryOp::Mul, y, y).unwrap();
        let t = g.sum(yy, None).unwrap();
        let out = g.binary(BinaryOp::Add, s, t).unwrap();
        Function {
            graph: g,
            outputs: vec![out],
        }
    };
    let f = program(&csr(3, 4, 2, 6), 4, false);
    let w = data(&[4], 8);
    for f in [f.clone(), crate::grad(&f).unwrap()] {
        let s = split_rows(&f, 100, 400).expect("a small sparse product splits");
        assert!(
            s.post
                .graph
                .nodes()
                .iter()
                .any(|n| matches!(n.op, Op::SparseMatVec { .. })),
            "the product runs after the blocks"
        );
        assert_close(
            &run_split(&s, std::slice::from_ref(&w)),
            &eval(&f, std::slice::from_ref(&w)).unwrap(),
        );
    }
    // nnz = rows: `indices` and `values` look batched.
    let along = program(&csr(250, 4, 2, 6), 4, false);
    assert!(split_rows(&along, 100, 400).is_none());
    assert!(split_rows(&crate::grad(&along).unwrap(), 100, 400).is_none());
    // A [3, rows] matrix of the row-wise `X w`.
    let batched = program(&csr(3, rows, 4, 6), rows, true);
    assert!(split_rows(&batched, 100, 400).is_none());
    assert!(split_rows(&crate::grad(&batched).unwrap(), 100, 400).is_none());
    // A sparse matrix with nnz = 4000 > the 2000 elements of X.
    let big = program(&csr(1000, 4, 4, 6), 4, false);
    assert!(split_rows(&big, 100, 400).is_none());
}

/// One step of a random row-wise computation over the values so far.
#[derive(Clone, Debug)]
struct Step {
    kind: u8,
    a: usize,
    b: usize,
}

const UNARY: [UnaryOp; 8] = [
    UnaryOp::Tanh,
    UnaryOp::Sin,
    UnaryOp::Cos,
    UnaryOp::Atan,
    UnaryOp::Sigmoid,
    UnaryOp::Abs,
    UnaryOp::Neg,
    UnaryOp::Sign,
];
const BINARY: [BinaryOp; 6] = [
    BinaryOp::Add,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::Max,
    BinaryOp::Min,
    BinaryOp::Gt,
];

/// `sum(h(X @ w, y, s, sum(w)))`, `h(...)ᵀ X` and `sum((X @ w)^2)` for a random
/// row-wise `h`, as a function of `w` [3] and `s` [].
fn random_rowwise(rows: usize, steps: &[Step]) -> Function {
    let mut g = Graph::new();
    let w = g.input(vec![3]);
    let s = g.input(vec![]);
    let x = g.constant(data(&[rows, 3], 5));
    let y = g.constant(data(&[rows], 6));
    let wc = g.reshape(w, &[3, 1]).unwrap();
    let z = g.matmul(x, wc).unwrap();
    let z = g.reshape(z, &[rows]).unwrap();
    let sb = g.broadcast(s, &[rows]).unwrap();
    let sw = g.sum(w, None).unwrap();
    let swb = g.broadcast(sw, &[rows]).unwrap();
    let mut values = vec![z, y, sb, swb];
    for st in steps {
        let (a, b) = (values[st.a % values.len()], values[st.b % values.len()]);
        let k = st.kind as usize;
        let v = if k < UNARY.len() {
            g.unary(UNARY[k], a)
        } else if k < UNARY.len() + BINARY.len() {
            g.binary(BINARY[k - UNARY.len()], a, b).unwrap()
        } else {
            let c = g.binary(BinaryOp::Lt, a, b).unwrap();
            g.where_(c, a, b).unwrap()
        };
        values.push(v);
    }
    let h = *values.last().unwrap();
    let total = g.sum(h, None).unwrap();
    let ww = g.binary(BinaryOp::Mul, w, w).unwrap();
    let ridge = g.sum(ww, None).unwrap();
    let f = g.binary(BinaryOp::Add, total, ridge).unwrap();
    let hr = g.reshape(h, &[1, rows]).unwrap();
    let xt = g.matmul(hr, x).unwrap();
    // h may fold to a constant; the margins' squares always read the data.
    let zz = g.binary(BinaryOp::Mul, z, z).unwrap();
    let zz = g.sum(zz, None).unwrap();
    Function {
        graph: g,
        outputs: vec![f, xt, zz],
    }
}

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..Default::default() })]

    /// Random row-wise programs (and the gradients of their first output) split over
    /// rows give the whole program's results, whatever the block size.
    #[test]
    fn random_rowwise_programs_split_exactly(
        rows in 20usize..300,
        block in 3usize..2000,
        steps in proptest::collection::vec(
            (0u8..15, 0usize..64, 0usize..64).prop_map(|(kind, a, b)| Step { kind, a, b }),
            0..10,
        ),
        seed in 0u64..1000,
    ) {
        let f = random_rowwise(rows, &steps);
        let value = Function { graph: f.graph.clone(), outputs: vec![f.outputs[0]] };
        let gf = crate::grad(&crate::simplify(&value)).unwrap();
        let inputs = [data(&[3], seed), data(&[], seed + 1)];
        // The gradient may not read the data at all (X's column sums fold to a
        // constant when h is linear), so only the program itself must split.
        prop_assert!(split_rows(&f, 1, block).is_some(), "a row-wise program splits");
        for program in [&f, &gf] {
            let Some(s) = split_rows(program, 1, block) else { continue };
            let whole = eval(program, &inputs).unwrap();
            let split = run_split(&s, &inputs);
            prop_assert_eq!(whole.len(), split.len());
            for (x, y) in whole.iter().zip(&split) {
                for (p, q) in x.iter().zip(y.iter()) {
                    prop_assert!((p - q).abs() <= 1e-9 * (1.0 + p.abs()), "{} vs {}", p, q);
                }
            }
        }
    }
}
