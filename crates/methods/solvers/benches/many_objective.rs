//! OptL's many-objective solvers against pymoo, side by side in one run, on the
//! DTLZ problems of `tests/solvers/moo_suite.rs` (pymoo's definitions):
//!
//! 1. DTLZ2, 3 objectives, 12 variables, pop 92, 400 generations: `Nsga3` against
//!    pymoo's `NSGA3` (Das–Dennis directions, 12 partitions: 91 of them).
//! 2. DTLZ1, 3 objectives, 7 variables, pop 92, 400 generations: the same pair.
//! 3. DTLZ2, 3 objectives: `Moead` (Tchebycheff, 20 neighbours, pop 91: the 91
//!    Das–Dennis weights) against pymoo's `MOEAD` (`n_neighbors=20`,
//!    `prob_neighbor_mating=0.9`, `Tchebicheff()` passed explicitly, since
//!    pymoo's default above two objectives is PBI), 400 generations; and the PBI
//!    (θ = 5) pair, one seed on pymoo's side.
//! 4. DTLZ2, 8 objectives, 17 variables, pop 156, 200 generations: `Nsga3` (two
//!    layers, 3 + 2 partitions: 120 + 36 directions) and `Hype` against pymoo's
//!    `NSGA3` on the same two layers (`multi-layer` of `das-dennis` 3 partitions,
//!    scaling 1, and 2 partitions, scaling 0.5). Reported: the Monte Carlo
//!    hypervolume (`hypervolume_mc`, reference point 1.1 per objective, the same
//!    samples and seed for every front), and IGD to the 156 directions projected
//!    on the unit sphere.
//! 5. Scale: `Nsga3` on case 1's DTLZ2 with pop 100, 1000 and 10 000 for 100
//!    generations: the time per
//!    generation over the run and over its second half alone, when the first
//!    front holds most of the population (pymoo not run).
//!
//! Both sides make the same number of evaluations: pymoo counts the initial
//! population as a generation, so it runs `n_gen = generations + 1`. Each
//! method runs with seeds 1, 2, 3 (fewer where noted) and the tables give the
//! median (and the range) over seeds. IGD is the mean distance from each point
//! of a reference front to the nearest point of the final population's
//! non-dominated set, with two references: the 91 (or 156) Das–Dennis points of
//! the analytic front (`front(12)`, as Deb & Jain and the tests), and a dense one
//! (`front(100)`, 5151 points), which also measures coverage between the
//! directions. All indicators are computed here by `optl_solvers::igd` and
//! `hypervolume_mc`, for pymoo's populations too (it prints them as JSON); the
//! peer also computes pymoo's `IGD` of its whole final population against the
//! same reference files, and the largest difference to ours is printed as a
//! check of the formula, as is the largest difference between pymoo's and our
//! objective values at a few fixed points. Our times include the hypervolume
//! that every `FrontResult` carries (exact in 3 objectives, Monte Carlo in 8);
//! its share, timed again, is printed beside them.
//!
//! The reference fronts and the list of runs are written under
//! `<target>/tmp/many-objective-bench`; the peer runs once, in one Python
//! process, from the venv `<target>/peer-venv` (created, with
//! `pip install numpy scipy pymoo`, if missing) with `OPENBLAS_NUM_THREADS=1`
//! and `OMP_NUM_THREADS=1`, timing only `minimize(...)`; when that cannot be set
//! up the peer is skipped with a message (as with `OPTL_BENCH_NO_PEER=1`). Our
//! solvers are sequential: our timings are on one thread. Run with
//! `cargo bench -p optl-solvers --bench many_objective`.
#![allow(clippy::print_stdout)]

#[allow(dead_code, clippy::needless_range_loop)]
#[path = "../tests/solvers/moo_suite.rs"]
mod moo_suite;

use std::path::{Path, PathBuf};
use std::time::Instant;

use moo_suite::{Dtlz, DtlzProblem};
use optl_solvers::{
    Decomposition, FrontResult, Hype, Moead, Nsga3, Options, auto_hypervolume, hypervolume_mc, igd,
    nondominated,
};
use serde_json::{Value, json};

/// The methods compared.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Algo {
    Nsga3,
    Moead(Decomposition),
    Hype,
}

