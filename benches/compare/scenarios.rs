//! The scenarios: each runs the same steps against a fresh Alertmanager and
//! then a fresh Tocsin, and adds a figure per measurement to the report.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;

use crate::client::{Conn, Run, closed_loop, percentile};
use crate::report::{Figure, Reading, Report, Unit};
use crate::server::{Kind, Server, Setup};
use crate::sink::Sink;
use crate::workload;

/// How big a run is.
#[derive(Clone, Debug)]
pub struct Sizes {
    /// Alerts posted in batches of 100 for the ingest figures.
    pub ingest_100: usize,
    /// Alerts posted in batches of 10.
    pub ingest_10: usize,
    /// Connections the ingest figures post over.
    pub conns: usize,
    /// The smaller and the larger store of the memory and query figures.
    pub small: usize,
    pub large: usize,
    pub silences: usize,
    /// New groups sent one at a time for the latency figures.
    pub latency_samples: usize,
    /// New groups in the burst.
    pub burst: usize,
    /// How long one load phase may go on before it stops where it is.
    pub budget: Duration,
    /// Notification attempts in the history of the query figures.
    pub history_rows: usize,
}

impl Sizes {
    pub fn full() -> Sizes {
        Sizes {
            ingest_100: 50_000,
            ingest_10: 20_000,
            conns: 8,
            small: 10_000,
            large: 100_000,
            silences: 10_000,
            latency_samples: 200,
            burst: 10_000,
            budget: Duration::from_secs(60),
            history_rows: 1_000_000,
        }
    }

    pub fn smoke() -> Sizes {
        Sizes {
            ingest_100: 2_000,
            ingest_10: 500,
            conns: 4,
            small: 300,
            large: 1_000,
            silences: 100,
            latency_samples: 10,
            burst: 300,
            budget: Duration::from_secs(30),
            history_rows: 5_000,
        }
    }
}

/// Runs `f` for Alertmanager (unless the run leaves it out) and then for
/// Tocsin.
async fn both<T, F, Fut>(setup: &Setup, mut f: F) -> Result<[T; 2], String>
where
    T: Skipped,
    F: FnMut(Kind) -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let am = if setup.tocsin_only {
        T::skipped()
    } else {
        f(Kind::Alertmanager).await?
    };
    let tocsin = f(Kind::Tocsin).await?;
    Ok([am, tocsin])
}

/// What a scenario reports for a server the run left out.
trait Skipped {
    fn skipped() -> Self;
}

impl Skipped for [Run; 3] {
    fn skipped() -> Self {
        [Run::skipped(), Run::skipped(), Run::skipped()]
    }
}

fn skipped() -> Reading {
    Reading::Missing("skipped".into())
}

pub fn figure(name: impl Into<String>, unit: Unit, r: [Reading; 2], target: Option<f64>) -> Figure {
    let [alertmanager, tocsin] = r;
    Figure {
        name: name.into(),
        unit,
        alertmanager,
        tocsin,
        target,
        at_most: None,
    }
}

/// A figure Tocsin's own reading must keep within `limit`.
pub fn limited(name: impl Into<String>, unit: Unit, r: [Reading; 2], limit: f64) -> Figure {
    Figure {
        at_most: Some(limit),
        ..figure(name, unit, r, None)
    }
}

fn secs(d: Duration) -> Reading {
    d.into()
}

/// Posts alerts `from..to` in batches of `batch` and insists they all land.
pub async fn load(
    server: &Server,
    from: usize,
    to: usize,
    batch: usize,
    conns: usize,
    budget: Duration,
) -> Result<Run, String> {
    let bodies = Arc::new(workload::alert_bodies(from, to, batch, Utc::now()));
    let want = bodies.len();
    let run = closed_loop(
        &server.addr,
        "POST",
        "/api/v2/alerts",
        bodies,
        conns,
        budget,
    )
    .await;
    if let Some(e) = &run.error {
        return Err(format!("{}: {e}", server.kind.name()));
    }
    if run.ok < want {
        return Err(format!(
            "{}: only {} of {want} posts within {budget:?}",
            server.kind.name(),
            run.ok
        ));
    }
    Ok(run)
}

