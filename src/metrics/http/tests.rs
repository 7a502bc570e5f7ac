use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Notify, oneshot};

use super::*;

#[test]
fn methods() {
    assert_eq!(sanitize_method("GET"), "get");
    assert_eq!(sanitize_method("get"), "get");
    assert_eq!(sanitize_method("DELETE"), "delete");
    assert_eq!(sanitize_method("Get"), "unknown");
    assert_eq!(sanitize_method("PROPFIND"), "unknown");
    assert_eq!(sanitize_code(0), "200");
    assert_eq!(sanitize_code(418), "418");
}

#[test]
fn handler_labels() {
    assert_eq!(
        api_v2_handler("/api/v2/alerts/groups"),
        "/api/v2/alerts/groups"
    );
    assert_eq!(
        api_v2_handler("/api/v2/silence/3c1c1a4b-7b5e-4b0c-9b3c-5f0e0e0e0e0e"),
        "/api/v2/silence/{silenceID}"
    );
    assert_eq!(route_handler("/-/healthy", "/"), "/-/healthy");
    assert_eq!(route_handler("/am/-/healthy", "/am"), "/-/healthy");
    assert_eq!(route_handler("/am", "/am"), "/");
    assert_eq!(route_handler("/", "/am"), "/");
    assert_eq!(route_handler("/am/lib/{*path}", "/am"), "/lib/*path");
    assert_eq!(route_handler("/debug/{*subpath}", "/"), "/debug/*subpath");
    assert_eq!(route_handler("/api/v1/silence/{sid}", "/"), "/silence/:sid");
    assert_eq!(route_handler("/am/api/v1/alerts", "/am"), "/alerts");
    assert_eq!(route_handler("/api/v1", "/"), "/api/v1");
}

#[test]
fn observations_are_encoded_with_go_labels_and_buckets() {
    let reg = MetricRegistry::new();
    let m = HttpMetrics::register(&reg);
    m.observe_request("/-/healthy", "GET", 200, Duration::from_millis(30), 2);
    m.observe_request_duration("/api/v2/status", "POST", 400, Duration::from_secs(3));
    let out = reg.encode();
    assert!(out.contains(
        "# HELP alertmanager_http_request_duration_seconds Histogram of latencies for HTTP requests.\n\
         # TYPE alertmanager_http_request_duration_seconds histogram\n"
    ));
    // The encoder writes `le` before the family's labels.
    let healthy = "code=\"200\",handler=\"/-/healthy\",method=\"get\"";
    assert!(out.contains(&format!(
        "alertmanager_http_request_duration_seconds_count{{{healthy}}} 1\n"
    )));
    for (le, n) in [("0.025", 0), ("0.05", 1), ("10.0", 1), ("+Inf", 1)] {
        let line = format!(
            "alertmanager_http_request_duration_seconds_bucket{{le=\"{le}\",{healthy}}} {n}\n"
        );
        assert!(out.contains(&line), "missing {line}");
    }
    let status = "code=\"400\",handler=\"/api/v2/status\",method=\"post\"";
    assert!(out.contains(&format!(
        "alertmanager_http_request_duration_seconds_bucket{{le=\"2.5\",{status}}} 0\n"
    )));
    assert!(out.contains(&format!(
        "alertmanager_http_request_duration_seconds_bucket{{le=\"5.0\",{status}}} 1\n"
    )));
    assert_eq!(
        out.matches("alertmanager_http_request_duration_seconds_bucket{")
            .count(),
        24
    );

    assert!(out.contains(
        "# HELP alertmanager_http_response_size_bytes Histogram of response size for HTTP requests.\n\
         # TYPE alertmanager_http_response_size_bytes histogram\n\
         alertmanager_http_response_size_bytes_sum{handler=\"/-/healthy\",method=\"get\"} 2.0\n"
    ));
    for le in [
        "100.0",
        "1000.0",
        "10000.0",
        "100000.0",
        "1000000.0",
        "10000000.0",
        "100000000.0",
        "+Inf",
    ] {
        let line = format!(
            "alertmanager_http_response_size_bytes_bucket{{le=\"{le}\",handler=\"/-/healthy\",method=\"get\"}} 1\n"
        );
        assert!(out.contains(&line), "missing {line}");
    }
    assert!(!out.contains("alertmanager_http_response_size_bytes_sum{handler=\"/api/v2/status\""));
    assert!(out.contains(
        "# HELP alertmanager_http_requests_in_flight Current number of HTTP requests being processed.\n\
         # TYPE alertmanager_http_requests_in_flight gauge\n\
         alertmanager_http_requests_in_flight{method=\"get\"} 0\n"
    ));
    assert!(out.contains(
        "# HELP alertmanager_http_concurrency_limit_exceeded Total number of times an HTTP request failed because the concurrency limit was reached.\n\
         # TYPE alertmanager_http_concurrency_limit_exceeded counter\n\
         alertmanager_http_concurrency_limit_exceeded_total{method=\"get\"} 0\n"
    ));
}

#[test]
fn limiter_admits_up_to_the_limit() {
    let reg = MetricRegistry::new();
    let m = HttpMetrics::register(&reg);
    let l = ConcurrencyLimiter::new(2, &m);
    let a = l.try_acquire().unwrap();
    let _b = l.try_acquire().unwrap();
    assert!(l.try_acquire().is_none());
    assert_eq!(m.requests_in_flight.get(), 2);
    assert_eq!(m.concurrency_limit_exceeded.get(), 1);
    drop(a);
    assert_eq!(m.requests_in_flight.get(), 1);
    assert!(l.try_acquire().is_some());
    assert_eq!(
        l.exceeded_message(),
        "Limit of concurrent GET requests reached (2), try again later.\n"
    );
    assert!(ConcurrencyLimiter::new(0, &m).limit() >= 8);
}

