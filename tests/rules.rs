//! The stdlib rules run by the first-order driver follow their published updates:
//! each trajectory matches a reference written here in plain Rust (not by calling the
//! rule) to 1e-12 relative, over 300 steps of a non-quadratic objective.

use optl::Interpreter;

const STEPS: usize = 300;
const X0: [f64; 3] = [1.0, -2.0, 3.0];
const C: [f64; 3] = [1.0, 3.0, 0.5];

/// f(x) = sum(c x² / 2 + sin x), so g = c x + cos x.
fn grad(x: &[f64]) -> Vec<f64> {
    x.iter().zip(C).map(|(x, c)| c * x + x.cos()).collect()
}

fn run_optl(rule: &str) -> Vec<f64> {
    let mut optl = Interpreter::new();
    let src = format!(
        "problem p {{\n var x[3] = [1, -2, 3]\n minimize sum([1, 3, 0.5] * x^2 / 2 + sin(x))\n}}\n\
         solve(p, {rule}, steps = {STEPS}, tol = 0).vars.x"
    );
    Vec::<f64>::try_from(optl.eval_str(&src).expect("solves")).expect("a vector")
}

fn reference(mut update: impl FnMut(&[f64], &[f64], usize) -> Vec<f64>) -> Vec<f64> {
    let mut w = X0.to_vec();
    for step in 1..=STEPS {
        let g = grad(&w);
        let u = update(&g, &w, step);
        for (wi, ui) in w.iter_mut().zip(u) {
            *wi -= ui;
        }
    }
    w
}

fn close(a: &[f64], b: &[f64], what: &str) {
    for (x, y) in a.iter().zip(b) {
        assert!(
            (x - y).abs() <= 1e-12 * y.abs().max(1e-3),
            "{what}: {a:?} vs {b:?}"
        );
    }
}

#[test]
fn sgd() {
    let lr = 0.05;
    close(
        &run_optl("sgd(lr = 0.05)"),
        &reference(|g, _, _| g.iter().map(|g| lr * g).collect()),
        "sgd",
    );
}

#[test]
fn momentum() {
    let (lr, beta) = (0.02, 0.9);
    let mut m = [0.0; 3];
    let want = reference(|g, _, _| {
        for (mi, gi) in m.iter_mut().zip(g) {
            *mi = beta * *mi + gi;
        }
        m.iter().map(|m| lr * m).collect()
    });
    close(&run_optl("momentum(lr = 0.02)"), &want, "momentum");
}

fn adam_like(lr: f64, b1: f64, b2: f64, eps: f64, wd: f64) -> Vec<f64> {
    let (mut m, mut v) = ([0.0; 3], [0.0; 3]);
    reference(|g, w, step| {
        let t = step as i32;
        (0..3)
            .map(|i| {
                m[i] = b1 * m[i] + (1.0 - b1) * g[i];
                v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
                let mhat = m[i] / (1.0 - b1.powi(t));
                let vhat = v[i] / (1.0 - b2.powi(t));
                lr * (mhat / (vhat.sqrt() + eps) + wd * w[i])
            })
            .collect()
    })
}

#[test]
fn adam() {
    close(
        &run_optl("adam(lr = 0.01)"),
        &adam_like(0.01, 0.9, 0.999, 1e-8, 0.0),
        "adam",
    );
}

#[test]
fn adamw() {
    close(
        &run_optl("adamw(lr = 0.01, wd = 0.1)"),
        &adam_like(0.01, 0.9, 0.999, 1e-8, 0.1),
        "adamw",
    );
}

#[test]
fn lion() {
    let (lr, b1, b2, wd) = (1e-3, 0.9, 0.99, 0.01);
    let mut m = [0.0; 3];
    let sign = |x: f64| {
        if x > 0.0 {
            1.0
        } else if x < 0.0 {
            -1.0
        } else {
            0.0
        }
    };
    let want = reference(|g, w, _| {
        (0..3)
            .map(|i| {
                let u = lr * (sign(b1 * m[i] + (1.0 - b1) * g[i]) + wd * w[i]);
                m[i] = b2 * m[i] + (1.0 - b2) * g[i];
                u
            })
            .collect()
    });
    close(&run_optl("lion(lr = 1e-3, wd = 0.01)"), &want, "lion");
}

#[test]
fn nesterov() {
    let (lr, beta) = (0.02, 0.9);
    let mut m = [0.0; 3];
    let want = reference(|g, _, _| {
        (0..3)
            .map(|i| {
                m[i] = beta * m[i] + g[i];
                lr * (g[i] + beta * m[i])
            })
            .collect()
    });
    close(&run_optl("nesterov(lr = 0.02)"), &want, "nesterov");
}

#[test]
fn adagrad() {
    let (lr, eps) = (0.1, 1e-7);
    let mut s = [0.1; 3];
    let want = reference(|g, _, _| {
        (0..3)
            .map(|i| {
                s[i] += g[i] * g[i];
                lr * g[i] / (s[i] + eps).sqrt()
            })
            .collect()
    });
    close(&run_optl("adagrad()"), &want, "adagrad");
}

