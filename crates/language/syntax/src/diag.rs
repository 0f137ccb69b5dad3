//! Diagnostics as data, and the one ariadne renderer every phase uses.

use crate::codes::Code;
use crate::span::{FileId, SourceMap, Span};
use ariadne::{Config, IndexType, Label as AriadneLabel, Report, ReportKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// A span with a message; the primary label marks where the mistake is.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub span: Span,
    pub message: String,
    pub primary: bool,
}

/// One user-facing problem: a code, a message, labelled spans and optional hints.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    pub labels: Vec<Label>,
    pub hints: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            labels: Vec::new(),
            hints: Vec::new(),
        }
    }

    /// Adds the primary label.
    pub fn at(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: true,
        });
        self
    }

    /// Adds a secondary label, for context such as "declared here".
    pub fn also(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hints.push(hint.into());
        self
    }

    /// The span of the primary label, if any.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels.iter().find(|l| l.primary).map(|l| l.span)
    }
}

/// Renders diagnostics as text with ariadne (byte offsets; colour only when asked).
pub fn render(diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let mut out = Vec::new();
    for d in diags {
        render_one(d, sources, color, &mut out);
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn render_one(d: &Diagnostic, sources: &SourceMap, color: bool, out: &mut Vec<u8>) {
    let kind = match d.severity {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
    };
    let Some(anchor) = d
        .primary_span()
        .or_else(|| d.labels.first().map(|l| l.span))
    else {
        // Without a location there is nothing to draw: a plain line suffices.
        let mut text = format!("error[{}]: {}\n", d.code.id, d.message);
        for h in &d.hints {
            text.push_str(&format!("  = help: {h}\n"));
        }
        out.extend_from_slice(text.as_bytes());
        return;
    };
    let name = |f: FileId| sources.name(f).to_string();
    let mut report = Report::build(kind, (name(anchor.file), clamp(anchor, sources)))
        .with_config(
            Config::default()
                .with_color(color)
                .with_index_type(IndexType::Byte),
        )
        .with_code(d.code.id)
        .with_message(&d.message);
    for (i, l) in d.labels.iter().enumerate() {
        let mut label =
            AriadneLabel::new((name(l.span.file), clamp(l.span, sources))).with_order(i as i32);
        if !l.message.is_empty() {
            label = label.with_message(&l.message);
        }
        if color {
            label = label.with_color(if l.primary {
                ariadne::Color::Red
            } else {
                ariadne::Color::Blue
            });
        }
        report = report.with_label(label);
    }
    for h in &d.hints {
        report = report.with_help(h);
    }
    let cache = ariadne::sources(
        (0..sources.len())
            .map(|i| {
                let f = sources.get(FileId(i as u32));
                (f.name.clone(), f.text.clone())
            })
            .collect::<Vec<_>>(),
    );
    // Writing into a Vec cannot fail; a failure would only lose the rendering.
    let _ = report.finish().write(cache, &mut *out);
}

/// Keeps a label inside its source so ariadne never indexes past the end.
fn clamp(span: Span, sources: &SourceMap) -> std::ops::Range<usize> {
    let len = sources.text(span.file).len();
    let start = (span.start as usize).min(len);
    let end = (span.end as usize).clamp(start, len);
    start..end
}