/// Sends one HTTP/1.1 request and returns (status, body).
async fn request(addr: std::net::SocketAddr, method: &str, path: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.unwrap();
    let status = raw[9..12].parse().unwrap();
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

struct Slow {
    entered: std::sync::Mutex<Option<oneshot::Sender<()>>>,
    release: Notify,
}

#[tokio::test]
async fn middleware_records_like_alertmanager() {
    let reg = MetricRegistry::new();
    let m = HttpMetrics::register(&reg);
    let inst = HttpInstrumentation::new(&m, "/am", 1);
    let (entered_tx, entered_rx) = oneshot::channel();
    let slow = Arc::new(Slow {
        entered: std::sync::Mutex::new(Some(entered_tx)),
        release: Notify::new(),
    });
    let slow2 = slow.clone();
    let ops = Router::new()
        .route("/-/healthy", get(|| async { "OK" }))
        .route("/-/reload", axum::routing::post(|| async { "reloaded" }))
        .route("/lib/{*path}", get(|| async { "lib" }))
        .route(
            "/slow",
            get(move || {
                let slow = slow2.clone();
                async move {
                    if let Some(tx) = slow.entered.lock().unwrap().take() {
                        let _ = tx.send(());
                    }
                    slow.release.notified().await;
                    "done"
                }
            }),
        )
        .route("/api/v2/status", get(|| async { "{}" }))
        .route(
            "/api/v2/silence/{silenceID}",
            axum::routing::delete(|| async { "" }),
        );
    let app = Router::new()
        .nest("/am", ops)
        .layer(axum::middleware::from_fn_with_state(
            inst.clone(),
            instrument,
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    assert_eq!(
        request(addr, "GET", "/am/-/healthy").await,
        (200, "OK".into())
    );
    assert_eq!(request(addr, "POST", "/am/-/reload").await.0, 200);
    assert_eq!(request(addr, "GET", "/am/lib/x/y.js").await.0, 200);
    assert_eq!(request(addr, "GET", "/am/api/v2/status").await.0, 200);
    assert_eq!(
        request(addr, "DELETE", "/am/api/v2/silence/abc-123")
            .await
            .0,
        200
    );
    assert_eq!(request(addr, "GET", "/am/api/v2/nope").await.0, 404);
    assert_eq!(request(addr, "GET", "/am/nope").await.0, 404);

    // Fill the single GET slot, then get rejected on both kinds of route.
    let slow_req = tokio::spawn(request(addr, "GET", "/am/slow"));
    entered_rx.await.unwrap();
    assert_eq!(m.requests_in_flight.get(), 1);
    let (code, body) = request(addr, "GET", "/am/-/healthy").await;
    assert_eq!(code, 503);
    assert_eq!(
        body,
        "Limit of concurrent GET requests reached (1), try again later.\n"
    );
    assert_eq!(request(addr, "GET", "/am/api/v2/status").await.0, 503);
    // POSTs are not limited.
    assert_eq!(request(addr, "POST", "/am/-/reload").await.0, 200);
    slow.release.notify_one();
    assert_eq!(slow_req.await.unwrap(), (200, "done".into()));
    assert_eq!(m.concurrency_limit_exceeded.get(), 2);

    let out = reg.encode();
    let count = |labels: &str| -> Option<String> {
        let prefix = format!("alertmanager_http_request_duration_seconds_count{{{labels}}} ");
        out.lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()).map(str::to_string))
    };
    assert_eq!(
        count("code=\"200\",handler=\"/-/healthy\",method=\"get\"").as_deref(),
        Some("1")
    );
    assert_eq!(
        count("code=\"200\",handler=\"/-/reload\",method=\"post\"").as_deref(),
        Some("2")
    );
    assert_eq!(
        count("code=\"200\",handler=\"/lib/*path\",method=\"get\"").as_deref(),
        Some("1")
    );
    assert_eq!(
        count("code=\"200\",handler=\"/slow\",method=\"get\"").as_deref(),
        Some("1")
    );
    assert_eq!(
        count("code=\"200\",handler=\"/api/v2/status\",method=\"get\"").as_deref(),
        Some("1")
    );
    assert_eq!(
        count("code=\"503\",handler=\"/api/v2/status\",method=\"get\"").as_deref(),
        Some("1")
    );
    assert_eq!(
        count("code=\"200\",handler=\"/api/v2/silence/{silenceID}\",method=\"delete\"").as_deref(),
        Some("1")
    );
    assert_eq!(
        count("code=\"404\",handler=\"/api/v2/nope\",method=\"get\"").as_deref(),
        Some("1")
    );
    assert!(count("code=\"503\",handler=\"/-/healthy\",method=\"get\"").is_none());
    assert!(!out.contains("handler=\"/nope\""));
    assert!(out.contains(
        "alertmanager_http_response_size_bytes_sum{handler=\"/-/healthy\",method=\"get\"} 2.0\n"
    ));
    assert!(out.contains(
        "alertmanager_http_response_size_bytes_sum{handler=\"/-/reload\",method=\"post\"} 16.0\n"
    ));
    assert!(!out.contains("alertmanager_http_response_size_bytes_sum{handler=\"/api/v2"));
    assert_eq!(m.requests_in_flight.get(), 0);
}