#[test]
fn rmsprop() {
    let (lr, decay, eps) = (0.01, 0.9, 1e-8);
    let mut nu = [0.0; 3];
    let want = reference(|g, _, _| {
        (0..3)
            .map(|i| {
                nu[i] = decay * nu[i] + (1.0 - decay) * g[i] * g[i];
                lr * g[i] / (nu[i].sqrt() + eps)
            })
            .collect()
    });
    close(&run_optl("rmsprop()"), &want, "rmsprop");
}

#[test]
fn sign_and_normalized_steps() {
    let sign = |x: f64| {
        if x > 0.0 {
            1.0
        } else if x < 0.0 {
            -1.0
        } else {
            0.0
        }
    };
    let want = reference(|g, _, _| g.iter().map(|&g| 0.01 * sign(g)).collect());
    close(&run_optl("sign_sgd()"), &want, "sign_sgd");
    let want = reference(|g, _, _| {
        let n = g.iter().map(|x| x * x).sum::<f64>().sqrt();
        g.iter().map(|g| 0.01 * g / (n + 1e-12)).collect()
    });
    close(&run_optl("normalized_gd()"), &want, "normalized_gd");
}

#[test]
fn gradient_transformations() {
    // Used alone they step by the transformed gradient (learning rate 1).
    let want = reference(|g, _, _| {
        let n = g.iter().map(|x| x * x).sum::<f64>().sqrt();
        if n < 0.5 {
            g.to_vec()
        } else {
            g.iter().map(|g| g * (0.5 / n)).collect()
        }
    });
    close(&run_optl("clip_norm(max_norm = 0.5)"), &want, "clip_norm");
    let want = reference(|g, _, _| g.iter().map(|g| g.clamp(-0.3, 0.3)).collect());
    close(
        &run_optl("clip_value(max_delta = 0.3)"),
        &want,
        "clip_value",
    );
    let want = reference(|g, w, _| g.iter().zip(w).map(|(g, w)| 0.1 * (g + 0.5 * w)).collect());
    let got = {
        let mut optl = Interpreter::new();
        let src = format!(
            "rule scaled(wd = 0.5) {{ u = 0.1 * (g + wd * w) }}\n\
             problem p {{\n var x[3] = [1, -2, 3]\n minimize sum([1, 3, 0.5] * x^2 / 2 + sin(x))\n}}\n\
             [solve(p, scaled(), steps = {STEPS}, tol = 0).vars.x, solve(p, add_decay(wd = 0.5), steps = 1, tol = 0).vars.x]"
        );
        optl.eval_str(&src).expect("solves")
    };
    let rows = Vec::<f64>::try_from(got).expect("numbers");
    close(&rows[..3], &want, "decay inside a user rule");
    // One add_decay step: w - (g + wd w).
    let g0 = grad(&X0);
    let one: Vec<f64> = X0.iter().zip(&g0).map(|(w, g)| w - (g + 0.5 * w)).collect();
    close(&rows[3..], &one, "add_decay");
}

#[test]
fn lamb() {
    let (lr, b1, b2, eps, wd) = (0.01, 0.9, 0.999, 1e-6, 0.01);
    let (mut m, mut v) = ([0.0; 3], [0.0; 3]);
    let want = reference(|g, w, step| {
        let t = step as i32;
        let r: Vec<f64> = (0..3)
            .map(|i| {
                m[i] = b1 * m[i] + (1.0 - b1) * g[i];
                v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
                let mhat = m[i] / (1.0 - b1.powi(t));
                let vhat = v[i] / (1.0 - b2.powi(t));
                mhat / (vhat.sqrt() + eps) + wd * w[i]
            })
            .collect();
        let norm = |x: &[f64]| x.iter().map(|x| x * x).sum::<f64>().sqrt();
        let (wn, rn) = (norm(w), norm(&r));
        let ratio = if wn > 0.0 && rn > 0.0 { wn / rn } else { 1.0 };
        r.iter().map(|r| lr * ratio * r).collect()
    });
    close(&run_optl("lamb(lr = 0.01, wd = 0.01)"), &want, "lamb");
}

#[test]
fn adahessian() {
    // The Hessian of sum(c x²/2 + sin x) is diagonal, diag(c - sin x), so every
    // Hutchinson probe z*(Hz) equals the diagonal exactly whatever z is drawn.
    let (lr, b1, b2, eps, wd) = (0.05, 0.9, 0.999, 1e-4, 0.01);
    let (mut m, mut v) = ([0.0; 3], [0.0; 3]);
    let want = reference(|g, w, step| {
        let t = step as i32;
        (0..3)
            .map(|i| {
                let d = C[i] - w[i].sin();
                m[i] = b1 * m[i] + (1.0 - b1) * g[i];
                v[i] = b2 * v[i] + (1.0 - b2) * d * d;
                let mhat = m[i] / (1.0 - b1.powi(t));
                let vhat = v[i] / (1.0 - b2.powi(t));
                lr * (mhat / (vhat.sqrt() + eps) + wd * w[i])
            })
            .collect()
    });
    close(
        &run_optl("adahessian(lr = 0.05, wd = 0.01)"),
        &want,
        "adahessian",
    );
}

