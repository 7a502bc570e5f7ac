//! Charts of what fired, for notifications: [`Grapher::chart`] picks the
//! expression of a group's alerts ([`expr`]), queries Prometheus over a
//! window around the incident ([`prometheus`]), and draws the series with
//! their thresholds and the firing window as a PNG ([`render`]) in a
//! blocking task, all within a time budget. Query answers are cached
//! briefly; with `--graph.public-url`, each chart is also kept for a while
//! under a signed, expiring id ([`link`]) that `GET /graphs/<id>.png`
//! serves, so that Slack can fetch it as an image URL.
//!
//! Configured by the `--graph.*` flags (not by `alertmanager.yml`, which
//! must stay valid for amtool and prometheus-operator).

pub mod expr;
pub mod link;
pub mod prometheus;
pub mod render;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::alert::{Alert, Timestamp};
use crate::metrics::graph::GraphMetrics;
use prometheus::{QueryError, Series, Window};
use render::{ChartSpec, Line, Unit};

/// How charts are made (from the `--graph.*` flags).
#[derive(Clone, Debug)]
pub struct GraphSettings {
    /// The Prometheus queried (`--graph.prometheus-url`).
    pub prometheus_url: String,
    /// Where Tocsin's `/graphs/` path is reachable from Slack
    /// (`--graph.public-url`), without a trailing slash.
    pub public_url: Option<String>,
    /// The time shown before an alert started (`--graph.range`).
    pub range: Duration,
    /// A query explorer to link to (`--graph.explorer-url`).
    pub explorer_url: Option<String>,
    /// The budget of one chart: query and drawing (`--graph.timeout`).
    pub timeout: Duration,
    /// The zone of the time axis (`--graph.timezone`).
    pub tz: chrono_tz::Tz,
    /// How long a public chart link works (`--graph.link-ttl`).
    pub link_ttl: Duration,
    /// The most series drawn; the others are counted in the subtitle.
    pub max_series: usize,
    pub width: u32,
    pub height: u32,
}

impl Default for GraphSettings {
    fn default() -> Self {
        GraphSettings {
            prometheus_url: String::new(),
            public_url: None,
            range: Duration::from_secs(3 * 3600),
            explorer_url: None,
            timeout: Duration::from_secs(5),
            tz: chrono_tz::UTC,
            link_ttl: Duration::from_secs(7 * 86400),
            max_series: 8,
            width: 800,
            height: 400,
        }
    }
}

/// A drawn chart.
#[derive(Clone, Debug)]
pub struct Chart {
    pub png: Arc<Vec<u8>>,
    /// What the chart shows, for alt text and titles.
    pub title: String,
    /// A file name for uploads (`HighErrorRate-20260102T0300Z.png`).
    pub filename: String,
    /// The public URL of the PNG (with `--graph.public-url`).
    pub link: Option<String>,
    /// The query in the explorer (with `--graph.explorer-url`).
    pub explorer: Option<String>,
}

/// Why there is no chart.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum GraphError {
    #[error("{0}")]
    Plan(#[from] expr::PlanError),
    #[error("{0}")]
    Query(#[from] QueryError),
    #[error("the query returned no data in the chart's range")]
    NoData,
    #[error("drawing failed: {0}")]
    Render(String),
    #[error("no chart within the {0:?} budget")]
    Timeout(Duration),
}

impl GraphError {
    /// The `reason` label of `tocsin_graph_failures_total`.
    pub fn reason(&self) -> &'static str {
        match self {
            GraphError::Plan(expr::PlanError::NoExpression) => "no_expression",
            GraphError::Plan(_) => "bad_expression",
            GraphError::Query(q) => q.reason(),
            GraphError::NoData => "no_data",
            GraphError::Render(_) => "render",
            GraphError::Timeout(_) => "timeout",
        }
    }
}

