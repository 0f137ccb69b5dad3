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
//! the fronts dominating a point are always a prefix of the fronts, so a binary
//! search over them finds its front ("ENS-BS"). With two objectives the last member
//! of a front decides, O(N log N) in all; with three each front keeps the staircase
//! of its members' (f₂, f₃) (Kung et al. 1975) and answers in O(log N), O(N log² N)
//! in all; with more objectives the fronts are searched in order and each front's
//! members compared newest first ("ENS-SS", O(M N²) at worst).
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
    let m = idx.first().map_or(0, |&i| f[i].as_ref().len());
    let no_nan = || {
        idx.iter()
            .all(|&i| f[i].as_ref().iter().all(|v| !v.is_nan()))
    };
    if m == 3 && no_nan() {
        return three_objective_fronts(f, &idx);
    }
    let two = m == 2;
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

/// An f64 ordered by `total_cmp`, with -0 as +0 (so the order is `<` on numbers).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Ordered(f64);

impl Eq for Ordered {}

impl PartialOrd for Ordered {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ordered {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.0 + 0.0).total_cmp(&(other.0 + 0.0))
    }
}

/// The minimal (f₂, f₃) of a front's members, keyed by f₂ (f₃ then strictly
/// decreases), each with the f₁ of the first member that had it. Members join in
/// lexicographic order, so every member has f₁ at most that of a point asked about.
#[derive(Default)]
struct Staircase(std::collections::BTreeMap<Ordered, (f64, f64)>);

impl Staircase {
    /// Does a member dominate `p` (which comes after all members lexicographically)?
    fn dominates(&self, p: &[f64]) -> bool {
        let Some((q2, &(q3, q1))) = self.0.range(..=Ordered(p[1])).next_back() else {
            return false;
        };
        if q3 > p[2] {
            return false;
        }
        // An equal (f₂, f₃) dominates only with a smaller f₁; any other one does.
        q2.0 != p[1] || q3 != p[2] || q1 < p[0]
    }

    /// Adds `p`, which no member dominates.
    fn insert(&mut self, p: &[f64]) {
        let key = Ordered(p[1]);
        if let Some((_, &(q3, _))) = self.0.range(..=key).next_back()
            && q3 <= p[2]
        {
            return; // an equal or smaller (f₂, f₃) is there already
        }
        let covered: Vec<Ordered> = self
            .0
            .range(key..)
            .take_while(|(_, (q3, _))| *q3 >= p[2])
            .map(|(k, _)| *k)
            .collect();
        for k in covered {
            self.0.remove(&k);
        }
        self.0.insert(key, (p[2], p[0]));
    }
}

/// [`pareto_fronts`] for three objectives, `idx` in lexicographic order: a
/// binary search over the fronts, each asked through its [`Staircase`].
fn three_objective_fronts<F: AsRef<[f64]>>(f: &[F], idx: &[usize]) -> Vec<Vec<usize>> {
    let mut fronts: Vec<Vec<usize>> = Vec::new();
    let mut stairs: Vec<Staircase> = Vec::new();
    for &p in idx {
        let fp = f[p].as_ref();
        let joins = stairs.partition_point(|s| s.dominates(fp));
        if joins == fronts.len() {
            fronts.push(Vec::new());
            stairs.push(Staircase::default());
        }
        fronts[joins].push(p);
        stairs[joins].insert(fp);
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
        for m in [2, 3, 4, 5] {
            for seed in 0..40 {
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
    fn fine_values_and_signed_zeros() {
        for m in [3, 4] {
            for seed in 0..10 {
                let f = points(150, m, seed, 1e6);
                assert_eq!(sort_fronts(&f, &[0.0; 150]), by_counting(&f, &[0.0; 150]));
            }
        }
        let f = vec![
            vec![0.0, -0.0, 1.0],
            vec![-0.0, 0.0, 1.0],
            vec![0.0, 0.0, 2.0],
        ];
        assert_eq!(sort_fronts(&f, &[0.0; 3]), vec![vec![0, 1], vec![2]]);
    }

    #[test]
    fn duplicates_share_a_front() {
        let f = vec![vec![1.0, 2.0], vec![1.0, 2.0], vec![2.0, 2.0]];
        assert_eq!(sort_fronts(&f, &[0.0; 3]), vec![vec![0, 1], vec![2]]);
    }
}
