//! `tocsin history …`: queries a running server's history API the way
//! amtool queries its alerts (`--alertmanager.url`, `-o simple|extended|json`).

use std::io::Write;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::Value;

use crate::config::types::parse_go_duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Simple,
    Extended,
    Json,
}

/// What every history subcommand takes.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Alertmanager (Tocsin) to talk to.
    #[arg(
        long = "alertmanager.url",
        env = "ALERTMANAGER_URL",
        default_value = "http://localhost:9093",
        global = true
    )]
    pub url: String,
    /// Output formatter (simple, extended, json).
    #[arg(
        short = 'o',
        long = "output",
        value_enum,
        default_value = "simple",
        global = true
    )]
    pub output: Output,
    /// Timeout for the request.
    #[arg(long = "timeout", default_value = "30s", value_parser = parse_go_duration, global = true)]
    pub timeout: Duration,
    /// Start of the range: a duration ago (`2h`) or an RFC 3339 time.
    #[arg(long = "since", global = true)]
    pub since: Option<String>,
    /// End of the range: a duration ago or an RFC 3339 time.
    #[arg(long = "until", global = true)]
    pub until: Option<String>,
    /// The most rows to show (pages are followed until there are this many); 0 shows all.
    #[arg(long = "limit", default_value_t = 100, global = true)]
    pub limit: usize,
}

#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// Alerts that fired in the range, matching the given matchers (most recent first).
    Alerts {
        /// Alertmanager matchers, e.g. `alertname=Disk severity=~"page|crit"`.
        #[arg(value_name = "MATCHER")]
        matchers: Vec<String>,
    },
    /// One alert's timeline: lifecycle events and the notifications that carried it.
    Alert {
        /// The alert's fingerprint (16 hexadecimal digits, as /api/v2/alerts shows it).
        fingerprint: String,
    },
    /// Notification attempts.
    Notifications {
        #[arg(long = "receiver")]
        receiver: Option<String>,
        #[arg(long = "integration")]
        integration: Option<String>,
        #[arg(long = "group-key")]
        group_key: Option<String>,
        /// success or failure.
        #[arg(long = "outcome", value_parser = ["success", "failure"])]
        outcome: Option<String>,
    },
}

/// Runs a history subcommand; the exit code follows amtool (1 on error).
pub fn main(command: &HistoryCommand, common: &Common) -> std::process::ExitCode {
    let mut out = std::io::stdout().lock();
    match run(command, common, &mut out) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let _ = out.flush();
            eprintln!("tocsin: error: {e}");
            std::process::ExitCode::from(1)
        }
    }
}

