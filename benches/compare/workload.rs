//! What the servers are fed: alerts shaped like a Kubernetes Prometheus's
//! (ten labels, three annotations, a generator URL), silences shaped like an
//! on-call's (an alertname plus an instance or a namespace pattern), and the
//! configurations both servers run. Everything is a pure function of an
//! index, so both servers get byte-identical input.

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

const ALERTNAMES: [&str; 40] = [
    "KubePodCrashLooping",
    "KubePodNotReady",
    "KubeDeploymentReplicasMismatch",
    "KubeStatefulSetReplicasMismatch",
    "KubeContainerWaiting",
    "KubeDaemonSetRolloutStuck",
    "KubeJobFailed",
    "KubeHpaMaxedOut",
    "KubeCPUOvercommit",
    "KubeMemoryOvercommit",
    "KubePersistentVolumeFillingUp",
    "KubePersistentVolumeErrors",
    "KubeNodeNotReady",
    "KubeNodeUnreachable",
    "KubeletTooManyPods",
    "KubeClientErrors",
    "NodeFilesystemSpaceFillingUp",
    "NodeFilesystemAlmostOutOfSpace",
    "NodeNetworkReceiveErrs",
    "NodeHighNumberConntrackEntriesUsed",
    "NodeClockNotSynchronising",
    "NodeRAIDDegraded",
    "NodeMemoryHighUtilization",
    "NodeCPUHighUsage",
    "TargetDown",
    "PrometheusRuleFailures",
    "PrometheusRemoteWriteBehind",
    "AlertmanagerFailedToSendAlerts",
    "HTTPErrorRateHigh",
    "HTTPLatencyHigh",
    "GRPCErrorRateHigh",
    "QueueBacklogGrowing",
    "DatabaseReplicationLag",
    "DatabaseConnectionsExhausted",
    "CertificateExpiringSoon",
    "DiskIOSaturation",
    "KafkaConsumerLagHigh",
    "RedisMemoryHigh",
    "SLOErrorBudgetBurn",
    "BlackboxProbeFailed",
];

const JOBS: [&str; 20] = [
    "node-exporter",
    "kube-state-metrics",
    "kubelet",
    "apiserver",
    "coredns",
    "ingress-nginx",
    "api-gateway",
    "checkout",
    "payments",
    "search",
    "catalog",
    "orders",
    "users",
    "notifications",
    "postgres-exporter",
    "redis-exporter",
    "kafka-exporter",
    "blackbox",
    "etcd",
    "prometheus",
];

/// A fixed, well-mixed 64-bit hash of an index (splitmix64).
pub fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn instance(i: usize) -> String {
    format!("10.{}.{}.{}:9100", (i >> 16) & 255, (i >> 8) & 255, i & 255)
}