/// One method on one case: ours (`peer == false`) or pymoo's.
struct Entry {
    key: &'static str,
    label: &'static str,
    peer: bool,
    algo: Algo,
    pop: usize,
    seeds: Vec<u64>,
}

/// A problem, its budget, its reference fronts and the methods run on it.
struct Case {
    title: &'static str,
    which: Dtlz,
    m: usize,
    n: usize,
    generations: usize,
    /// Partitions of the reference directions (two layers from 6 objectives).
    partitions: usize,
    refs: Vec<(&'static str, Vec<Vec<f64>>)>,
    /// Report the Monte Carlo hypervolume (reference 1.1 per objective).
    hv: bool,
    entries: Vec<Entry>,
    /// (ours, pymoo) keys compared in the ratio lines.
    pairs: Vec<(&'static str, &'static str)>,
}

/// One run: its time (s), evaluations, the non-dominated set of its final
/// population, and (pymoo only) the final population and pymoo's IGDs of it.
struct Run {
    time: f64,
    /// Of `time`, the hypervolume `FrontResult` reports (timed again here).
    hv_time: f64,
    evals: usize,
    front: Vec<Vec<f64>>,
    all: Vec<Vec<f64>>,
    peer_igd: Vec<f64>,
}

const SEEDS: [u64; 3] = [1, 2, 3];
const HV_SAMPLES: usize = 100_000;
const HV_SEED: u64 = 0;

fn problem(which: Dtlz, m: usize, n: usize) -> DtlzProblem {
    DtlzProblem { which, m, n }
}

fn pymoo_name(which: Dtlz) -> &'static str {
    match which {
        Dtlz::One => "dtlz1",
        Dtlz::Two => "dtlz2",
        Dtlz::Three => "dtlz3",
        Dtlz::Four => "dtlz4",
        Dtlz::Seven => "dtlz7",
    }
}

/// Unit vectors along `dirs`: the DTLZ2 front's points on those directions.
fn on_sphere(dirs: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    dirs.into_iter()
        .map(|w| {
            let len = w.iter().map(|v| v * v).sum::<f64>().sqrt();
            w.into_iter().map(|v| v / len).collect()
        })
        .collect()
}

fn cases() -> Vec<Case> {
    let seeds = || SEEDS.to_vec();
    let nsga3 = |key, label, peer, pop| Entry {
        key,
        label,
        peer,
        algo: Algo::Nsga3,
        pop,
        seeds: seeds(),
    };
    let three = |which: Dtlz, n| {
        let p = problem(which, 3, n);
        vec![("Z91", p.front(12)), ("Z5151", p.front(100))]
    };
    vec![
        Case {
            title: "1. DTLZ2, m = 3, n = 12, pop 92, 400 generations",
            which: Dtlz::Two,
            m: 3,
            n: 12,
            generations: 400,
            partitions: 12,
            refs: three(Dtlz::Two, 12),
            hv: false,
            entries: vec![
                nsga3("c1-optl", "optl Nsga3", false, 92),
                nsga3("c1-pymoo", "pymoo NSGA3", true, 92),
            ],
            pairs: vec![("c1-optl", "c1-pymoo")],
        },
        Case {
            title: "2. DTLZ1, m = 3, n = 7, pop 92, 400 generations",
            which: Dtlz::One,
            m: 3,
            n: 7,
            generations: 400,
            partitions: 12,
            refs: three(Dtlz::One, 7),
            hv: false,
            entries: vec![
                nsga3("c2-optl", "optl Nsga3", false, 92),
                nsga3("c2-pymoo", "pymoo NSGA3", true, 92),
            ],
            pairs: vec![("c2-optl", "c2-pymoo")],
        },
        Case {
            title: "3. DTLZ2, m = 3, n = 12, MOEA/D pop 91, 20 neighbours, 400 generations",
            which: Dtlz::Two,
            m: 3,
            n: 12,
            generations: 400,
            partitions: 12,
            refs: three(Dtlz::Two, 12),
            hv: false,
            entries: vec![
                Entry {
                    key: "c3-optl-te",
                    label: "optl Moead Tchebycheff",
                    peer: false,
                    algo: Algo::Moead(Decomposition::Tchebycheff),
                    pop: 91,
                    seeds: seeds(),
                },
                Entry {
                    key: "c3-pymoo-te",
                    label: "pymoo MOEAD Tchebicheff",
                    peer: true,
                    algo: Algo::Moead(Decomposition::Tchebycheff),
                    pop: 91,
                    seeds: seeds(),
                },
                Entry {
                    key: "c3-optl-pbi",
                    label: "optl Moead Pbi",
                    peer: false,
                    algo: Algo::Moead(Decomposition::Pbi),
                    pop: 91,
                    seeds: seeds(),
                },
                Entry {
                    key: "c3-pymoo-pbi",
                    label: "pymoo MOEAD PBI (1 seed)",
                    peer: true,
                    algo: Algo::Moead(Decomposition::Pbi),
                    pop: 91,
                    seeds: vec![1],
                },
            ],
            pairs: vec![
                ("c3-optl-te", "c3-pymoo-te"),
                ("c3-optl-pbi", "c3-pymoo-pbi"),
            ],
        },
        Case {
            title: "4. DTLZ2, m = 8, n = 17, pop 156, 200 generations",
            which: Dtlz::Two,
            m: 8,
            n: 17,
            generations: 200,
            partitions: 3,
            refs: vec![("Z156", on_sphere(optl_solvers::multi::directions(8, 3)))],
            hv: true,
            entries: vec![
                nsga3("c4-optl", "optl Nsga3", false, 156),
                Entry {
                    key: "c4-optl-hype",
                    label: "optl Hype (1 seed)",
                    peer: false,
                    algo: Algo::Hype,
                    pop: 156,
                    seeds: vec![1],
                },
                nsga3("c4-pymoo", "pymoo NSGA3", true, 156),
            ],
            pairs: vec![("c4-optl", "c4-pymoo"), ("c4-optl-hype", "c4-pymoo")],
        },
    ]
}