/// A time argument as the API takes it.
fn when(
    arg: &Option<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<String>, String> {
    let Some(s) = arg else { return Ok(None) };
    if let Ok(d) = parse_go_duration(s) {
        let t = now - chrono::Duration::from_std(d).map_err(|e| e.to_string())?;
        return Ok(Some(crate::api::v2::time::format(&t)));
    }
    crate::api::v2::time::parse(s)
        .map_err(|e| format!("{s:?} is neither a duration nor a time: {e}"))?;
    Ok(Some(s.clone()))
}

pub fn run(command: &HistoryCommand, c: &Common, out: &mut dyn Write) -> Result<(), String> {
    let now = chrono::Utc::now();
    let mut params: Vec<(String, String)> = Vec::new();
    if let Some(s) = when(&c.since, now)? {
        params.push(("since".into(), s));
    }
    if let Some(u) = when(&c.until, now)? {
        params.push(("until".into(), u));
    }
    let base = format!("{}/api/tocsin/v1/history", c.url.trim_end_matches('/'));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .timeout(c.timeout)
        .build()
        .map_err(|e| e.to_string())?;
    let get = |url: String, params: Vec<(String, String)>| {
        let client = client.clone();
        async move {
            let full =
                url::Url::parse_with_params(&url, &params).map_err(|e| format!("{url}: {e}"))?;
            let resp = client
                .get(full)
                .send()
                .await
                .map_err(|e| format!("{url}: {e}"))?;
            let status = resp.status();
            let body: Value = resp
                .json()
                .await
                .map_err(|e| format!("{url}: reading the answer: {e}"))?;
            if !status.is_success() {
                let msg = body["error"].as_str().unwrap_or("").to_string();
                return Err(format!("{url}: {status}: {msg}"));
            }
            Ok::<Value, String>(body)
        }
    };
    // Follows the cursor until `limit` items (all with 0).
    let paged = |url: String, mut params: Vec<(String, String)>, key: &'static str| async move {
        let mut items = Vec::new();
        loop {
            let want = if c.limit == 0 {
                crate::history::query::MAX_LIMIT
            } else {
                (c.limit - items.len()).min(crate::history::query::MAX_LIMIT)
            };
            let mut p = params.clone();
            p.push(("limit".into(), want.to_string()));
            let page = get(url.clone(), p).await?;
            if let Some(a) = page[key].as_array() {
                items.extend(a.iter().cloned());
            }
            let done = c.limit != 0 && items.len() >= c.limit;
            match page["nextCursor"].as_str() {
                Some(cur) if !done => {
                    params.retain(|(k, _)| k != "cursor");
                    params.push(("cursor".into(), cur.to_string()));
                }
                _ => break,
            }
        }
        Ok::<Vec<Value>, String>(items)
    };
    match command {
        HistoryCommand::Alerts { matchers } => {
            let mut p = params;
            for m in matchers {
                p.push(("filter".into(), m.clone()));
            }
            let items = rt.block_on(paged(format!("{base}/alerts"), p, "items"))?;
            write_alerts(out, &items, c.output)
        }
        HistoryCommand::Alert { fingerprint } => {
            let url = format!("{base}/alerts/{fingerprint}");
            let mut timeline = rt.block_on(async {
                let first = get(url.clone(), params.clone()).await?;
                let mut t = first.clone();
                let mut events = first["events"].as_array().cloned().unwrap_or_default();
                let mut cursor = first["nextCursor"].as_str().map(String::from);
                while let Some(cur) = cursor.take() {
                    if c.limit != 0 && events.len() >= c.limit {
                        break;
                    }
                    let mut p = params.clone();
                    p.push(("cursor".into(), cur));
                    let page = get(url.clone(), p).await?;
                    events.extend(page["events"].as_array().cloned().unwrap_or_default());
                    cursor = page["nextCursor"].as_str().map(String::from);
                }
                if c.limit != 0 {
                    events.truncate(c.limit);
                }
                t["events"] = Value::Array(events);
                if let Some(o) = t.as_object_mut() {
                    o.remove("nextCursor");
                }
                Ok::<Value, String>(t)
            })?;
            write_timeline(out, &mut timeline, c.output)
        }
        HistoryCommand::Notifications {
            receiver,
            integration,
            group_key,
            outcome,
        } => {
            let mut p = params;
            for (k, v) in [
                ("receiver", receiver),
                ("integration", integration),
                ("group_key", group_key),
                ("outcome", outcome),
            ] {
                if let Some(v) = v {
                    p.push((k.into(), v.clone()));
                }
            }
            let items = rt.block_on(paged(format!("{base}/notifications"), p, "items"))?;
            write_notifications(out, &items, c.output)
        }
    }
    .map_err(|e: std::io::Error| e.to_string())
}

