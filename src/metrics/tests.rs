use super::*;

fn sample_build() -> BuildInfo {
    BuildInfo {
        version: "0.1.0".into(),
        revision: "unknown".into(),
        branch: "".into(),
        goversion: "rust1.95".into(),
        goos: "linux".into(),
        goarch: "amd64".into(),
        tags: "unknown".into(),
    }
}

/// `(name, type, help)` of every family the full set exposes once each
/// component has something to show.
const FAMILIES: &[(&str, &str, &str)] = &[
    ("alertmanager_alerts", "gauge", "How many alerts by state."),
    (
        "alertmanager_alerts_received",
        "counter",
        "The total number of received alerts.",
    ),
    (
        "alertmanager_alerts_invalid",
        "counter",
        "The total number of received alerts that were invalid.",
    ),
    (
        "alertmanager_http_request_duration_seconds",
        "histogram",
        "Histogram of latencies for HTTP requests.",
    ),
    (
        "alertmanager_http_response_size_bytes",
        "histogram",
        "Histogram of response size for HTTP requests.",
    ),
    (
        "alertmanager_http_requests_in_flight",
        "gauge",
        "Current number of HTTP requests being processed.",
    ),
    (
        "alertmanager_http_concurrency_limit_exceeded",
        "counter",
        "Total number of times an HTTP request failed because the concurrency limit was reached.",
    ),
    (
        "alertmanager_config_hash",
        "gauge",
        "Hash of the currently loaded alertmanager configuration. Note that this is not a cryptographically strong hash.",
    ),
    (
        "alertmanager_config_last_reload_successful",
        "gauge",
        "Whether the last configuration reload attempt was successful.",
    ),
    (
        "alertmanager_config_last_reload_success_timestamp_seconds",
        "gauge",
        "Timestamp of the last successful configuration reload.",
    ),
    (
        "alertmanager_receivers",
        "gauge",
        "Number of configured receivers.",
    ),
    (
        "alertmanager_integrations",
        "gauge",
        "Number of configured integrations.",
    ),
    (
        "alertmanager_inhibition_rules",
        "gauge",
        "Number of configured inhibition rules.",
    ),
    (
        "alertmanager_silences",
        "gauge",
        "How many silences by state.",
    ),
    (
        "alertmanager_silences_queries",
        "counter",
        "How many silence queries were received.",
    ),
    (
        "alertmanager_silences_query_errors",
        "counter",
        "How many silence received queries did not succeed.",
    ),
    (
        "alertmanager_silences_query_duration_seconds",
        "histogram",
        "Duration of silence query evaluation.",
    ),
    (
        "alertmanager_silences_gc_duration_seconds",
        "summary",
        "Duration of the last silence garbage collection cycle.",
    ),
    (
        "alertmanager_silences_gc_errors",
        "counter",
        "How many silence GC errors were encountered.",
    ),
    (
        "alertmanager_silences_snapshot_size_bytes",
        "gauge",
        "Size of the last silence snapshot in bytes.",
    ),
    (
        "alertmanager_silences_snapshot_duration_seconds",
        "summary",
        "Duration of the last silence snapshot.",
    ),
    (
        "alertmanager_silences_gossip_messages_propagated",
        "counter",
        "Number of received gossip messages that have been further gossiped.",
    ),
    (
        "alertmanager_silences_maintenance",
        "counter",
        "How many maintenances were executed for silences.",
    ),
    (
        "alertmanager_silences_maintenance_errors",
        "counter",
        "How many maintenances were executed for silences that failed.",
    ),
    (
        "alertmanager_alerts_per_alert_limit",
        "gauge",
        "Current limit on number of alerts per alert name",
    ),
    (
        "alertmanager_alerts_limited",
        "counter",
        "Total number of alerts that were dropped due to per alert name limit",
    ),
    (
        "alertmanager_build_info",
        "gauge",
        "A metric with a constant '1' value labeled by version, revision, branch, goversion from which alertmanager was built, and the goos and goarch for the build.",
    ),
    (
        "alertmanager_cluster_enabled",
        "gauge",
        "Indicates whether the clustering is enabled or not.",
    ),
    (
        "process_cpu_seconds",
        "counter",
        "Total user and system CPU time spent in seconds.",
    ),
    (
        "process_resident_memory_bytes",
        "gauge",
        "Resident memory size in bytes.",
    ),
    (
        "process_virtual_memory_bytes",
        "gauge",
        "Virtual memory size in bytes.",
    ),
    (
        "process_start_time_seconds",
        "gauge",
        "Start time of the process since unix epoch in seconds.",
    ),
    (
        "process_open_fds",
        "gauge",
        "Number of open file descriptors.",
    ),
    (
        "process_max_fds",
        "gauge",
        "Maximum number of open file descriptors.",
    ),
];

