//! The algorithms on small benchmarks: each must beat random search on
//! average, be deterministic for a seed, and stay within the space.

mod common;

use common::{FnObjective, values};
use optl_search::{
    Algorithm, Evolution, Grid, ParetoEvolution, Random, SearchOptions, Space, Study, Tpe,
    run_search,
};

fn run(
    space: &Space,
    algo: &mut dyn Algorithm,
    f: impl Fn(&[f64]) -> Vec<f64>,
    trials: usize,
    seed: u64,
) -> Study {
    let mut obj = FnObjective::new(|d: &optl_search::Dna| Ok(f(&values(d))));
    let opts = SearchOptions {
        trials,
        seed,
        ..SearchOptions::default()
    };
    let study = run_search(space, algo, &mut obj, &opts, None, &mut |_, _| {}).unwrap();
    for t in &study.trials {
        space.check(&t.dna).unwrap();
    }
    study
}

fn best(study: &Study) -> f64 {
    study.best_trial().unwrap().scores.as_ref().unwrap()[0]
}

const TARGET: [f64; 8] = [3.0, 7.0, 1.0, 9.0, 0.0, 5.0, 2.0, 8.0];

fn digits() -> Space {
    Space::Seq(vec![Space::OneOf(vec![Space::Fixed; 10]); 8])
}

fn distance(v: &[f64]) -> Vec<f64> {
    vec![v.iter().zip(TARGET).map(|(a, b)| (a - b).abs()).sum()]
}

#[test]
fn evolution_beats_random() {
    let space = digits();
    let (mut evo, mut rnd) = (0.0, 0.0);
    for seed in 0..20 {
        evo += best(&run(
            &space,
            &mut Evolution::new(20, 5, 0.1),
            distance,
            200,
            seed,
        ));
        rnd += best(&run(&space, &mut Random::default(), distance, 200, seed));
    }
    let (evo, rnd) = (evo / 20.0, rnd / 20.0);
    assert!(evo < 0.6 * rnd, "evolution {evo} vs random {rnd}");
}

#[test]
fn tpe_beats_random_on_a_quadratic() {
    let space = Space::Seq(vec![
        Space::Float {
            lo: -5.0,
            hi: 5.0,
            log: false
        };
        2
    ]);
    let f = |v: &[f64]| vec![(v[0] - 1.0).powi(2) + (v[1] + 2.0).powi(2)];
    let (mut tpe, mut rnd) = (0.0, 0.0);
    for seed in 0..10 {
        tpe += best(&run(&space, &mut Tpe::default(), f, 80, seed));
        rnd += best(&run(&space, &mut Random::default(), f, 80, seed));
    }
    assert!(tpe < 0.5 * rnd, "tpe {tpe} vs random {rnd}");
}

#[test]
fn tpe_handles_tree_spaces() {
    // The good branch has an int and a log float; the other is worse by 1.
    let space = Space::OneOf(vec![
        Space::Seq(vec![
            Space::Int { lo: 0, hi: 20 },
            Space::Float {
                lo: 1e-4,
                hi: 1.0,
                log: true,
            },
        ]),
        Space::Float {
            lo: 0.0,
            hi: 1.0,
            log: false,
        },
    ]);
    let f = |v: &[f64]| {
        if v[0] == 0.0 {
            vec![(v[1] - 13.0).abs() / 20.0 + (v[2].log10() + 3.0).abs() / 4.0]
        } else {
            vec![1.0 + v[1]]
        }
    };
    let (mut tpe, mut rnd) = (0.0, 0.0);
    for seed in 0..10 {
        tpe += best(&run(&space, &mut Tpe::default(), f, 60, seed));
        rnd += best(&run(&space, &mut Random::default(), f, 60, seed));
    }
    assert!(tpe < rnd, "tpe {tpe} vs random {rnd}");
}

#[test]
fn nsga2_beats_random_on_two_objectives() {
    // ZDT1-like: the front is x in [0, 1] with the other decisions at 0.
    let mut seq = vec![Space::Float {
        lo: 0.0,
        hi: 1.0,
        log: false,
    }];
    seq.extend(vec![Space::OneOf(vec![Space::Fixed; 5]); 4]);
    let space = Space::Seq(seq);
    let f = |v: &[f64]| {
        let g = 1.0 + v[1..].iter().sum::<f64>();
        vec![v[0], g * (1.0 - (v[0] / g).sqrt())]
    };
    let reference = [1.1, 20.0];
    let (mut nsga, mut rnd) = (0.0, 0.0);
    for seed in 0..5 {
        let s = run(&space, &mut ParetoEvolution::nsga2(20), f, 300, seed);
        assert!(!s.pareto.is_empty() && s.best == Some(s.pareto[0]));
        nsga += s.hypervolume(&reference);
        rnd += run(&space, &mut Random::default(), f, 300, seed).hypervolume(&reference);
    }
    // The true front dominates 1.1 * 20 - (integral of 1 - sqrt(x) over [0, 1]) per seed.
    let ideal = 5.0 * (1.1 * 20.0 - 1.0 / 3.0);
    assert!(
        ideal - nsga < 0.5 * (ideal - rnd),
        "nsga2 {nsga} vs random {rnd} (ideal {ideal})"
    );
}

