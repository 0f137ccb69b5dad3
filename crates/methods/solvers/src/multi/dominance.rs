//! Pareto dominance with Deb's constraint handling, and non-dominated sorting.
//!
//! Constrained domination: a point with the smaller total violation `cv` wins;
//! of two feasible points (`cv == 0`) the one at least as good in every objective
//! and better in one wins. So the feasible points come first, sorted into Pareto
//! fronts, and the infeasible ones follow, one front per distinct violation,
//! smallest first (two infeasible points with equal violation are incomparable).
//!
//! The feasible points are sorted by the efficient non-dominated sort of Zhang et
//! al. (2015, "ENS"): points in lexicographic order join the first front none of
//! whose members dominates them. Only earlier points can dominate later ones, and
//! with two objectives the last member of a front decides, so a binary search over
//! the fronts gives O(N log N) ("ENS-BS"); with more objectives the fronts are
//! searched in order and each front's members compared newest first ("ENS-SS").
//!
//! Also [`crowding`] (NSGA-II's crowding distance within a front) and
//! [`first_front`]; optl-search's NSGA-II and studies use these too.

/// Pareto dominance of objective vectors (minimization).
pub fn dominates(a: &[f64], b: &[f64]) -> bool {
    let mut strictly = false;
    for (x, y) in a.iter().zip(b) {
        if x > y {
            return false;
        }
        if x < y {
            strictly = true;
        }
    }
    strictly
}

/// The fronts of constrained domination as index lists, best first; each front in
/// ascending index order. `f[i]` are the objectives and `cv[i]` the violation of
/// point `i` (NaN violations count as infinite).
pub fn sort_fronts<F: AsRef<[f64]>>(f: &[F], cv: &[f64]) -> Vec<Vec<usize>> {
    let violation = |i: usize| if cv[i].is_nan() { f64::INFINITY } else { cv[i] };
    let (feasible, mut infeasible): (Vec<usize>, Vec<usize>) =
        (0..f.len()).partition(|&i| violation(i) == 0.0);
    let mut fronts = pareto_fronts(f, feasible);
    infeasible.sort_by(|&a, &b| violation(a).total_cmp(&violation(b)).then(a.cmp(&b)));
    for group in infeasible.chunk_by(|&a, &b| violation(a) == violation(b)) {
        fronts.push(group.to_vec());
    }
    fronts
}

/// The Pareto fronts of the points `idx` (ENS-BS for two objectives, ENS-SS above).
fn pareto_fronts<F: AsRef<[f64]>>(f: &[F], mut idx: Vec<usize>) -> Vec<Vec<usize>> {
    let lex = |a: &usize, b: &usize| {
        let (x, y) = (f[*a].as_ref(), f[*b].as_ref());
        x.iter()
            .zip(y)
            .map(|(p, q)| p.total_cmp(q))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(b))
    };
    idx.sort_by(lex);
    let two = idx.first().is_some_and(|&i| f[i].as_ref().len() == 2);
    let mut fronts: Vec<Vec<usize>> = Vec::new();
    for &p in &idx {
        let fp = f[p].as_ref();
        let joins = if two {
            // Fronts are ordered so that "a front dominates p" holds for a prefix.
            fronts.partition_point(|front| {
                let last = f[*front.last().expect("fronts are never empty")].as_ref();
                dominates(last, fp)
            })
        } else {
            fronts
                .iter()
                .position(|front| !front.iter().rev().any(|&q| dominates(f[q].as_ref(), fp)))
                .unwrap_or(fronts.len())
        };
        match fronts.get_mut(joins) {
            Some(front) => front.push(p),
            None => fronts.push(vec![p]),
        }
    }
    for front in &mut fronts {
        front.sort_unstable();
    }
    fronts
}

/// The Pareto fronts of unconstrained points, best first, ascending within a front.
pub fn fronts<F: AsRef<[f64]>>(points: &[F]) -> Vec<Vec<usize>> {
    sort_fronts(points, &vec![0.0; points.len()])
}

