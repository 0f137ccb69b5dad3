//! The dense Gibbs kernel and the passes over it that every method is made of.
//!
//! The plan of potentials `(f, g)` is `P_ij = exp((f_i + g_j − M_ij) / reg)`. The
//! [`Kernel`] stores it factored as `P_ij = u_i K̃_ij v_j` with one dense `n × m`
//! matrix `K̃_ij = exp((f̄_i + ḡ_j − M_ij) / reg)` of *reference* potentials
//! `(f̄, ḡ)` and the scalings `u = exp((f − f̄) / reg)`, `v = exp((g − ḡ) / reg)`:
//!
//! - in scaling mode `f̄ = ḡ = 0`, `K̃ = exp(−M / reg)` and `(u, v)` are the
//!   Sinkhorn–Knopp scalings;
//! - in log mode the references are moved to the current potentials (*absorbed*,
//!   each time an exact log-domain update with a stabilizing maximum) whenever a
//!   scaling leaves `[1/B, B]` ([`LOG_BOUND`]), so that nothing over- or
//!   underflows while every iteration between absorptions costs one multiply-add
//!   per entry instead of one exponential.
//!
//! Rows are processed in fixed blocks (a function of the shape only); column sums
//! are accumulated per block and the blocks' partial sums added in block order,
//! so every result is the same bit for bit whatever the number of threads.

mod absorb;
mod exp;
mod simd;

use std::ops::Range;

use rayon::prelude::*;

pub(crate) use exp::exp;
use simd::{axpy, axpy4, dot, dot4};

/// Bound of the scalings in log mode: `u, v ∈ [1/B, B]`. Entries of `K̃` that
/// underflow are then below `B² · 2.2e-308 ≈ 2e-108` in the plan: negligible.
pub(crate) const LOG_BOUND: f64 = 1e100;

/// In scaling mode with underflowed kernel entries, `max u · max v` must stay
/// below this for the lost entries to be negligible (`< 1e-107` each).
const SCALING_PRODUCT_BOUND: f64 = 1e200;

/// Kernel entries per block at least, and blocks at most.
const MIN_BLOCK_ENTRIES: usize = 16_384;
const MAX_BLOCKS: usize = 32;
/// From this many entries the passes run on the rayon pool.
const PARALLEL_ENTRIES: usize = 1 << 16;

/// The marginal a half-iteration fits: the weights `w` and the exponent `fi` of
/// the update. A balanced marginal (`fi = 1`) is met exactly: `f_i = reg ln w_i −
/// reg LSE_j((g_j − M_ij) / reg)`; a KL-relaxed one (unbalanced transport,
/// `fi = reg_m / (reg_m + reg)`) takes the step `fi` of the way in the log domain:
/// `f_i = reg ln w_i − fi · reg LSE_j((g_j − M_ij) / reg)`.
#[derive(Clone, Copy)]
pub(crate) struct Target<'a> {
    pub w: &'a [f64],
    pub fi: f64,
}

impl<'a> Target<'a> {
    /// A marginal met exactly.
    pub(crate) fn exact(w: &'a [f64]) -> Target<'a> {
        Target { w, fi: 1.0 }
    }

    /// The scaling of entry `i` given the kernel sum `sum = Σ_j K̃_ij v_j` and
    /// the entry's reference potential `bar`: `w_i / sum` when exact, else
    /// `exp(ln w_i − (1 − fi) bar / reg − fi ln sum)` (the same update with the
    /// reference taken out).
    #[inline]
    pub(crate) fn scaling(&self, i: usize, sum: f64, bar: f64, reg: f64) -> f64 {
        if self.fi == 1.0 {
            self.w[i] / sum
        } else {
            (self.w[i].ln() - (1.0 - self.fi) * bar / reg - self.fi * sum.ln()).exp()
        }
    }
}

/// A fixed partition of the rows into blocks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Blocks {
    /// Rows per block (the last may have fewer).
    pub rows: usize,
    /// Number of blocks.
    pub count: usize,
    parallel: bool,
}

