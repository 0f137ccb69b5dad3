//! Line searches along a direction: the Moré–Thuente strong-Wolfe search (a port
//! of MINPACK-2 `dcsrch`/`dcstep`, as used by L-BFGS-B 3.0) and an Armijo
//! backtracking search that also works along a projected (bent) path.
//!
//! Both searches take the trial evaluation as a closure returning `None` when
//! the objective or its slope is NaN/Inf there; they then back off towards the
//! best point found so far instead of failing, as the language requires.

/// Which line search a quasi-Newton method uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LineSearch {
    /// Moré–Thuente: strong Wolfe conditions with safeguarded cubic/quadratic
    /// interpolation (MINPACK-2 `dcsrch`). The default.
    #[default]
    MoreThuente,
    /// Armijo backtracking with safeguarded quadratic interpolation.
    Backtracking,
}

/// Parameters of a line search.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LsParams {
    /// Sufficient-decrease constant `c1` (`ftol` in `dcsrch`).
    pub ftol: f64,
    /// Curvature constant `c2` (`gtol` in `dcsrch`).
    pub gtol: f64,
    /// Relative width of the bracket below which the search gives up (`xtol`).
    pub xtol: f64,
    /// Largest number of trial evaluations.
    pub max_evals: usize,
}

/// NaN/Inf trials a search may back off from before it gives up (10^-60 of the
/// first step when no finite point was found).
const MAX_BACKOFFS: usize = 60;

/// Relative increase of `f` tolerated by the approximate Wolfe test (about the
/// rounding error of a sum of a few hundred terms).
const APPROX_WOLFE_RTOL: f64 = 1e-13;

/// The result of a line search.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct LsOutcome {
    /// Accepted step (0 when nothing was accepted).
    pub stp: f64,
    /// Objective at the accepted step.
    pub f: f64,
    /// Whether a step with `f < f0` was accepted.
    pub ok: bool,
    /// Whether the last evaluated trial is the accepted step (so the caller's
    /// buffers already hold its point and gradient).
    pub last_is_accepted: bool,
    /// Trial evaluations made.
    pub evals: usize,
    /// Whether every trial was NaN/Inf.
    pub all_nonfinite: bool,
}

/// A trial evaluation: `Some((f, slope))` or `None` when not finite.
pub(crate) type Trial<'a> = dyn FnMut(f64) -> Option<(f64, f64)> + 'a;

/// What `dcsrch` asks for next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Task {
    /// Evaluate at the new `stp`.
    Fg,
    /// Strong Wolfe conditions hold.
    Converged,
    /// No further progress possible (rounding, xtol, stpmax or stpmin reached).
    Warning,
}

/// State of the Moré–Thuente search (the `isave`/`dsave` of `dcsrch`).
struct Dcsrch {
    gtol: f64,
    xtol: f64,
    stpmin: f64,
    stpmax: f64,
    brackt: bool,
    stage: u8,
    ginit: f64,
    gtest: f64,
    finit: f64,
    width: f64,
    width1: f64,
    stx: f64,
    fx: f64,
    gx: f64,
    sty: f64,
    fy: f64,
    gy: f64,
    stmin: f64,
    stmax: f64,
}

impl Dcsrch {
    /// The `task = 'START'` branch: `f`, `g` are the value and slope at 0.
    fn start(p: &LsParams, f: f64, g: f64, stp: f64, stpmax: f64) -> Self {
        Dcsrch {
            gtol: p.gtol,
            xtol: p.xtol,
            stpmin: 0.0,
            stpmax,
            brackt: false,
            stage: 1,
            ginit: g,
            gtest: p.ftol * g,
            finit: f,
            width: stpmax,
            width1: stpmax / 0.5,
            stx: 0.0,
            fx: f,
            gx: g,
            sty: 0.0,
            fy: f,
            gy: g,
            stmin: 0.0,
            stmax: stp + 4.0 * stp,
        }
    }

