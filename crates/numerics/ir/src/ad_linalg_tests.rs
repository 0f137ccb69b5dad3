//! Unit tests for `ad_linalg.rs`: gradients of `solve`, `logdet` and `cholesky`
//! against central finite differences on several seeded random matrices, and
//! Hessian-vector products (reverse over reverse through the rules) against finite
//! differences of the gradient.

use crate::ad::{grad, hvp};
use crate::graph::{BinaryOp, Function, Graph, IrResult, NodeId};
use crate::interp::eval;
use optl_tensor::Tensor;

/// Central-difference step and relative tolerance.
const H: f64 = 1e-6;
const TOL: f64 = 1e-5;

/// SplitMix64, for seeded test matrices.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        2.0 * ((z >> 11) as f64 / (1u64 << 53) as f64) - 1.0
    }

    fn tensor(&mut self, shape: &[usize], scale: f64) -> Tensor {
        let n = shape.iter().product();
        let data = (0..n).map(|_| scale * self.uniform()).collect();
        optl_tensor::from_vec(shape, data).expect("test tensor")
    }

    /// `3 I + ` small noise: well conditioned, nonsymmetric, positive determinant.
    fn near_identity(&mut self, n: usize) -> Tensor {
        let mut a = self.tensor(&[n, n], 0.4);
        for i in 0..n {
            a[[i, i].as_slice()] += 3.0;
        }
        a
    }

    /// `M Mᵀ + n I`: symmetric positive definite.
    fn spd(&mut self, n: usize) -> Tensor {
        let m = self.tensor(&[n, n], 1.0);
        let mut a = optl_tensor::matmul(&m, &optl_tensor::transpose(&m), 1 << 20).expect("mm");
        for i in 0..n {
            a[[i, i].as_slice()] += n as f64;
        }
        a
    }
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

fn scalar_value(f: &Function, xs: &[Tensor]) -> f64 {
    let out = eval(f, xs).expect("eval");
    *out[0].first().expect("scalar")
}

/// `(f(x + h e) - f(x - h e)) / 2h` for the perturbation `e` of input `k` (a list of
/// flat positions, all moved together).
fn central(f: &Function, xs: &[Tensor], k: usize, at: &[usize]) -> f64 {
    let moved = |sign: f64| {
        let mut ys = xs.to_vec();
        let mut flat: Vec<f64> = ys[k].iter().copied().collect();
        for &p in at {
            flat[p] += sign * H;
        }
        ys[k] = optl_tensor::from_vec(xs[k].shape(), flat).expect("moved");
        scalar_value(f, &ys)
    };
    (moved(1.0) - moved(-1.0)) / (2.0 * H)
}

fn check_close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= TOL * (1.0 + want.abs()),
        "{what}: AD {got} against finite differences {want}"
    );
}

/// Checks every input's gradient elementwise against central differences.
fn check_gradients(f: &Function, xs: &[Tensor]) {
    let gf = grad(f).expect("grad");
    let out = eval(&gf, xs).expect("eval grad");
    for (k, x) in xs.iter().enumerate() {
        let g: Vec<f64> = out[k + 1].iter().copied().collect();
        assert_eq!(out[k + 1].shape(), x.shape());
        for (p, &gp) in g.iter().enumerate() {
            check_close(&format!("d/dx{k}[{p}]"), gp, central(f, xs, k, &[p]));
        }
    }
}

/// Checks the gradient of `f` w.r.t. its symmetric `[n, n]` input 0 along symmetric
/// perturbations: `A_ij` and `A_ji` move together (against `G_ij + G_ji`), a diagonal
/// entry alone (against `G_ii`). The gradient must itself be symmetric.
fn check_symmetric_gradient(f: &Function, xs: &[Tensor]) {
    let n = xs[0].shape()[0];
    let gf = grad(f).expect("grad");
    let out = eval(&gf, xs).expect("eval grad");
    let g: Vec<f64> = out[1].iter().copied().collect();
    for i in 0..n {
        for j in 0..=i {
            let (ij, ji) = (i * n + j, j * n + i);
            assert!((g[ij] - g[ji]).abs() <= 1e-12 * (1.0 + g[ij].abs()));
            if i == j {
                check_close(&format!("G[{i},{i}]"), g[ij], central(f, xs, 0, &[ij]));
            } else {
                let fd = central(f, xs, 0, &[ij, ji]);
                check_close(&format!("G[{i},{j}] + G[{j},{i}]"), g[ij] + g[ji], fd);
            }
        }
    }
}