impl Blocks {
    pub(crate) fn new(n: usize, m: usize) -> Blocks {
        let entries = n.saturating_mul(m);
        if entries < PARALLEL_ENTRIES || n < 2 {
            return Blocks {
                rows: n.max(1),
                count: 1,
                parallel: false,
            };
        }
        let rows = n
            .div_ceil(MAX_BLOCKS)
            .max(MIN_BLOCK_ENTRIES.div_ceil(m.max(1)))
            .min(n);
        Blocks {
            rows,
            count: n.div_ceil(rows),
            parallel: true,
        }
    }

    pub(crate) fn range(&self, b: usize, n: usize) -> Range<usize> {
        (b * self.rows).min(n)..((b + 1) * self.rows).min(n)
    }
}

/// One block's share of a pass: its rows of the kernel and of two per-row
/// vectors, and its own column accumulator.
pub(crate) struct Block<'a> {
    pub rows: Range<usize>,
    pub k: &'a mut [f64],
    pub x: &'a mut [f64],
    pub y: &'a mut [f64],
    pub part: &'a mut [f64],
}

/// The chunks of one block as the zipped iterators yield them.
type BlockChunks<'a> = (
    ((&'a mut [f64], &'a mut [f64]), &'a mut [f64]),
    &'a mut [f64],
);

