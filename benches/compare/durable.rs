//! The cost and the payoff of durable state: ingest with the database
//! against `--storage.in-memory`, the restart of a loaded server, and
//! history queries over a million rows.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;

use crate::report::{Reading, Report, Unit};
use crate::scenarios::{Sizes, create_silences, figure, limited, load, time_get};
use crate::server::{Kind, Server, Setup};
use crate::sink::Sink;
use crate::workload;

/// Rounds of each mode for the ingest comparison (alternating).
const ROUNDS: usize = 9;

/// Durable Tocsin against in-memory Tocsin, rounds alternating so that
/// both see the same machine.
pub async fn ingest_modes(
    setup: &Setup,
    sizes: &Sizes,
    sink: &Sink,
    report: &mut Report,
) -> Result<(), String> {
    let mut rates: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..ROUNDS {
        for (i, extra) in [&["--storage.in-memory"][..], &[][..]].iter().enumerate() {
            let server = Server::start_with(
                setup,
                Kind::Tocsin,
                &workload::config(&sink.url, false),
                extra,
                None,
            )
            .await?;
            // A warm-up, then the measured load.
            let warm = sizes.ingest_10;
            load(&server, 0, warm, 100, sizes.conns, sizes.budget).await?;
            let run = load(
                &server,
                warm,
                warm + sizes.large,
                100,
                sizes.conns,
                sizes.budget,
            )
            .await?;
            if let Reading::Value(r) = run.rate(100) {
                rates[i].push(r);
            }
        }
    }
    let median = |v: &mut Vec<f64>| -> Reading {
        if v.is_empty() {
            return Reading::Missing("no run".into());
        }
        v.sort_by(f64::total_cmp);
        v[v.len() / 2].into()
    };
    let [mut mem, mut dur] = rates;
    report.section_of(
        "Durable state: what it costs",
        &format!(
            "Tocsin with its state database (the default) against Tocsin with \
             `--storage.in-memory`: {} new alerts posted to warm up, then {} more measured, in \
             batches of 100 over {} connections; {ROUNDS} rounds of each, alternating; the \
             median round of each.",
            sizes.ingest_10, sizes.large, sizes.conns
        ),
        "Tocsin in memory",
        "Tocsin durable",
    );
    report.add(figure(
        "new alerts, batches of 100: alerts/s",
        Unit::PerSec("alerts"),
        [median(&mut mem), median(&mut dur)],
        Some(0.9),
    ));
    Ok(())
}

/// The count of alerts (active and suppressed) `/metrics` reports.
async fn active_alerts(server: &Server) -> Result<usize, String> {
    Ok(server.metric_sum("alertmanager_alerts").await? as usize)
}

/// A server loaded with alerts and silences, stopped and started again.
pub async fn restart(
    setup: &Setup,
    sizes: &Sizes,
    sink: &Sink,
    report: &mut Report,
) -> Result<(), String> {
    let mut readings = Vec::new();
    let mut notes = Vec::new();
    for kind in [Kind::Alertmanager, Kind::Tocsin] {
        if kind == Kind::Alertmanager && setup.tocsin_only {
            readings.push(Reading::Missing("skipped".into()));
            continue;
        }
        let mut server = Server::start(setup, kind, &workload::config(&sink.url, false)).await?;
        load(&server, 0, sizes.large, 100, sizes.conns, sizes.budget).await?;
        create_silences(&server, sizes.silences, sizes.large, sizes.budget).await?;
        // Alerts reach the database within a second.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        // Tocsin is killed; Alertmanager is stopped cleanly so that it
        // writes its snapshot (a kill would lose its silences).
        let took = server.restart(kind == Kind::Tocsin).await?;
        let alerts = active_alerts(&server).await?;
        notes.push(format!(
            "{}: ready {:.2} s after {}, {alerts} alerts restored",
            kind.name(),
            took.as_secs_f64(),
            if kind == Kind::Tocsin {
                "SIGKILL"
            } else {
                "SIGTERM"
            }
        ));
        if kind == Kind::Tocsin && alerts < sizes.large {
            return Err(format!(
                "Tocsin restored {alerts} of {} alerts",
                sizes.large
            ));
        }
        readings.push(took.into());
    }
    report.section(
        "Restart",
        &format!(
            "{} active alerts and {} silences, then the server is stopped (Tocsin with SIGKILL, \
             Alertmanager with SIGTERM so that it snapshots its silences) and started again on \
             the same storage path: the time from starting the process to `/-/ready` answering \
             200. Alertmanager comes back without its alerts; Tocsin with all of them, its \
             groups and their timers.",
            sizes.large, sizes.silences
        ),
    );
    let [am, t]: [Reading; 2] = readings.try_into().map_err(|_| "two readings")?;
    report.add(limited("ready after a restart", Unit::Secs, [am, t], 3.0));
    report.notes(&notes, &[]);
    Ok(())
}

