//! The static schedule of NumPy's pairwise summation, which `optl_tensor::sum` uses
//! and the JIT reproduces bit for bit.
//!
//! `pairwise(a)` of `n` elements: below 8, a left-to-right sum; up to 128, eight
//! accumulators `r[j] = a[j] + a[j + 8] + ...` combined as
//! `((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))`, then the last `n % 8`
//! elements added in order; above 128, `pairwise(a[..m]) + pairwise(a[m..])` with
//! `m = n/2 - (n/2) % 8`. With `n` known at compile time the recursion unfolds into
//! a list of leaf blocks (each of 64 to 128 elements, all a multiple of 8 long but
//! the last) and, after each leaf, how many times the two values on top of a stack
//! are added: a post-order walk of the recursion tree that a small loop can run.

/// Longest block summed with eight accumulators.
pub(crate) const BLOCK: usize = 128;

/// A leaf block and the number of additions that follow it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Leaf {
    pub start: usize,
    pub len: usize,
    pub combines: usize,
}

/// The leaves of the recursion for `n > BLOCK` elements, in order.
pub(crate) fn leaves(n: usize) -> Vec<Leaf> {
    fn rec(start: usize, n: usize, out: &mut Vec<Leaf>) {
        if n <= BLOCK {
            out.push(Leaf {
                start,
                len: n,
                combines: 0,
            });
        } else {
            let mut n2 = n / 2;
            n2 -= n2 % 8;
            rec(start, n2, out);
            rec(start + n2, n - n2, out);
            if let Some(l) = out.last_mut() {
                l.combines += 1;
            }
        }
    }
    let mut out = Vec::new();
    rec(0, n, &mut out);
    out
}

/// Depth of the stack of partial sums just before each leaf is pushed, and the
/// largest depth reached.
pub(crate) fn depths(leaves: &[Leaf]) -> (Vec<usize>, usize) {
    let mut depth = 0usize;
    let mut max = 0usize;
    let mut before = Vec::with_capacity(leaves.len());
    for l in leaves {
        before.push(depth);
        depth += 1;
        max = max.max(depth);
        depth -= l.combines;
    }
    (before, max)
}

/// The schedule run in plain Rust: what the generated code computes (for tests).
#[cfg(test)]
pub(crate) fn sum_by_schedule(a: &[f64]) -> f64 {
    fn block(a: &[f64]) -> f64 {
        if a.len() < 8 {
            return a.iter().fold(-0.0, |s, &x| s + x);
        }
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[..8]);
        let full = a.len() - a.len() % 8;
        let mut i = 8;
        while i < full {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &a[full..] {
            s += x;
        }
        s
    }
    if a.len() <= BLOCK {
        return block(a);
    }
    let mut stack: Vec<f64> = Vec::new();
    for l in leaves(a.len()) {
        let mut top = block(&a[l.start..l.start + l.len]);
        for _ in 0..l.combines {
            // Left (earlier) partial sum first, as in the recursion.
            #[allow(clippy::assign_op_pattern)]
            {
                top = stack.pop().unwrap_or(f64::NAN) + top;
            }
        }
        stack.push(top);
    }
    stack.pop().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_matches_optl_tensor_sum_bitwise() {
        let mut x = 0.1234f64;
        for n in (1..600).chain([1000, 1023, 1024, 1025, 4097, 100_003]) {
            let a: Vec<f64> = (0..n)
                .map(|i| {
                    x = (x * 3.7 + 0.31).fract();
                    (x - 0.5) * 10f64.powi((i % 7) as i32 - 3)
                })
                .collect();
            let t = optl_tensor::from_vec(&[n], a.clone()).expect("tensor");
            let want = optl_tensor::sum(&t, None).expect("sum")[[]];
            assert_eq!(sum_by_schedule(&a).to_bits(), want.to_bits(), "n = {n}");
        }
    }

    #[test]
    fn leaves_cover_the_range_and_only_the_last_has_a_tail() {
        for n in [129, 200, 1000, 12345, 1 << 20] {
            let ls = leaves(n);
            let mut next = 0;
            for (k, l) in ls.iter().enumerate() {
                assert_eq!(l.start, next);
                assert!(l.len >= 64 && l.len <= BLOCK);
                assert!(l.len % 8 == 0 || k + 1 == ls.len());
                next += l.len;
            }
            assert_eq!(next, n);
            let (before, max) = depths(&ls);
            assert!(max <= 64);
            // Everything is combined into one value at the end.
            assert_eq!(before[ls.len() - 1] + 1, ls[ls.len() - 1].combines + 1);
        }
    }
}
