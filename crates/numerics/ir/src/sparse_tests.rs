//! Unit tests for `sparse.rs` and the `sparse_matvec` builder: a known example
//! against dense products and a naive loop (bit for bit), random CSR matrices
//! against dense products (proptest), builder errors, malformed nodes, folding,
//! rebuilding, printing and hashing.

use crate::graph::{Function, Graph, IrError, IrResult, NodeId, Op};
use crate::hash::{functional_hash, structural_hash};
use crate::interp::eval;
use optl_tensor::Tensor;
use proptest::prelude::*;

fn t(data: &[f64]) -> Tensor {
    optl_tensor::from_vec(&[data.len()], data.to_vec()).expect("test tensor")
}

/// A CSR matrix: `indptr`, `indices`, `values` and the number of columns.
#[derive(Clone, Debug)]
struct Csr {
    indptr: Vec<f64>,
    indices: Vec<f64>,
    values: Vec<f64>,
    ncols: usize,
}

impl Csr {
    fn nrows(&self) -> usize {
        self.indptr.len() - 1
    }

    /// From rows of `(column, value)` entries, in storage order.
    fn from_rows(rows: &[Vec<(usize, f64)>], ncols: usize) -> Csr {
        let mut c = Csr {
            indptr: vec![0.0],
            indices: Vec::new(),
            values: Vec::new(),
            ncols,
        };
        for row in rows {
            for &(j, v) in row {
                c.indices.push(j as f64);
                c.values.push(v);
            }
            c.indptr.push(c.indices.len() as f64);
        }
        c
    }

    /// The dense `[m, ncols]` matrix (duplicate entries add up).
    fn dense(&self) -> Tensor {
        let (m, n) = (self.nrows(), self.ncols);
        let mut a = vec![0.0; m * n];
        for i in 0..m {
            for k in self.indptr[i] as usize..self.indptr[i + 1] as usize {
                a[i * n + self.indices[k] as usize] += self.values[k];
            }
        }
        optl_tensor::from_vec(&[m, n], a).expect("dense")
    }

    /// The naive loops in storage order: `A x`, or `Aᵀ x`.
    fn naive(&self, x: &[f64], transpose: bool) -> Vec<f64> {
        let m = self.nrows();
        let mut y = vec![0.0; if transpose { self.ncols } else { m }];
        for i in 0..m {
            for k in self.indptr[i] as usize..self.indptr[i + 1] as usize {
                let j = self.indices[k] as usize;
                if transpose {
                    y[j] += self.values[k] * x[i];
                } else {
                    y[i] += self.values[k] * x[j];
                }
            }
        }
        y
    }

    /// The three constant nodes.
    fn nodes(&self, g: &mut Graph) -> [NodeId; 3] {
        [
            g.constant(t(&self.indptr)),
            g.constant(t(&self.indices)),
            g.constant(t(&self.values)),
        ]
    }

    /// `sparse_matvec(A, x)` of an input `x` as a function.
    fn function(&self, transpose: bool) -> Function {
        let mut g = Graph::new();
        let len = if transpose { self.nrows() } else { self.ncols };
        let x = g.input(vec![len]);
        let [p, j, v] = self.nodes(&mut g);
        let y = g
            .sparse_matvec(p, j, v, x, self.ncols, transpose)
            .expect("builds");
        Function {
            graph: g,
            outputs: vec![y],
        }
    }

    fn run(&self, x: &[f64], transpose: bool) -> Vec<f64> {
        let out = eval(&self.function(transpose), &[t(x)]).expect("eval");
        out[0].iter().copied().collect()
    }
}

/// 3×4 with an empty middle row and columns out of order within a row:
/// `[[1, 0, 2.5, 0], [0, 0, 0, 0], [0.1, -3, 0, 4]]`.
fn example() -> Csr {
    Csr::from_rows(
        &[
            vec![(2, 2.5), (0, 1.0)],
            vec![],
            vec![(3, 4.0), (1, -3.0), (0, 0.1)],
        ],
        4,
    )
}