/// DTLZ2 with three objectives over `k` distance variables: the front is the unit
/// sphere's positive orthant, reached where the distance variables are 0.5.
fn dtlz2(v: &[f64]) -> Vec<f64> {
    use std::f64::consts::FRAC_PI_2;
    let g: f64 = v[2..].iter().map(|x| (x - 0.5).powi(2)).sum();
    let (a, b) = (v[0] * FRAC_PI_2, v[1] * FRAC_PI_2);
    vec![
        (1.0 + g) * a.cos() * b.cos(),
        (1.0 + g) * a.cos() * b.sin(),
        (1.0 + g) * a.sin(),
    ]
}

#[test]
fn nsga3_and_hype_beat_random_on_three_objectives() {
    let unit = Space::Float {
        lo: 0.0,
        hi: 1.0,
        log: false,
    };
    let space = Space::Seq(vec![unit; 6]);
    let reference = [1.5, 1.5, 1.5];
    let (mut nsga3, mut hype, mut rnd) = (0.0, 0.0, 0.0);
    for seed in 0..3 {
        nsga3 += run(
            &space,
            &mut ParetoEvolution::nsga3(28, 0),
            dtlz2,
            1400,
            seed,
        )
        .hypervolume(&reference);
        hype += run(
            &space,
            &mut ParetoEvolution::hype(28, 2000),
            dtlz2,
            1400,
            seed,
        )
        .hypervolume(&reference);
        rnd += run(&space, &mut Random::default(), dtlz2, 1400, seed).hypervolume(&reference);
    }
    // The sphere's orthant leaves 1.5^3 - pi/6 per seed.
    let ideal = 3.0 * (1.5f64.powi(3) - std::f64::consts::PI / 6.0);
    assert!(
        ideal - nsga3 < 0.5 * (ideal - rnd),
        "nsga3 {nsga3} vs random {rnd} (ideal {ideal})"
    );
    assert!(
        ideal - hype < 0.5 * (ideal - rnd),
        "hype {hype} vs random {rnd} (ideal {ideal})"
    );
}

#[test]
fn algorithms_are_deterministic() {
    let space = Space::Seq(vec![
        Space::OneOf(vec![
            Space::Int { lo: 0, hi: 5 },
            Space::Float {
                lo: 0.1,
                hi: 10.0,
                log: true,
            },
        ]),
        Space::ManyOf {
            k: 2,
            candidates: vec![Space::Fixed; 4],
            distinct: true,
            sorted: false,
        },
    ]);
    let f = |v: &[f64]| vec![v.iter().sum::<f64>(), -v[0]];
    let algos: Vec<fn() -> Box<dyn Algorithm>> = vec![
        || Box::new(Random::default()),
        || Box::new(Grid::new(3)),
        || Box::new(Evolution::new(8, 3, 0.2)),
        || Box::new(ParetoEvolution::nsga2(8)),
        || Box::new(ParetoEvolution::nsga3(8, 0)),
        || Box::new(ParetoEvolution::hype(8, 500)),
        || Box::new(Tpe::default()),
    ];
    for make in algos {
        let a = run(&space, make().as_mut(), f, 60, 11);
        let b = run(&space, make().as_mut(), f, 60, 11);
        let outcomes = |s: &Study| {
            s.trials
                .iter()
                .map(|t| (t.dna.clone(), t.key.clone(), t.scores.clone(), t.cached))
                .collect::<Vec<_>>()
        };
        assert_eq!(outcomes(&a), outcomes(&b), "{}", make().describe());
        let c = run(&space, make().as_mut(), f, 60, 12);
        let dnas = |s: &Study| s.trials.iter().map(|t| t.dna.clone()).collect::<Vec<_>>();
        if !make().describe().starts_with("grid") {
            assert_ne!(dnas(&a), dnas(&c), "{}", make().describe());
        }
    }
}

#[test]
fn grid_covers_the_space_then_stops() {
    let space = Space::Seq(vec![
        Space::OneOf(vec![Space::Fixed; 3]),
        Space::Float {
            lo: 0.0,
            hi: 1.0,
            log: false,
        },
    ]);
    let s = run(&space, &mut Grid::new(4), |v| vec![v[0] + v[1]], 100, 0);
    assert_eq!(s.trials.len(), 12);
    assert_eq!(s.unique, 12);
    assert_eq!(s.stop, optl_search::Stop::Exhausted);
    assert_eq!(best(&s), 0.0);
}