/// Draws charts; shared by every Slack integration.
pub struct Grapher {
    settings: GraphSettings,
    client: reqwest::Client,
    queries: moka::future::Cache<(String, Window), Arc<Vec<Series>>>,
    /// Charts drawn in the last 30 s, by what they show (two receivers
    /// notified about one group draw it once).
    renders: moka::future::Cache<String, Arc<Vec<u8>>>,
    public: Option<link::PublicCharts>,
    metrics: Option<GraphMetrics>,
}

impl std::fmt::Debug for Grapher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grapher")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Grapher {
    pub fn new(settings: GraphSettings, metrics: Option<GraphMetrics>) -> Result<Grapher, String> {
        crate::notify::http::install_crypto_provider();
        url::Url::parse(&settings.prometheus_url)
            .map_err(|e| format!("--graph.prometheus-url: {e}"))?;
        let client = reqwest::Client::builder()
            .connect_timeout(settings.timeout)
            .build()
            .map_err(|e| e.to_string())?;
        render::register_font();
        let public = settings
            .public_url
            .as_ref()
            .map(|_| link::PublicCharts::new(settings.link_ttl))
            .transpose()?;
        Ok(Grapher {
            queries: moka::future::Cache::builder()
                .max_capacity(256)
                .time_to_live(Duration::from_secs(30))
                .build(),
            renders: moka::future::Cache::builder()
                .max_capacity(64)
                .time_to_live(Duration::from_secs(30))
                .build(),
            settings,
            client,
            public,
            metrics,
        })
    }

    pub fn settings(&self) -> &GraphSettings {
        &self.settings
    }

    /// Whether charts get a public URL.
    pub fn has_public_url(&self) -> bool {
        self.public.is_some()
    }

    /// The chart of `alerts` (one aggregation group) at `now`: the incident
    /// so far while any alert fires, the whole incident once all are
    /// resolved. Failures are counted by reason.
    pub async fn chart(&self, alerts: &[Arc<Alert>], now: Timestamp) -> Result<Chart, GraphError> {
        let started = Instant::now();
        let budget = self.settings.timeout;
        let result = match tokio::time::timeout(budget, self.draw(alerts, now)).await {
            Ok(r) => r,
            Err(_) => Err(GraphError::Timeout(budget)),
        };
        if let Some(m) = &self.metrics {
            match &result {
                Ok(_) => {
                    m.renders.inc();
                    m.duration.observe(started.elapsed().as_secs_f64());
                }
                Err(e) => m.failed(e.reason()),
            }
        }
        result
    }

    /// Counts a chart drawn but not delivered.
    pub fn delivery_failed(&self) {
        if let Some(m) = &self.metrics {
            m.failed("upload");
        }
    }

    /// The PNG behind a public id, if the id is genuine, unexpired and
    /// still kept.
    pub async fn public_chart(&self, id: &str) -> Option<Arc<Vec<u8>>> {
        self.public.as_ref()?.get(id).await
    }

    async fn draw(&self, alerts: &[Arc<Alert>], now: Timestamp) -> Result<Chart, GraphError> {
        // The first firing alert with an expression speaks for the group
        // (a group's alerts nearly always come from one rule).
        let mut ordered: Vec<&Arc<Alert>> = alerts.iter().collect();
        ordered.sort_by_key(|a| a.resolved_at(now));
        let (lead, plan) = ordered
            .iter()
            .find_map(|a| expr::plan(a).ok().map(|p| (*a, p)))
            .map(Ok)
            .unwrap_or_else(|| {
                Err(ordered
                    .first()
                    .map(|a| expr::plan(a).unwrap_err())
                    .unwrap_or(expr::PlanError::NoExpression))
            })?;
        let all_resolved = alerts.iter().all(|a| a.resolved_at(now));
        let fired = alerts.iter().map(|a| a.starts_at).min().unwrap_or(now);
        let ended = if all_resolved {
            alerts
                .iter()
                .filter_map(|a| a.ends_at)
                .max()
                .unwrap_or(now)
                .min(now)
        } else {
            now
        };
        let range = plan.range.unwrap_or(self.settings.range).as_secs() as i64;
        let (fired_s, ended_s, now_s) = (fired.timestamp(), ended.timestamp(), now.timestamp());
        let end = if all_resolved {
            (ended_s + range / 10).min(now_s)
        } else {
            now_s
        };
        let start = (end - range).min(fired_s - range / 6);
        let window = Window::covering(start, end, 1);

        let queries = plan.plots.iter().map(|p| self.query(&p.expr, window));
        let answers = futures::future::join_all(queries).await;
        let mut found: Vec<(String, Series)> = Vec::new();
        for (plot, answer) in plan.plots.iter().zip(answers) {
            for s in answer?.iter() {
                found.push((plot.part.clone(), s.clone()));
            }
        }
        found.retain(|(_, s)| !s.points.is_empty());
        if found.is_empty() {
            return Err(GraphError::NoData);
        }
        // Prefer the series of the group's own alerts.
        let matching: Vec<bool> = found
            .iter()
            .map(|(_, s)| alerts.iter().any(|a| series_matches(s, a)))
            .collect();
        if matching.iter().any(|m| *m) {
            let mut i = 0;
            found.retain(|_| {
                i += 1;
                matching[i - 1]
            });
        }
        // The highest peaks first; the rest are counted.
        let peak = |s: &Series| {
            s.points
                .iter()
                .map(|p| p.1)
                .fold(f64::NEG_INFINITY, f64::max)
        };
        found.sort_by(|a, b| {
            peak(&b.1)
                .total_cmp(&peak(&a.1))
                .then(a.1.labels.cmp(&b.1.labels))
        });
        let more = found.len().saturating_sub(self.settings.max_series);
        found.truncate(self.settings.max_series);

        let names = legend_names(&found);
        let lines = found
            .into_iter()
            .zip(names)
            .map(|((_, s), name)| Line {
                name,
                points: s.points,
            })
            .collect();
        let mut title = chart_title(lead, alerts, plan.burn_rate);
        if all_resolved {
            title.push_str("  (resolved)");
        }
        let mut subtitle = Vec::new();
        if !plan.thresholds.is_empty() {
            let unit = Unit::guess(&plan.plots[0].expr, plan.burn_rate);
            let t: Vec<String> = plan.thresholds.iter().map(|t| unit.format(*t)).collect();
            subtitle.push(format!("threshold {}", t.join(", ")));
        }
        if more > 0 {
            subtitle.push(format!("+{more} more series"));
        }
        let (expr_text, _) = crate::notify::text::truncate_in_runes(&plan.plots[0].expr, 90);
        subtitle.push(expr_text);
        let spec = ChartSpec {
            title: title.clone(),
            subtitle: subtitle.join("  ·  "),
            lines,
            thresholds: plan.thresholds.clone(),
            firing: Some((fired_s, ended_s)),
            start: window.start,
            end: window.end,
            step: window.step,
            tz: self.settings.tz,
            unit: Unit::guess(&plan.plots[0].expr, plan.burn_rate),
            width: self.settings.width,
            height: self.settings.height,
        };
        // The spec's description is its cache key (the points come from
        // the queries, which the window and expressions determine).
        let key = format!(
            "{}|{}|{:?}|{:?}|{:?}|{}",
            spec.title,
            spec.subtitle,
            plan.plots,
            window,
            spec.firing,
            spec.lines.len()
        );
        let png = match self.renders.get(&key).await {
            Some(png) => png,
            None => {
                let png = tokio::task::spawn_blocking(move || render::render_png(&spec))
                    .await
                    .map_err(|e| GraphError::Render(format!("the drawing task failed: {e}")))?
                    .map_err(GraphError::Render)?;
                let png = Arc::new(png);
                self.renders.insert(key, png.clone()).await;
                png
            }
        };
        let alertname = lead.labels.get("alertname").unwrap_or("alert");
        let filename = format!(
            "{}-{}.png",
            sanitize(alertname),
            now.format("%Y%m%dT%H%M%SZ")
        );
        let link = match (&self.public, &self.settings.public_url) {
            (Some(p), Some(base)) => {
                let id = p.insert(png.clone()).await;
                Some(format!("{base}/graphs/{id}.png"))
            }
            _ => None,
        };
        let explorer = self.settings.explorer_url.as_ref().map(|base| {
            let mut u = url::form_urlencoded::Serializer::new(String::new());
            u.append_pair("g0.expr", &plan.plots[0].expr)
                .append_pair("g0.tab", "0")
                .append_pair("g0.range_input", &format!("{range}s"));
            format!("{}/graph?{}", base.trim_end_matches('/'), u.finish())
        });
        Ok(Chart {
            png,
            title,
            filename,
            link,
            explorer,
        })
    }

    async fn query(&self, expr: &str, window: Window) -> Result<Arc<Vec<Series>>, GraphError> {
        let key = (expr.to_string(), window);
        if let Some(hit) = self.queries.get(&key).await {
            return Ok(hit);
        }
        let series = prometheus::query_range(
            &self.client,
            &self.settings.prometheus_url,
            expr,
            window,
            self.settings.timeout,
        )
        .await?;
        let series = Arc::new(series);
        self.queries.insert(key, series.clone()).await;
        Ok(series)
    }
}

