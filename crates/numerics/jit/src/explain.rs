//! A compact text form of a plan, for tests and diagnostics ([`crate::explain`]):
//! one line per step, then one line per group with its loops and fused
//! expression.

use std::fmt::Write;

use crate::group::{Access, E, Group};
use crate::plan::{Mem, Plan, Step};

fn mem(m: Mem) -> String {
    match m {
        Mem::In(k) => format!("in{k}"),
        Mem::Out(k) => format!("out{k}"),
        Mem::Scratch(o) => format!("tmp@{o}"),
        Mem::Const(o) => format!("const@{o}"),
    }
}

fn access(a: &Access) -> String {
    let strides: Vec<String> = a.strides.iter().map(|s| s.to_string()).collect();
    format!("{}[{}; {}]", mem(a.mem), a.off, strides.join(","))
}

fn expr(g: &Group, id: u32, out: &mut String) {
    match &g.exprs[id as usize] {
        E::Load(a) => out.push_str(&access(a)),
        E::Reg(r) => {
            let _ = write!(out, "r{r}");
        }
        E::Imm(x) => {
            let _ = write!(out, "{x:?}");
        }
        E::Un(op, a) => {
            let _ = write!(out, "{op:?}(");
            expr(g, *a, out);
            out.push(')');
        }
        E::Bin(op, a, b) => {
            let _ = write!(out, "{op:?}(");
            expr(g, *a, out);
            out.push_str(", ");
            expr(g, *b, out);
            out.push(')');
        }
        E::Where(c, a, b) => {
            out.push_str("where(");
            for (k, e) in [c, a, b].into_iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                expr(g, *e, out);
            }
            out.push(')');
        }
        E::Guard(conds, e) => {
            let cs: Vec<String> = conds
                .iter()
                .map(|c| format!("{}<=i{}<{}", c.lo, c.dim, c.hi))
                .collect();
            let _ = write!(out, "if[{}](", cs.join(" & "));
            expr(g, *e, out);
            out.push(')');
        }
    }
}

fn group(g: &Group, out: &mut String) {
    let loops: Vec<String> = g
        .loops
        .iter()
        .map(|l| {
            let cuts: Vec<String> = l.cuts.iter().map(|c| c.to_string()).collect();
            format!("i{} in {}", l.dim, cuts.join("|"))
        })
        .collect();
    let _ = write!(out, "    for [{}]", loops.join(", "));
    if let Some(l) = g.lane {
        let order = if l.pairwise { "pairwise" } else { "in order" };
        let axis = l.dim.map_or_else(|| "-".to_string(), |d| format!("i{d}"));
        let _ = write!(out, " {:?} over {axis} ({}, {order})", l.op, l.len);
    }
    if g.light {
        out.push_str(" simd");
    }
    out.push_str(": ");
    match (&g.store, g.dead_store) {
        (Some(s), false) => out.push_str(&access(s)),
        (Some(s), true) => {
            let _ = write!(out, "({}, forwarded only)", access(s));
        }
        (None, _) => {}
    }
    if let Some(r) = g.reg {
        let _ = write!(out, " r{r}");
    }
    out.push_str(" = ");
    expr(g, g.root, out);
    out.push('\n');
}

/// The plan as text.
pub(crate) fn text(p: &Plan) -> String {
    let mut out = String::new();
    for (k, s) in p.steps.iter().enumerate() {
        match s {
            Step::Loop(gs) => {
                let _ = writeln!(out, "step {k}: loop nest of {} group(s)", gs.len());
                for g in gs {
                    group(g, &mut out);
                }
            }
            Step::Fill { mem: m, len } => {
                let _ = writeln!(out, "step {k}: zero {} ({len})", mem(*m));
            }
            Step::MatMul(i) => {
                let m = &p.matmuls[*i as usize];
                let _ = writeln!(
                    out,
                    "step {k}: {} = {} @ {} ({}x{}x{})",
                    mem(m.out),
                    mem(m.a),
                    mem(m.b),
                    m.m,
                    m.k,
                    m.n
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "scratch {} elements, {} registers",
        p.scratch_len, p.n_regs
    );
    out
}