fn solve(algo: Algo, p: &mut DtlzProblem, pop: usize, gens: usize, seed: u64) -> FrontResult {
    let b = p.bounds();
    let opts = Options::default();
    match algo {
        Algo::Nsga3 => Nsga3 {
            pop,
            generations: gens,
            seed: Some(seed),
            ..Nsga3::default()
        }
        .solve(p, &b, &opts),
        Algo::Moead(decomposition) => Moead {
            pop,
            generations: gens,
            decomposition,
            seed: Some(seed),
            ..Moead::default()
        }
        .solve(p, &b, &opts),
        Algo::Hype => Hype {
            pop,
            generations: gens,
            seed: Some(seed),
            ..Hype::default()
        }
        .solve(p, &b, &opts),
    }
}

fn ours(case: &Case, e: &Entry) -> Vec<Run> {
    e.seeds
        .iter()
        .map(|&seed| {
            let mut p = problem(case.which, case.m, case.n);
            let t = Instant::now();
            let r = solve(e.algo, &mut p, e.pop, case.generations, seed);
            let time = t.elapsed().as_secs_f64();
            let t = Instant::now();
            std::hint::black_box(auto_hypervolume(&r.front_f, &r.reference, seed));
            let hv_time = t.elapsed().as_secs_f64();
            assert!(
                r.generations == case.generations,
                "{}: {}",
                e.label,
                r.message
            );
            Run {
                time,
                hv_time,
                evals: r.evals,
                front: r.front_f,
                all: Vec::new(),
                peer_igd: Vec::new(),
            }
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let k = v.len() / 2;
    if v.len() % 2 == 1 {
        v[k]
    } else {
        0.5 * (v[k - 1] + v[k])
    }
}

fn range(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        })
}

/// Medians over seeds of one entry: IGD per reference, HV, time, evaluations.
struct Summary {
    igd: Vec<f64>,
    hv: f64,
    time: f64,
}

fn hv(front: &[Vec<f64>], m: usize) -> f64 {
    hypervolume_mc(front, &vec![1.1; m], HV_SAMPLES, HV_SEED)
}