    /// One call of `dcsrch` with the value `f` and slope `g` at `stp`;
    /// updates `stp` to the next trial when the task is `Fg`.
    fn iterate(&mut self, stp: &mut f64, f: f64, g: f64) -> Task {
        let ftest = self.finit + *stp * self.gtest;
        if self.stage == 1 && f <= ftest && g >= 0.0 {
            self.stage = 2;
        }
        let mut task = Task::Fg;
        if self.brackt && (*stp <= self.stmin || *stp >= self.stmax) {
            task = Task::Warning;
        }
        if self.brackt && self.stmax - self.stmin <= self.xtol * self.stmax {
            task = Task::Warning;
        }
        if *stp == self.stpmax && f <= ftest && g <= self.gtest {
            task = Task::Warning;
        }
        if *stp == self.stpmin && (f > ftest || g >= self.gtest) {
            task = Task::Warning;
        }
        if f <= ftest && g.abs() <= self.gtol * (-self.ginit) {
            task = Task::Converged;
        }
        if task != Task::Fg {
            return task;
        }
        // A modified function predicts the step in the first stage when a lower
        // value was found but the decrease is not yet sufficient.
        if self.stage == 1 && f <= self.fx && f > ftest {
            let gt = self.gtest;
            let mut fxm = self.fx - self.stx * gt;
            let mut fym = self.fy - self.sty * gt;
            let mut gxm = self.gx - gt;
            let mut gym = self.gy - gt;
            let fm = f - *stp * gt;
            let gm = g - gt;
            dcstep(
                &mut self.stx,
                &mut fxm,
                &mut gxm,
                &mut self.sty,
                &mut fym,
                &mut gym,
                stp,
                fm,
                gm,
                &mut self.brackt,
                self.stmin,
                self.stmax,
            );
            self.fx = fxm + self.stx * gt;
            self.fy = fym + self.sty * gt;
            self.gx = gxm + gt;
            self.gy = gym + gt;
        } else {
            dcstep(
                &mut self.stx,
                &mut self.fx,
                &mut self.gx,
                &mut self.sty,
                &mut self.fy,
                &mut self.gy,
                stp,
                f,
                g,
                &mut self.brackt,
                self.stmin,
                self.stmax,
            );
        }
        // Bisect when the bracket does not shrink fast enough.
        if self.brackt {
            if (self.sty - self.stx).abs() >= 0.66 * self.width1 {
                *stp = self.stx + 0.5 * (self.sty - self.stx);
            }
            self.width1 = self.width;
            self.width = (self.sty - self.stx).abs();
        }
        if self.brackt {
            self.stmin = self.stx.min(self.sty);
            self.stmax = self.stx.max(self.sty);
        } else {
            self.stmin = *stp + 1.1 * (*stp - self.stx);
            self.stmax = *stp + 4.0 * (*stp - self.stx);
        }
        // Interpolation on degenerate data can produce NaN: bisect instead.
        if !stp.is_finite() {
            *stp = if self.brackt {
                self.stx + 0.5 * (self.sty - self.stx)
            } else {
                self.stmax
            };
        }
        *stp = stp.max(self.stpmin).min(self.stpmax);
        if self.brackt
            && (*stp <= self.stmin
                || *stp >= self.stmax
                || self.stmax - self.stmin <= self.xtol * self.stmax)
        {
            *stp = self.stx;
        }
        Task::Fg
    }

    /// The trial `bad` gave NaN/Inf: never go that far again and retry halfway
    /// between the best point and `bad`.
    fn back_off(&mut self, bad: f64) -> f64 {
        // Without any finite trial yet, shrink fast: the first step may be huge.
        let frac = if self.stx > 0.0 { 0.5 } else { 0.1 };
        let next = self.stx + frac * (bad - self.stx);
        self.stpmax = self.stpmax.min(next);
        self.stmax = self.stmax.min(next);
        if self.brackt {
            if self.sty > self.stx {
                self.sty = self.sty.min(next);
            }
            self.stmin = self.stx.min(self.sty);
            self.stmax = self.stx.max(self.sty).min(next);
        }
        next
    }
}