/// The non-dominated points of `points`, ascending.
pub fn first_front<F: AsRef<[f64]>>(points: &[F]) -> Vec<usize> {
    pareto_fronts(points, (0..points.len()).collect())
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// Crowding distance of each member of `front` (same order): the sum over
/// objectives of the normalised gap between its neighbours along that
/// objective; boundary points and fronts of at most two points get `+inf`.
pub fn crowding<F: AsRef<[f64]>>(points: &[F], front: &[usize]) -> Vec<f64> {
    let len = front.len();
    if len <= 2 {
        return vec![f64::INFINITY; len];
    }
    let f = |w: usize, k: usize| points[front[w]].as_ref()[k];
    let m = points[front[0]].as_ref().len();
    let mut d = vec![0.0; len];
    let mut order: Vec<usize> = (0..len).collect();
    for k in 0..m {
        order.sort_by(|&a, &b| f(a, k).total_cmp(&f(b, k)));
        let (lo, hi) = (f(order[0], k), f(order[len - 1], k));
        d[order[0]] = f64::INFINITY;
        d[order[len - 1]] = f64::INFINITY;
        let range = hi - lo;
        if !(range > 0.0 && range.is_finite()) {
            continue;
        }
        for w in 1..len - 1 {
            let gap = (f(order[w + 1], k) - f(order[w - 1], k)) / range;
            if gap.is_finite() {
                d[order[w]] += gap;
            }
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Does `a` (violation `cva`) dominate `b` (violation `cvb`) under constrained domination?
    fn constrained_dominates(a: &[f64], cva: f64, b: &[f64], cvb: f64) -> bool {
        if cva < cvb {
            return true;
        }
        if cva > cvb || cva > 0.0 {
            return false;
        }
        dominates(a, b)
    }

    /// Deb's O(M N²) counting sort, the definition the fast sorts must agree with.
    fn by_counting(f: &[Vec<f64>], cv: &[f64]) -> Vec<Vec<usize>> {
        let n = f.len();
        let mut rank = vec![usize::MAX; n];
        let mut left: Vec<usize> = (0..n).collect();
        let mut fronts = Vec::new();
        while !left.is_empty() {
            let front: Vec<usize> = left
                .iter()
                .copied()
                .filter(|&i| {
                    !left
                        .iter()
                        .any(|&j| constrained_dominates(&f[j], cv[j], &f[i], cv[i]))
                })
                .collect();
            for &i in &front {
                rank[i] = fronts.len();
            }
            left.retain(|i| rank[*i] == usize::MAX);
            fronts.push(front);
        }
        fronts
    }

    fn points(n: usize, m: usize, seed: u64, grid: f64) -> Vec<Vec<f64>> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                (0..m)
                    .map(|_| {
                        s = s
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        // Coarse values, so that ties and duplicates occur.
                        ((s >> 11) as f64 / (1u64 << 53) as f64 * grid).floor()
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn agrees_with_counting_sort_with_ties_and_constraints() {
        for m in [2, 3, 5] {
            for seed in 0..20 {
                let f = points(60, m, seed, 6.0);
                let cv: Vec<f64> = (0..60)
                    .map(|i| if i % 7 == 0 { (i % 3) as f64 } else { 0.0 })
                    .collect();
                assert_eq!(sort_fronts(&f, &cv), by_counting(&f, &cv), "m = {m}");
            }
        }
    }

    #[test]
    fn crowding_and_first_front() {
        let p = vec![
            vec![1.0, 4.0],
            vec![2.0, 2.0],
            vec![3.0, 3.0],
            vec![4.0, 1.0],
            vec![5.0, 5.0],
        ];
        assert_eq!(fronts(&p), vec![vec![0, 1, 3], vec![2], vec![4]]);
        assert_eq!(first_front(&p), vec![0, 1, 3]);
        let c = crowding(&p, &[0, 1, 3]);
        assert!(c[0].is_infinite() && c[2].is_infinite());
        // (4 - 1)/3 + (4 - 1)/3 between the neighbours of (2, 2).
        assert!((c[1] - 2.0).abs() < 1e-12);
    }

    #[test]
    fn duplicates_share_a_front() {
        let f = vec![vec![1.0, 2.0], vec![1.0, 2.0], vec![2.0, 2.0]];
        assert_eq!(sort_fronts(&f, &[0.0; 3]), vec![vec![0, 1], vec![2]]);
    }
}