fn summarize(case: &Case, e: &Entry, runs: &[&Run]) -> Summary {
    let mut igds = Vec::new();
    let mut cols = Vec::new();
    for (_, z) in &case.refs {
        let v: Vec<f64> = runs.iter().map(|r| igd(&r.front, z)).collect();
        let (lo, hi) = range(&v);
        let med = median(v.clone());
        cols.push(if v.len() > 1 {
            format!("{:<27}", format!("{med:.3e} [{lo:.2e}..{hi:.2e}]"))
        } else {
            format!("{med:.3e}{:19}", "")
        });
        igds.push(med);
    }
    let hvs: Vec<f64> = runs.iter().map(|r| hv(&r.front, case.m)).collect();
    let hv_med = median(hvs.clone());
    let time = median(runs.iter().map(|r| r.time).collect());
    let evals = runs.first().map_or(0, |r| r.evals);
    let size = median(runs.iter().map(|r| r.front.len() as f64).collect());
    let hv_col = if case.hv {
        let (lo, hi) = range(&hvs);
        format!("  {hv_med:.4} [{lo:.4}..{hi:.4}]")
    } else {
        String::new()
    };
    let hv_time = median(runs.iter().map(|r| r.hv_time).collect());
    println!(
        "  {:<26} {:>7} {:>5} {}{}  {:>8.3} s  {:>7.2} ms/gen{}",
        e.label,
        evals,
        size,
        cols.join("  "),
        hv_col,
        time,
        time / case.generations as f64 * 1e3,
        if e.peer {
            String::new()
        } else {
            format!("  (incl. {:.1} ms for the result's HV)", hv_time * 1e3)
        }
    );
    Summary {
        igd: igds,
        hv: hv_med,
        time,
    }
}

const PEER: &str = r#"
import sys, time, json, warnings
import numpy as np, scipy, pymoo
warnings.filterwarnings("ignore")
from pymoo.algorithms.moo.nsga3 import NSGA3
from pymoo.algorithms.moo.moead import MOEAD
from pymoo.decomposition.tchebicheff import Tchebicheff
from pymoo.decomposition.pbi import PBI
from pymoo.optimize import minimize
from pymoo.problems import get_problem
from pymoo.util.ref_dirs import get_reference_directions
from pymoo.indicators.igd import IGD
spec = json.load(open(sys.argv[1]))
print(json.dumps({"versions": "pymoo %s numpy %s scipy %s" % (pymoo.__version__, np.__version__, scipy.__version__)}), flush=True)
for c in spec["checks"]:
    p = get_problem(c["problem"], n_var=c["n"], n_obj=c["m"])
    F = p.evaluate(np.array(c["x"]), return_values_of=["F"])
    print(json.dumps({"check": c["key"], "F": np.asarray(F).tolist()}), flush=True)
for c in spec["runs"]:
    m, part = c["m"], c["partitions"]
    if c["two_layer"]:
        rd = get_reference_directions("multi-layer",
            get_reference_directions("das-dennis", m, n_partitions=part, scaling=1.0),
            get_reference_directions("das-dennis", m, n_partitions=part - 1, scaling=0.5))
    else:
        rd = get_reference_directions("das-dennis", m, n_partitions=part)
    refs = [np.array(json.load(open(f))) for f in c["refs"]]
    for seed in c["seeds"]:
        problem = get_problem(c["problem"], n_var=c["n"], n_obj=m)
        if c["algo"] == "nsga3":
            algo = NSGA3(ref_dirs=rd, pop_size=c["pop"])
        else:
            dec = Tchebicheff() if c["algo"] == "moead-te" else PBI(theta=5.0)
            algo = MOEAD(rd, n_neighbors=c["neighbours"], prob_neighbor_mating=0.9, decomposition=dec)
        t = time.perf_counter()
        res = minimize(problem, algo, ("n_gen", c["n_gen"]), seed=seed, verbose=False)
        t = time.perf_counter() - t
        F = res.pop.get("F")
        print(json.dumps({"key": c["key"], "seed": seed, "time": t,
            "evals": int(res.algorithm.evaluator.n_eval), "F": F.tolist(),
            "igd": [float(IGD(Z)(F)) for Z in refs]}), flush=True)
"#;