/// MINPACK-2 `dcstep`: updates the interval of uncertainty `[stx, sty]` and
/// computes the next trial step by safeguarded cubic/quadratic interpolation.
#[allow(clippy::too_many_arguments)]
fn dcstep(
    stx: &mut f64,
    fx: &mut f64,
    dx: &mut f64,
    sty: &mut f64,
    fy: &mut f64,
    dy: &mut f64,
    stp: &mut f64,
    fp: f64,
    dp: f64,
    brackt: &mut bool,
    stpmin: f64,
    stpmax: f64,
) {
    let sgnd = dp * dx.signum();
    let sq = |t: f64| t.max(0.0).sqrt();
    let stpf;
    if fp > *fx {
        // Case 1: a higher function value; the minimum is bracketed.
        let theta = 3.0 * (*fx - fp) / (*stp - *stx) + *dx + dp;
        let s = theta.abs().max(dx.abs()).max(dp.abs());
        let mut gamma = s * sq((theta / s).powi(2) - (*dx / s) * (dp / s));
        if *stp < *stx {
            gamma = -gamma;
        }
        let p = (gamma - *dx) + theta;
        let q = ((gamma - *dx) + gamma) + dp;
        let r = p / q;
        let stpc = *stx + r * (*stp - *stx);
        let stpq = *stx + ((*dx / ((*fx - fp) / (*stp - *stx) + *dx)) / 2.0) * (*stp - *stx);
        stpf = if (stpc - *stx).abs() < (stpq - *stx).abs() {
            stpc
        } else {
            stpc + (stpq - stpc) / 2.0
        };
        *brackt = true;
    } else if sgnd < 0.0 {
        // Case 2: lower value, derivatives of opposite sign; bracketed.
        let theta = 3.0 * (*fx - fp) / (*stp - *stx) + *dx + dp;
        let s = theta.abs().max(dx.abs()).max(dp.abs());
        let mut gamma = s * sq((theta / s).powi(2) - (*dx / s) * (dp / s));
        if *stp > *stx {
            gamma = -gamma;
        }
        let p = (gamma - dp) + theta;
        let q = ((gamma - dp) + gamma) + *dx;
        let r = p / q;
        let stpc = *stp + r * (*stx - *stp);
        let stpq = *stp + (dp / (dp - *dx)) * (*stx - *stp);
        stpf = if (stpc - *stp).abs() > (stpq - *stp).abs() {
            stpc
        } else {
            stpq
        };
        *brackt = true;
    } else if dp.abs() < dx.abs() {
        // Case 3: lower value, same-sign derivatives, decreasing magnitude.
        let theta = 3.0 * (*fx - fp) / (*stp - *stx) + *dx + dp;
        let s = theta.abs().max(dx.abs()).max(dp.abs());
        let mut gamma = s * sq((theta / s).powi(2) - (*dx / s) * (dp / s));
        if *stp > *stx {
            gamma = -gamma;
        }
        let p = (gamma - dp) + theta;
        let q = (gamma + (*dx - dp)) + gamma;
        let r = p / q;
        let stpc = if r < 0.0 && gamma != 0.0 {
            *stp + r * (*stx - *stp)
        } else if *stp > *stx {
            stpmax
        } else {
            stpmin
        };
        let stpq = *stp + (dp / (dp - *dx)) * (*stx - *stp);
        if *brackt {
            let mut t = if (stpc - *stp).abs() < (stpq - *stp).abs() {
                stpc
            } else {
                stpq
            };
            if *stp > *stx {
                t = t.min(*stp + 0.66 * (*sty - *stp));
            } else {
                t = t.max(*stp + 0.66 * (*sty - *stp));
            }
            stpf = t;
        } else {
            let t = if (stpc - *stp).abs() > (stpq - *stp).abs() {
                stpc
            } else {
                stpq
            };
            stpf = t.min(stpmax).max(stpmin);
        }
    } else {
        // Case 4: lower value, same-sign derivatives, non-decreasing magnitude.
        stpf = if *brackt {
            let theta = 3.0 * (fp - *fy) / (*sty - *stp) + *dy + dp;
            let s = theta.abs().max(dy.abs()).max(dp.abs());
            let mut gamma = s * sq((theta / s).powi(2) - (*dy / s) * (dp / s));
            if *stp > *sty {
                gamma = -gamma;
            }
            let p = (gamma - dp) + theta;
            let q = ((gamma - dp) + gamma) + *dy;
            let r = p / q;
            *stp + r * (*sty - *stp)
        } else if *stp > *stx {
            stpmax
        } else {
            stpmin
        };
    }
    // Update the interval that contains a minimizer.
    if fp > *fx {
        *sty = *stp;
        *fy = fp;
        *dy = dp;
    } else {
        if sgnd < 0.0 {
            *sty = *stx;
            *fy = *fx;
            *dy = *dx;
        }
        *stx = *stp;
        *fx = fp;
        *dx = dp;
    }
    *stp = stpf;
}

