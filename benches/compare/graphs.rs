//! The cost of charts in Slack notifications (Tocsin only, in process, on
//! this process' core): drawing one chart (800×400, 3 series × 300 points,
//! PNG encoding included), and the latency a chart adds to a Slack
//! notification in Web API mode — querying Prometheus, drawing and the
//! three upload calls — against local fakes of Slack and Prometheus.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::post;
use serde_json::json;
use tocsin::alert::{Alert, LabelSet};
use tocsin::config::notifiers::Notifier as _;
use tocsin::config::notifiers::slack::{SlackConfig, SlackEnv};
use tocsin::graph::render::{ChartSpec, Line, Unit, render_png};
use tocsin::graph::{GraphSettings, Grapher};
use tocsin::notify::pipeline::AmTemplater;
use tocsin::notify::slack::Slack;
use tocsin::notify::{Notifier, NotifyContext};
use tocsin::template::AmTemplates;

use crate::report::{Reading, Report, Unit as RUnit};
use crate::scenarios::{figure, limited};

/// The chart the target is stated for.
fn spec() -> ChartSpec {
    let start = 1_767_000_000;
    let step = 36;
    ChartSpec {
        title: "HighErrorRate  job=\"api\"".into(),
        subtitle: "threshold 700m  ·  sum by (instance) (rate(errors_total[5m]))".into(),
        lines: (0..3)
            .map(|k| Line {
                name: format!("instance=\"host-{k}\""),
                points: (0..300)
                    .map(|i| {
                        (
                            start + i * step,
                            0.5 + 0.3 * ((i as f64 / 20.0) + k as f64).sin(),
                        )
                    })
                    .collect(),
            })
            .collect(),
        thresholds: vec![0.7],
        firing: Some((start + 200 * step, start + 300 * step)),
        start,
        end: start + 300 * step,
        step,
        tz: chrono_tz::UTC,
        unit: Unit::Plain,
        width: 800,
        height: 400,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A Prometheus answering every range query with three series covering
/// the asked window.
async fn fake_prometheus() -> String {
    let app = axum::Router::new().route(
        "/api/v1/query_range",
        post(|form: String| async move {
            let get = |k: &str| -> i64 {
                url::form_urlencoded::parse(form.as_bytes())
                    .find(|(n, _)| n == k)
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0)
            };
            let (start, end, step) = (get("start"), get("end"), get("step").max(1));
            let result: Vec<serde_json::Value> = (0..3)
                .map(|k| {
                    let values: Vec<serde_json::Value> = (0..)
                        .map(|i| start + i * step)
                        .take_while(|t| *t <= end)
                        .map(|t| {
                            json!([
                                t,
                                format!(
                                    "{}",
                                    0.5 + 0.3 * ((t / step) as f64 / 20.0 + k as f64).sin()
                                )
                            ])
                        })
                        .collect();
                    json!({"metric": {"instance": format!("host-{k}")}, "values": values})
                })
                .collect();
            (
                [("content-type", "application/json")],
                json!({"status": "success", "data": {"resultType": "matrix", "result": result}})
                    .to_string(),
            )
        }),
    );
    serve(app).await
}

/// Slack's Web API, answering every call at once.
async fn fake_slack() -> String {
    let json_ok =
        |body: serde_json::Value| ([("content-type", "application/json")], body.to_string());
    let app = axum::Router::new()
        .route(
            "/api/chat.postMessage",
            post(move || async move { json_ok(json!({"ok": true, "channel": "C0BENCH001", "ts": "1.1"})) }),
        )
        .route(
            "/api/chat.update",
            post(move || async move { json_ok(json!({"ok": true, "channel": "C0BENCH001", "ts": "1.1"})) }),
        )
        .route(
            "/api/files.getUploadURLExternal",
            post(move |axum::extract::State(base): axum::extract::State<Arc<String>>| async move {
                json_ok(json!({"ok": true, "upload_url": format!("{base}/upload/F1"), "file_id": "F1"}))
            }),
        )
        .route("/upload/{id}", post(|| async { "OK" }))
        .route(
            "/api/files.completeUploadExternal",
            post(move || async move { json_ok(json!({"ok": true})) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = app.with_state(Arc::new(base.clone()));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

fn slack_config(slack: &str) -> Result<SlackConfig, String> {
    let mut c: SlackConfig = serde_saphyr::from_str(&format!(
        "app_token: xoxb-bench\napp_url: {slack}/api/chat.postMessage\n\
         channel: '{{{{ .CommonLabels.ch }}}}'\nsend_resolved: true"
    ))
    .map_err(|e| e.to_string())?;
    c.validate()?;
    c.inherit_with(&Default::default(), &SlackEnv::default())?;
    Ok(c)
}

/// One notification of alert group `i` (its own channel, so that Slack's
/// per-channel pacing does not enter the figure, and its own expression,
/// so that the query cache does not either).
async fn notify_once(slack: &Slack, i: usize) -> Result<Duration, String> {
    let now = chrono::Utc::now();
    let expr = format!("bench_load{{i=\"{i}\"}} > 0.7");
    let url = url::Url::parse_with_params(
        "http://prometheus:9090/graph",
        &[("g0.expr", expr.as_str())],
    )
    .map_err(|e| e.to_string())?;
    let ch = format!("C{i:08}");
    let alert = Arc::new(Alert {
        labels: [("alertname", "BenchLoad"), ("ch", ch.as_str())]
            .into_iter()
            .collect::<LabelSet>(),
        annotations: LabelSet::empty(),
        starts_at: now - chrono::Duration::minutes(20),
        ends_at: None,
        updated_at: now,
        generator_url: url.to_string().into(),
        timeout: false,
    });
    let mut ctx = NotifyContext::new("bench", format!("{{}}:{{ch=\"{ch}\"}}"), now);
    ctx.external_url = "http://am.example.com".into();
    let t = Instant::now();
    slack
        .notify(&ctx, &[alert])
        .await
        .map_err(|e| format!("a Slack notification failed: {}", e.message))?;
    Ok(t.elapsed())
}

pub async fn graphs(report: &mut Report, quick: bool) -> Result<(), String> {
    report.section_of(
        "Charts in Slack notifications",
        "Tocsin only, in this process. The render figure is one chart of 3 series × 300 points at \
         800×400, PNG encoding included, median of many. The latency figures are medians of Slack \
         notifications in Web API mode against local fakes of Slack and Prometheus (each to its own \
         channel, with its own query): with a chart, the query, drawing and the three upload calls \
         are added.",
        "–",
        "Tocsin",
    );
    let spec = spec();
    let renders = if quick { 5 } else { 200 };
    render_png(&spec)?;
    let times: Vec<f64> = (0..renders)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(render_png(&spec).ok());
            t.elapsed().as_secs_f64()
        })
        .collect();
    let png = render_png(&spec)?;
    report.add(limited(
        format!(
            "draw one chart, 800×400, 3 series × 300 points, PNG ({} KB) included",
            png.len() / 1024
        ),
        RUnit::Secs,
        [Reading::Missing("–".into()), Reading::Value(median(times))],
        0.005,
    ));

    let (prometheus, slack_url) = (fake_prometheus().await, fake_slack().await);
    let templater = Arc::new(AmTemplater::new(
        Arc::new(AmTemplates::builtin()),
        "http://am.example.com".into(),
    ));
    let conf = slack_config(&slack_url)?;
    let plain = Slack::new(&conf, Some(templater.clone()), None)?;
    let grapher = Grapher::new(
        GraphSettings {
            prometheus_url: prometheus,
            ..GraphSettings::default()
        },
        None,
    )?;
    let charted = Slack::new(&conf, Some(templater), Some(Arc::new(grapher)))?;
    let n = if quick { 3 } else { 60 };
    let (mut without, mut with) = (Vec::new(), Vec::new());
    for i in 0..n {
        without.push(notify_once(&plain, 2 * i).await?.as_secs_f64());
        with.push(notify_once(&charted, 2 * i + 1).await?.as_secs_f64());
    }
    let (without, with) = (median(without), median(with));
    report.add(figure(
        "Slack notification without a chart",
        RUnit::Secs,
        [Reading::Missing("–".into()), Reading::Value(without)],
        None,
    ));
    report.add(figure(
        "Slack notification with a chart (query, draw, upload into the thread)",
        RUnit::Secs,
        [Reading::Missing("–".into()), Reading::Value(with)],
        None,
    ));
    report.add(figure(
        "latency a chart adds to a Slack notification",
        RUnit::Secs,
        [
            Reading::Missing("–".into()),
            Reading::Value((with - without).max(0.0)),
        ],
        None,
    ));
    Ok(())
}