/// `sum(op(...) * c)` for a constant `c` of the result's shape.
fn weighted_sum(g: &mut Graph, y: NodeId, c: Tensor) -> IrResult<NodeId> {
    let c = g.constant(c);
    let p = g.binary(BinaryOp::Mul, y, c)?;
    g.sum(p, None)
}

#[test]
fn solve_gradients_match_finite_differences() {
    for seed in 0..4u64 {
        let mut rng = Rng(seed);
        let n = 3 + seed as usize % 2;
        for b_shape in [vec![n], vec![n, 2]] {
            let c = rng.tensor(&b_shape, 1.0);
            let f = func(&[&[n, n], &b_shape], |g, v| {
                let x = g.solve(v[0], v[1])?;
                weighted_sum(g, x, c)
            });
            let xs = [rng.near_identity(n), rng.tensor(&b_shape, 1.0)];
            check_gradients(&f, &xs);
        }
    }
}

#[test]
fn solve_gradient_with_only_the_matrix_or_the_rhs_as_input() {
    let mut rng = Rng(11);
    let (a, b, c) = (
        rng.near_identity(3),
        rng.tensor(&[3], 1.0),
        rng.tensor(&[3], 1.0),
    );
    let (b0, c0) = (b.clone(), c.clone());
    let f = func(&[&[3, 3]], |g, v| {
        let b = g.constant(b0);
        let x = g.solve(v[0], b)?;
        weighted_sum(g, x, c0)
    });
    check_gradients(&f, std::slice::from_ref(&a));
    let f = func(&[&[3]], |g, v| {
        let a = g.constant(a);
        let x = g.solve(a, v[0])?;
        weighted_sum(g, x, c)
    });
    check_gradients(&f, &[b]);
}

#[test]
fn logdet_gradient_matches_finite_differences() {
    for seed in 0..4u64 {
        let mut rng = Rng(100 + seed);
        let n = 2 + seed as usize;
        let f = func(&[&[n, n]], |g, v| g.logdet(v[0]));
        check_gradients(&f, &[rng.near_identity(n)]);
    }
    // Through a product: logdet(2 * A) = n log 2 + logdet(A), same gradient.
    let mut rng = Rng(7);
    let f = func(&[&[3, 3]], |g, v| {
        let two = g.full(2.0, &[3, 3]);
        let a = g.binary(BinaryOp::Mul, v[0], two)?;
        g.logdet(a)
    });
    check_gradients(&f, &[rng.near_identity(3)]);
}

#[test]
fn cholesky_gradient_matches_symmetric_finite_differences() {
    for seed in 0..4u64 {
        let mut rng = Rng(200 + seed);
        let n = 2 + seed as usize;
        let c = rng.tensor(&[n, n], 1.0);
        let f = func(&[&[n, n]], |g, v| {
            let l = g.cholesky(v[0])?;
            weighted_sum(g, l, c)
        });
        check_symmetric_gradient(&f, &[rng.spd(n)]);
    }
}