/// Optax's cosine_decay_schedule(init, steps) at update count `t` (0-based).
fn cosine(init: f64, steps: f64, t: f64) -> f64 {
    init * 0.5 * (1.0 + (std::f64::consts::PI * t.min(steps) / steps).cos())
}

#[test]
fn chain_of_clip_and_adam_with_a_cosine_schedule() {
    let (max_norm, b1, b2, eps) = (1.0, 0.9, 0.999, 1e-8);
    let (mut m, mut v) = ([0.0; 3], [0.0; 3]);
    let want = reference(|g, _, step| {
        let norm = g.iter().map(|x| x * x).sum::<f64>().sqrt();
        let g: Vec<f64> = if norm < max_norm {
            g.to_vec()
        } else {
            g.iter().map(|x| x * (max_norm / norm)).collect()
        };
        let lr = cosine(0.05, 200.0, (step - 1) as f64);
        let t = step as i32;
        (0..3)
            .map(|i| {
                m[i] = b1 * m[i] + (1.0 - b1) * g[i];
                v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
                lr * (m[i] / (1.0 - b1.powi(t))) / ((v[i] / (1.0 - b2.powi(t))).sqrt() + eps)
            })
            .collect()
    });
    close(
        &run_optl("chain(clip_norm(1.0), adam(lr = cosine(0.05, steps = 200)))"),
        &want,
        "chain(clip_norm, adam(cosine))",
    );
}

#[test]
fn schedules_follow_optax() {
    let mut optl = Interpreter::new();
    let mut at =
        |s: &str| -> f64 { f64::try_from(optl.eval_str(s).expect("evaluates")).expect("a number") };
    for t in [0.0f64, 1.0, 37.0, 100.0, 250.0] {
        let got = at(&format!("cosine(0.1, steps = 100, alpha = 0.1)({t})"));
        let want =
            0.1 * (0.9 * 0.5 * (1.0 + (std::f64::consts::PI * t.min(100.0) / 100.0).cos()) + 0.1);
        assert!(
            (got - want).abs() <= 1e-15,
            "cosine at {t}: {got} vs {want}"
        );
        let got = at(&format!(
            "linear_decay(1.0, end = 0.1, steps = 50, begin = 10)({t})"
        ));
        let want = 1.0 + (0.1 - 1.0) * ((t - 10.0) / 50.0).clamp(0.0, 1.0);
        assert!(
            (got - want).abs() <= 1e-15,
            "linear_decay at {t}: {got} vs {want}"
        );
        let got = at(&format!(
            "exponential(1.0, 0.5, steps = 20, staircase = true)({t})"
        ));
        let want = 0.5f64.powf((t / 20.0).floor());
        assert!(
            (got - want).abs() <= 1e-15,
            "exponential at {t}: {got} vs {want}"
        );
        let got = at(&format!("piecewise(1.0, [10, 100], [0.5, 0.1])({t})"));
        let want = if t >= 100.0 {
            0.05
        } else if t >= 10.0 {
            0.5
        } else {
            1.0
        };
        assert!(
            (got - want).abs() <= 1e-15,
            "piecewise at {t}: {got} vs {want}"
        );
        let got = at(&format!(
            "warmup(steps = 20, then = cosine(0.1, steps = 100))({t})"
        ));
        let want = if t < 20.0 {
            0.1 * t / 20.0
        } else {
            cosine(0.1, 100.0, t - 20.0)
        };
        assert!(
            (got - want).abs() <= 1e-15,
            "warmup at {t}: {got} vs {want}"
        );
    }
}

/// The driver traces float hyper-parameters as kernel inputs; a rule that decides on
/// one (`if lr > ...`) cannot be traced that way and runs with them as constants.
#[test]
fn a_rule_deciding_on_a_hyper_parameter_still_runs() {
    let mut optl = Interpreter::new();
    let src = "rule capped(lr = 0.1) {\n  let size = if lr > 0.05 then 0.05 else lr\n  u = size * g\n}\n\
               problem q {\n  var x[2] = [1.0, -2.0]\n  minimize sum(x^2)\n}\n\
               [solve(q, capped(lr = 0.2), steps = 3).vars.x, solve(q, capped(lr = 0.01), steps = 3).vars.x]";
    let got = Vec::<f64>::try_from(optl.eval_str(src).expect("solves")).expect("numbers");
    // Each step multiplies x by 1 - 2·size.
    let want: Vec<f64> = [0.9f64.powi(3), 0.98f64.powi(3)]
        .iter()
        .flat_map(|k| [k * 1.0, k * -2.0])
        .collect();
    close(&got, &want, "capped");
}
