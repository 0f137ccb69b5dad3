//! Exact hypervolume of a set of points (minimization) with respect to a
//! reference point: a sweep for two objectives, and for more objectives
//! the HSO recursion ("hypervolume by slicing objectives", While et al. 2006),
//! which slices along the last objective and recurses on the rest. HSO is
//! exponential in the number of objectives in the worst case, which is fine for
//! the front sizes NSGA-II produces with 3–4 objectives.

/// The volume dominated by `front` and bounded by `reference` (all objectives
/// minimized). Points that are not strictly better than `reference` in every
/// objective, have the wrong length, or contain NaN/Inf contribute nothing.
pub fn hypervolume(front: &[Vec<f64>], reference: &[f64]) -> f64 {
    let d = reference.len();
    if d == 0 || reference.iter().any(|r| !r.is_finite()) {
        return 0.0;
    }
    let pts: Vec<Vec<f64>> = front
        .iter()
        .filter(|p| p.len() == d && p.iter().zip(reference).all(|(v, r)| v.is_finite() && v < r))
        .cloned()
        .collect();
    hso(pts, reference)
}

fn hso(mut pts: Vec<Vec<f64>>, r: &[f64]) -> f64 {
    let d = r.len();
    if pts.is_empty() {
        return 0.0;
    }
    match d {
        1 => r[0] - pts.iter().map(|p| p[0]).fold(f64::INFINITY, f64::min),
        2 => {
            pts.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
            let mut hv = 0.0;
            let mut y_prev = r[1];
            for p in &pts {
                if p[1] < y_prev {
                    hv += (r[0] - p[0]) * (y_prev - p[1]);
                    y_prev = p[1];
                }
            }
            hv
        }
        _ => {
            pts.sort_by(|a, b| a[d - 1].total_cmp(&b[d - 1]));
            let mut hv = 0.0;
            let mut slice: Vec<Vec<f64>> = Vec::with_capacity(pts.len());
            for i in 0..pts.len() {
                slice.push(pts[i][..d - 1].to_vec());
                let top = if i + 1 < pts.len() {
                    pts[i + 1][d - 1]
                } else {
                    r[d - 1]
                };
                let depth = top - pts[i][d - 1];
                if depth > 0.0 {
                    // Points dominated within the slice add nothing; dropping them
                    // keeps the recursion small.
                    slice = nondominated(slice);
                    hv += hso(slice.clone(), &r[..d - 1]) * depth;
                }
            }
            hv
        }
    }
}

/// The points not weakly dominated by another (duplicates kept once).
fn nondominated(pts: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    let mut keep: Vec<Vec<f64>> = Vec::with_capacity(pts.len());
    for (i, p) in pts.iter().enumerate() {
        let dominated = pts
            .iter()
            .enumerate()
            .any(|(j, q)| j != i && q.iter().zip(p).all(|(a, b)| a <= b) && (q != p || j < i));
        if !dominated {
            keep.push(p.clone());
        }
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::hypervolume;

    #[test]
    fn two_objectives() {
        let front = vec![vec![0.0, 1.0], vec![0.5, 0.5], vec![1.0, 0.0]];
        // Staircase under reference (2, 2): 2·1 + 1.5·0.5 + 1·0.5 = 3.25.
        assert!((hypervolume(&front, &[2.0, 2.0]) - 3.25).abs() < 1e-15);
    }

    #[test]
    fn three_objectives_matches_inclusion_exclusion() {
        let front = vec![
            vec![0.0, 0.5, 0.5],
            vec![0.5, 0.0, 0.5],
            vec![0.5, 0.5, 0.0],
        ];
        // Each box is 1·0.5·0.5 = 0.25... under reference 1: boxes [p,1]:
        // volumes 1·.5·.5 each = 0.25; pairwise intersections .5·.5·.5 = 0.125;
        // triple .125. Union = 3·0.25 − 3·0.125 + 0.125 = 0.5.
        assert!((hypervolume(&front, &[1.0, 1.0, 1.0]) - 0.5).abs() < 1e-15);
    }

    #[test]
    fn ignores_bad_points() {
        let front = vec![
            vec![f64::NAN, 0.0],
            vec![3.0, 0.0],
            vec![0.0],
            vec![1.0, 1.0],
        ];
        assert_eq!(hypervolume(&front, &[2.0, 2.0]), 1.0);
        assert_eq!(hypervolume(&front, &[f64::NAN, 2.0]), 0.0);
    }
}
