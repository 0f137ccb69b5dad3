//! NSGA-III's adaptive normalisation (Deb & Jain 2014, §IV-C, with pymoo's
//! safeguards): the ideal point (the best value per objective seen so far), the
//! extreme point of each axis (the point minimizing the achievement scalarizing
//! function with weight 1 on that axis and 10⁶ elsewhere, among the first front
//! and the previous extreme points), the hyperplane through them and its
//! intercepts. The nadir estimate is `ideal + intercepts`, capped by the worst
//! value seen; when the hyperplane is degenerate (singular, or an intercept at
//! most 10⁻⁶) the first front's worst values stand in, and any axis whose range
//! stays below 10⁻⁶ takes the population's worst value.

/// The running state of the normalisation across generations.
#[derive(Clone, Debug, Default)]
pub(crate) struct Normalisation {
    /// The best value per objective seen so far.
    pub ideal: Vec<f64>,
    worst: Vec<f64>,
    extremes: Option<Vec<Vec<f64>>>,
}

impl Normalisation {
    pub fn new(m: usize) -> Self {
        Normalisation {
            ideal: vec![f64::INFINITY; m],
            worst: vec![f64::NEG_INFINITY; m],
            extremes: None,
        }
    }

    /// Updates with the objectives of the whole population `all` and of its first
    /// front `front`; returns the nadir estimate.
    pub fn update(&mut self, all: &[&[f64]], front: &[&[f64]]) -> Vec<f64> {
        let m = self.ideal.len();
        for f in all {
            for k in 0..m {
                if f[k].is_finite() {
                    self.ideal[k] = self.ideal[k].min(f[k]);
                    self.worst[k] = self.worst[k].max(f[k]);
                }
            }
        }
        let extremes = self.extreme_points(front);
        let worst_of = |pts: &[&[f64]]| -> Vec<f64> {
            (0..m)
                .map(|k| {
                    pts.iter()
                        .map(|p| p[k])
                        .filter(|v| v.is_finite())
                        .fold(f64::NEG_INFINITY, f64::max)
                })
                .collect()
        };
        let mut nadir = match intercepts(&extremes, &self.ideal) {
            Some(b) => (0..m)
                .map(|k| (self.ideal[k] + b[k]).min(self.worst[k]))
                .collect(),
            None => worst_of(front),
        };
        let population_worst = worst_of(all);
        for k in 0..m {
            if !(nadir[k] - self.ideal[k] > 1e-6) {
                nadir[k] = population_worst[k];
            }
        }
        self.extremes = Some(extremes);
        nadir
    }

    /// Per axis, the point of `front` (or a previous extreme point) with the
    /// smallest achievement scalarizing function.
    fn extreme_points(&self, front: &[&[f64]]) -> Vec<Vec<f64>> {
        let m = self.ideal.len();
        let previous = self.extremes.iter().flatten().map(Vec::as_slice);
        let candidates: Vec<&[f64]> = previous.chain(front.iter().copied()).collect();
        (0..m)
            .map(|axis| {
                let asf = |p: &[f64]| {
                    (0..m)
                        .map(|k| {
                            let d = p[k] - self.ideal[k];
                            let d = if d < 1e-3 { 0.0 } else { d };
                            if k == axis { d } else { d * 1e6 }
                        })
                        .fold(f64::NEG_INFINITY, f64::max)
                };
                let best = candidates
                    .iter()
                    .min_by(|a, b| asf(a).total_cmp(&asf(b)))
                    .copied()
                    .unwrap_or(&[]);
                best.to_vec()
            })
            .collect()
    }
}

/// The intercepts `1/x` of the hyperplane `(E − ideal)·x = 1` through the extreme
/// points `E`, or `None` when it is degenerate.
fn intercepts(extremes: &[Vec<f64>], ideal: &[f64]) -> Option<Vec<f64>> {
    let m = ideal.len();
    if extremes.len() != m || extremes.iter().any(|e| e.len() != m) {
        return None;
    }
    let a: Vec<Vec<f64>> = extremes
        .iter()
        .map(|e| e.iter().zip(ideal).map(|(v, z)| v - z).collect())
        .collect();
    let x = solve(a.clone(), vec![1.0; m])?;
    // The residual check of pymoo (`np.allclose(M x, 1)`).
    for row in &a {
        let r: f64 = row.iter().zip(&x).map(|(p, q)| p * q).sum();
        if !((r - 1.0).abs() <= 1e-8 + 1e-5) {
            return None;
        }
    }
    let b: Vec<f64> = x.iter().map(|v| 1.0 / v).collect();
    b.iter().all(|v| v.is_finite() && *v > 1e-6).then_some(b)
}

/// Gaussian elimination with partial pivoting; `None` for a singular matrix.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let piv = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if !(a[piv][col].abs() > 1e-14) {
            return None;
        }
        a.swap(col, piv);
        b.swap(col, piv);
        for r in col + 1..n {
            let factor = a[r][col] / a[col][col];
            for c in col..n {
                a[r][c] -= factor * a[col][c];
            }
            b[r] -= factor * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|c| a[r][c] * x[c]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simplex_front_has_unit_intercepts() {
        let front: Vec<Vec<f64>> = vec![
            vec![1.0, 0.0, 0.0],
            vec![0.0, 1.0, 0.0],
            vec![0.0, 0.0, 1.0],
            vec![0.3, 0.3, 0.4],
        ];
        let refs: Vec<&[f64]> = front.iter().map(Vec::as_slice).collect();
        let mut n = Normalisation::new(3);
        let nadir = n.update(&refs, &refs);
        assert_eq!(n.ideal, vec![0.0; 3]);
        for v in nadir {
            assert!((v - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn degenerate_plane_falls_back_to_the_front() {
        let front: Vec<Vec<f64>> = vec![vec![0.0, 2.0, 1.0], vec![2.0, 0.0, 1.0]];
        let refs: Vec<&[f64]> = front.iter().map(Vec::as_slice).collect();
        let nadir = Normalisation::new(3).update(&refs, &refs);
        assert_eq!(nadir, vec![2.0, 2.0, 1.0]);
    }
}
