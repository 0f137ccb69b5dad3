//! `dist` against a naive triple loop for every metric, on tensors of any
//! layout, and its errors.

mod common;

use common::lcg;
use ndarray::{Array2, IxDyn};
use optl_tensor::Tensor;
use optl_transport::{Error, Metric, dist};

fn naive(x: &Tensor, y: &Tensor, metric: Metric) -> Vec<f64> {
    let (n, d, m) = (x.shape()[0], x.shape()[1], y.shape()[0]);
    let mut out = Vec::new();
    for i in 0..n {
        for j in 0..m {
            let mut acc = 0.0;
            for k in 0..d {
                let t = x[[i, k]] - y[[j, k]];
                acc += match metric {
                    Metric::Cityblock => t.abs(),
                    _ => t * t,
                };
            }
            out.push(if metric == Metric::Euclidean {
                acc.sqrt()
            } else {
                acc
            });
        }
    }
    out
}

fn points(seed: u64, n: usize, d: usize) -> Tensor {
    Array2::from_shape_vec(
        (n, d),
        lcg(seed, n * d).iter().map(|t| 4.0 * t - 2.0).collect(),
    )
    .expect("shape")
    .into_dyn()
}

#[test]
fn matches_a_naive_loop() {
    for (n, m, d) in [(7, 5, 3), (130, 140, 2), (1, 1, 1), (4, 6, 0)] {
        let (x, y) = (points(1, n, d), points(2, m, d));
        for metric in [Metric::SqEuclidean, Metric::Euclidean, Metric::Cityblock] {
            let got = dist(&x, &y, metric).expect("dist");
            assert_eq!(got.shape(), &[n, m]);
            for (g, w) in got.iter().zip(naive(&x, &y, metric)) {
                assert!(
                    (g - w).abs() <= 1e-14 * w.max(1.0),
                    "{metric:?}: {g} vs {w}"
                );
            }
        }
    }
    assert_eq!(Metric::default(), Metric::SqEuclidean);
}

#[test]
fn any_layout_and_empty_clouds() {
    let x = points(3, 5, 4);
    let xt = x.t().to_owned();
    let x_view = xt.t(); // the same points in column-major layout
    let y = points(4, 6, 4);
    let a = dist(&x, &y, Metric::Cityblock).expect("dist");
    let b = dist(&x_view.to_owned(), &y, Metric::Cityblock).expect("dist");
    assert_eq!(a, b);
    let empty = Tensor::zeros(IxDyn(&[0, 4]));
    assert_eq!(
        dist(&empty, &y, Metric::SqEuclidean).expect("dist").shape(),
        &[0, 6]
    );
    assert_eq!(
        dist(&x, &empty, Metric::SqEuclidean).expect("dist").shape(),
        &[5, 0]
    );
}

#[test]
fn bad_inputs() {
    let x = points(5, 3, 2);
    let e = dist(&x, &points(6, 3, 3), Metric::SqEuclidean).expect_err("dims");
    assert!(matches!(e, Error::Shape { .. }));
    assert!(
        e.to_string()
            .contains("x has 2 coordinates per point but y has 3"),
        "{e}"
    );
    let flat = Tensor::zeros(IxDyn(&[3]));
    let e = dist(&flat, &x, Metric::SqEuclidean).expect_err("1-D");
    assert!(e.to_string().contains("x must be 2-D"), "{e}");
    let mut bad = points(7, 3, 2);
    bad[[1, 1]] = f64::NAN;
    let e = dist(&x, &bad, Metric::Euclidean).expect_err("nan");
    assert_eq!(e.to_string(), "dist: y[3] is NaN or infinite");
}