/// Fixed points for the check of the problems' definitions.
fn check_points(n: usize) -> Vec<Vec<f64>> {
    let mut s: u64 = 42;
    (0..4)
        .map(|_| {
            (0..n)
                .map(|_| {
                    s = s
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    (s >> 11) as f64 / (1u64 << 53) as f64
                })
                .collect()
        })
        .collect()
}

/// Writes the reference fronts and the list of pymoo runs; the spec's path.
fn write_spec(cases: &[Case], dir: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let mut runs = Vec::new();
    let mut checks = Vec::new();
    for (ci, case) in cases.iter().enumerate() {
        let mut refs = Vec::new();
        for (name, z) in &case.refs {
            let path = dir.join(format!("case{}-{name}.json", ci + 1));
            std::fs::write(&path, json!(z).to_string()).map_err(|e| e.to_string())?;
            refs.push(path.display().to_string());
        }
        checks.push(json!({
            "key": format!("case{}", ci + 1),
            "problem": pymoo_name(case.which),
            "m": case.m,
            "n": case.n,
            "x": check_points(case.n),
        }));
        for e in case.entries.iter().filter(|e| e.peer) {
            let algo = match e.algo {
                Algo::Nsga3 => "nsga3",
                Algo::Moead(Decomposition::Tchebycheff) => "moead-te",
                Algo::Moead(Decomposition::Pbi) => "moead-pbi",
                Algo::Hype => return Err("pymoo has no HypE".into()),
            };
            runs.push(json!({
                "key": e.key,
                "problem": pymoo_name(case.which),
                "m": case.m,
                "n": case.n,
                "algo": algo,
                "pop": e.pop,
                "partitions": case.partitions,
                "two_layer": case.m >= 6,
                "neighbours": 20,
                "n_gen": case.generations + 1,
                "seeds": e.seeds,
                "refs": refs,
            }));
        }
    }
    let path = dir.join("spec.json");
    let spec = json!({ "runs": runs, "checks": checks });
    std::fs::write(&path, spec.to_string()).map_err(|e| e.to_string())?;
    Ok(path)
}

/// Runs the peer script; `None` (with a message) when Python, the venv or the
/// packages are not available.
fn run_peer(spec: &Path) -> Option<String> {
    optl_peer::run(
        "numpy, scipy, pymoo",
        &["numpy", "scipy", "pymoo"],
        PEER,
        &[spec],
    )
    .map_err(|e| println!("peer skipped: {e}"))
    .ok()
}

fn matrix(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    r.as_array()
                        .map(|c| c.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect())
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The peer's output: its versions line, check values and runs by key.
struct Peer {
    versions: String,
    checks: Vec<(String, Vec<Vec<f64>>)>,
    runs: Vec<(String, Run)>,
}

fn parse_peer(text: &str) -> Peer {
    let mut peer = Peer {
        versions: String::new(),
        checks: Vec::new(),
        runs: Vec::new(),
    };
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if let Some(s) = v["versions"].as_str() {
            peer.versions = s.to_string();
        } else if let Some(k) = v["check"].as_str() {
            peer.checks.push((k.to_string(), matrix(&v["F"])));
        } else if let Some(k) = v["key"].as_str() {
            let all = matrix(&v["F"]);
            peer.runs.push((
                k.to_string(),
                Run {
                    time: v["time"].as_f64().unwrap_or(f64::NAN),
                    hv_time: 0.0,
                    evals: v["evals"].as_u64().unwrap_or(0) as usize,
                    front: nondominated(&all),
                    all,
                    peer_igd: v["igd"]
                        .as_array()
                        .map(|a| a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect())
                        .unwrap_or_default(),
                },
            ));
        }
    }
    peer
}

fn yes(b: bool) -> &'static str {
    if b { "met" } else { "NOT met" }
}