fn dense_mv(a: &Tensor, x: &[f64]) -> Vec<f64> {
    let col = optl_tensor::from_vec(&[x.len(), 1], x.to_vec()).expect("col");
    let y = optl_tensor::matmul(a, &col, 1 << 20).expect("matmul");
    y.iter().copied().collect()
}

fn close(got: &[f64], want: &[f64]) -> bool {
    got.len() == want.len()
        && got
            .iter()
            .zip(want)
            .all(|(a, b)| (a - b).abs() <= 1e-12 * (1.0 + b.abs()))
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn example_against_dense_products_and_the_naive_loop() {
    let a = example();
    let dense = a.dense();
    let x = [1.0, 2.0, 3.0, 4.0];
    let y = a.run(&x, false);
    assert_eq!(y.len(), 3);
    assert!(close(&y, &dense_mv(&dense, &x)), "{y:?}");
    assert!(close(&y, &[8.5, 0.0, 10.1]), "{y:?}");
    assert_eq!(bits(&y), bits(&a.naive(&x, false)));
    assert_eq!(y[1].to_bits(), 0.0f64.to_bits(), "an empty row is +0");

    let r = [1.0, 2.0, 3.0];
    let z = a.run(&r, true);
    assert_eq!(z.len(), 4);
    let dense_t = optl_tensor::transpose(&dense);
    assert!(close(&z, &dense_mv(&dense_t, &r)), "{z:?}");
    assert!(close(&z, &[1.3, -9.0, 2.5, 12.0]), "{z:?}");
    assert_eq!(bits(&z), bits(&a.naive(&r, true)));
}

#[test]
fn the_same_bits_as_the_eager_csr_products_of_optl_linalg() {
    // `optl_linalg::Csr` keeps the columns of a row sorted: the example, sorted.
    let a = Csr::from_rows(
        &[
            vec![(0, 1.0), (2, 2.5)],
            vec![],
            vec![(0, 0.1), (1, -3.0), (3, 4.0)],
        ],
        4,
    );
    let eager = optl_linalg::Csr::from_parts(
        a.nrows(),
        a.ncols,
        a.indptr.iter().map(|&p| p as usize).collect(),
        a.indices.iter().map(|&j| j as usize).collect(),
        a.values.clone(),
    )
    .expect("a valid CSR matrix");
    let x = [0.3, -1.7, 2.9, 0.01];
    assert_eq!(
        bits(&a.run(&x, false)),
        bits(&eager.matvec(&x).expect("matvec"))
    );
    let r = [1.1, -0.2, 7.0];
    assert_eq!(
        bits(&a.run(&r, true)),
        bits(&eager.matvec_transpose(&r).expect("matvec_transpose"))
    );
}

/// Rows of random entries (duplicates allowed) for a matrix with `ncols` columns.
fn random_rows() -> impl Strategy<Value = (Vec<Vec<(usize, f64)>>, usize)> {
    (0usize..7, 0usize..7).prop_flat_map(|(m, n)| {
        let entry = (0usize..64, -5.0f64..5.0);
        let row = proptest::collection::vec(entry, 0..5);
        (proptest::collection::vec(row, m), Just(n)).prop_map(|(rows, n)| {
            let rows = rows
                .into_iter()
                .map(|r| {
                    // Rows of a matrix without columns are empty.
                    r.into_iter()
                        .filter(|_| n > 0)
                        .map(|(j, v)| (j % n.max(1), v))
                        .collect()
                })
                .collect();
            (rows, n)
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..Default::default() })]

    /// Random CSR matrices (empty rows, duplicates, `m ≠ n`, no rows or no
    /// columns): `A x` and `Aᵀ y` are the dense products, and exactly the naive
    /// loops in storage order.
    #[test]
    fn random_matrices_match_dense_products(
        (rows, n) in random_rows(),
        xs in proptest::collection::vec(-3.0f64..3.0, 7),
        ys in proptest::collection::vec(-3.0f64..3.0, 7),
    ) {
        let a = Csr::from_rows(&rows, n);
        let m = a.nrows();
        let dense = a.dense();
        let (x, y) = (&xs[..n], &ys[..m]);
        let ax = a.run(x, false);
        let aty = a.run(y, true);
        let dense_t = optl_tensor::transpose(&dense);
        let (want_ax, want_aty) = if m > 0 && n > 0 {
            (dense_mv(&dense, x), dense_mv(&dense_t, y))
        } else {
            (vec![0.0; m], vec![0.0; n])
        };
        prop_assert!(close(&ax, &want_ax), "{ax:?} against {want_ax:?}");
        prop_assert!(close(&aty, &want_aty), "{aty:?} against {want_aty:?}");
        prop_assert_eq!(bits(&ax), bits(&a.naive(x, false)));
        prop_assert_eq!(bits(&aty), bits(&a.naive(y, true)));
    }
}

/// The builder's result on the example's constants with `x` of `x_len` (or these
/// replacements of the constants).
fn build(
    indptr: &[f64],
    indices: &[f64],
    values: &[f64],
    x_len: usize,
    ncols: usize,
    transpose: bool,
) -> IrResult<NodeId> {
    let mut g = Graph::new();
    let x = g.input(vec![x_len]);
    let p = g.constant(t(indptr));
    let j = g.constant(t(indices));
    let v = g.constant(t(values));
    g.sparse_matvec(p, j, v, x, ncols, transpose)
}

fn invalid(r: IrResult<NodeId>) -> String {
    match r {
        Err(IrError::Invalid(m)) => m,
        other => panic!("expected IrError::Invalid, got {other:?}"),
    }
}

fn shape_error(r: IrResult<NodeId>) -> String {
    match r {
        Err(IrError::Shape(m)) => m,
        other => panic!("expected IrError::Shape, got {other:?}"),
    }
}

#[test]
fn the_matrix_must_be_constant() {
    let a = example();
    let mut g = Graph::new();
    let x = g.input(vec![4]);
    let [p, j, v] = a.nodes(&mut g);
    let (pi, ji, vi) = (g.input(vec![4]), g.input(vec![5]), g.input(vec![5]));
    // A broadcast scalar is not a constant node either.
    let ones = g.full(1.0, &[5]);
    for (p, j, v) in [(pi, j, v), (p, ji, v), (p, j, vi), (p, j, ones)] {
        assert_eq!(
            g.sparse_matvec(p, j, v, x, 4, false),
            Err(IrError::Invalid(
                "sparse_matvec: the matrix must be a constant".into()
            ))
        );
    }
    let y = g.sparse_matvec(p, j, v, x, 4, false).expect("constants");
    assert_eq!(
        g.node(y).op,
        Op::SparseMatVec {
            ncols: 4,
            transpose: false
        }
    );
    assert_eq!(g.shape(y), &[3]);
    let r = g.input(vec![3]);
    let z = g.sparse_matvec(p, j, v, r, 4, true).expect("transpose");
    assert_eq!(g.shape(z), &[4]);
}

#[test]
fn x_of_the_wrong_length_names_both_shapes() {
    let a = example();
    let m = shape_error(build(&a.indptr, &a.indices, &a.values, 3, 4, false));
    assert_eq!(
        m,
        "sparse_matvec: a matrix of shape [3, 4] times x of shape [3]: x must have shape [4]"
    );
    let m = shape_error(build(&a.indptr, &a.indices, &a.values, 4, 4, true));
    assert_eq!(
        m,
        "sparse_matvec: the transpose of a matrix of shape [3, 4] times x of shape [4]: x \
         must have shape [3]"
    );
    // A 2-d x.
    let mut g = Graph::new();
    let x = g.input(vec![4, 1]);
    let [p, j, v] = a.nodes(&mut g);
    let m = shape_error(g.sparse_matvec(p, j, v, x, 4, false));
    assert!(m.contains("[3, 4]") && m.contains("[4, 1]"), "{m}");
}

#[test]
fn structure_shapes_are_checked() {
    let a = example();
    // indices and values of different lengths.
    let m = shape_error(build(&a.indptr, &a.indices, &a.values[..4], 4, 4, false));
    assert!(
        m.contains("[5]") && m.contains("[4]") && m.contains("[3, 4]"),
        "{m}"
    );
    // An empty indptr (not even m + 1 = 1 entry).
    let m = shape_error(build(&[], &[], &[], 4, 4, false));
    assert!(m.contains("[?, 4]"), "{m}");
    // A 2-d indptr.
    let mut g = Graph::new();
    let x = g.input(vec![4]);
    let p = g.constant(optl_tensor::from_vec(&[2, 2], vec![0.0, 2.0, 2.0, 5.0]).expect("p"));
    let j = g.constant(t(&a.indices));
    let v = g.constant(t(&a.values));
    let m = shape_error(g.sparse_matvec(p, j, v, x, 4, false));
    assert!(m.contains("[2, 2]"), "{m}");
    // No rows and no columns is a matrix.
    assert!(build(&[0.0], &[], &[], 0, 0, false).is_ok());
    assert!(build(&[0.0], &[], &[], 0, 5, true).is_ok());
}

#[test]
fn malformed_structures_are_invalid() {
    let a = example();
    let (j, v) = (&a.indices, &a.values);
    let cases: [(&[f64], &[f64], &str); 8] = [
        (
            &[1.0, 2.0, 2.0, 5.0],
            j,
            "sparse_matvec: indptr[0] = 1 must be 0",
        ),
        (
            &[0.0, 3.0, 2.0, 5.0],
            j,
            "sparse_matvec: indptr decreases from 3 to 2 at indptr[2]",
        ),
        (
            &[0.0, 2.0, 2.0, 4.0],
            j,
            "sparse_matvec: indptr ends at 4, not at nnz = 5",
        ),
        (
            &[0.0, 1.5, 2.0, 5.0],
            j,
            "sparse_matvec: indptr[1] = 1.5 is not an offset in 0..=5",
        ),
        (
            &[0.0, 2.0, 6.0, 5.0],
            j,
            "sparse_matvec: indptr[2] = 6 is not an offset in 0..=5",
        ),
        (
            &[0.0, f64::NAN, 2.0, 5.0],
            j,
            "sparse_matvec: indptr[1] = NaN is not an offset in 0..=5",
        ),
        (
            &a.indptr,
            &[2.0, 0.0, 4.0, 1.0, 0.0],
            "sparse_matvec: indices[2] = 4 is not a column index in 0..4",
        ),
        (
            &a.indptr,
            &[2.0, -1.0, 3.0, 1.0, 0.5],
            "sparse_matvec: indices[1] = -1 is not a column index in 0..4",
        ),
    ];
    for (p, j, want) in cases {
        assert_eq!(invalid(build(p, j, v, 4, 4, false)), want);
    }
    assert_eq!(
        invalid(build(&a.indptr, &[2.0, 0.0, 3.0, 1.0, 0.5], v, 4, 4, false)),
        "sparse_matvec: indices[4] = 0.5 is not a column index in 0..4"
    );
    // Index 3 is fine with 4 columns and out of range with 3 (x of length 3).
    assert!(invalid(build(&a.indptr, j, v, 3, 3, false)).contains("indices[2] = 3"));
    // The transpose checks the same structure.
    assert!(invalid(build(&[1.0, 2.0, 2.0, 5.0], j, v, 3, 4, true)).contains("indptr[0]"));
}

/// Nodes made with the raw `push` are checked at run time: errors, no panics.
#[test]
fn malformed_nodes_are_errors_at_run_time() {
    let op = |transpose| Op::SparseMatVec {
        ncols: 2,
        transpose,
    };
    let cases: Vec<(Op, Vec<Tensor>, Vec<usize>)> = vec![
        // Wrong arity.
        (
            op(false),
            vec![t(&[0.0, 1.0]), t(&[0.0]), t(&[1.0])],
            vec![1],
        ),
        // Structure from inputs, out of range, decreasing, NaN, empty indptr.
        (
            op(false),
            vec![t(&[0.0, 1.0]), t(&[7.0]), t(&[1.0]), t(&[1.0, 1.0])],
            vec![1],
        ),
        (
            op(true),
            vec![t(&[0.0, 1.0]), t(&[1e300]), t(&[1.0]), t(&[1.0])],
            vec![2],
        ),
        (
            op(false),
            vec![t(&[0.0, 1.0, 0.0]), t(&[0.0]), t(&[1.0]), t(&[1.0, 1.0])],
            vec![2],
        ),
        (
            op(false),
            vec![t(&[f64::NAN, 1.0]), t(&[0.0]), t(&[1.0]), t(&[1.0, 1.0])],
            vec![1],
        ),
        (
            op(false),
            vec![t(&[]), t(&[]), t(&[]), t(&[1.0, 1.0])],
            vec![0],
        ),
        // Wrong shapes: x, values, node.
        (
            op(false),
            vec![t(&[0.0, 1.0]), t(&[0.0]), t(&[1.0]), t(&[1.0])],
            vec![1],
        ),
        (
            op(false),
            vec![t(&[0.0, 1.0]), t(&[0.0]), t(&[1.0, 2.0]), t(&[1.0, 1.0])],
            vec![1],
        ),
        (
            op(false),
            vec![t(&[0.0, 1.0]), t(&[0.0]), t(&[1.0]), t(&[1.0, 1.0])],
            vec![2],
        ),
    ];
    for (op, inputs, out) in cases {
        let mut g = Graph::new();
        let xs: Vec<NodeId> = inputs.iter().map(|x| g.input(x.shape().to_vec())).collect();
        let y = g.push(op.clone(), xs, out.clone());
        let f = Function {
            graph: g,
            outputs: vec![y],
        };
        assert!(
            eval(&f, &inputs).is_err(),
            "{op:?} of {inputs:?} into {out:?}"
        );
        let _ = functional_hash(&f, 1);
        let _ = crate::print::to_text(&f);
    }
}

#[test]
fn a_constant_x_folds_and_simplify_keeps_the_node() {
    let a = example();
    let mut g = Graph::new();
    let [p, j, v] = a.nodes(&mut g);
    let x = g.constant(t(&[1.0, 2.0, 3.0, 4.0]));
    let y = g.sparse_matvec(p, j, v, x, 4, false).expect("builds");
    let folded = g.as_const(y).expect("a constant product is folded");
    assert_eq!(
        bits(&folded.iter().copied().collect::<Vec<_>>()),
        bits(&a.naive(&[1.0, 2.0, 3.0, 4.0], false))
    );
    for transpose in [false, true] {
        let f = a.function(transpose);
        let s = crate::simplify::simplify(&f);
        let count = |f: &Function| {
            f.graph
                .nodes()
                .iter()
                .filter(
                    |n| matches!(n.op, Op::SparseMatVec { transpose: tr, .. } if tr == transpose),
                )
                .count()
        };
        assert_eq!(count(&s), 1);
        assert_eq!(structural_hash(&s), structural_hash(&f));
        assert_eq!(crate::print::to_text(&s), crate::print::to_text(&f));
        let x = if transpose {
            t(&[1.0, -2.0, 0.5])
        } else {
            t(&[1.0, -2.0, 0.5, 3.0])
        };
        assert_eq!(
            eval(&s, std::slice::from_ref(&x)).expect("simplified"),
            eval(&f, std::slice::from_ref(&x)).expect("original")
        );
        // Inlined into another graph, and pruned.
        let mut h = Graph::new();
        let xi = h.input(vec![if transpose { 3 } else { 4 }]);
        let out = crate::simplify::inline(&mut h, &f, &[xi]).expect("inline");
        assert!(matches!(h.node(out[0]).op, Op::SparseMatVec { .. }));
        let prog = Function {
            graph: h,
            outputs: out,
        };
        assert_eq!(structural_hash(&prog), structural_hash(&f));
        assert_eq!(structural_hash(&crate::prune(&prog)), structural_hash(&f));
    }
}

#[test]
fn all_ones_values_stay_a_constant_through_simplify_and_grad() {
    let mut a = example();
    a.values = vec![1.0; a.values.len()];
    let f = a.function(false);
    let s = crate::simplify::simplify(&f);
    assert!(
        s.graph
            .nodes()
            .iter()
            .any(|n| matches!(n.op, Op::SparseMatVec { .. }))
    );
    let mut g = f.graph.clone();
    let y = f.outputs[0];
    let total = g.sum(y, None).expect("sum");
    let gf = crate::ad::grad(&Function {
        graph: g,
        outputs: vec![total],
    })
    .expect("grad");
    let out = eval(&gf, &[t(&[1.0, 2.0, 3.0, 4.0])]).expect("eval grad");
    // d/dx sum(A x) = Aᵀ 1: the column counts.
    assert_eq!(
        out[1].iter().copied().collect::<Vec<_>>(),
        [2.0, 1.0, 1.0, 1.0]
    );
}

#[test]
fn printed_with_its_parameters() {
    let a = example();
    let text = crate::print::to_text(&a.function(false));
    assert!(
        text.contains("= sparse_matvec ncols=4 transpose=false %1, %2, %3, %0 : [3]"),
        "{text}"
    );
    assert!(text.contains("const [0.0, 2.0, 2.0, 5.0]"), "{text}");
    let text = crate::print::to_text(&a.function(true));
    assert!(
        text.contains("= sparse_matvec ncols=4 transpose=true %1, %2, %3, %0 : [4]"),
        "{text}"
    );
}

#[test]
fn hashes_tell_transpose_ncols_and_values_apart() {
    // Square and not symmetric, so both orientations take and give [3].
    let sq = Csr::from_rows(
        &[vec![(1, 2.0)], vec![(0, 0.5), (2, -1.0)], vec![(2, 3.0)]],
        3,
    );
    let plain = sq.function(false);
    let tr = sq.function(true);
    assert_eq!(
        structural_hash(&plain),
        structural_hash(&sq.function(false))
    );
    assert_eq!(
        functional_hash(&plain, 3),
        functional_hash(&sq.function(false), 3)
    );
    assert_eq!(structural_hash(&tr), structural_hash(&sq.function(true)));
    assert_ne!(structural_hash(&plain), structural_hash(&tr));
    assert_ne!(functional_hash(&plain, 3), functional_hash(&tr, 3));

    let mut other = sq.clone();
    other.values[1] = 0.25;
    assert_ne!(
        structural_hash(&plain),
        structural_hash(&other.function(false))
    );
    assert_ne!(
        functional_hash(&plain, 3),
        functional_hash(&other.function(false), 3)
    );
    // Same entries, another column for one: structure matters.
    let mut moved = sq.clone();
    moved.indices[0] = 0.0;
    assert_ne!(
        structural_hash(&plain),
        structural_hash(&moved.function(false))
    );
    assert_ne!(
        functional_hash(&plain, 3),
        functional_hash(&moved.function(false), 3)
    );
    // One more (empty) column: a different operation parameter and x.
    let mut wide = sq.clone();
    wide.ncols = 4;
    assert_ne!(
        structural_hash(&plain),
        structural_hash(&wide.function(false))
    );
    // The transpose of the wide matrix takes the same x [3] and gives [4].
    assert_ne!(structural_hash(&tr), structural_hash(&wide.function(true)));
    // A symmetric matrix computes the same function both ways; only the
    // structural hash tells the two apart.
    let sym = Csr::from_rows(&[vec![(0, 1.0), (1, 2.0)], vec![(0, 2.0)]], 2);
    assert_eq!(
        functional_hash(&sym.function(false), 5),
        functional_hash(&sym.function(true), 5)
    );
    assert_ne!(
        structural_hash(&sym.function(false)),
        structural_hash(&sym.function(true))
    );
    // And against a dense matmul of the same matrix.
    let mut g = Graph::new();
    let x = g.input(vec![3]);
    let a = g.constant(sq.dense());
    let col = g.reshape(x, &[3, 1]).expect("col");
    let y = g.matmul(a, col).expect("matmul");
    let y = g.reshape(y, &[3]).expect("row");
    let dense = Function {
        graph: g,
        outputs: vec![y],
    };
    assert_ne!(structural_hash(&plain), structural_hash(&dense));
}