fn populated() -> Metrics {
    let m = Metrics::new(&sample_build());
    m.api.set_alert_counts_source(AlertCounts::default);
    m.silences.set_silence_counts_source(SilenceCounts::default);
    m.http.observe_request(
        "/-/healthy",
        "GET",
        200,
        std::time::Duration::from_millis(1),
        2,
    );
    m.store.set_source(|| StoreStats {
        per_alert_limit: 0,
        limited_total: 1,
        limited_by_alertname: None,
    });
    m.config.reload_succeeded(b"", 1_700_000_000.0);
    m
}

#[test]
fn every_family_has_its_type_and_help_once() {
    let out = populated().encode();
    for (name, kind, help) in FAMILIES {
        let header = format!("# HELP {name} {help}\n# TYPE {name} {kind}\n");
        assert_eq!(out.matches(&header).count(), 1, "family {name}:\n{out}");
    }
    assert!(out.ends_with("\n# EOF\n"));
    assert_eq!(out.matches("# EOF").count(), 1);
}

#[test]
fn samples_with_labels() {
    let out = populated().encode();
    for line in [
        "alertmanager_alerts{state=\"active\"} 0.0\n",
        "alertmanager_alerts{state=\"suppressed\"} 0.0\n",
        "alertmanager_alerts{state=\"unprocessed\"} 0.0\n",
        "alertmanager_alerts_received_total{status=\"firing\",version=\"v2\"} 0\n",
        "alertmanager_alerts_received_total{status=\"resolved\",version=\"v2\"} 0\n",
        "alertmanager_alerts_invalid_total{version=\"v2\"} 0\n",
        "alertmanager_http_requests_in_flight{method=\"get\"} 0\n",
        "alertmanager_http_concurrency_limit_exceeded_total{method=\"get\"} 0\n",
        "alertmanager_http_request_duration_seconds_count{code=\"200\",handler=\"/-/healthy\",method=\"get\"} 1\n",
        "alertmanager_http_response_size_bytes_count{handler=\"/-/healthy\",method=\"get\"} 1\n",
        "alertmanager_silences{state=\"active\"} 0.0\n",
        "alertmanager_silences{state=\"pending\"} 0.0\n",
        "alertmanager_silences{state=\"expired\"} 0.0\n",
        "alertmanager_config_hash 617830161876.0\n",
        "alertmanager_config_last_reload_successful 1\n",
        "alertmanager_alerts_limited_total 1\n",
        "alertmanager_build_info{branch=\"\",goarch=\"amd64\",goos=\"linux\",goversion=\"rust1.95\",revision=\"unknown\",tags=\"unknown\",version=\"0.1.0\"} 1\n",
        "alertmanager_cluster_enabled 0\n",
    ] {
        assert!(out.contains(line), "missing {line}");
    }
    assert!(out.contains("\nprocess_cpu_seconds_total "));
    assert!(out.contains("\nprocess_start_time_seconds "));
}

#[test]
fn exposition_is_openmetrics() {
    let m = Metrics::new(&BuildInfo::tocsin());
    let (ct, body) = m.render("text/plain;version=0.0.4");
    assert_eq!(
        ct,
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    assert!(body.ends_with("# EOF\n"));
    assert!(body.contains(&format!("version=\"{}\"", env!("CARGO_PKG_VERSION"))));
}

#[test]
fn registry_accepts_later_components() {
    use prometheus_client::metrics::counter::Counter;
    let m = std::sync::Arc::new(Metrics::new(&sample_build()));
    let c: Counter = m.registry().register(
        "alertmanager_nflog_queries_total",
        "Number of notification log queries were received.",
        Counter::default(),
    );
    c.inc();
    let out = m.encode();
    assert!(out.contains(
        "# HELP alertmanager_nflog_queries Number of notification log queries were received.\n\
         # TYPE alertmanager_nflog_queries counter\n\
         alertmanager_nflog_queries_total 1\n"
    ));
}