#[test]
fn cholesky_then_logdet_of_the_factor_is_half_logdet() {
    // sum(log(diag(L))) = logdet(A) / 2, so the gradient is A⁻¹ / 2.
    let mut rng = Rng(300);
    let a = rng.spd(3);
    let f = func(&[&[3, 3]], |g, v| {
        let l = g.cholesky(v[0])?;
        let eye = g.constant(ndarray::Array2::<f64>::eye(3).into_dyn());
        let d = g.binary(BinaryOp::Mul, l, eye)?;
        let one = g.full(1.0, &[3, 3]);
        let off = g.binary(BinaryOp::Sub, one, eye)?;
        let d = g.binary(BinaryOp::Add, d, off)?;
        let logs = g.unary(crate::graph::UnaryOp::Log, d);
        g.sum(logs, None)
    });
    check_symmetric_gradient(&f, std::slice::from_ref(&a));
    let out = eval(&grad(&f).expect("grad"), std::slice::from_ref(&a)).expect("eval");
    let inv = optl_linalg::dense::inv(&a).expect("inv");
    for (x, y) in out[1].iter().zip(inv.iter()) {
        assert!((x - y / 2.0).abs() < 1e-12, "{x} against {}", y / 2.0);
    }
}

/// Checks `hvp(f)` at `xs` along `vs` against central differences of `grad(f)`.
fn check_hvp(f: &Function, xs: &[Tensor], vs: &[Tensor]) {
    let gf = grad(f).expect("grad");
    let hf = hvp(f).expect("hvp");
    let mut ins = xs.to_vec();
    ins.extend_from_slice(vs);
    let hv = eval(&hf, &ins).expect("eval hvp");
    let at = |sign: f64| {
        let ys: Vec<Tensor> = xs
            .iter()
            .zip(vs)
            .map(|(x, v)| x + &(v * (sign * H)))
            .collect();
        eval(&gf, &ys).expect("eval grad")
    };
    let (plus, minus) = (at(1.0), at(-1.0));
    for k in 0..xs.len() {
        for (p, h) in hv[k].iter().enumerate() {
            let fd = (plus[k + 1].iter().nth(p).expect("p")
                - minus[k + 1].iter().nth(p).expect("p"))
                / (2.0 * H);
            check_close(&format!("(Hv)_{k}[{p}]"), *h, fd);
        }
    }
}

#[test]
fn hessian_vector_products_go_through_the_rules() {
    let mut rng = Rng(400);
    let c = rng.tensor(&[3, 2], 1.0);
    let f = func(&[&[3, 3], &[3, 2]], |g, v| {
        let x = g.solve(v[0], v[1])?;
        weighted_sum(g, x, c)
    });
    let xs = [rng.near_identity(3), rng.tensor(&[3, 2], 1.0)];
    let vs = [rng.tensor(&[3, 3], 1.0), rng.tensor(&[3, 2], 1.0)];
    check_hvp(&f, &xs, &vs);

    let f = func(&[&[3, 3]], |g, v| g.logdet(v[0]));
    check_hvp(&f, &[rng.near_identity(3)], &[rng.tensor(&[3, 3], 1.0)]);

    let c = rng.tensor(&[3, 3], 1.0);
    let f = func(&[&[3, 3]], |g, v| {
        let l = g.cholesky(v[0])?;
        weighted_sum(g, l, c)
    });
    let v = rng.tensor(&[3, 3], 1.0);
    let v_sym = (&v + &optl_tensor::transpose(&v)) * 0.5;
    check_hvp(&f, &[rng.spd(3)], &[v_sym]);
}

/// A seeded random CSR matrix `[m, n]`, as the constants `indptr`, `indices`,
/// `values`: every third row empty, up to three entries (columns in random order,
/// repeats allowed) in the others.
fn random_csr(rng: &mut Rng, m: usize, n: usize) -> [Tensor; 3] {
    let (mut indptr, mut indices, mut values) = (vec![0.0], Vec::new(), Vec::new());
    for i in 0..m {
        if i % 3 != 1 {
            for _ in 0..3 {
                let j = ((rng.uniform() + 1.0) / 2.0 * n as f64) as usize;
                indices.push(j.min(n - 1) as f64);
                values.push(rng.uniform() * 2.0);
            }
        }
        indptr.push(indices.len() as f64);
    }
    let v = |d: Vec<f64>| optl_tensor::from_vec(&[d.len()], d).expect("csr");
    [v(indptr), v(indices), v(values)]
}

