//! The ZDT (Zitzler, Deb & Thiele 2000) and DTLZ (Deb, Thiele, Laumanns & Zitzler
//! 2002) test problems, as pymoo defines them, with points of their Pareto fronts
//! for the indicators.

use optl_solvers::{Bounds, MultiObjective, das_dennis, nondominated};
use std::f64::consts::PI;

/// The ZDT problems 1–4 and 6.
#[derive(Clone, Copy, Debug)]
pub enum Zdt {
    One,
    Two,
    Three,
    Four,
    Six,
}

pub struct ZdtProblem {
    pub which: Zdt,
    pub n: usize,
}

impl ZdtProblem {
    pub fn bounds(&self) -> Bounds {
        match self.which {
            Zdt::Four => {
                let mut lo = vec![-5.0; self.n];
                let mut hi = vec![5.0; self.n];
                lo[0] = 0.0;
                hi[0] = 1.0;
                Bounds::new(lo, hi)
            }
            _ => Bounds::uniform(self.n, 0.0, 1.0),
        }
    }

    /// `k` points of the front (g = 1), non-dominated ones only (ZDT3's pieces).
    pub fn front(&self, k: usize) -> Vec<Vec<f64>> {
        let lo = match self.which {
            Zdt::Six => 0.2807753191,
            _ => 0.0,
        };
        let pts: Vec<Vec<f64>> = (0..k)
            .map(|i| {
                let f1 = lo + (1.0 - lo) * i as f64 / (k - 1) as f64;
                let f2 = match self.which {
                    Zdt::One | Zdt::Four => 1.0 - f1.sqrt(),
                    Zdt::Two | Zdt::Six => 1.0 - f1 * f1,
                    Zdt::Three => 1.0 - f1.sqrt() - f1 * (10.0 * PI * f1).sin(),
                };
                vec![f1, f2]
            })
            .collect();
        nondominated(&pts)
    }
}

impl MultiObjective for ZdtProblem {
    fn n(&self) -> usize {
        self.n
    }
    fn n_obj(&self) -> usize {
        2
    }
    fn objectives(&mut self, x: &[f64], out: &mut [f64]) {
        let rest = &x[1..];
        let k = rest.len() as f64;
        let (f1, g) = match self.which {
            Zdt::Four => (
                x[0],
                1.0 + 10.0 * k
                    + rest
                        .iter()
                        .map(|v| v * v - 10.0 * (4.0 * PI * v).cos())
                        .sum::<f64>(),
            ),
            Zdt::Six => (
                1.0 - (-4.0 * x[0]).exp() * (6.0 * PI * x[0]).sin().powi(6),
                1.0 + 9.0 * (rest.iter().sum::<f64>() / k).powf(0.25),
            ),
            _ => (x[0], 1.0 + 9.0 * rest.iter().sum::<f64>() / k),
        };
        let r = f1 / g;
        let h = match self.which {
            Zdt::One | Zdt::Four => 1.0 - r.sqrt(),
            Zdt::Two | Zdt::Six => 1.0 - r * r,
            Zdt::Three => 1.0 - r.sqrt() - r * (10.0 * PI * f1).sin(),
        };
        out[0] = f1;
        out[1] = g * h;
    }
}

/// The DTLZ problems 1–4 and 7, for any number of objectives.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Dtlz {
    One,
    Two,
    Three,
    Four,
    Seven,
}

pub struct DtlzProblem {
    pub which: Dtlz,
    pub m: usize,
    pub n: usize,
}

impl DtlzProblem {
    pub fn bounds(&self) -> Bounds {
        Bounds::uniform(self.n, 0.0, 1.0)
    }

    /// Points of the front: the simplex Σf = 1/2 (DTLZ1), the unit sphere
    /// (DTLZ2–4), both from Das–Dennis directions with `p` partitions; DTLZ7's
    /// disconnected front sampled on a grid of `p` per axis and filtered.
    pub fn front(&self, p: usize) -> Vec<Vec<f64>> {
        let dirs = das_dennis(self.m, p);
        match self.which {
            Dtlz::One => dirs
                .into_iter()
                .map(|w| w.into_iter().map(|v| 0.5 * v).collect())
                .collect(),
            Dtlz::Two | Dtlz::Three | Dtlz::Four => dirs
                .into_iter()
                .map(|w| {
                    let len = w.iter().map(|v| v * v).sum::<f64>().sqrt();
                    w.into_iter().map(|v| v / len).collect()
                })
                .collect(),
            Dtlz::Seven => {
                let k = self.m - 1;
                let mut pts = Vec::new();
                let total = (p + 1).pow(k as u32);
                for code in 0..total {
                    let mut c = code;
                    let mut f: Vec<f64> = (0..k)
                        .map(|_| {
                            let v = (c % (p + 1)) as f64 / p as f64;
                            c /= p + 1;
                            v
                        })
                        .collect();
                    let h = self.m as f64
                        - f.iter()
                            .map(|v| v / 2.0 * (1.0 + (3.0 * PI * v).sin()))
                            .sum::<f64>();
                    f.push(2.0 * h);
                    pts.push(f);
                }
                nondominated(&pts)
            }
        }
    }
}

impl MultiObjective for DtlzProblem {
    fn n(&self) -> usize {
        self.n
    }
    fn n_obj(&self) -> usize {
        self.m
    }
    fn objectives(&mut self, x: &[f64], out: &mut [f64]) {
        let m = self.m;
        let (pos, dist) = x.split_at(m - 1);
        let k = dist.len() as f64;
        let rastrigin = || {
            100.0
                * (k + dist
                    .iter()
                    .map(|v| (v - 0.5).powi(2) - (20.0 * PI * (v - 0.5)).cos())
                    .sum::<f64>())
        };
        let sphere = || dist.iter().map(|v| (v - 0.5).powi(2)).sum::<f64>();
        match self.which {
            Dtlz::One => {
                let g = rastrigin();
                for i in 0..m {
                    let mut f = 0.5 * (1.0 + g);
                    f *= pos[..m - 1 - i].iter().product::<f64>();
                    if i > 0 {
                        f *= 1.0 - pos[m - 1 - i];
                    }
                    out[i] = f;
                }
            }
            Dtlz::Two | Dtlz::Three | Dtlz::Four => {
                let g = if self.which == Dtlz::Three {
                    rastrigin()
                } else {
                    sphere()
                };
                let alpha = if self.which == Dtlz::Four { 100 } else { 1 };
                let theta: Vec<f64> = pos.iter().map(|v| v.powi(alpha) * PI / 2.0).collect();
                for i in 0..m {
                    let mut f = 1.0 + g;
                    f *= theta[..m - 1 - i].iter().map(|t| t.cos()).product::<f64>();
                    if i > 0 {
                        f *= theta[m - 1 - i].sin();
                    }
                    out[i] = f;
                }
            }
            Dtlz::Seven => {
                let g = 1.0 + 9.0 / k * dist.iter().sum::<f64>();
                out[..m - 1].copy_from_slice(pos);
                let h = m as f64
                    - pos
                        .iter()
                        .map(|f| f / (1.0 + g) * (1.0 + (3.0 * PI * f).sin()))
                        .sum::<f64>();
                out[m - 1] = (1.0 + g) * h;
            }
        }
    }
}