/// Moré–Thuente search from `stp0` in `(0, stpmax]`. `f0`, `g0` are the value and
/// (negative) slope at 0; `eval(t)` returns the value and slope at `t`.
pub(crate) fn more_thuente(
    eval: &mut Trial<'_>,
    f0: f64,
    g0: f64,
    stp0: f64,
    stpmax: f64,
    p: &LsParams,
) -> LsOutcome {
    let mut out = LsOutcome {
        stp: 0.0,
        f: f0,
        ok: false,
        last_is_accepted: false,
        evals: 0,
        all_nonfinite: true,
    };
    if !(g0 < 0.0) || !(stpmax > 0.0) || !stp0.is_finite() {
        return out;
    }
    let mut stp = stp0.min(stpmax).max(f64::MIN_POSITIVE);
    let mut ls = Dcsrch::start(p, f0, g0, stp, stpmax);
    let (mut finite, mut nonfinite) = (0usize, 0usize);
    while finite < p.max_evals {
        out.evals += 1;
        let Some((f, g)) = eval(stp) else {
            out.last_is_accepted = false;
            nonfinite += 1;
            let prev = stp;
            stp = ls.back_off(stp);
            if nonfinite > MAX_BACKOFFS || !(stp > ls.stx) || stp >= prev {
                break;
            }
            continue;
        };
        finite += 1;
        out.all_nonfinite = false;
        // Remember the best decreasing point in case the search ends on a warning.
        let improved = f < out.f;
        if improved {
            out.stp = stp;
            out.f = f;
            out.ok = true;
        }
        out.last_is_accepted = improved;
        // Approximate Wolfe conditions (Hager & Zhang 2005): near a minimizer
        // rounding errors in f hide the decrease, so accept a point whose value
        // is equal up to rounding and whose slope shrank as Wolfe requires.
        let armijo = f <= f0 + p.ftol * stp * g0;
        if !armijo && f <= f0 + APPROX_WOLFE_RTOL * f0.abs() && g.abs() <= p.gtol * -g0 {
            out.stp = stp;
            out.f = f;
            out.ok = true;
            out.last_is_accepted = true;
            return out;
        }
        // When f moved by no more than its rounding error, its value says nothing
        // about the line: the search goes on from the slopes alone, with the value
        // the trapezoid rule gives, f0 + t·(g0 + g)/2 (exact on a quadratic; its
        // sufficient decrease is Hager and Zhang's first approximate Wolfe condition).
        let f_model = if (f - f0).abs() <= APPROX_WOLFE_RTOL * f0.abs() {
            f0 + 0.5 * stp * (g0 + g)
        } else {
            f
        };
        let task = ls.iterate(&mut stp, f_model, g);
        match task {
            Task::Converged => {
                // The Wolfe point might not be the lowest value seen, but it
                // satisfies the curvature condition the BFGS update wants.
                out.stp = stp;
                out.f = f;
                out.ok = true;
                out.last_is_accepted = true;
                return out;
            }
            Task::Warning => return out,
            Task::Fg => {}
        }
    }
    out
}

/// Armijo backtracking from `stp0`: accepts the first `t` with
/// `f(t) <= f0 + ftol·D(t)`, where `eval(t)` returns `(f(t), D(t))` and `D(t)` is
/// the predicted first-order decrease (`t·g·d`, or `g·(P(x+td) - x)` along a
/// projected path). NaN/Inf trials are halved.
pub(crate) fn backtracking(eval: &mut Trial<'_>, f0: f64, stp0: f64, p: &LsParams) -> LsOutcome {
    let mut out = LsOutcome {
        stp: 0.0,
        f: f0,
        ok: false,
        last_is_accepted: false,
        evals: 0,
        all_nonfinite: true,
    };
    let mut t = stp0;
    if !(t > 0.0) || !t.is_finite() {
        return out;
    }
    let mut nonfinite = 0;
    while out.evals < p.max_evals + nonfinite && nonfinite <= MAX_BACKOFFS {
        out.evals += 1;
        match eval(t) {
            None => {
                nonfinite += 1;
                t *= 0.1;
            }
            Some((f, d)) => {
                out.all_nonfinite = false;
                if d < 0.0 && f <= f0 + p.ftol * d && f < f0 {
                    out.stp = t;
                    out.f = f;
                    out.ok = true;
                    out.last_is_accepted = true;
                    return out;
                }
                // Minimizer of the quadratic through f0, slope d/t and f(t),
                // kept within [0.1 t, 0.5 t].
                let slope = d / t;
                let denom = 2.0 * (f - f0 - slope * t);
                let tq = if d < 0.0 && denom > 0.0 {
                    -slope * t * t / denom
                } else {
                    0.5 * t
                };
                t = if tq.is_finite() {
                    tq.clamp(0.1 * t, 0.5 * t)
                } else {
                    0.5 * t
                };
            }
        }
        if t < 1e-300 {
            break;
        }
    }
    out
}