/// Whether every label of `s` (but its name) has the alert's value.
fn series_matches(s: &Series, a: &Alert) -> bool {
    let labels: Vec<_> = s.labels.iter().filter(|(k, _)| *k != "__name__").collect();
    !labels.is_empty()
        && labels
            .iter()
            .all(|(k, v)| a.labels.get(k) == Some(v.as_str()))
}

/// Legend entries: the labels that differ between series, prefixed with
/// the query part (`5m`) when there are several.
fn legend_names(found: &[(String, Series)]) -> Vec<String> {
    let keys: BTreeSet<&String> = found.iter().flat_map(|(_, s)| s.labels.keys()).collect();
    let differing: Vec<&String> = keys
        .into_iter()
        .filter(|k| {
            let mut values = found.iter().map(|(_, s)| s.labels.get(*k));
            let first = values.next().flatten();
            values.any(|v| v != first)
        })
        .collect();
    found
        .iter()
        .map(|(part, s)| {
            let labels: Vec<String> = differing
                .iter()
                .filter_map(|k| s.labels.get(*k).map(|v| format!("{k}=\"{v}\"")))
                .collect();
            let text = match (part.is_empty(), labels.is_empty()) {
                (true, true) => String::new(),
                (false, true) => part.clone(),
                (true, false) => labels.join(", "),
                (false, false) => format!("{part} {}", labels.join(", ")),
            };
            crate::notify::text::truncate_in_runes(&text, 60).0
        })
        .collect()
}

/// `HighErrorRate — burn rate · job="api"`: the alert name and the labels
/// every alert of the group shares.
fn chart_title(lead: &Alert, alerts: &[Arc<Alert>], burn_rate: bool) -> String {
    let mut common: BTreeMap<&str, &str> = lead.labels.iter().collect();
    for a in alerts {
        common.retain(|k, v| a.labels.get(k) == Some(*v));
    }
    let name = lead.labels.get("alertname").unwrap_or("alert");
    let mut title = name.to_string();
    if burn_rate {
        title.push_str(" — burn rate");
    }
    let rest: Vec<String> = common
        .iter()
        .filter(|(k, _)| !matches!(**k, "alertname" | "severity" | "prometheus"))
        .take(3)
        .map(|(k, v)| format!("{k}=\"{v}\""))
        .collect();
    if !rest.is_empty() {
        title.push_str("  ");
        title.push_str(&rest.join(", "));
    }
    crate::notify::text::truncate_in_runes(&title, 100).0
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect()
}

#[cfg(test)]
mod tests;