fn namespace(i: usize) -> String {
    format!("team-{:02}-ns", mix(i as u64 ^ 0x5a5a) % 50)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Alert number `i`: distinct labels for every `i` (its instance), one in
/// ten critical. `starts_at`/`ends_at` keep it firing for the whole run.
pub fn alert(i: usize, starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Value {
    let h = mix(i as u64);
    let name = ALERTNAMES[(h % 40) as usize];
    let job = JOBS[((h >> 8) % 20) as usize];
    let inst = instance(i);
    let ns = namespace(i);
    let severity = if (h >> 16).is_multiple_of(10) {
        "critical"
    } else {
        "warning"
    };
    json!({
        "labels": {
            "alertname": name,
            "severity": severity,
            "cluster": format!("prod-eu-{}", (h >> 24) % 5),
            "namespace": ns,
            "job": job,
            "instance": inst,
            "pod": format!("{job}-{:08x}-{:05x}", (h >> 28) as u32, (h >> 40) & 0xfffff),
            "service": job,
            "team": format!("team-{:02}", (h >> 32) % 12),
            "prometheus": "monitoring/k8s",
        },
        "annotations": {
            "summary": format!("{name} on {inst} in {ns}"),
            "description": format!(
                "The {job} target {inst} in namespace {ns} has been failing its check for more \
                 than 5 minutes. Current value: {}. Check the dashboards and the runbook before \
                 escalating.",
                (h >> 48) % 1000
            ),
            "runbook_url": format!("https://runbooks.example.com/alerts/{name}"),
        },
        "startsAt": rfc3339(starts_at),
        "endsAt": rfc3339(ends_at),
        "generatorURL": format!(
            "http://prometheus-k8s-0.monitoring.svc:9090/graph?g0.expr=up%7Bjob%3D%22{job}%22%7D+%3D%3D+0&g0.tab=1"
        ),
    })
}

/// Alerts `from..to` as JSON bodies of `batch` alerts each.
pub fn alert_bodies(from: usize, to: usize, batch: usize, now: DateTime<Utc>) -> Vec<Bytes> {
    let ends = now + chrono::Duration::hours(3);
    (from..to)
        .step_by(batch)
        .map(|start| {
            let alerts: Vec<Value> = (start..(start + batch).min(to))
                .map(|i| alert(i, now, ends))
                .collect();
            Bytes::from(serde_json::to_vec(&alerts).expect("alerts encode"))
        })
        .collect()
}

/// Silence number `k`: four in five name one instance of a stored alert,
/// the fifth a namespace pattern for one alertname.
pub fn silence(k: usize, alerts: usize, now: DateTime<Utc>) -> Bytes {
    let target = (mix(k as u64 ^ 0xfeed) % alerts.max(1) as u64) as usize;
    let h = mix(target as u64);
    let name = ALERTNAMES[(h % 40) as usize];
    let matchers = if k.is_multiple_of(5) {
        json!([
            {"name": "alertname", "value": name, "isRegex": false, "isEqual": true},
            {"name": "namespace", "value": format!("team-{:02}-.*", k % 50), "isRegex": true, "isEqual": true},
        ])
    } else {
        json!([
            {"name": "alertname", "value": name, "isRegex": false, "isEqual": true},
            {"name": "instance", "value": instance(target), "isRegex": false, "isEqual": true},
        ])
    };
    let body = json!({
        "matchers": matchers,
        "startsAt": rfc3339(now),
        "endsAt": rfc3339(now + chrono::Duration::hours(2)),
        "createdBy": "oncall@example.com",
        "comment": format!("maintenance window {k}"),
    });
    Bytes::from(serde_json::to_vec(&body).expect("silence encodes"))
}

/// The inhibit rule of the "with inhibition" figures: a critical alert mutes
/// the warnings of its cluster and namespace.
const INHIBIT: &str = r#"
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [cluster, namespace]
"#;

/// The configuration of the ingest, memory and query figures: a routing
/// tree with a few team routes, notifications far enough away not to fire
/// during the run.
pub fn config(sink: &str, inhibit: bool) -> String {
    let mut c = format!(
        r#"global:
  resolve_timeout: 5m
route:
  receiver: default
  group_by: [alertname, cluster, namespace]
  group_wait: 5m
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - matchers: [severity="critical"]
      receiver: pager
      continue: true
    - matchers: ['team=~"team-0[0-3]"']
      receiver: team-a
    - matchers: ['team=~"team-0[4-7]"', 'namespace!~"team-4.*"']
      receiver: team-b
      group_by: [alertname, cluster, namespace, job]
receivers:
  - name: default
    webhook_configs: [{{url: "{sink}"}}]
  - name: pager
    webhook_configs: [{{url: "{sink}"}}]
  - name: team-a
    webhook_configs: [{{url: "{sink}"}}]
  - name: team-b
    webhook_configs: [{{url: "{sink}"}}]
"#
    );
    if inhibit {
        c.push_str(INHIBIT);
    }
    c
}

/// The configuration of the notification figures: every alert is its own
/// group (grouped by instance), sent at once.
pub fn notify_config(sink: &str) -> String {
    format!(
        r#"route:
  receiver: hook
  group_by: [alertname, instance]
  group_wait: 0s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: hook
    webhook_configs: [{{url: "{sink}", send_resolved: false}}]
"#
    )
}

/// [`notify_config`] with a receiver of three integrations: the webhook,
/// PagerDuty (Events API v2) and Slack (an incoming webhook), all served by
/// the sink at `base`.
pub fn notify_config_three(base: &str) -> String {
    format!(
        r##"route:
  receiver: hook
  group_by: [alertname, instance]
  group_wait: 0s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: hook
    webhook_configs: [{{url: "{base}/hook", send_resolved: false}}]
    pagerduty_configs: [{{routing_key: bench, url: "{base}/pagerduty/v2/enqueue"}}]
    slack_configs: [{{api_url: "{base}/slack", channel: "#bench"}}]
"##
    )
}

/// The `instance` label of alert `i`, which names its group in the
/// notification figures.
pub fn instance_of(i: usize) -> String {
    instance(i)
}
