//! In-process microbenchmarks of Tocsin's own parts: parsing and rendering
//! notification templates. Each figure is the median time per operation
//! over several timed samples after a warm-up.

use std::hint::black_box;
use std::time::{Duration, Instant};

use tocsin::template::{AmTemplates, Data, data::data_from_json};

use crate::report::Report;
use crate::workload;

/// Median nanoseconds per call of `f` over `samples` samples of about
/// `sample` each.
fn measure(sample: Duration, samples: usize, mut f: impl FnMut()) -> f64 {
    // Warm-up, and a first estimate of the cost of one call.
    let t = Instant::now();
    let mut n = 0u64;
    while t.elapsed() < sample / 4 || n == 0 {
        f();
        n += 1;
    }
    let per = t.elapsed().as_nanos() as f64 / n as f64;
    let iters = ((sample.as_nanos() as f64 / per).ceil() as u64).max(1);
    let mut results: Vec<f64> = (0..samples)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_nanos() as f64 / iters as f64
        })
        .collect();
    results.sort_by(f64::total_cmp);
    results[results.len() / 2]
}

fn show_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// Template data as a webhook would carry it: `n` firing alerts of the
/// benchmark's workload in one group.
fn data(n: usize) -> Data {
    let now = chrono::Utc::now();
    let alerts: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let mut a = workload::alert(i, now, now + chrono::Duration::hours(1));
            a["status"] = "firing".into();
            a["fingerprint"] = format!("{:016x}", workload::mix(i as u64)).into();
            a
        })
        .collect();
    let first = &alerts[0]["labels"];
    let body = serde_json::json!({
        "receiver": "team-a",
        "status": "firing",
        "alerts": alerts,
        "groupLabels": {"alertname": first["alertname"], "cluster": first["cluster"]},
        "commonLabels": {"alertname": first["alertname"], "cluster": first["cluster"], "prometheus": "monitoring/k8s"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.com:9093",
    });
    data_from_json(&body.to_string()).expect("template data decodes")
}

pub fn templates(report: &mut Report, quick: bool) {
    let (sample, samples) = if quick {
        (Duration::from_millis(20), 3)
    } else {
        (Duration::from_millis(300), 7)
    };
    report.line("\n### Template microbenchmarks (Tocsin only, in process)\n");
    report.line(&format!(
        "Median of {samples} samples of about {} ms each, after a warm-up.\n",
        sample.as_millis()
    ));
    report.line("| operation | time per operation |");
    report.line("|---|---:|");
    let parse = measure(sample, samples, || {
        black_box(AmTemplates::builtin());
    });
    report.line(&format!(
        "| parse the built-in templates (default + email) | {} |",
        show_ns(parse)
    ));
    let tmpl = AmTemplates::builtin();
    for alerts in [1, 10] {
        let d = data(alerts);
        for (name, html) in [
            ("slack.default.title", false),
            ("opsgenie.default.description", false),
            ("telegram.default.message", false),
            ("email.default.html", true),
        ] {
            let text = format!("{{{{ template \"{name}\" . }}}}");
            // Refuse to time a failing render.
            let first = if html {
                tmpl.execute_html(&text, &d)
            } else {
                tmpl.execute_text(&text, &d)
            };
            if let Err(e) = first {
                let e = e.to_string();
                report.line(&format!(
                    "| render `{name}`, {alerts} alerts | failed: {} |",
                    &e[..e.len().min(200)]
                ));
                continue;
            }
            let ns = measure(sample, samples, || {
                let r = if html {
                    tmpl.execute_html(&text, &d)
                } else {
                    tmpl.execute_text(&text, &d)
                };
                black_box(r.ok());
            });
            report.line(&format!(
                "| render `{name}`, {alerts} alert{} | {} |",
                if alerts == 1 { "" } else { "s" },
                show_ns(ns)
            ));
        }
    }
}