/// `sparse_matvec(A, x)` (or of `Aᵀ`) on constants `a` and node `x`.
fn spmv(g: &mut Graph, a: &[Tensor; 3], x: NodeId, n: usize, tr: bool) -> IrResult<NodeId> {
    let [p, j, v] = a.clone().map(|t| g.constant(t));
    g.sparse_matvec(p, j, v, x, n, tr)
}

/// The shapes of `x` and of the result of `sparse_matvec` of an `[m, n]` matrix.
fn spmv_shapes(m: usize, n: usize, tr: bool) -> (usize, usize) {
    if tr { (m, n) } else { (n, m) }
}

#[test]
fn sparse_matvec_gradients_match_finite_differences() {
    for (seed, (m, n)) in [(4, 3), (3, 5), (3, 3), (5, 1)].into_iter().enumerate() {
        let mut rng = Rng(500 + seed as u64);
        let a = random_csr(&mut rng, m, n);
        for tr in [false, true] {
            let (xl, yl) = spmv_shapes(m, n, tr);
            let c = rng.tensor(&[yl], 1.0);
            let weighted = func(&[&[xl]], |g, v| {
                let y = spmv(g, &a, v[0], n, tr)?;
                weighted_sum(g, y, c.clone())
            });
            let squares = func(&[&[xl]], |g, v| {
                let y = spmv(g, &a, v[0], n, tr)?;
                let two = g.full(2.0, &[yl]);
                let yy = g.binary(BinaryOp::Pow, y, two)?;
                g.sum(yy, None)
            });
            let x = rng.tensor(&[xl], 1.0);
            check_gradients(&weighted, std::slice::from_ref(&x));
            check_gradients(&squares, std::slice::from_ref(&x));
            // The gradient of sum(op(x) * c) is the other orientation times c:
            // exactly the interpreter's product of `c` with it.
            let gf = grad(&weighted).expect("grad");
            let got = eval(&gf, std::slice::from_ref(&x)).expect("eval grad");
            let other = func(&[&[yl]], |g, v| spmv(g, &a, v[0], n, !tr));
            let want = eval(&other, std::slice::from_ref(&c)).expect("eval");
            assert_eq!(got[1], want[0], "[{m}, {n}] transpose={tr}");
        }
    }
}

#[test]
fn sparse_matvec_hessian_vector_products() {
    for (seed, (m, n)) in [(4, 3), (2, 5), (3, 3)].into_iter().enumerate() {
        let mut rng = Rng(600 + seed as u64);
        let a = random_csr(&mut rng, m, n);
        for tr in [false, true] {
            let (xl, _) = spmv_shapes(m, n, tr);
            // sum(op(x)^2 + exp(op(x))): not quadratic, so H depends on x.
            let f = func(&[&[xl]], |g, v| {
                let y = spmv(g, &a, v[0], n, tr)?;
                let yy = g.binary(BinaryOp::Mul, y, y)?;
                let e = g.unary(crate::graph::UnaryOp::Exp, y);
                let s = g.binary(BinaryOp::Add, yy, e)?;
                g.sum(s, None)
            });
            check_hvp(&f, &[rng.tensor(&[xl], 1.0)], &[rng.tensor(&[xl], 1.0)]);
        }
    }
}

#[test]
fn nuclear_norm_gradient_matches_finite_differences() {
    let mut rng = Rng(23);
    for shape in [[4, 3], [3, 5], [2, 2]] {
        let a = rng.tensor(&shape, 1.0);
        let f = func(&[&shape], |g, v| g.nuclear_norm(v[0]));
        check_gradients(&f, std::slice::from_ref(&a));
    }
    // Not differentiable twice: an error, never a wrong Hessian.
    let f = func(&[&[3, 3]], |g, v| g.nuclear_norm(v[0]));
    assert!(hvp(&f).is_err());
}
