//! Space and DNA properties: exact sizes, validation, grid enumeration,
//! and the invariants of sampling, mutation, crossover and decoding.

mod common;

use std::collections::HashSet;

use optl_search::{Decision, Dna, PointKind, Space};
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;

fn fixed(n: usize) -> Vec<Space> {
    vec![Space::Fixed; n]
}

/// Candidates of sizes 1, 2 and 3.
fn sizes_123() -> Vec<Space> {
    vec![
        Space::Fixed,
        Space::OneOf(fixed(2)),
        Space::Int { lo: 0, hi: 2 },
    ]
}

fn manyof(k: usize, candidates: Vec<Space>, distinct: bool, sorted: bool) -> Space {
    Space::ManyOf {
        k,
        candidates,
        distinct,
        sorted,
    }
}

/// Hand-computed sizes; each is also checked against the grid below.
fn sized_spaces() -> Vec<(Space, f64)> {
    vec![
        (
            Space::OneOf(vec![
                Space::Fixed,
                Space::Int { lo: 0, hi: 2 },
                Space::OneOf(fixed(2)),
            ]),
            6.0,
        ),
        (
            Space::Seq(vec![Space::OneOf(fixed(3)), Space::Int { lo: 1, hi: 4 }]),
            12.0,
        ),
        // Candidate sizes 1, 2, 3; two picks.
        (manyof(2, sizes_123(), false, false), 36.0), // 6^2
        (manyof(2, sizes_123(), true, false), 22.0),  // 2! * (1*2 + 1*3 + 2*3)
        (manyof(2, sizes_123(), true, true), 11.0),   // e_2 = 11
        (manyof(2, sizes_123(), false, true), 25.0),  // h_2 = 11 + 1 + 4 + 9
        (
            Space::OneOf(vec![manyof(2, fixed(4), true, true), Space::Fixed]),
            7.0,
        ), // C(4,2) + 1
        (manyof(3, fixed(4), true, false), 24.0),     // 4*3*2
        (manyof(3, fixed(3), true, true), 1.0),
        (manyof(3, fixed(2), false, true), 4.0), // multisets of size 3 from 2
        (
            manyof(
                0,
                vec![Space::Float {
                    lo: 0.0,
                    hi: 1.0,
                    log: false,
                }],
                false,
                false,
            ),
            1.0,
        ),
        (
            Space::Float {
                lo: 2.0,
                hi: 2.0,
                log: true,
            },
            1.0,
        ),
        // A oneof inside a manyof inside a oneof.
        (
            Space::OneOf(vec![
                manyof(2, vec![Space::OneOf(fixed(3)), Space::Fixed], true, false), // 2 * 3 = 6
                Space::Seq(vec![Space::Int { lo: -1, hi: 1 }, Space::OneOf(fixed(2))]), // 6
            ]),
            12.0,
        ),
    ]
}

#[test]
fn space_size_is_exact() {
    for (s, want) in sized_spaces() {
        s.validate().unwrap();
        assert_eq!(s.space_size(), want, "{s}");
    }
    let f = Space::Float {
        lo: 0.0,
        hi: 1.0,
        log: false,
    };
    assert_eq!(
        Space::OneOf(vec![Space::Fixed, f.clone()]).space_size(),
        f64::INFINITY
    );
    assert_eq!(
        manyof(1, vec![Space::Fixed, f.clone()], true, true).space_size(),
        f64::INFINITY
    );
    assert_eq!(
        manyof(2, vec![Space::Fixed, f], false, false).grid_size(3),
        16.0
    );
    assert_eq!(
        Space::Int {
            lo: i64::MIN,
            hi: i64::MAX
        }
        .space_size(),
        2f64.powi(64)
    );
}

#[test]
fn validate_rejects_bad_spaces() {
    let bad = [
        (
            Space::Float {
                lo: 2.0,
                hi: 1.0,
                log: false,
            },
            "lo <= hi",
        ),
        (
            Space::Float {
                lo: 0.0,
                hi: 1.0,
                log: true,
            },
            "lo > 0",
        ),
        (
            Space::Float {
                lo: f64::NAN,
                hi: 1.0,
                log: false,
            },
            "finite",
        ),
        (
            Space::Float {
                lo: 0.0,
                hi: f64::INFINITY,
                log: false,
            },
            "finite",
        ),
        (Space::Int { lo: 5, hi: 1 }, "lo <= hi"),
        (Space::OneOf(vec![]), "at least one"),
        (manyof(1, vec![], false, false), "at least one"),
        (manyof(3, fixed(2), true, false), "3 distinct"),
        (Space::Seq(vec![Space::Int { lo: 1, hi: 0 }]), "lo <= hi"),
    ];
    for (s, msg) in bad {
        let e = s.validate().unwrap_err();
        assert!(e.contains(msg), "{s}: {e}");
    }
    assert!(manyof(3, fixed(2), false, true).validate().is_ok());
    let mut deep = Space::Fixed;
    for _ in 0..=optl_search::MAX_DEPTH {
        deep = Space::Seq(vec![deep]);
    }
    assert!(deep.validate().unwrap_err().contains("nested"));
}

