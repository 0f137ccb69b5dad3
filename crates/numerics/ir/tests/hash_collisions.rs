//! Measures how often the functional hash merges programs that compute different
//! things: 10^4 structurally distinct random programs (see `common/mod.rs`) over one
//! [3] and one [] input, grouped by functional hash.
//!
//! - A **collision** is two programs with one hash whose outputs on the hash's own
//!   probes differ by at least 1e-3 relative. Truncating mantissas to 28 bits can
//!   only merge values within about 2^-29 of each other, so there must be none.
//! - A **blind spot** is two programs with one hash that differ by at least 1e-3
//!   relative at fresh random points: they agree on the probes but not elsewhere
//!   (say `where(x > 2.5, a, b)` against `b`, as probes stay in ±[0.25, 2]). These are
//!   reported, and must stay rare.

#![allow(clippy::print_stderr)]

mod common;

use std::collections::{HashMap, HashSet};

use common::*;
use optl_ir::hash::{PROBES, probe_inputs};
use optl_ir::interp::eval;
use optl_ir::{Function, functional_hash, structural_hash};
use optl_tensor::Tensor;

fn outputs(f: &Function, probes: &[Vec<Tensor>]) -> Vec<f64> {
    probes
        .iter()
        .flat_map(|xs| match eval(f, xs) {
            Ok(o) => flat(&o),
            Err(_) => vec![f64::NAN],
        })
        .collect()
}

fn differ(a: &[f64], b: &[f64]) -> bool {
    a.len() != b.len()
        || a.iter().zip(b).any(|(x, y)| {
            let both_nan = x.is_nan() && y.is_nan();
            let d = (x - y).abs() / x.abs().max(y.abs()).max(1e-300);
            // NaN distances (an infinity against a finite value) count as different.
            let close = d < 1e-3;
            !both_nan && x != y && !close
        })
}

/// What one measurement found.
#[derive(Debug)]
struct Report {
    programs: usize,
    classes: usize,
    merged_pairs: usize,
    collisions: usize,
    blind_spots: usize,
}

/// Hashes `count` structurally distinct random programs and counts merges.
fn measure(count: usize, seed: u64) -> Report {
    let mut rng = Rng(seed);
    let mut seen = HashSet::new();
    let mut programs: Vec<Function> = Vec::new();
    let mut attempts = 0;
    while programs.len() < count && attempts < 10 * count {
        attempts += 1;
        let n = 1 + (rng.next() % 4) as usize;
        let instrs = (0..n)
            .map(|_| Instr {
                kind: (rng.next() % u64::from(KINDS)) as u8,
                a: rng.next() as u16,
                b: rng.next() as u16,
                c: rng.next() as u16,
                p: rng.next() as u8,
            })
            .collect();
        let Ok(f) = build(&Program {
            inputs: vec![1, 0],
            instrs,
        }) else {
            continue;
        };
        if seen.insert(structural_hash(&f)) {
            programs.push(f);
        }
    }
    assert_eq!(programs.len(), count, "not enough distinct programs");

    let shapes = programs[0].input_shapes().to_vec();
    let probes = probe_inputs(&shapes, 0);
    assert_eq!(probes.len(), PROBES);
    let fresh: Vec<Vec<Tensor>> = (0..4)
        .map(|k| random_inputs(&programs[0], 99 + k))
        .collect();

    let mut groups: HashMap<[u8; 16], Vec<usize>> = HashMap::new();
    for (i, f) in programs.iter().enumerate() {
        groups.entry(functional_hash(f, 0)).or_default().push(i);
    }
    let mut report = Report {
        programs: count,
        classes: groups.len(),
        merged_pairs: 0,
        collisions: 0,
        blind_spots: 0,
    };
    for members in groups.values().filter(|m| m.len() > 1) {
        let first = &programs[members[0]];
        let (p0, q0) = (outputs(first, &probes), outputs(first, &fresh));
        for &j in &members[1..] {
            report.merged_pairs += 1;
            if differ(&p0, &outputs(&programs[j], &probes)) {
                report.collisions += 1;
            }
            if differ(&q0, &outputs(&programs[j], &fresh)) {
                report.blind_spots += 1;
            }
        }
    }
    report
}

fn check(r: &Report) {
    eprintln!("{r:?}");
    assert_eq!(r.classes + r.merged_pairs, r.programs, "{r:?}");
    assert_eq!(r.collisions, 0, "{r:?}");
    assert!(r.blind_spots * 100 <= r.programs, "{r:?}");
    assert!(r.merged_pairs * 5 <= r.programs, "{r:?}");
}

/// A quick run, part of every test run (under 2 s in a debug build).
#[test]
fn functional_hash_collision_rate_quick() {
    check(&measure(2_000, 7));
}

/// The full measurement: `cargo test -p optl-ir --test hash_collisions -- --ignored
/// --nocapture`. Last run: 10,000 programs, 9,140 functional classes, 860 merged
/// pairs, 0 collisions, 30 blind spots.
#[test]
#[ignore]
fn functional_hash_collision_rate_10k() {
    check(&measure(10_000, 2024));
}