// ---------------------------------------------------------------- ingest

/// Ingest rounds per server; each figure is the median round's.
const ROUNDS: usize = 3;

pub async fn ingest(
    setup: &Setup,
    sizes: &Sizes,
    sink: &Sink,
    report: &mut Report,
) -> Result<(), String> {
    report.section(
        "Ingest",
        &format!(
            "`POST /api/v2/alerts` of new alerts over {} keep-alive connections, each sending its \
             next request when the last is answered; then the same alerts posted again (as \
             Prometheus re-sends firing alerts). Every request must answer 200. Three rounds, \
             each on a fresh server; each figure is from the round with the median rate.",
            sizes.conns
        ),
    );
    let runs = both(setup, |kind| async move {
        // Each round on a fresh server; each figure takes the round with
        // its median rate.
        let mut rounds: Vec<[Run; 3]> = Vec::new();
        for _ in 0..ROUNDS {
            let server = Server::start(setup, kind, &workload::config(&sink.url, false)).await?;
            let b100 = load(&server, 0, sizes.ingest_100, 100, sizes.conns, sizes.budget).await?;
            let end = sizes.ingest_100 + sizes.ingest_10;
            let b10 = load(
                &server,
                sizes.ingest_100,
                end,
                10,
                sizes.conns,
                sizes.budget,
            )
            .await?;
            let again = load(&server, 0, sizes.ingest_100, 100, sizes.conns, sizes.budget).await?;
            rounds.push([b100, b10, again]);
        }
        let mut median = |i: usize| {
            rounds.sort_by(|a, b| a[i].elapsed.cmp(&b[i].elapsed));
            let mid = rounds.len() / 2;
            std::mem::replace(&mut rounds[mid][i], Run::skipped())
        };
        Ok([median(0), median(1), median(2)])
    })
    .await?;
    let [am, t] = &runs;
    for (i, (label, batch)) in [
        ("new alerts, batches of 100", 100),
        ("new alerts, batches of 10", 10),
    ]
    .into_iter()
    .enumerate()
    {
        report.add(figure(
            format!("{label}: alerts/s"),
            Unit::PerSec("alerts"),
            [am[i].rate(batch), t[i].rate(batch)],
            Some(7.0),
        ));
        for p in [50.0, 99.0] {
            report.add(figure(
                format!("{label}: request latency p{p}"),
                Unit::Secs,
                [am[i].percentile(p), t[i].percentile(p)],
                None,
            ));
        }
    }
    report.add(figure(
        "re-posted firing alerts, batches of 100: alerts/s",
        Unit::PerSec("alerts"),
        [am[2].rate(100), t[2].rate(100)],
        None,
    ));
    Ok(())
}

// ---------------------------------------------------------------- state

/// Times `GET path`: one warm-up, then the median of `repeats`. Also
/// returns the size of the answer.
pub async fn time_get(
    server: &Server,
    path: &str,
    repeats: usize,
) -> Result<(Duration, usize), String> {
    let mut conn = Conn::connect(&server.addr)
        .await
        .map_err(|e| e.to_string())?;
    let mut times = Vec::new();
    let mut size = 0;
    for i in 0..=repeats {
        let t = Instant::now();
        let body = conn.expect_ok("GET", path, Bytes::new()).await?;
        if i > 0 {
            times.push(t.elapsed());
        }
        size = body.len();
    }
    times.sort_unstable();
    Ok((percentile(&times, 50.0), size))
}

/// One `GET path`, timed, with the number of alerts it counted as
/// inhibited and as silenced.
async fn get_once(server: &Server, path: &str) -> Result<(Duration, usize, usize), String> {
    let mut conn = Conn::connect(&server.addr)
        .await
        .map_err(|e| e.to_string())?;
    let t = Instant::now();
    let body = conn.expect_ok("GET", path, Bytes::new()).await?;
    let took = t.elapsed();
    let text = String::from_utf8_lossy(&body);
    let inhibited = text.matches("\"inhibitedBy\":[\"").count();
    let silenced = text.matches("\"silencedBy\":[\"").count();
    Ok((took, inhibited, silenced))
}

