//! Pareto dominance for minimised score vectors: fast non-dominated sorting
//! and crowding distance (Deb et al. 2002, as in optl-solvers's NSGA-II,
//! whose helpers are private to it and tied to its population type), and the
//! first front of a set of trials.

/// Does `a` dominate `b` (no worse everywhere, better somewhere)?
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

/// Fast non-dominated sort: the fronts, best first, as indices into `points`
/// (ascending within a front).
pub fn fronts(points: &[Vec<f64>]) -> Vec<Vec<usize>> {
    let n = points.len();
    let mut dominated_by: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut count = vec![0usize; n];
    for i in 0..n {
        for j in (i + 1)..n {
            if dominates(&points[i], &points[j]) {
                dominated_by[i].push(j);
                count[j] += 1;
            } else if dominates(&points[j], &points[i]) {
                dominated_by[j].push(i);
                count[i] += 1;
            }
        }
    }
    let mut out = Vec::new();
    let mut current: Vec<usize> = (0..n).filter(|&i| count[i] == 0).collect();
    while !current.is_empty() {
        let mut next = Vec::new();
        for &i in &current {
            for &j in &dominated_by[i] {
                count[j] -= 1;
                if count[j] == 0 {
                    next.push(j);
                }
            }
        }
        next.sort_unstable();
        out.push(std::mem::replace(&mut current, next));
    }
    out
}

/// Crowding distance of each member of `front` (same order): the sum over
/// objectives of the normalised gap between its neighbours; boundary points
/// and fronts of at most two points get `+inf`.
// `k` indexes the objectives inside each point, not `points` itself.
#[allow(clippy::needless_range_loop)]
pub fn crowding(points: &[Vec<f64>], front: &[usize]) -> Vec<f64> {
    let len = front.len();
    let mut d = vec![0.0; len];
    if len <= 2 {
        return vec![f64::INFINITY; len];
    }
    let m = points[front[0]].len();
    let mut order: Vec<usize> = (0..len).collect();
    for k in 0..m {
        order.sort_by(|&a, &b| points[front[a]][k].total_cmp(&points[front[b]][k]));
        let lo = points[front[order[0]]][k];
        let hi = points[front[order[len - 1]]][k];
        d[order[0]] = f64::INFINITY;
        d[order[len - 1]] = f64::INFINITY;
        let range = hi - lo;
        if !(range > 0.0 && range.is_finite()) {
            continue;
        }
        for w in 1..len - 1 {
            let gap = (points[front[order[w + 1]]][k] - points[front[order[w - 1]]][k]) / range;
            if gap.is_finite() {
                d[order[w]] += gap;
            }
        }
    }
    d
}

/// The non-dominated members of `items` (pairs of an id and a score
/// vector), as ids in ascending order. Sorting lexicographically first means
/// a point can only be dominated by points before it, so each is compared with
/// the front found so far only.
pub fn first_front(items: &[(usize, &[f64])]) -> Vec<usize> {
    let mut sorted: Vec<&(usize, &[f64])> = items.iter().collect();
    sorted.sort_by(|a, b| {
        a.1.iter()
            .zip(b.1)
            .map(|(x, y)| x.total_cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.0.cmp(&b.0))
    });
    let mut front: Vec<(usize, &[f64])> = Vec::new();
    for &&(id, s) in &sorted {
        if !front.iter().any(|(_, f)| dominates(f, s)) {
            front.push((id, s));
        }
    }
    let mut ids: Vec<usize> = front.into_iter().map(|(id, _)| id).collect();
    ids.sort_unstable();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fronts_and_crowding() {
        let p = vec![
            vec![1.0, 4.0],
            vec![2.0, 2.0],
            vec![3.0, 3.0],
            vec![4.0, 1.0],
            vec![5.0, 5.0],
        ];
        assert_eq!(fronts(&p), vec![vec![0, 1, 3], vec![2], vec![4]]);
        let c = crowding(&p, &[0, 1, 3]);
        assert!(c[0].is_infinite() && c[2].is_infinite());
        assert!((c[1] - 2.0).abs() < 1e-12);
        let items: Vec<(usize, &[f64])> = p
            .iter()
            .enumerate()
            .map(|(i, v)| (i, v.as_slice()))
            .collect();
        assert_eq!(first_front(&items), vec![0, 1, 3]);
    }
}