/// Nsga3 on case 1's DTLZ2 with growing populations: the time per generation
/// over the whole run, and over its second half alone (a run is deterministic
/// for its seed, so the run of `gens / 2` generations is the first half of the
/// run of `gens`: the difference of their times is the second half's). The
/// table's lines.
fn scaling() -> Vec<String> {
    let mut out = vec![
        "5. Scale: optl Nsga3 on DTLZ2 (m = 3, n = 12), seed 1, one thread".to_string(),
        format!(
            "  {:>6} {:>6} {:>5} {:>9} {:>10} {:>14} {:>14} {:>10} {:>8} {:>6}",
            "pop",
            "dirs",
            "gens",
            "time s",
            "ms/gen",
            "2nd half ms/g",
            "us/gen/pop 2nd",
            "vs linear",
            "IGD Z91",
            "|nd|"
        ),
    ];
    let z = problem(Dtlz::Two, 3, 12).front(12);
    let mut base: Option<f64> = None;
    for (pop, gens) in [(100, 100), (1000, 100), (10_000, 100)] {
        let timed = |g: usize| {
            let mut p = problem(Dtlz::Two, 3, 12);
            let t = Instant::now();
            let r = solve(Algo::Nsga3, &mut p, pop, g, 1);
            (t.elapsed().as_secs_f64(), r)
        };
        let (half, _) = timed(gens / 2);
        let (time, r) = timed(gens);
        let per = time / gens as f64;
        let late = (time - half) / (gens - gens / 2) as f64;
        let unit = late / pop as f64;
        let b = *base.get_or_insert(unit);
        let count = |q| optl_solvers::multi::direction_count(3, q);
        let parts = (1..)
            .take_while(|&q| count(q).is_some_and(|c| c <= pop))
            .last()
            .unwrap_or(1);
        out.push(format!(
            "  {pop:>6} {:>6} {gens:>5} {time:>9.3} {:>10.3} {:>14.3} {:>14.3} {:>9.1}x {:>8.2e} {:>6}",
            count(parts).unwrap_or(0),
            per * 1e3,
            late * 1e3,
            unit * 1e6,
            unit / b,
            igd(&r.front_f, &z),
            r.front_f.len()
        ));
    }
    out.push(
        "  (vs linear: the second half's time per generation and member, relative to \
         pop 100; 1x is linear growth)"
            .to_string(),
    );
    out
}

