//! `optl run --plot DIR`: one SVG per solve (plotters, no fonts needed beyond the SVG
//! backend): the objective and, for constrained problems, the constraint violation
//! against iterations; or the Pareto front for several objectives.

use optl_eval::solve::SolveLog;
use plotters::prelude::*;
use std::path::Path;

/// Writes `solve-N-PROBLEM.svg` for each logged solve.
pub fn write_plots(dir: &Path, log: &[SolveLog]) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    for (i, s) in log.iter().enumerate() {
        let name: String = s
            .problem
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = dir.join(format!("solve-{}-{name}.svg", i + 1));
        let svg = if s.front.is_empty() {
            history_svg(s)
        } else {
            front_svg(s)
        }
        .map_err(|e| e.to_string())?;
        std::fs::write(&path, svg).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Finite values on a log scale need positive numbers: plot log10(|v| + tiny).
fn log10(v: f64) -> f64 {
    (v.abs() + 1e-300).log10()
}

fn history_svg(s: &SolveLog) -> Result<String, Box<dyn std::error::Error>> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (720, 420)).into_drawing_area();
        root.fill(&WHITE)?;
        let series: Vec<(f64, f64)> = s
            .history
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, &v)| (i as f64, log10(v)))
            .collect();
        let viol: Vec<(f64, f64)> = s
            .violation
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, &v)| (i as f64, log10(v)))
            .collect();
        let all = series.iter().chain(&viol);
        let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.1), hi.max(p.1))
        });
        let (lo, hi) = if lo.is_finite() {
            (lo - 0.5, hi + 0.5)
        } else {
            (-1.0, 1.0)
        };
        let n = series.len().max(viol.len()).max(2) as f64;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("{} ({})", s.problem, s.solver), ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..n, lo..hi)?;
        chart
            .configure_mesh()
            .x_desc("iteration")
            .y_desc("log10 value")
            .draw()?;
        chart
            .draw_series(LineSeries::new(series, &BLUE))?
            .label("objective")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLUE));
        if !viol.is_empty() {
            chart
                .draw_series(LineSeries::new(viol, &RED))?
                .label("max violation")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], RED));
        }
        chart.configure_series_labels().border_style(BLACK).draw()?;
        root.present()?;
    }
    Ok(out)
}

fn front_svg(s: &SolveLog) -> Result<String, Box<dyn std::error::Error>> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (520, 480)).into_drawing_area();
        root.fill(&WHITE)?;
        let pts: Vec<(f64, f64)> = s
            .front
            .iter()
            .filter(|f| f.len() >= 2 && f[0].is_finite() && f[1].is_finite())
            .map(|f| (f[0], f[1]))
            .collect();
        let bounds = |k: fn(&(f64, f64)) -> f64| {
            pts.iter()
                .map(k)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                    (a.min(v), b.max(v))
                })
        };
        let pad = |(a, b): (f64, f64)| {
            if a.is_finite() {
                (a - 0.05 * (b - a + 1e-9), b + 0.05 * (b - a + 1e-9))
            } else {
                (0.0, 1.0)
            }
        };
        let (x0, x1) = pad(bounds(|p| p.0));
        let (y0, y1) = pad(bounds(|p| p.1));
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("{}: Pareto front ({} points)", s.problem, pts.len()),
                ("sans-serif", 20),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .x_desc("objective 1")
            .y_desc("objective 2")
            .draw()?;
        chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, BLUE.filled())))?;
        root.present()?;
    }
    Ok(out)
}