#[test]
fn grid_enumerates_exactly_the_space() {
    let mut spaces: Vec<Space> = sized_spaces().into_iter().map(|p| p.0).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    while spaces.len() < 200 {
        let s = common::random_space(&mut rng, 3);
        if s.grid_size(3) <= 3000.0 {
            spaces.push(s);
        }
    }
    for s in &spaces {
        let all: Vec<Dna> = s.enumerate(3).collect();
        assert_eq!(all.len() as f64, s.grid_size(3), "{s}");
        let texts: HashSet<String> = all.iter().map(Dna::to_text).collect();
        assert_eq!(texts.len(), all.len(), "duplicates in the grid of {s}");
        for d in &all {
            s.check(d).unwrap_or_else(|e| panic!("{s}: {d}: {e}"));
        }
        // The order is fixed.
        assert_eq!(all, s.enumerate(3).collect::<Vec<_>>());
        if s.space_size().is_finite() {
            assert_eq!(s.space_size(), s.grid_size(3));
        }
    }
    let log = Space::Float {
        lo: 1e-4,
        hi: 1.0,
        log: true,
    };
    let grid: Vec<String> = log.enumerate(5).map(|d| d.to_string()).collect();
    assert_eq!(
        grid,
        [
            "DNA([0.0001])",
            "DNA([0.001])",
            "DNA([0.01])",
            "DNA([0.1])",
            "DNA([1.0])"
        ]
    );
}

#[test]
fn sampling_mutation_crossover_and_decoding_stay_in_the_space() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut changed_branch = 0;
    for case in 0..1000 {
        let s = common::random_space(&mut rng, 4);
        s.validate().unwrap();
        let points = s.points();
        assert_eq!(points.len(), s.n_points());
        let a = s.random(&mut rng);
        s.check(&a)
            .unwrap_or_else(|e| panic!("case {case}: {s}: random {a}: {e}"));
        assert_eq!(Dna::from_text(&a.to_text()), Ok(a.clone()));
        for rate in [0.0, 0.3, 1.0] {
            let m = s.mutate(&a, &mut rng, rate);
            s.check(&m)
                .unwrap_or_else(|e| panic!("case {case}: {s}: mutant {m} of {a}: {e}"));
            if s.space_size() > 1.0 {
                assert_ne!(m, a, "case {case}: {s}: mutation changed nothing");
            }
            if m.len() != a.len() {
                changed_branch += 1;
            }
        }
        let b = s.random(&mut rng);
        let c = s.crossover(&a, &b, &mut rng);
        s.check(&c)
            .unwrap_or_else(|e| panic!("case {case}: {s}: child {c} of {a} and {b}: {e}"));
        let ids = s.decode(&a).unwrap();
        assert_eq!(ids.len(), a.len());
        for (d, &id) in a.0.iter().zip(&ids) {
            let ok = matches!(
                (d, &points[id]),
                (
                    Decision::Index(_),
                    PointKind::OneOf { .. } | PointKind::Pick { .. }
                ) | (Decision::Int(_), PointKind::Int { .. })
                    | (Decision::Float(_), PointKind::Float { .. })
            );
            assert!(
                ok,
                "case {case}: {s}: decision {d} at point {id} = {:?}",
                points[id]
            );
        }
    }
    // Mutations that switch branches happen (and were checked above).
    assert!(changed_branch > 50, "{changed_branch}");
}

#[test]
fn check_rejects_dna_that_does_not_fit() {
    let s = Space::Seq(vec![
        Space::OneOf(vec![Space::Fixed, Space::Int { lo: 0, hi: 3 }]),
        manyof(2, fixed(3), true, true),
        Space::Float {
            lo: 0.0,
            hi: 1.0,
            log: false,
        },
    ]);
    let ok = Dna(vec![
        Decision::Index(1),
        Decision::Int(2),
        Decision::Index(0),
        Decision::Index(2),
        Decision::Float(0.5),
    ]);
    s.check(&ok).unwrap();
    let bad = |f: &dyn Fn(&mut Vec<Decision>)| {
        let mut d = ok.0.clone();
        f(&mut d);
        s.check(&Dna(d)).unwrap_err()
    };
    bad(&|d| d[1] = Decision::Int(4));
    bad(&|d| d[1] = Decision::Float(1.0));
    bad(&|d| d[3] = Decision::Index(0)); // not increasing
    bad(&|d| d[2] = Decision::Index(2)); // leaves no room for a second, larger pick
    bad(&|d| d[4] = Decision::Float(1.5));
    bad(&|d| d[4] = Decision::Float(f64::NAN));
    assert!(
        bad(&|d| {
            d.pop();
        })
        .contains("too short")
    );
    assert!(bad(&|d| d.push(Decision::Index(0))).contains("6 decisions"));
    assert_eq!(s.decode(&ok).unwrap(), vec![0, 1, 2, 3, 4]);
    assert_eq!(ok.to_string(), "DNA([1, 2, 0, 2, 0.5])");
    assert_eq!(
        s.to_string(),
        "[oneof([fixed, intv(0, 3)]), manyof(2, [fixed, fixed, fixed], distinct=true, sorted=true), floatv(0.0, 1.0)]"
    );
}
