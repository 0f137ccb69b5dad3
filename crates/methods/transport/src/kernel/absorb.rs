//! The exact log-domain passes of the kernel, which move the reference
//! potentials (*absorb* the scalings), and the final pass that turns the factored
//! plan into the dense plan.
//!
//! Each absorbing pass is an exact log-domain half-iteration with the
//! log-sum-exp stabilized by the maximum of its terms, so it is finite for any
//! regularization: [`Kernel::absorb_rows`] is
//! `f_i = reg ln a_i − reg LSE_j((g_j − M_ij) / reg)` and [`Kernel::absorb_cols`]
//! its transpose. After either, `K̃` is the plan itself and `u = v = 1`.

use super::{Kernel, Target, combine, exp, run_blocks};

/// `absorb_cols` leaves column scalings in `[1/S, S]` in `v` instead of
/// rescaling the kernel.
const ABSORB_SCALE: f64 = 1e50;

/// What the final pass returns: the plan and its marginals and cost.
pub(crate) struct Dense {
    pub plan: Vec<f64>,
    pub rows: Vec<f64>,
    pub cols: Vec<f64>,
    pub cost: f64,
}

impl Kernel {
    /// Log mode, exact row update from the column potentials `g`: afterwards
    /// `K̃ = P(f, g)` with `f` the exact update of [`Target`] (row sums `a` when
    /// exact), `f̄ = f`, `ḡ = g`, `u = v = 1`, `s` the row sums and `w` the
    /// column sums.
    pub(crate) fn absorb_rows(&mut self, cost: &[f64], a: Target<'_>, g: &[f64]) {
        let (m, reg) = (self.m, self.reg);
        self.alloc();
        run_blocks(
            self.blocks,
            m,
            &mut self.k,
            &mut self.fbar,
            &mut self.s,
            &mut self.part,
            |blk| {
                blk.part.fill(0.0);
                for ((t, i), row) in blk.rows.clone().enumerate().zip(blk.k.chunks_exact_mut(m)) {
                    let mrow = &cost[i * m..(i + 1) * m];
                    let mut xmax = f64::NEG_INFINITY;
                    for (gj, mij) in g.iter().zip(mrow) {
                        xmax = xmax.max((gj - mij) / reg);
                    }
                    let mut sum = 0.0;
                    for ((kij, gj), mij) in row.iter_mut().zip(g).zip(mrow) {
                        *kij = exp((gj - mij) / reg - xmax);
                        sum += *kij;
                    }
                    let scale = a.scaling(i, sum, -reg * xmax, reg);
                    let mut rsum = 0.0;
                    for (kij, pj) in row.iter_mut().zip(blk.part.iter_mut()) {
                        *kij *= scale;
                        rsum += *kij;
                        *pj += *kij;
                    }
                    blk.x[t] = reg * (a.w[i].ln() - a.fi * (xmax + sum.ln()));
                    blk.y[t] = rsum;
                }
            },
        );
        combine(self.blocks, &self.part, &mut self.w, false);
        self.gbar.copy_from_slice(g);
        self.u.fill(1.0);
        self.v.fill(1.0);
        self.log = true;
    }