/// Runs `f` on every block (on the pool when the problem is large) and returns
/// the blocks' results in block order.
pub(crate) fn run_blocks<R: Send>(
    blocks: Blocks,
    m: usize,
    k: &mut [f64],
    x: &mut [f64],
    y: &mut [f64],
    part: &mut [f64],
    f: impl Fn(Block<'_>) -> R + Sync + Send,
) -> Vec<R> {
    let n = x.len();
    let kw = (blocks.rows * m).max(1);
    let pw = m.max(1);
    let go = |(b, (((k, x), y), part)): (usize, BlockChunks<'_>)| {
        f(Block {
            rows: blocks.range(b, n),
            k,
            x,
            y,
            part,
        })
    };
    if blocks.parallel {
        k.par_chunks_mut(kw)
            .zip(x.par_chunks_mut(blocks.rows))
            .zip(y.par_chunks_mut(blocks.rows))
            .zip(part.par_chunks_mut(pw))
            .enumerate()
            .map(go)
            .collect()
    } else {
        k.chunks_mut(kw)
            .zip(x.chunks_mut(blocks.rows))
            .zip(y.chunks_mut(blocks.rows))
            .zip(part.chunks_mut(pw))
            .enumerate()
            .map(go)
            .collect()
    }
}

/// `out_j = Σ_b part_b[j]` (`max` instead when `max` is set), blocks in order.
pub(crate) fn combine(blocks: Blocks, part: &[f64], out: &mut [f64], max: bool) {
    let m = out.len();
    let work = |(c, chunk): (usize, &mut [f64])| {
        let lo = c * COMBINE_CHUNK;
        for (j, o) in chunk.iter_mut().enumerate() {
            let mut acc = part[lo + j];
            for b in 1..blocks.count {
                let p = part[b * m + lo + j];
                acc = if max { acc.max(p) } else { acc + p };
            }
            *o = acc;
        }
    };
    if blocks.parallel && m >= 2 * COMBINE_CHUNK {
        out.par_chunks_mut(COMBINE_CHUNK).enumerate().for_each(work);
    } else {
        out.chunks_mut(COMBINE_CHUNK).enumerate().for_each(work);
    }
}

const COMBINE_CHUNK: usize = 1024;

/// The factored plan `P = diag(u) K̃ diag(v)` and the work buffers of the passes.
pub(crate) struct Kernel {
    pub n: usize,
    pub m: usize,
    pub reg: f64,
    pub blocks: Blocks,
    /// `K̃`, row-major `n × m`.
    pub k: Vec<f64>,
    /// Reference potentials (zero in scaling mode).
    pub fbar: Vec<f64>,
    pub gbar: Vec<f64>,
    /// Scalings.
    pub u: Vec<f64>,
    pub v: Vec<f64>,
    /// `(K̃ v)_i` of the last row pass.
    pub s: Vec<f64>,
    /// `(K̃ᵀ u)_j` of the last pass.
    pub w: Vec<f64>,
    /// Per-block column accumulators, `blocks.count × m`.
    pub part: Vec<f64>,
    /// Log mode: references are absorbed and scalings kept in `[1/B, B]`.
    pub log: bool,
    /// Scaling mode: some entries of `exp(−M / reg)` underflowed.
    lost: bool,
}

impl Kernel {
    /// An empty kernel of the problem's shape (no dense storage yet).
    pub(crate) fn new(n: usize, m: usize, reg: f64) -> Kernel {
        let blocks = Blocks::new(n, m);
        Kernel {
            n,
            m,
            reg,
            blocks,
            k: Vec::new(),
            fbar: vec![0.0; n],
            gbar: vec![0.0; m],
            u: vec![1.0; n],
            v: vec![1.0; m],
            s: vec![0.0; n],
            w: vec![0.0; m],
            part: vec![0.0; blocks.count * m.max(1)],
            log: false,
            lost: false,
        }
    }

    /// Makes room for `K̃` (zeroed pages from the allocator, touched first by the
    /// parallel pass that fills them).
    pub(crate) fn alloc(&mut self) {
        if self.k.len() != self.n * self.m {
            self.k = vec![0.0; self.n * self.m];
        }
    }

    /// Scaling mode: `K̃ = exp(−M / reg)`, references zero, and `w = K̃ᵀ u` for
    /// the current `u` (the first product, fused with the exponentials).
    pub(crate) fn form_scaling(&mut self, cost: &[f64]) {
        let (m, reg) = (self.m, self.reg);
        self.alloc();
        let u = &self.u;
        let lost = run_blocks(
            self.blocks,
            m,
            &mut self.k,
            &mut self.s,
            &mut self.fbar,
            &mut self.part,
            |blk| {
                blk.part.fill(0.0);
                let mut lost = false;
                for (i, row) in blk.rows.clone().zip(blk.k.chunks_exact_mut(m)) {
                    let src = &cost[i * m..(i + 1) * m];
                    let ui = u[i];
                    for ((kij, &mij), pj) in row.iter_mut().zip(src).zip(blk.part.iter_mut()) {
                        *kij = exp(mij / -reg);
                        lost |= *kij < f64::MIN_POSITIVE;
                        *pj += ui * *kij;
                    }
                }
                lost
            },
        );
        combine(self.blocks, &self.part, &mut self.w, false);
        self.lost = lost.into_iter().any(|l| l);
        self.fbar.fill(0.0);
        self.gbar.fill(0.0);
        self.log = false;
    }

    /// The fused pass of one Sinkhorn half-iteration: `s = K̃ v`, then (when `a`
    /// is given) `u` fitted to it (`u = a / s` when exact), and `w = K̃ᵀ u`,
    /// reading `K̃` once.
    pub(crate) fn row_pass(&mut self, a: Option<Target<'_>>) {
        let (m, reg) = (self.m, self.reg);
        let v = &self.v;
        let fbar = &self.fbar;
        run_blocks(
            self.blocks,
            m,
            &mut self.k,
            &mut self.u,
            &mut self.s,
            &mut self.part,
            |blk| {
                blk.part.fill(0.0);
                let r0 = blk.rows.start;
                let mut quads = blk.k.chunks_exact(4 * m);
                let mut i = 0;
                for quad in &mut quads {
                    let (q0, rest) = quad.split_at(m);
                    let (q1, rest) = rest.split_at(m);
                    let (q2, q3) = rest.split_at(m);
                    let rows = [q0, q1, q2, q3];
                    let s4 = dot4(rows, v);
                    let mut w4 = [0.0; 4];
                    for t in 0..4 {
                        blk.y[i + t] = s4[t];
                        if let Some(a) = a {
                            let r = r0 + i + t;
                            blk.x[i + t] = a.scaling(r, s4[t], fbar[r], reg);
                        }
                        w4[t] = blk.x[i + t];
                    }
                    axpy4(w4, rows, blk.part);
                    i += 4;
                }
                for row in quads.remainder().chunks_exact(m) {
                    let si = dot(row, v);
                    blk.y[i] = si;
                    if let Some(a) = a {
                        let r = r0 + i;
                        blk.x[i] = a.scaling(r, si, fbar[r], reg);
                    }
                    axpy(blk.x[i], row, blk.part);
                    i += 1;
                }
            },
        );
        combine(self.blocks, &self.part, &mut self.w, false);
    }

    /// `v` fitted to `b` (`v = b / w` when exact): the column half-iteration
    /// after a pass.
    pub(crate) fn update_v(&mut self, b: Target<'_>) {
        for (j, (vj, wj)) in self.v.iter_mut().zip(&self.w).enumerate() {
            *vj = b.scaling(j, *wj, self.gbar[j], self.reg);
        }
    }

    /// Whether the scalings `x` can be used in the current mode.
    pub(crate) fn scalings_ok(&self, x: &[f64], other_max: f64) -> bool {
        if self.log {
            return x
                .iter()
                .all(|&t| (1.0 / LOG_BOUND..=LOG_BOUND).contains(&t));
        }
        let mut max = 0.0f64;
        for &t in x {
            if !(t.is_finite() && t >= f64::MIN_POSITIVE) {
                return false;
            }
            max = max.max(t);
        }
        !self.lost || max * other_max <= SCALING_PRODUCT_BOUND
    }

    /// `u` usable after a row update.
    pub(crate) fn u_ok(&self) -> bool {
        let vmax = self.v.iter().fold(0.0f64, |acc, &t| acc.max(t));
        self.scalings_ok(&self.u, vmax)
    }

    /// `v` usable after a column update.
    pub(crate) fn v_ok(&self) -> bool {
        let umax = self.u.iter().fold(0.0f64, |acc, &t| acc.max(t));
        self.scalings_ok(&self.v, umax)
    }

    /// Potentials `f = f̄ + reg ln u` into `out`.
    pub(crate) fn f_into(&self, out: &mut [f64]) {
        for ((o, fb), u) in out.iter_mut().zip(&self.fbar).zip(&self.u) {
            *o = fb + self.reg * u.ln();
        }
    }

    /// Potentials `g = ḡ + reg ln v` into `out`.
    pub(crate) fn g_into(&self, out: &mut [f64]) {
        for ((o, gb), v) in out.iter_mut().zip(&self.gbar).zip(&self.v) {
            *o = gb + self.reg * v.ln();
        }
    }

    /// Marginal errors of the last pass: `(Σ|u∘s − a|, Σ|v∘w − b|)` in the L1 norm,
    /// or the Euclidean norms when `l2`.
    pub(crate) fn marginal_errors(&self, a: &[f64], b: &[f64], l2: bool) -> (f64, f64) {
        let norm = |it: &mut dyn Iterator<Item = f64>| {
            if l2 {
                it.map(|d| d * d).sum::<f64>().sqrt()
            } else {
                it.map(f64::abs).sum::<f64>()
            }
        };
        let rows = norm(
            &mut self
                .u
                .iter()
                .zip(&self.s)
                .zip(a)
                .map(|((u, s), a)| u * s - a),
        );
        let cols = norm(
            &mut self
                .v
                .iter()
                .zip(&self.w)
                .zip(b)
                .map(|((v, w), b)| v * w - b),
        );
        (rows, cols)
    }
}