fn main() {
    let cases = cases();
    println!(
        "optl-solvers many-objective bench: optl (one thread; the solvers are sequential) vs pymoo"
    );
    println!(
        "IGD of the final population's non-dominated set, median [min..max] over seeds {SEEDS:?}; \
         Z91 / Z156: the analytic front on the Das-Dennis directions, Z5151: front(100); \
         HV: hypervolume_mc, reference 1.1^m, {HV_SAMPLES} samples, seed {HV_SEED}"
    );
    let mut results: Vec<Vec<(String, Run)>> = Vec::new();
    for case in &cases {
        let mut mine = Vec::new();
        for e in case.entries.iter().filter(|e| !e.peer) {
            for r in ours(case, e) {
                mine.push((e.key.to_string(), r));
            }
        }
        results.push(mine);
    }
    let scale = scaling();

    let peer = if std::env::var_os("OPTL_BENCH_NO_PEER").is_some() {
        println!("peer skipped: OPTL_BENCH_NO_PEER is set");
        None
    } else {
        let dir = optl_peer::target_dir().join("tmp/many-objective-bench");
        match write_spec(&cases, &dir) {
            Ok(spec) => run_peer(&spec).map(|t| parse_peer(&t)),
            Err(e) => {
                println!("peer skipped: could not write {}: {e}", dir.display());
                None
            }
        }
    };
    println!();
    if let Some(peer) = &peer {
        let mut fdiff = 0.0f64;
        for (ci, case) in cases.iter().enumerate() {
            let key = format!("case{}", ci + 1);
            let Some((_, theirs)) = peer.checks.iter().find(|(k, _)| *k == key) else {
                fdiff = f64::NAN;
                continue;
            };
            let mut p = problem(case.which, case.m, case.n);
            for (x, f) in check_points(case.n).iter().zip(theirs) {
                let mut out = vec![0.0; case.m];
                optl_solvers::MultiObjective::objectives(&mut p, x, &mut out);
                for (a, b) in out.iter().zip(f) {
                    fdiff = fdiff.max((a - b).abs() / b.abs().max(1.0));
                }
            }
        }
        let mut igd_diff = 0.0f64;
        for (key, r) in &peer.runs {
            let Some(case) = cases
                .iter()
                .find(|c| c.entries.iter().any(|e| e.key == key))
            else {
                continue;
            };
            for ((_, z), theirs) in case.refs.iter().zip(&r.peer_igd) {
                igd_diff = igd_diff.max((igd(&r.all, z) - theirs).abs());
            }
        }
        println!(
            "peer: {} (OPENBLAS_NUM_THREADS=1, one process, time of minimize() only); \
             max rel diff of the objectives at fixed points {fdiff:.1e}; \
             max |pymoo IGD - optl igd| on its final populations {igd_diff:.1e}",
            peer.versions
        );
    }
    for (ci, case) in cases.iter().enumerate() {
        println!();
        println!("{}", case.title);
        let names: Vec<String> = case
            .refs
            .iter()
            .map(|(n, _)| format!("{:<29}", format!("IGD {n}")))
            .collect();
        println!(
            "  {:<26} {:>7} {:>5} {}{}  {:>10}",
            "method",
            "evals",
            "|nd|",
            names.join(""),
            if case.hv {
                "  HV median [range]        "
            } else {
                ""
            },
            "time (med)"
        );
        let mut sums: Vec<(&str, Summary)> = Vec::new();
        for e in &case.entries {
            let runs: Vec<&Run> = if e.peer {
                peer.iter()
                    .flat_map(|p| &p.runs)
                    .filter(|(k, _)| k == e.key)
                    .map(|(_, r)| r)
                    .collect()
            } else {
                results[ci]
                    .iter()
                    .filter(|(k, _)| k == e.key)
                    .map(|(_, r)| r)
                    .collect()
            };
            if runs.is_empty() {
                println!("  {:<26} (not run)", e.label);
                continue;
            }
            sums.push((e.key, summarize(case, e, &runs)));
        }
        for (a, b) in &case.pairs {
            let (Some(sa), Some(sb)) = (
                sums.iter().find(|s| s.0 == *a),
                sums.iter().find(|s| s.0 == *b),
            ) else {
                continue;
            };
            let la = case
                .entries
                .iter()
                .find(|e| e.key == *a)
                .map_or("", |e| e.label);
            let lb = case
                .entries
                .iter()
                .find(|e| e.key == *b)
                .map_or("", |e| e.label);
            let ratios: Vec<String> = case
                .refs
                .iter()
                .zip(sa.1.igd.iter().zip(&sb.1.igd))
                .map(|((n, _), (x, y))| format!("IGD {n} {:.3}", x / y))
                .collect();
            let hv = if case.hv {
                format!(", HV {:.4}", sa.1.hv / sb.1.hv)
            } else {
                String::new()
            };
            let speed = sb.1.time / sa.1.time;
            println!(
                "  {la} / {lb}: {}{hv}; speed-up (pymoo time / optl time) {}x",
                ratios.join(", "),
                if speed < 1.0 {
                    format!("{speed:.3}")
                } else {
                    format!("{speed:.1}")
                }
            );
            let verdict = |ok: &dyn Fn(f64, f64) -> bool| {
                case.refs
                    .iter()
                    .zip(sa.1.igd.iter().zip(&sb.1.igd))
                    .map(|((n, _), (x, y))| format!("{n} {}", yes(ok(*x, *y))))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            match (ci, *a) {
                (0, _) | (2, "c3-optl-te") => println!(
                    "  target: IGD <= pymoo's: {}; >= 10x faster: {}",
                    verdict(&|x, y| x <= y),
                    yes(speed >= 10.0)
                ),
                (1, _) => println!(
                    "  target: IGD within pymoo's +-20%: {}",
                    verdict(&|x, y| (x / y - 1.0).abs() <= 0.2)
                ),
                _ => {}
            }
        }
        if case.hv {
            // The dominated part of [0, 1.1]^m above the unit sphere: 1.1^m minus
            // the ball's positive orthant (π^4/24 / 2^8 for m = 8).
            let m = case.m as i32;
            if m == 8 {
                let best = 1.1f64.powi(m) - std::f64::consts::PI.powi(4) / 24.0 / 256.0;
                println!("  HV of the whole front: {best:.4} (MC standard error ~ 7e-4)");
            }
        }
    }
    println!();
    for line in &scale {
        println!("{line}");
    }
}