/// Fills `dir/data`'s history with `alerts` alerts and `notifications`
/// attempts spread over the last day, through Tocsin's own writer.
fn populate(
    dir: &std::path::Path,
    alerts: usize,
    notifications: usize,
) -> Result<Vec<u64>, String> {
    use tocsin::alert::{Alert, LabelSet};
    use tocsin::history::{Attempt, History, Outcome};
    let data = dir.join("data");
    std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
    let metrics = tocsin::metrics::Metrics::new(&tocsin::metrics::BuildInfo::tocsin());
    let db =
        tocsin::state::StateDb::open(&data, metrics.state.clone()).map_err(|e| e.to_string())?;
    let h =
        History::start(&data, Duration::ZERO, metrics.state.clone()).map_err(|e| e.to_string())?;
    let now = Utc::now();
    let mut fps = Vec::with_capacity(alerts);
    for i in 0..alerts {
        let a = workload::alert(i, now, now + chrono::Duration::hours(3));
        let labels: LabelSet = a["labels"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("")))
            .collect();
        let alert = Arc::new(Alert {
            labels,
            annotations: LabelSet::empty(),
            starts_at: now,
            ends_at: None,
            updated_at: now,
            generator_url: Arc::from(""),
            timeout: false,
        });
        fps.push(alert.fingerprint().0);
        tocsin::store::AlertObserver::on_put(&h, &alert);
        if i % 20_000 == 19_999 {
            h.sync(Duration::from_secs(600));
        }
    }
    let day = chrono::Duration::hours(24);
    let step = day / notifications.max(1) as i32;
    for i in 0..notifications {
        let fp = fps[(workload::mix(i as u64) % fps.len() as u64) as usize];
        let failed = i % 17 == 0;
        h.record_attempt(Attempt {
            at: now - day + step * i as i32,
            receiver: format!("team-{}", i % 10),
            integration: "webhook".into(),
            index: 0,
            group_key: format!("{{}}:{{alertname=\"A{}\"}}", fp % 1000),
            firing: vec![fp],
            resolved: vec![],
            outcome: if failed {
                Outcome::Failure
            } else {
                Outcome::Success
            },
            reason: if failed {
                "serverError".into()
            } else {
                String::new()
            },
            error: if failed {
                "unexpected status code 503".into()
            } else {
                String::new()
            },
            status_code: failed.then_some(503),
            duration: Duration::from_millis(3),
            attempt: 1,
        });
        if i % 20_000 == 19_999 {
            h.sync(Duration::from_secs(600));
        }
    }
    if !h.sync(Duration::from_secs(600)) {
        return Err("the history writer did not catch up".into());
    }
    h.close();
    db.close();
    Ok(fps)
}

pub async fn history(
    setup: &Setup,
    sizes: &Sizes,
    sink: &Sink,
    report: &mut Report,
) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let started = Instant::now();
    let path = dir.path().to_path_buf();
    let (alerts, notifications) = (sizes.large, sizes.history_rows);
    let fps = tokio::task::spawn_blocking(move || populate(&path, alerts, notifications))
        .await
        .map_err(|e| e.to_string())??;
    let filled = started.elapsed();
    let size = std::fs::metadata(dir.path().join("data/history.db")).map_or(0, |m| m.len());
    let t0 = Instant::now();
    let server = Server::start_with(
        setup,
        Kind::Tocsin,
        &workload::config(&sink.url, false),
        &[],
        Some(dir),
    )
    .await?;
    let ready = t0.elapsed();
    let since = (Utc::now() - chrono::Duration::hours(6))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let until = (Utc::now() - chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (since, until): (String, String) = (
        url::form_urlencoded::byte_serialize(since.as_bytes()).collect(),
        url::form_urlencoded::byte_serialize(until.as_bytes()).collect(),
    );
    let base = "/api/tocsin/v1/history";
    let queries = [
        (
            "alerts by `alertname` and `severity`, last 6 h",
            format!(
                "{base}/alerts?filter=alertname%3D%22{}%22&filter=severity%3D%22critical%22&since={since}",
                "KubePodCrashLooping"
            ),
        ),
        (
            "alerts by `team` (no alertname), last 6 h",
            format!("{base}/alerts?filter=team%3D%22team-03%22&since={since}"),
        ),
        (
            "notifications by receiver, 6 h to 1 h ago",
            format!("{base}/notifications?receiver=team-3&since={since}&until={until}"),
        ),
        (
            "failed notifications by receiver",
            format!("{base}/notifications?receiver=team-3&outcome=failure"),
        ),
        (
            "one alert's timeline",
            format!("{base}/alerts/{:016x}", fps[fps.len() / 2]),
        ),
    ];
    report.section_of(
        "History queries",
        &format!(
            "The history holds {} alerts and {} notification attempts over the last day \
             ({} rows with their timeline events; a {:.0} MiB database, written through Tocsin's \
             own history writer in {:.1} s). Each query: the median of 20 over one connection, \
             100 results a page. A filter without an `alertname` matcher scans the alerts in \
             the order of their last change until a page is full.",
            sizes.large,
            sizes.history_rows,
            2 * sizes.history_rows + 2 * sizes.large,
            size as f64 / (1024.0 * 1024.0),
            filled.as_secs_f64()
        ),
        "–",
        "Tocsin",
    );
    for (name, path) in &queries {
        let r: Reading = time_get(&server, path, 20).await.map(|(d, _)| d).into();
        report.add(limited(
            *name,
            Unit::Secs,
            [Reading::Missing("–".into()), r],
            0.020,
        ));
    }
    report.add(figure(
        "start-up on this database, to `/-/ready`",
        Unit::Secs,
        [Reading::Missing("–".into()), ready.into()],
        None,
    ));
    let worst: Reading = time_get(
        &server,
        &format!("{base}/alerts?filter=team%3D%22nobody%22"),
        3,
    )
    .await
    .map(|(d, _)| d)
    .into();
    report.add(figure(
        "alerts by a matcher nothing matches (a full scan)",
        Unit::Secs,
        [Reading::Missing("–".into()), worst],
        None,
    ));
    Ok(())
}
