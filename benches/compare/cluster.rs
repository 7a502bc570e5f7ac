//! High availability: three Tocsin peers on loopback, gossiping every
//! 200 ms (Alertmanager's default): how long 10k silences created on one
//! take to be active on all, and how long a notification-log entry takes
//! to reach the others after the notification it records. Tocsin only:
//! Alertmanager's memberlist is not comparable peer for peer here.

use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;

use crate::client::{Conn, percentile};
use crate::report::{Reading, Report, Unit};
use crate::scenarios::{Sizes, create_silences, limited};
use crate::server::{Kind, Server, Setup};
use crate::sink::Sink;
use crate::workload;

const GOSSIP_INTERVAL: Duration = Duration::from_millis(200);

fn free_udp_port() -> Result<u16, String> {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

async fn members(server: &Server) -> Result<usize, String> {
    Ok(server.metric_sum("alertmanager_cluster_members").await? as usize)
}

async fn silences(server: &Server) -> Result<usize, String> {
    Ok(server.metric_sum("alertmanager_silences").await? as usize)
}

async fn merged(server: &Server) -> Result<f64, String> {
    server.metric_sum("tocsin_cluster_merged_total").await
}

/// Polls `check` every 10 ms until it holds or `limit` passes.
async fn until<F, Fut>(limit: Duration, mut check: F) -> Result<Option<Instant>, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool, String>>,
{
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check().await? {
            return Ok(Some(Instant::now()));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(None)
}

pub async fn convergence(
    setup: &Setup,
    sizes: &Sizes,
    sink: &Sink,
    report: &mut Report,
) -> Result<(), String> {
    let ports = [free_udp_port()?, free_udp_port()?, free_udp_port()?];
    let config = workload::notify_config(&sink.url);
    let started = Instant::now();
    let mut peers = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let mut flags = vec![
            format!("--cluster.listen-address=127.0.0.1:{port}"),
            format!("--cluster.peer-name=peer-{i}"),
            format!(
                "--cluster.gossip-interval={}ms",
                GOSSIP_INTERVAL.as_millis()
            ),
            "--cluster.settle-timeout=0s".to_string(),
        ];
        for (j, other) in ports.iter().enumerate() {
            if j != i {
                flags.push(format!("--cluster.peer=127.0.0.1:{other}"));
            }
        }
        let refs: Vec<&str> = flags.iter().map(String::as_str).collect();
        peers.push(Server::start_with(setup, Kind::Tocsin, &config, &refs, None).await?);
    }
    let formed = until(Duration::from_secs(30), || async {
        for p in &peers {
            if members(p).await? != 3 {
                return Ok(false);
            }
        }
        Ok(true)
    })
    .await?
    .map(|t| t.duration_since(started));

    // Silences created on the first peer, active on all three.
    let n = sizes.silences;
    let t0 = Instant::now();
    create_silences(&peers[0], n, sizes.small, sizes.budget).await?;
    let created = t0.elapsed();
    let everywhere = until(Duration::from_secs(60), || async {
        for p in &peers {
            if silences(p).await? < n {
                return Ok(false);
            }
        }
        Ok(true)
    })
    .await?
    .map(|t| t.duration_since(t0));

    // One notification at a time from the first peer: the time from its
    // arrival at the receiver to its log entry merged by both others.
    let samples = sizes.latency_samples.min(100);
    let mut lags = Vec::with_capacity(samples);
    for k in 0..samples {
        let i = 5_000_000 + k;
        let before = [merged(&peers[1]).await?, merged(&peers[2]).await?];
        let now = Utc::now();
        let mut alert = workload::alert(i, now, now + chrono::Duration::hours(1));
        // Out of reach of the silences created above.
        alert["labels"]["alertname"] = "ClusterProbe".into();
        alert["labels"]["namespace"] = "cluster-bench".into();
        let body = serde_json::json!([alert]);
        let mut c = Conn::connect(&peers[0].addr)
            .await
            .map_err(|e| e.to_string())?;
        c.expect_ok("POST", "/api/v2/alerts", Bytes::from(body.to_string()))
            .await?;
        let instance = workload::instance_of(i);
        if !sink
            .wait(Duration::from_secs(10), |s| s.arrival(&instance).is_some())
            .await
        {
            return Err(format!("notification {k} did not arrive"));
        }
        let sent = sink.arrival(&instance).unwrap_or_else(Instant::now);
        let seen = until(Duration::from_secs(10), || async {
            Ok(merged(&peers[1]).await? > before[0] && merged(&peers[2]).await? > before[1])
        })
        .await?;
        match seen {
            Some(t) => lags.push(t.saturating_duration_since(sent)),
            None => return Err(format!("log entry {k} did not reach the other peers")),
        }
    }
    lags.sort();
    let interval = GOSSIP_INTERVAL.as_secs_f64();
    report.section(
        "High availability",
        &format!(
            "Three Tocsin peers on loopback (all on the server core), gossiping every {} ms. \
             {n} silences created on one peer over 4 connections; the time until all three \
             count them active. Then {samples} notifications from that peer, one at a time: \
             the time from a notification's arrival at the receiver until both other peers \
             have merged its notification-log entry (read from `/metrics` every 10 ms).",
            GOSSIP_INTERVAL.as_millis()
        ),
    );
    let missing = |what: &str| Reading::Missing(format!("{what} not reached"));
    report.add(limited(
        "cluster formed (3 peers, from the first start)",
        Unit::Secs,
        [
            Reading::Missing("–".into()),
            formed.map_or_else(|| missing("3 members"), Reading::from),
        ],
        30.0,
    ));
    report.add(limited(
        format!("{n} silences active on all 3 peers, from the first create"),
        Unit::Secs,
        [
            Reading::Missing("–".into()),
            everywhere.map_or_else(|| missing("all silences"), Reading::from),
        ],
        3.0,
    ));
    report.add(limited(
        format!("{n} silences created on one peer"),
        Unit::Secs,
        [Reading::Missing("–".into()), created.into()],
        60.0,
    ));
    report.add(limited(
        "notification-log entry on both other peers, p50",
        Unit::Secs,
        [Reading::Missing("–".into()), percentile(&lags, 50.0).into()],
        2.0 * interval,
    ));
    report.add(limited(
        "notification-log entry on both other peers, p99",
        Unit::Secs,
        [Reading::Missing("–".into()), percentile(&lags, 99.0).into()],
        2.0 * interval,
    ));
    Ok(())
}