/// Columns separated by at least two spaces, as amtool's tabwriter does.
fn table(out: &mut dyn Write, rows: &[Vec<String>]) -> std::io::Result<()> {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in rows {
        let mut line = String::new();
        for (i, cell) in r.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < r.len() {
                let pad = widths[i] - cell.chars().count() + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `{a="b", c="d"}` as amtool prints label sets.
fn labels(v: &Value) -> String {
    let pairs: Vec<String> = v
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", crate::matcher::go_quote(&s(v))))
                .collect()
        })
        .unwrap_or_default();
    format!("{{{}}}", pairs.join(", "))
}

fn muted(a: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(ids) = a["silencedBy"].as_array() {
        parts.push(format!(
            "silenced by {}",
            ids.iter().map(s).collect::<Vec<_>>().join(",")
        ));
    }
    if !a["inhibitedBy"].is_null() {
        parts.push(format!("inhibited by {}", s(&a["inhibitedBy"])));
    }
    if let Some(m) = a["mutedByTimeIntervals"].as_object() {
        for ti in m.values() {
            parts.push(format!("muted by {}", s(ti)));
        }
    }
    parts.join("; ")
}

fn write_json(out: &mut dyn Write, v: &Value) -> std::io::Result<()> {
    writeln!(out, "{v}")
}

fn write_alerts(out: &mut dyn Write, items: &[Value], o: Output) -> std::io::Result<()> {
    if o == Output::Json {
        return write_json(out, &Value::Array(items.to_vec()));
    }
    let mut rows = vec![if o == Output::Extended {
        [
            "Fingerprint",
            "Labels",
            "State",
            "First seen",
            "Fired at",
            "Resolved at",
            "Muted",
        ]
        .map(String::from)
        .to_vec()
    } else {
        [
            "Fingerprint",
            "Alertname",
            "State",
            "Fired at",
            "Resolved at",
        ]
        .map(String::from)
        .to_vec()
    }];
    for a in items {
        rows.push(if o == Output::Extended {
            vec![
                s(&a["fingerprint"]),
                labels(&a["labels"]),
                s(&a["state"]),
                s(&a["firstSeen"]),
                s(&a["firedAt"]),
                s(&a["resolvedAt"]),
                muted(a),
            ]
        } else {
            vec![
                s(&a["fingerprint"]),
                s(&a["labels"]["alertname"]),
                s(&a["state"]),
                s(&a["firedAt"]),
                s(&a["resolvedAt"]),
            ]
        });
    }
    table(out, &rows)
}

/// An event's details in a few words.
fn event_details(e: &Value) -> String {
    if let Some(n) = e.get("notification").filter(|n| !n.is_null()) {
        let mut d = format!(
            "{} {}/{}[{}] attempt {}",
            s(&n["outcome"]),
            s(&n["receiver"]),
            s(&n["integration"]),
            s(&n["index"]),
            s(&n["attempt"])
        );
        if !n["statusCode"].is_null() {
            d.push_str(&format!(" status {}", s(&n["statusCode"])));
        }
        if !n["error"].is_null() {
            d.push_str(&format!(": {}", s(&n["error"])));
        }
        return d;
    }
    let mut parts = Vec::new();
    if let Some(ids) = e["silenceIds"].as_array() {
        parts.push(format!(
            "silences {}",
            ids.iter().map(s).collect::<Vec<_>>().join(",")
        ));
    }
    for (key, word) in [
        ("inhibitedBy", "by"),
        ("timeInterval", "time interval"),
        ("receiver", "receiver"),
    ] {
        if !e[key].is_null() {
            parts.push(format!("{word} {}", s(&e[key])));
        }
    }
    parts.join(", ")
}

fn write_timeline(out: &mut dyn Write, t: &mut Value, o: Output) -> std::io::Result<()> {
    if o == Output::Json {
        return write_json(out, t);
    }
    let a = &t["alert"];
    writeln!(
        out,
        "Alert {} {} ({}, first seen {})",
        s(&a["fingerprint"]),
        labels(&a["labels"]),
        s(&a["state"]),
        s(&a["firstSeen"])
    )?;
    let mut rows = vec![["At", "Event", "Details"].map(String::from).to_vec()];
    for e in t["events"].as_array().into_iter().flatten() {
        let mut details = event_details(e);
        if o == Output::Extended
            && let Some(n) = e.get("notification").filter(|n| !n.is_null())
        {
            details.push_str(&format!(
                " (group {}, {}s)",
                s(&n["groupKey"]),
                s(&n["durationSeconds"])
            ));
        }
        rows.push(vec![s(&e["at"]), s(&e["kind"]), details]);
    }
    table(out, &rows)
}

fn write_notifications(out: &mut dyn Write, items: &[Value], o: Output) -> std::io::Result<()> {
    if o == Output::Json {
        return write_json(out, &Value::Array(items.to_vec()));
    }
    let mut head = [
        "At",
        "Receiver",
        "Integration",
        "Outcome",
        "Attempt",
        "Status",
        "Alerts",
        "Error",
    ]
    .map(String::from)
    .to_vec();
    if o == Output::Extended {
        head.extend(["Group key", "Duration", "Firing", "Resolved"].map(String::from));
    }
    let mut rows = vec![head];
    for n in items {
        let count = |k: &str| n[k].as_array().map_or(0, Vec::len);
        let mut row = vec![
            s(&n["at"]),
            s(&n["receiver"]),
            format!("{}[{}]", s(&n["integration"]), s(&n["index"])),
            s(&n["outcome"]),
            s(&n["attempt"]),
            s(&n["statusCode"]),
            format!("{} firing, {} resolved", count("firing"), count("resolved")),
            s(&n["error"]),
        ];
        if o == Output::Extended {
            let list = |k: &str| {
                n[k].as_array()
                    .map(|a| a.iter().map(s).collect::<Vec<_>>().join(","))
                    .unwrap_or_default()
            };
            row.extend([
                s(&n["groupKey"]),
                format!("{}s", s(&n["durationSeconds"])),
                list("firing"),
                list("resolved"),
            ]);
        }
        rows.push(row);
    }
    table(out, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_durations_ago_or_rfc3339() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(
            when(&Some("90m".into()), now).unwrap().unwrap(),
            "2026-01-02T01:34:05.000Z"
        );
        assert_eq!(
            when(&Some("2026-01-01T00:00:00Z".into()), now)
                .unwrap()
                .unwrap(),
            "2026-01-01T00:00:00Z"
        );
        assert!(when(&Some("yesterday".into()), now).is_err());
    }

    #[test]
    fn tables_align() {
        let mut out = Vec::new();
        table(
            &mut out,
            &[
                vec!["A".into(), "Bee".into(), "C".into()],
                vec!["long".into(), "b".into(), "".into()],
            ],
        )
        .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "A     Bee  C\nlong  b\n");
    }
}
