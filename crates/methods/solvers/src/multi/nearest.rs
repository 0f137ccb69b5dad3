//! NSGA-III's association of points with reference directions: each point goes
//! to the direction at the smallest perpendicular distance. For points and
//! directions in the positive orthant (NSGA-III's normalised objectives and
//! Das–Dennis directions) that is the direction of largest cosine, i.e. the
//! unit direction nearest to the point's own unit vector; from
//! [`TREE_FROM`] directions on a k-d tree finds it exactly in about log D
//! steps instead of D, which keeps a generation near-linear in the population
//! (D grows with it). Below that the directions are scanned.

/// From this many directions on, association goes through the k-d tree.
pub const TREE_FROM: usize = 256;

/// The unit reference directions, and a k-d tree over them when there are many.
#[derive(Clone, Debug)]
pub(crate) struct Directions {
    units: Vec<Vec<f64>>,
    tree: Vec<Node>,
}

/// A k-d tree node: a direction, the axis it splits, its subtrees (indices into
/// `tree`, `usize::MAX` for none).
#[derive(Clone, Debug)]
struct Node {
    dir: usize,
    axis: usize,
    left: usize,
    right: usize,
}

const NONE: usize = usize::MAX;

impl Directions {
    pub fn new(dirs: &[Vec<f64>]) -> Directions {
        let units: Vec<Vec<f64>> = dirs
            .iter()
            .map(|w| {
                let len = w.iter().map(|v| v * v).sum::<f64>().sqrt();
                w.iter().map(|v| v / len).collect()
            })
            .collect();
        let mut d = Directions {
            units,
            tree: Vec::new(),
        };
        if d.units.len() >= TREE_FROM {
            let mut ids: Vec<usize> = (0..d.units.len()).collect();
            d.build(&mut ids, 0);
        }
        d
    }

    /// Builds the subtree of `ids` splitting on `depth mod m`; its root's index.
    fn build(&mut self, ids: &mut [usize], depth: usize) -> usize {
        if ids.is_empty() {
            return NONE;
        }
        let axis = depth % self.units[0].len();
        let units = &self.units;
        ids.sort_by(|&a, &b| units[a][axis].total_cmp(&units[b][axis]).then(a.cmp(&b)));
        let mid = ids.len() / 2;
        let at = self.tree.len();
        self.tree.push(Node {
            dir: ids[mid],
            axis,
            left: NONE,
            right: NONE,
        });
        let (lo, rest) = ids.split_at_mut(mid);
        let left = self.build(lo, depth + 1);
        let right = self.build(&mut rest[1..], depth + 1);
        self.tree[at].left = left;
        self.tree[at].right = right;
        at
    }

    /// The number of directions.
    pub fn len(&self) -> usize {
        self.units.len()
    }

    /// Nearest direction and perpendicular distance of each point.
    pub fn associate(&self, points: &[Vec<f64>]) -> Vec<(usize, f64)> {
        points.iter().map(|p| self.nearest(p)).collect()
    }

    fn nearest(&self, p: &[f64]) -> (usize, f64) {
        let pp: f64 = p.iter().map(|v| v * v).sum();
        let perpendicular = |j: usize| {
            let t: f64 = p.iter().zip(&self.units[j]).map(|(a, b)| a * b).sum();
            (pp - t * t).max(0.0)
        };
        let best = if self.tree.is_empty() || !(pp > 0.0) || !pp.is_finite() {
            let mut best = (0, f64::INFINITY);
            for j in 0..self.units.len() {
                let d2 = perpendicular(j);
                if d2 < best.1 {
                    best = (j, d2);
                }
            }
            best.0
        } else {
            let len = pp.sqrt();
            let q: Vec<f64> = p.iter().map(|v| v / len).collect();
            let mut best = (f64::INFINITY, NONE);
            self.search(0, &q, &mut best);
            best.1
        };
        (best, perpendicular(best).sqrt())
    }

    /// The k-d search below `node` for the unit direction nearest `q`, as
    /// (squared distance, index), ties to the smaller index.
    fn search(&self, node: usize, q: &[f64], best: &mut (f64, usize)) {
        if node == NONE {
            return;
        }
        let n = &self.tree[node];
        let u = &self.units[n.dir];
        let d2: f64 = q.iter().zip(u).map(|(a, b)| (a - b) * (a - b)).sum();
        if d2 < best.0 || (d2 == best.0 && n.dir < best.1) {
            *best = (d2, n.dir);
        }
        let diff = q[n.axis] - u[n.axis];
        let (near, far) = if diff < 0.0 {
            (n.left, n.right)
        } else {
            (n.right, n.left)
        };
        self.search(near, q, best);
        if diff * diff <= best.0 {
            self.search(far, q, best);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::multi::reference::directions;

    fn points(count: usize, m: usize) -> Vec<Vec<f64>> {
        let mut s = 3u64;
        (0..count)
            .map(|_| {
                (0..m)
                    .map(|_| {
                        s = s
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1_442_695_040_888_963_407);
                        (s >> 11) as f64 / (1u64 << 53) as f64 * 1.5
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn the_tree_finds_the_scan_s_distance() {
        for (m, p) in [(3, 30), (5, 8), (8, 4)] {
            let dirs = directions(m, p);
            assert!(dirs.len() >= TREE_FROM, "{m}, {p}: {}", dirs.len());
            let tree = Directions::new(&dirs);
            let mut scan = Directions::new(&dirs);
            scan.tree.clear();
            let mut pts = points(500, m);
            pts.push(vec![0.0; m]);
            pts.push(dirs[7].clone());
            for (a, b) in tree.associate(&pts).into_iter().zip(scan.associate(&pts)) {
                assert!((a.1 - b.1).abs() <= 1e-12, "{a:?} vs {b:?}");
            }
        }
    }
}
