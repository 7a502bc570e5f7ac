//! Charts from a fake Prometheus on 127.0.0.1: what is queried, what is
//! drawn, and every way of not getting a chart.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use chrono::TimeZone;

use super::*;
use crate::alert::LabelSet;

type Seen = Arc<Mutex<Vec<String>>>;

/// A Prometheus answering every query with `status` and `body` after
/// `delay`, recording the form bodies.
async fn fake_prometheus(status: u16, body: &'static str, delay: Duration) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route(
            "/api/v1/query_range",
            axum::routing::post(move |State(seen): State<Seen>, form: String| async move {
                seen.lock().unwrap().push(form);
                tokio::time::sleep(delay).await;
                (
                    StatusCode::from_u16(status).unwrap(),
                    [("content-type", "application/json")],
                    body,
                )
            }),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), seen)
}

fn now() -> Timestamp {
    chrono::Utc.with_ymd_and_hms(2026, 1, 2, 3, 0, 0).unwrap()
}

fn alert(instance: &str, expr: &str) -> Arc<Alert> {
    let url = url::Url::parse_with_params("http://prom:9090/graph", &[("g0.expr", expr)]).unwrap();
    Arc::new(Alert {
        labels: [("alertname", "HighLoad"), ("instance", instance)]
            .into_iter()
            .collect::<LabelSet>(),
        annotations: LabelSet::empty(),
        starts_at: now() - chrono::Duration::minutes(30),
        ends_at: None,
        updated_at: now(),
        generator_url: url.to_string().into(),
        timeout: false,
    })
}

const MATRIX: &str = r#"{"status":"success","data":{"resultType":"matrix","result":[
 {"metric":{"instance":"a"},"values":[[1767319200,"0.2"],[1767320000,"0.9"],[1767322800,"0.95"]]},
 {"metric":{"instance":"b"},"values":[[1767319200,"0.1"],[1767322800,"0.3"]]},
 {"metric":{"instance":"c"},"values":[[1767319200,"0.4"],[1767322800,"NaN"]]}]}}"#;

fn settings(url: &str) -> GraphSettings {
    GraphSettings {
        prometheus_url: url.to_string(),
        timeout: Duration::from_secs(5),
        ..GraphSettings::default()
    }
}

#[tokio::test]
async fn a_chart_of_the_left_hand_side_over_the_incident() {
    let (url, seen) = fake_prometheus(200, MATRIX, Duration::ZERO).await;
    let mut s = settings(&url);
    s.public_url = Some("https://am.example.com".into());
    s.explorer_url = Some("https://prom.example.com".into());
    let g = Grapher::new(s, None).unwrap();
    let chart = g
        .chart(&[alert("a", "node_load1 > 0.8")], now())
        .await
        .unwrap();
    assert!(chart.png.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(chart.filename, "HighLoad-20260102T030000Z.png");
    assert!(chart.title.starts_with("HighLoad"), "{}", chart.title);
    let link = chart.link.unwrap();
    let id = link
        .strip_prefix("https://am.example.com/graphs/")
        .and_then(|s| s.strip_suffix(".png"))
        .unwrap();
    assert_eq!(g.public_chart(id).await.unwrap(), chart.png);
    assert!(chart.explorer.unwrap().contains("g0.expr=node_load1"));
    // The comparison is not queried; the window covers the range before
    // the alert started, on a step keeping about 250 points.
    let form = seen.lock().unwrap()[0].clone();
    let pairs: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(form.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(pairs["query"], "node_load1");
    let (start, end, step): (i64, i64, i64) = (
        pairs["start"].parse().unwrap(),
        pairs["end"].parse().unwrap(),
        pairs["step"].parse().unwrap(),
    );
    assert!(end >= now().timestamp() && end - now().timestamp() < step);
    assert!(start <= now().timestamp() - 3 * 3600);
    assert!((end - start) / step <= 252);
    // The same chart again is served from the query cache.
    g.chart(&[alert("a", "node_load1 > 0.8")], now())
        .await
        .unwrap();
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn every_failure_has_a_reason() {
    let cases: Vec<(u16, &'static str, Duration, &str)> = vec![
        (
            400,
            r#"{"status":"error","errorType":"bad_data","error":"parse error"}"#,
            Duration::ZERO,
            "query_error",
        ),
        (
            200,
            r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#,
            Duration::ZERO,
            "no_data",
        ),
        (
            502,
            "<html>bad gateway</html>",
            Duration::ZERO,
            "prometheus_error",
        ),
        (200, MATRIX, Duration::from_secs(30), "timeout"),
    ];
    for (status, body, delay, want) in cases {
        let (url, _) = fake_prometheus(status, body, delay).await;
        let mut s = settings(&url);
        s.timeout = Duration::from_millis(500);
        let g = Grapher::new(s, None).unwrap();
        let e = g.chart(&[alert("a", "up > 1")], now()).await.unwrap_err();
        assert_eq!(e.reason(), want, "{e}");
        assert!(!e.to_string().contains('\n'), "one line: {e}");
    }
    let g = Grapher::new(settings("http://127.0.0.1:9"), None).unwrap();
    let e = g.chart(&[alert("a", "up > 1")], now()).await.unwrap_err();
    assert_eq!(e.reason(), "prometheus_unreachable");
    let mut no_expr = (*alert("a", "up")).clone();
    no_expr.generator_url = "http://ruler/".into();
    let e = g.chart(&[Arc::new(no_expr)], now()).await.unwrap_err();
    assert_eq!(e.reason(), "no_expression");
}

#[test]
fn legends_name_the_labels_that_differ() {
    let s = |pairs: &[(&str, &str)]| Series {
        labels: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        points: vec![(0, 1.0)],
    };
    let found = vec![
        (String::new(), s(&[("job", "api"), ("instance", "a")])),
        (String::new(), s(&[("job", "api"), ("instance", "b")])),
    ];
    assert_eq!(legend_names(&found), ["instance=\"a\"", "instance=\"b\""]);
    let found = vec![
        ("5m".to_string(), s(&[("slo", "x")])),
        ("1h".to_string(), s(&[("slo", "x")])),
    ];
    assert_eq!(legend_names(&found), ["5m", "1h"]);
}
