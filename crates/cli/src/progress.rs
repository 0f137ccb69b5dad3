//! A progress bar on stderr (indicatif) for long searches and first-order solves,
//! shown only when stderr is a terminal, so piped and snapshot output stay clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use optl_eval::progress::Progress;
use std::io::IsTerminal;

/// The bar's state: one bar per running operation, made at its first report.
#[derive(Default)]
struct Bar {
    bar: Option<ProgressBar>,
}

impl Bar {
    /// The running bar, made with `template` (and `total`, if known) at first use.
    fn show(&mut self, total: Option<usize>, template: &str) -> &ProgressBar {
        self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(
                total.map(|t| t as u64),
                ProgressDrawTarget::stderr(),
            );
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar
        })
    }

    fn report(&mut self, p: &Progress) {
        match p {
            Progress::Search {
                done,
                total,
                best,
                unique,
                cache_hits,
                failures,
            } => {
                let bar = self.show(
                    Some(*total),
                    "search {bar:30} {pos}/{len} trials  {per_sec}  {msg}",
                );
                bar.set_position(*done as u64);
                let best = best.map_or("-".to_string(), optl_eval::format::fmt_g);
                bar.set_message(format!(
                    "best {best}  unique {unique}  cached {cache_hits}  failed {failures}"
                ));
            }
            Progress::Steps { done, total, f } => {
                let bar = self.show(
                    Some(*total),
                    "solve {bar:30} {pos}/{len} steps  {per_sec}  {msg}",
                );
                bar.set_position(*done as u64);
                bar.set_message(format!("f {}", optl_eval::format::fmt_g(*f)));
            }
            Progress::Evals { evals, f } => {
                let bar = self.show(None, "solve {spinner} {pos} evaluations  {per_sec}  {msg}");
                bar.set_position(*evals as u64);
                bar.set_message(format!("f {}", optl_eval::format::fmt_g(*f)));
            }
            Progress::Done => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
            }
        }
    }
}

/// Installs the bar on `interp` when stderr is a terminal.
pub fn install(interp: &mut optl_eval::Interpreter) {
    if !std::io::stderr().is_terminal() {
        return;
    }
    let mut bar = Bar::default();
    interp.set_progress(move |p| bar.report(p));
}
