//! Figures for both servers, their ratio and the target, printed as
//! Markdown tables as they are taken.

use std::fmt::Write;
use std::time::Duration;

/// How a figure is read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unit {
    /// Things per second; higher is better.
    PerSec(&'static str),
    /// A duration in seconds; lower is better.
    Secs,
    /// Bytes; lower is better.
    Bytes,
}

impl Unit {
    fn higher_is_better(self) -> bool {
        matches!(self, Unit::PerSec(_))
    }

    fn show(self, v: f64) -> String {
        match self {
            Unit::PerSec(what) => format!("{} {what}/s", group_digits(v)),
            Unit::Secs => show_secs(v),
            Unit::Bytes => show_bytes(v),
        }
    }
}

fn group_digits(v: f64) -> String {
    if v < 100.0 {
        return format!("{v:.1}");
    }
    let s = format!("{:.0}", v);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn show_secs(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}

fn show_bytes(b: f64) -> String {
    if b >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", b / (1024.0 * 1024.0))
    } else if b >= 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{b:.0} B")
    }
}

/// One server's reading: a value, or why there is none.
#[derive(Clone, Debug)]
pub enum Reading {
    Value(f64),
    /// The measurement could not finish (a timeout, an error).
    Missing(String),
}

impl From<f64> for Reading {
    fn from(v: f64) -> Reading {
        Reading::Value(v)
    }
}

impl From<Duration> for Reading {
    fn from(d: Duration) -> Reading {
        Reading::Value(d.as_secs_f64())
    }
}

impl<T: Into<Reading>> From<Result<T, String>> for Reading {
    fn from(r: Result<T, String>) -> Reading {
        r.map_or_else(Reading::Missing, Into::into)
    }
}

/// One line of a table.
pub struct Figure {
    pub name: String,
    pub unit: Unit,
    pub alertmanager: Reading,
    pub tocsin: Reading,
    /// The advantage Tocsin must have (1.0: "no worse").
    pub target: Option<f64>,
    /// A limit Tocsin's own figure must stay within (seconds for `Secs`),
    /// whatever Alertmanager's.
    pub at_most: Option<f64>,
}

impl Figure {
    /// How many times better Tocsin is (above 1) or worse (below 1).
    pub fn advantage(&self) -> Option<f64> {
        let (Reading::Value(am), Reading::Value(t)) = (&self.alertmanager, &self.tocsin) else {
            return None;
        };
        if *am <= 0.0 || *t <= 0.0 {
            return None;
        }
        Some(if self.unit.higher_is_better() {
            t / am
        } else {
            am / t
        })
    }

    fn cell(&self, r: &Reading) -> String {
        match r {
            Reading::Value(v) => self.unit.show(*v),
            Reading::Missing(why) => why.clone(),
        }
    }

    fn verdict(&self) -> String {
        if let Some(limit) = self.at_most {
            let want = format!("≤ {}", self.unit.show(limit));
            return match &self.tocsin {
                Reading::Value(v) if *v <= limit => format!("{want}: met"),
                Reading::Value(_) => format!("{want}: **not met**"),
                Reading::Missing(_) => format!("{want}: **not measured**"),
            };
        }
        let Some(target) = self.target else {
            return String::new();
        };
        let want = if self.unit.higher_is_better() {
            format!("≥ {target}×")
        } else if target == 1.0 {
            "no worse".to_string()
        } else {
            format!("≤ 1/{target}")
        };
        match (&self.alertmanager, &self.tocsin, self.advantage()) {
            (_, _, Some(a)) if a >= target => format!("{want}: met"),
            (_, _, Some(_)) => format!("{want}: **not met**"),
            // Alertmanager gave up where Tocsin answered.
            (Reading::Missing(why), Reading::Value(_), None) if why.starts_with('>') => {
                format!("{want}: met")
            }
            _ => format!("{want}: **not measured**"),
        }
    }
}

/// The figures of a run, grouped in sections, printed as they come.
pub struct Report {
    pub text: String,
    pub figures: Vec<Figure>,
    /// Whether figures are held to their targets (not in a smoke pass,
    /// whose sizes are too small to mean anything).
    pub judge: bool,
}

impl Report {
    pub fn new(judge: bool) -> Report {
        Report {
            text: String::new(),
            figures: Vec::new(),
            judge,
        }
    }

    pub fn section(&mut self, title: &str, note: &str) {
        self.section_of(title, note, "Alertmanager 0.25", "Tocsin");
    }

    /// A section whose two columns are `left` and `right` (the ratio is
    /// still right's advantage over left).
    pub fn section_of(&mut self, title: &str, note: &str, left: &str, right: &str) {
        let mut s = format!("\n### {title}\n\n");
        if !note.is_empty() {
            let _ = writeln!(s, "{note}\n");
        }
        let adv = if right == "Tocsin" {
            "Tocsin's advantage"
        } else {
            "advantage"
        };
        let _ = writeln!(s, "| figure | {left} | {right} | {adv} | target |");
        s.push_str("|---|---:|---:|---:|---|\n");
        print!("{s}");
        self.text.push_str(&s);
    }

    pub fn add(&mut self, f: Figure) {
        let adv = match f.advantage() {
            Some(a) => format!("{a:.1}×"),
            None => "–".into(),
        };
        let line = format!(
            "| {} | {} | {} | {adv} | {} |\n",
            f.name,
            f.cell(&f.alertmanager),
            f.cell(&f.tocsin),
            if self.judge {
                f.verdict()
            } else {
                String::new()
            }
        );
        print!("{line}");
        self.text.push_str(&line);
        self.figures.push(f);
    }

    /// Free text (microbenchmarks, notes).
    pub fn line(&mut self, s: &str) {
        println!("{s}");
        self.text.push_str(s);
        self.text.push('\n');
    }

    /// Each server's notes, as a list.
    pub fn notes(&mut self, alertmanager: &[String], tocsin: &[String]) {
        for n in alertmanager.iter().chain(tocsin) {
            self.line(&format!("- {n}"));
        }
    }

    /// The targeted figures that were not met.
    pub fn misses(&self) -> Vec<&Figure> {
        self.figures
            .iter()
            .filter(|f| self.judge && f.target.is_some() && !f.verdict().ends_with(": met"))
            .collect()
    }
}
