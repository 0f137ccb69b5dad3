//! Reference directions on the unit simplex for decomposition-based methods
//! (NSGA-III, MOEA/D): the Das–Dennis lattice (Das & Dennis 1998) of all
//! `w = k/p` with `Σ k = p`, `C(p + m − 1, m − 1)` points for `m` objectives and
//! `p` partitions; for six objectives and more, two layers (Deb & Jain 2014): a
//! boundary layer with `p` partitions and an inner layer with `p − 1`, shrunk
//! halfway towards the centroid, `w' = w/2 + 1/(2m)`.

/// From this many objectives on, reference directions come in two layers.
pub const TWO_LAYERS_FROM: usize = 6;

/// The number of Das–Dennis points `C(p + m − 1, m − 1)`, or `None` above
/// `usize::MAX`.
pub fn lattice_size(m: usize, p: usize) -> Option<usize> {
    if m == 0 {
        return Some(0);
    }
    let (n, k) = (p + m - 1, (m - 1).min(p));
    let mut c: u128 = 1;
    for i in 0..k {
        c = c * (n - i) as u128 / (i + 1) as u128;
        if c > usize::MAX as u128 {
            return None;
        }
    }
    usize::try_from(c).ok()
}

/// The number of directions [`directions`] gives for `m` objectives and `p`
/// partitions (both layers for `m >= TWO_LAYERS_FROM`).
pub fn direction_count(m: usize, p: usize) -> Option<usize> {
    let outer = lattice_size(m, p)?;
    if m < TWO_LAYERS_FROM || p < 2 {
        return Some(outer);
    }
    outer.checked_add(lattice_size(m, p - 1)?)
}

/// The largest number of partitions whose directions number at most `pop`
/// (at least 1). With one objective there is one direction whatever the number of
/// partitions: 1.
pub fn partitions_for(m: usize, pop: usize) -> usize {
    if m <= 1 {
        return 1;
    }
    let mut p = 1;
    // The count grows with p for m >= 2, so this ends by p = pop.
    while p < pop.max(1) && direction_count(m, p + 1).is_some_and(|c| c <= pop) {
        p += 1;
    }
    p
}

/// The Das–Dennis points with `p` partitions in `m` objectives, in lexicographic
/// order of their integer numerators (descending first coordinate).
pub fn das_dennis(m: usize, p: usize) -> Vec<Vec<f64>> {
    let mut out = Vec::new();
    if m == 0 {
        return out;
    }
    if p == 0 {
        out.push(vec![1.0 / m as f64; m]);
        return out;
    }
    let mut k = vec![0usize; m];
    fill(&mut k, 0, p, p, &mut out);
    out
}

fn fill(k: &mut [usize], at: usize, left: usize, p: usize, out: &mut Vec<Vec<f64>>) {
    if at + 1 == k.len() {
        k[at] = left;
        out.push(k.iter().map(|&v| v as f64 / p as f64).collect());
        return;
    }
    for v in (0..=left).rev() {
        k[at] = v;
        fill(k, at + 1, left - v, p, out);
    }
}

/// The reference directions for `m` objectives and `p` partitions: one
/// Das–Dennis layer below [`TWO_LAYERS_FROM`] objectives, two from there on.
pub fn directions(m: usize, p: usize) -> Vec<Vec<f64>> {
    let mut dirs = das_dennis(m, p);
    if m >= TWO_LAYERS_FROM && p >= 2 {
        let shift = 0.5 / m as f64;
        dirs.extend(
            das_dennis(m, p - 1)
                .into_iter()
                .map(|w| w.into_iter().map(|v| 0.5 * v + shift).collect()),
        );
    }
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_simplex() {
        // pymoo: get_reference_directions("das-dennis", 3, n_partitions=12) has 91.
        assert_eq!(das_dennis(3, 12).len(), 91);
        assert_eq!(lattice_size(3, 12), Some(91));
        // Deb & Jain's 8 objectives, (3, 2) layers: 120 + 36 = 156.
        assert_eq!(direction_count(8, 3), Some(156));
        assert_eq!(directions(8, 3).len(), 156);
        for w in directions(8, 3).iter().chain(&das_dennis(3, 12)) {
            assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!(w.iter().all(|&v| v >= 0.0));
        }
        assert_eq!(partitions_for(3, 92), 12);
        assert_eq!(partitions_for(8, 156), 3);
        assert_eq!(lattice_size(200, 200), None);
    }

    #[test]
    fn one_objective_has_one_partition_and_small_populations_end() {
        // Found by the mutation fuzz: with one score (an `nsga3()` search whose
        // objective returns a number) the count never grew and this never ended.
        assert_eq!(partitions_for(1, 92), 1);
        assert_eq!(partitions_for(0, 92), 1);
        assert_eq!(partitions_for(2, 1), 1);
        assert_eq!(partitions_for(2, 0), 1);
        assert_eq!(direction_count(2, partitions_for(2, 10)), Some(10));
    }
}