const FILTER: &str = "filter=severity%3D%22critical%22&filter=namespace%3D~%22team-0.%2A%22";

fn queries() -> [(&'static str, String); 4] {
    [
        ("`GET /api/v2/alerts`", "/api/v2/alerts".to_string()),
        (
            "`GET /api/v2/alerts` filtered",
            format!("/api/v2/alerts?{FILTER}"),
        ),
        (
            "`GET /api/v2/alerts/groups`",
            "/api/v2/alerts/groups".to_string(),
        ),
        (
            "`GET /api/v2/alerts/groups` filtered",
            format!("/api/v2/alerts/groups?{FILTER}"),
        ),
    ]
}

/// What one server measured in the state scenario.
#[derive(Default)]
struct State {
    rss: [Reading; 3],
    plain: Vec<Vec<Reading>>,
    inhibit: Vec<Vec<Reading>>,
    notes: Vec<String>,
}

impl Default for Reading {
    fn default() -> Reading {
        Reading::Missing("–".into())
    }
}

impl Skipped for State {
    fn skipped() -> Self {
        State {
            rss: [skipped(), skipped(), skipped()],
            plain: vec![vec![skipped(); 4]; 2],
            inhibit: vec![vec![skipped(); 2]; 2],
            notes: Vec::new(),
        }
    }
}

fn missing_on_timeout<T>(r: Result<T, String>) -> Result<Result<T, String>, String> {
    match r {
        Err(e) if e.contains("no answer within") => Ok(Err(format!(
            "> {} s (gave up)",
            crate::client::REQUEST_TIMEOUT.as_secs()
        ))),
        Err(e) => Err(e),
        Ok(v) => Ok(Ok(v)),
    }
}

async fn state_run(setup: &Setup, sizes: &Sizes, sink: &Sink, kind: Kind) -> Result<State, String> {
    let mut st = State::default();
    let server = Server::start(setup, kind, &workload::config(&sink.url, false)).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    st.rss[0] = (server.rss() as f64).into();
    let mut loaded = 0;
    for (step, size) in [sizes.small, sizes.large].into_iter().enumerate() {
        load(&server, loaded, size, 100, 4, sizes.budget * 2).await?;
        loaded = size;
        tokio::time::sleep(Duration::from_secs(2)).await;
        st.rss[step + 1] = (server.rss() as f64).into();
        let repeats = if step == 0 { 5 } else { 3 };
        let mut plain = Vec::new();
        for (q, (_, path)) in queries().into_iter().enumerate() {
            let r = missing_on_timeout(time_get(&server, &path, repeats).await)?;
            if q == 0
                && let Ok((_, bytes)) = &r
            {
                st.notes.push(format!(
                    "{}: the unfiltered `GET /api/v2/alerts` answer at {size} alerts is {:.1} MB",
                    kind.name(),
                    *bytes as f64 / 1e6
                ));
            }
            plain.push(r.map(|(d, _)| d).into());
        }
        st.plain.push(plain);
        server.reload(&workload::config(&sink.url, true)).await?;
        // The inhibitor of either server takes in the stored alerts after a
        // reload; give it time before measuring.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let mut inhibit = Vec::new();
        let mut gave_up = false;
        for (i, path) in ["/api/v2/alerts", "/api/v2/alerts/groups"]
            .into_iter()
            .enumerate()
        {
            if gave_up {
                // The server is still working on the abandoned request.
                inhibit.push(Reading::Missing("not tried after a give-up".into()));
                continue;
            }
            let r = missing_on_timeout(get_once(&server, path).await)?;
            if i == 0
                && let Ok((_, inhibited, _)) = &r
            {
                st.notes.push(format!(
                    "{} at {size} alerts: {inhibited} inhibited",
                    kind.name()
                ));
            }
            // A second, timed request unless the first gave up.
            let r = match r {
                Ok(_) => missing_on_timeout(get_once(&server, path).await)?,
                Err(e) => Err(e),
            };
            gave_up = r.is_err();
            inhibit.push(r.map(|(d, _, _)| d).into());
        }
        st.inhibit.push(inhibit);
        if gave_up {
            if step == 0 {
                return Err(format!("{} gave up at {size} alerts", kind.name()));
            }
            break;
        }
        server.reload(&workload::config(&sink.url, false)).await?;
    }
    Ok(st)
}

pub async fn state(
    setup: &Setup,
    sizes: &Sizes,
    sink: &Sink,
    report: &mut Report,
) -> Result<(), String> {
    let [am, t] = both(setup, |kind| state_run(setup, sizes, sink, kind)).await?;
    report.section(
        "Memory",
        "Resident set size (VmRSS) of the server process: idle, then after posting the alerts \
         (batches of 100) and waiting 2 s. Bytes per alert is (RSS at the larger size − idle RSS) \
         ÷ alerts.",
    );
    for (i, label) in [
        "idle".to_string(),
        format!("{} alerts", sizes.small),
        format!("{} alerts", sizes.large),
    ]
    .into_iter()
    .enumerate()
    {
        report.add(figure(
            format!("RSS, {label}"),
            Unit::Bytes,
            [am.rss[i].clone(), t.rss[i].clone()],
            None,
        ));
    }
    let per_alert = |s: &State| match (&s.rss[0], &s.rss[2]) {
        (Reading::Value(idle), Reading::Value(full)) => {
            Reading::Value((full - idle) / sizes.large as f64)
        }
        _ => Reading::Missing("–".into()),
    };
    report.add(figure(
        format!("bytes per alert at {} alerts", sizes.large),
        Unit::Bytes,
        [per_alert(&am), per_alert(&t)],
        Some(5.0),
    ));

    report.section(
        "Queries",
        &format!(
            "Median of 5 (at {}) or 3 (at {}) requests after one warm-up, whole answer read. \
             Filtered: `severity=\"critical\"` and `namespace=~\"team-0.*\"`. With inhibition: \
             the configuration is reloaded with a rule muting `severity=\"warning\"` by \
             `severity=\"critical\"` on equal `cluster` and `namespace`; the second request \
             after the reload is timed. A request gets {} s.",
            sizes.small,
            sizes.large,
            crate::client::REQUEST_TIMEOUT.as_secs()
        ),
    );
    for (step, size) in [sizes.small, sizes.large].into_iter().enumerate() {
        for (q, (label, _)) in queries().into_iter().enumerate() {
            let target = (step == 0 && q == 0).then_some(10.0);
            report.add(figure(
                format!("{label}, {size} alerts"),
                Unit::Secs,
                [am.plain[step][q].clone(), t.plain[step][q].clone()],
                target,
            ));
        }
        for (q, label) in ["`GET /api/v2/alerts`", "`GET /api/v2/alerts/groups`"]
            .into_iter()
            .enumerate()
        {
            let target = (step == 0 && q == 0).then_some(100.0);
            report.add(figure(
                format!("{label} with inhibition, {size} alerts"),
                Unit::Secs,
                [am.inhibit[step][q].clone(), t.inhibit[step][q].clone()],
                target,
            ));
        }
    }
    report.notes(&am.notes, &t.notes);
    Ok(())
}

// ---------------------------------------------------------------- silences

struct Silences {
    create: Run,
    first: Reading,
    second: Reading,
    groups_first: Reading,
    ingest: Run,
    notes: Vec<String>,
}

impl Skipped for Silences {
    fn skipped() -> Self {
        Silences {
            create: Run::skipped(),
            first: skipped(),
            second: skipped(),
            groups_first: skipped(),
            ingest: Run::skipped(),
            notes: Vec::new(),
        }
    }
}

/// Creates `n` silences (of [`workload::silence`], over `alerts` stored
/// alerts) over 4 connections; every request must succeed.
pub async fn create_silences(
    server: &Server,
    n: usize,
    alerts: usize,
    budget: Duration,
) -> Result<Run, String> {
    let now = Utc::now();
    let bodies: Vec<Bytes> = (0..n).map(|k| workload::silence(k, alerts, now)).collect();
    let run = closed_loop(
        &server.addr,
        "POST",
        "/api/v2/silences",
        Arc::new(bodies),
        4,
        budget,
    )
    .await;
    match &run.error {
        Some(e) => Err(format!("{}: {e}", server.kind.name())),
        None => Ok(run),
    }
}

async fn silences_run(
    setup: &Setup,
    sizes: &Sizes,
    sink: &Sink,
    kind: Kind,
) -> Result<Silences, String> {
    let server = Server::start(setup, kind, &workload::config(&sink.url, false)).await?;
    load(&server, 0, sizes.small, 100, 4, sizes.budget).await?;
    let create = create_silences(&server, sizes.silences, sizes.small, sizes.budget).await?;
    // Warm: every alert's status is known under the current silences.
    missing_on_timeout(get_once(&server, "/api/v2/alerts").await)?.ok();
    missing_on_timeout(get_once(&server, "/api/v2/alerts/groups").await)?.ok();
    let mut conn = Conn::connect(&server.addr)
        .await
        .map_err(|e| e.to_string())?;
    let change = workload::silence(sizes.silences, sizes.small, Utc::now());
    conn.expect_ok("POST", "/api/v2/silences", change.clone())
        .await?;
    let first = missing_on_timeout(get_once(&server, "/api/v2/alerts").await)?;
    let mut notes = Vec::new();
    if let Ok((_, _, silenced)) = &first {
        notes.push(format!(
            "{}: {silenced} of {} alerts silenced",
            kind.name(),
            sizes.small
        ));
    }
    let second = missing_on_timeout(get_once(&server, "/api/v2/alerts").await)?;
    conn.expect_ok(
        "POST",
        "/api/v2/silences",
        workload::silence(sizes.silences + 1, sizes.small, Utc::now()),
    )
    .await?;
    let groups_first = missing_on_timeout(get_once(&server, "/api/v2/alerts/groups").await)?;
    let ingest = load(
        &server,
        sizes.small,
        2 * sizes.small,
        100,
        sizes.conns,
        sizes.budget,
    )
    .await?;
    Ok(Silences {
        create,
        first: first.map(|r| r.0).into(),
        second: second.map(|r| r.0).into(),
        groups_first: groups_first.map(|r| r.0).into(),
        ingest,
        notes,
    })
}

pub async fn silences(
    setup: &Setup,
    sizes: &Sizes,
    sink: &Sink,
    report: &mut Report,
) -> Result<(), String> {
    let [am, t] = both(setup, |kind| silences_run(setup, sizes, sink, kind)).await?;
    report.section(
        "Silences",
        &format!(
            "{} alerts stored, then {} silences created over 4 connections (four in five name an \
             alertname and an instance, one in five an alertname and a namespace regex). A \
             silence change is one more silence created; the next request is timed.",
            sizes.small, sizes.silences
        ),
    );
    report.add(figure(
        "silences created/s",
        Unit::PerSec("silences"),
        [am.create.rate(1), t.create.rate(1)],
        None,
    ));
    report.add(figure(
        "silence create latency p99",
        Unit::Secs,
        [am.create.percentile(99.0), t.create.percentile(99.0)],
        None,
    ));
    report.add(figure(
        format!(
            "first `GET /api/v2/alerts` after a silence change, {} silences",
            sizes.silences
        ),
        Unit::Secs,
        [am.first.clone(), t.first.clone()],
        Some(100.0),
    ));
    report.add(figure(
        "the next `GET /api/v2/alerts`",
        Unit::Secs,
        [am.second.clone(), t.second.clone()],
        None,
    ));
    report.add(figure(
        "first `GET /api/v2/alerts/groups` after a silence change",
        Unit::Secs,
        [am.groups_first.clone(), t.groups_first.clone()],
        None,
    ));
    report.add(figure(
        format!(
            "ingest with {} silences, batches of 100: alerts/s",
            sizes.silences
        ),
        Unit::PerSec("alerts"),
        [am.ingest.rate(100), t.ingest.rate(100)],
        None,
    ));
    report.notes(&am.notes, &t.notes);
    Ok(())
}

// ---------------------------------------------------------------- notify

/// How many bursts each server gets; the median is reported.
const BURSTS: usize = 3;

struct Notify {
    /// Sorted; `None` when skipped.
    latencies: Option<Vec<Duration>>,
    burst: Reading,
    notes: Vec<String>,
}

impl Skipped for Notify {
    fn skipped() -> Self {
        Notify {
            latencies: None,
            burst: skipped(),
            notes: Vec::new(),
        }
    }
}

async fn notify_run(
    setup: &Setup,
    sizes: &Sizes,
    sink: &Sink,
    kind: Kind,
) -> Result<Notify, String> {
    sink.clear();
    let server = Server::start(setup, kind, &workload::notify_config(&sink.url)).await?;
    let mut conn = Conn::connect(&server.addr)
        .await
        .map_err(|e| e.to_string())?;
    let ends = Utc::now() + chrono::Duration::hours(3);
    let mut latencies = Vec::new();
    // New groups one at a time; indices far from the burst's.
    let base = 1_000_000;
    for j in 0..sizes.latency_samples {
        let i = base + j;
        let body = serde_json::to_vec(&[workload::alert(i, Utc::now(), ends)]).unwrap();
        let instance = workload::instance_of(i);
        let t = Instant::now();
        conn.expect_ok("POST", "/api/v2/alerts", Bytes::from(body))
            .await?;
        if !sink
            .wait(Duration::from_secs(10), |s| s.arrival(&instance).is_some())
            .await
        {
            return Err(format!(
                "{}: no notification for a new group within 10 s",
                kind.name()
            ));
        }
        latencies.push(sink.arrival(&instance).unwrap() - t);
    }
    latencies.sort_unstable();

    drop(conn);
    drop(server);

    // The burst, on fresh servers, several times: one burst varies by a
    // quarter from run to run on a shared machine.
    let mut rates = Vec::new();
    let mut notes = Vec::new();
    for round in 0..BURSTS {
        sink.clear();
        let server = Server::start(setup, kind, &workload::notify_config(&sink.url)).await?;
        let bodies = Arc::new(workload::alert_bodies(0, sizes.burst, 100, Utc::now()));
        let t = Instant::now();
        let run = closed_loop(
            &server.addr,
            "POST",
            "/api/v2/alerts",
            bodies,
            4,
            sizes.budget,
        )
        .await;
        if let Some(e) = run.error {
            return Err(format!("{}: {e}", kind.name()));
        }
        let all = sink
            .wait(Duration::from_secs(120), |s| s.counts().0 >= sizes.burst)
            .await;
        let (groups, posts) = sink.counts();
        if !all {
            return Err(format!(
                "{}: {groups} of {} groups notified within 120 s",
                kind.name(),
                sizes.burst
            ));
        }
        let took = sink.last_arrival().unwrap() - t;
        rates.push(sizes.burst as f64 / took.as_secs_f64());
        notes.push(format!(
            "{} burst {}: {:.0} notifications/s, {groups} groups notified, {posts} notifications{}",
            kind.name(),
            round + 1,
            rates[round],
            if posts > groups { " (duplicates!)" } else { "" }
        ));
    }
    rates.sort_by(f64::total_cmp);
    let burst = Reading::Value(rates[rates.len() / 2]);
    Ok(Notify {
        latencies: Some(latencies),
        burst,
        notes,
    })
}

pub async fn notify(
    setup: &Setup,
    sizes: &Sizes,
    sink: &Sink,
    report: &mut Report,
) -> Result<(), String> {
    let [am, t] = both(setup, |kind| notify_run(setup, sizes, sink, kind)).await?;
    report.section(
        "Notifications",
        &format!(
            "`group_wait: 0s`, one group per alert, a webhook receiver in the load process. \
             Latency: {} new groups posted one at a time, from the post to the notification's \
             arrival. Burst: {} new groups posted in batches of 100 over 4 connections to a fresh \
             server; from the first post to the last notification's arrival; the median of \
             {BURSTS} bursts.",
            sizes.latency_samples, sizes.burst
        ),
    );
    for (p, target) in [(50.0, None), (99.0, Some(1.0))] {
        report.add(figure(
            format!("new-group latency p{p}"),
            Unit::Secs,
            [&am.latencies, &t.latencies].map(|l| match l {
                Some(l) => secs(percentile(l, p)),
                None => skipped(),
            }),
            target,
        ));
    }
    report.add(figure(
        format!("burst of {} new groups: notifications/s", sizes.burst),
        Unit::PerSec("notifications"),
        [am.burst.clone(), t.burst.clone()],
        Some(5.0),
    ));
    report.notes(&am.notes, &t.notes);
    Ok(())
}

impl Skipped for (Reading, String) {
    fn skipped() -> Self {
        (skipped(), String::new())
    }
}

/// One burst of new groups to a receiver of three integrations (webhook,
/// PagerDuty, Slack) on a fresh server: notifications/s of the slowest.
async fn burst_three_run(
    setup: &Setup,
    sizes: &Sizes,
    sink: &Sink,
    kind: Kind,
) -> Result<(Reading, String), String> {
    let mut rates = Vec::new();
    let mut notes = Vec::new();
    for round in 0..BURSTS {
        sink.clear();
        let server =
            Server::start(setup, kind, &workload::notify_config_three(&sink.base())).await?;
        let bodies = Arc::new(workload::alert_bodies(0, sizes.burst, 100, Utc::now()));
        let t = Instant::now();
        let run = closed_loop(
            &server.addr,
            "POST",
            "/api/v2/alerts",
            bodies,
            4,
            sizes.budget,
        )
        .await;
        if let Some(e) = run.error {
            return Err(format!("{}: {e}", kind.name()));
        }
        let n = sizes.burst;
        let all = sink
            .wait(Duration::from_secs(180), |s| {
                let (pd, sl) = s.other_counts();
                s.counts().0 >= n && pd >= n && sl >= n
            })
            .await;
        let (groups, _) = sink.counts();
        let (pd, sl) = sink.other_counts();
        if !all {
            return Err(format!(
                "{}: {groups} webhook groups, {pd} PagerDuty events, {sl} Slack messages of {n} within 180 s",
                kind.name()
            ));
        }
        let took = sink.last_of_all().unwrap() - t;
        rates.push(n as f64 / took.as_secs_f64());
        notes.push(format!(
            "{} burst {}: {:.0} groups/s through 3 integrations ({groups} webhooks, {pd} PagerDuty events, {sl} Slack messages)",
            kind.name(),
            round + 1,
            rates[round]
        ));
    }
    rates.sort_by(f64::total_cmp);
    Ok((Reading::Value(rates[rates.len() / 2]), notes.join("; ")))
}

/// The burst of new groups with a receiver of three integrations.
pub async fn notify_three(
    setup: &Setup,
    sizes: &Sizes,
    sink: &Sink,
    report: &mut Report,
) -> Result<(), String> {
    let [am, t] = both(setup, |kind| burst_three_run(setup, sizes, sink, kind)).await?;
    report.section(
        "Notifications through three integrations",
        &format!(
            "The burst of {} new groups (batches of 100 over 4 connections, fresh server, median \
             of {BURSTS}) with a receiver of three integrations — webhook, PagerDuty (Events API \
             v2) and Slack (incoming webhook) — all served by the load process; until the last \
             of the {} notifications arrived.",
            sizes.burst,
            3 * sizes.burst
        ),
    );
    report.add(figure(
        format!(
            "burst of {} new groups, 3 integrations each: groups/s",
            sizes.burst
        ),
        Unit::PerSec("groups"),
        [am.0.clone(), t.0.clone()],
        Some(5.0),
    ));
    let am_notes: Vec<String> = [am.1].into_iter().filter(|n| !n.is_empty()).collect();
    report.notes(&am_notes, &[t.1]);
    Ok(())
}