    /// Log mode, exact column update from the row potentials `f`: afterwards
    /// `P(f, g) = K̃ diag(v)` with `g` the exact update of [`Target`] (column
    /// sums `b` when exact), `f̄ = f`, `u = 1`, `w = K̃ᵀ 1` (`s` is not set: a row
    /// update follows).
    pub(crate) fn absorb_cols(&mut self, cost: &[f64], b: Target<'_>, f: &[f64]) {
        let (m, reg) = (self.m, self.reg);
        self.alloc();
        // Column maxima of (f_i − M_ij) / reg.
        run_blocks(
            self.blocks,
            m,
            &mut self.k,
            &mut self.u,
            &mut self.s,
            &mut self.part,
            |blk| {
                blk.part.fill(f64::NEG_INFINITY);
                for i in blk.rows.clone() {
                    let mrow = &cost[i * m..(i + 1) * m];
                    for (pj, mij) in blk.part.iter_mut().zip(mrow) {
                        *pj = pj.max((f[i] - mij) / reg);
                    }
                }
            },
        );
        let mut cmax = std::mem::take(&mut self.gbar);
        combine(self.blocks, &self.part, &mut cmax, true);
        // Shifted exponentials and their column sums.
        run_blocks(
            self.blocks,
            m,
            &mut self.k,
            &mut self.u,
            &mut self.s,
            &mut self.part,
            |blk| {
                blk.part.fill(0.0);
                for (i, row) in blk.rows.clone().zip(blk.k.chunks_exact_mut(m)) {
                    let mrow = &cost[i * m..(i + 1) * m];
                    for (((kij, pj), mij), cj) in
                        row.iter_mut().zip(blk.part.iter_mut()).zip(mrow).zip(&cmax)
                    {
                        *kij = exp((f[i] - mij) / reg - cj);
                        *pj += *kij;
                    }
                }
            },
        );
        combine(self.blocks, &self.part, &mut self.w, false);
        self.fbar.copy_from_slice(f);
        self.u.fill(1.0);
        self.log = true;
        // v = b / (column sums) when in range (then ḡ = −reg · max), else the
        // columns are scaled to b in place (then v = 1).
        let in_range = self.w.iter().enumerate().all(|(j, &s)| {
            (1.0 / ABSORB_SCALE..=ABSORB_SCALE).contains(&b.scaling(j, s, -reg * cmax[j], reg))
        });
        if in_range {
            for (j, ((gj, vj), &s)) in cmax.iter_mut().zip(&mut self.v).zip(&self.w).enumerate() {
                *gj *= -reg;
                *vj = b.scaling(j, s, *gj, reg);
            }
            self.gbar = cmax;
            return;
        }
        for (j, (wj, cj)) in self.w.iter_mut().zip(cmax.iter_mut()).enumerate() {
            let sum = *wj;
            let scale = b.scaling(j, sum, -reg * *cj, reg);
            *cj = reg * (b.w[j].ln() - b.fi * (*cj + sum.ln()));
            *wj = scale;
        }
        self.gbar = cmax;
        let scale = &self.w;
        run_blocks(
            self.blocks,
            m,
            &mut self.k,
            &mut self.u,
            &mut self.s,
            &mut self.part,
            |blk| {
                blk.part.fill(0.0);
                for row in blk.k.chunks_exact_mut(m) {
                    for ((kij, sj), pj) in row.iter_mut().zip(scale).zip(blk.part.iter_mut()) {
                        *kij *= sj;
                        *pj += *kij;
                    }
                }
            },
        );
        combine(self.blocks, &self.part, &mut self.w, false);
        self.u.fill(1.0);
        self.v.fill(1.0);
    }

    /// Log mode at given potentials: `K̃ = exp((f + g − M) / reg)`, `f̄ = f`,
    /// `ḡ = g`, `u = v = 1`. Returns false if an entry is not finite.
    pub(crate) fn absorb_both(&mut self, cost: &[f64], f: &[f64], g: &[f64]) -> bool {
        let (m, reg) = (self.m, self.reg);
        self.alloc();
        let finite = run_blocks(
            self.blocks,
            m,
            &mut self.k,
            &mut self.u,
            &mut self.s,
            &mut self.part,
            |blk| {
                let mut ok = true;
                for (i, row) in blk.rows.clone().zip(blk.k.chunks_exact_mut(m)) {
                    let mrow = &cost[i * m..(i + 1) * m];
                    for ((kij, gj), mij) in row.iter_mut().zip(g).zip(mrow) {
                        *kij = exp((f[i] + gj - mij) / reg);
                        ok &= kij.is_finite();
                    }
                }
                ok
            },
        );
        self.fbar.copy_from_slice(f);
        self.gbar.copy_from_slice(g);
        self.u.fill(1.0);
        self.v.fill(1.0);
        self.log = true;
        finite.into_iter().all(|ok| ok)
    }

    /// The dense plan `P = diag(u) K̃ diag(v)`, formed in the kernel's storage,
    /// with its row sums, column sums and `⟨P, M⟩`.
    pub(crate) fn into_dense(mut self, cost: &[f64]) -> Dense {
        let m = self.m;
        let (u, v) = (&self.u, &self.v);
        let costs = run_blocks(
            self.blocks,
            m,
            &mut self.k,
            &mut self.s,
            &mut self.fbar,
            &mut self.part,
            |blk| {
                blk.part.fill(0.0);
                let mut total = 0.0;
                for ((t, i), row) in blk.rows.clone().enumerate().zip(blk.k.chunks_exact_mut(m)) {
                    let mrow = &cost[i * m..(i + 1) * m];
                    let (mut rsum, mut c) = (0.0, 0.0);
                    for (((kij, vj), pj), mij) in
                        row.iter_mut().zip(v).zip(blk.part.iter_mut()).zip(mrow)
                    {
                        *kij *= u[i] * vj;
                        rsum += *kij;
                        c += *kij * mij;
                        *pj += *kij;
                    }
                    blk.x[t] = rsum;
                    total += c;
                }
                total
            },
        );
        combine(self.blocks, &self.part, &mut self.w, false);
        Dense {
            plan: self.k,
            rows: self.s,
            cols: self.w,
            cost: costs.iter().sum(),
        }
    }
}
