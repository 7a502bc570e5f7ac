//! Log output in Alertmanager's shape: go-kit logfmt
//! (`level=info ts=2026-01-02T03:04:05.678Z caller=main.rs:42 msg="…" k=v`) or
//! JSON with sorted keys, filtered by `--log.level`.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Which of Alertmanager's two log formats to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Logfmt,
    Json,
}

/// Installs the global subscriber writing to stderr. `level` is one of
/// debug, info, warn, error; `format` is logfmt or json.
pub fn init(level: &str, format: &str) {
    let max = match level {
        "debug" => Level::DEBUG,
        "warn" => Level::WARN,
        "error" => Level::ERROR,
        _ => Level::INFO,
    };
    let format = if format == "json" {
        Format::Json
    } else {
        Format::Logfmt
    };
    // chitchat logs every heartbeat of every peer at debug: a peer's
    // gossip is summarised at info (joins, leaves, refused peers) instead.
    let chitchat = if max == Level::DEBUG {
        Level::INFO
    } else {
        max
    };
    let filter =
        tracing_subscriber::EnvFilter::new(format!("{max},chitchat={chitchat}").to_lowercase());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(AmFormat(format))
        .try_init();
}

/// The event formatter.
pub struct AmFormat(pub Format);

#[derive(Default)]
struct Fields {
    msg: Option<String>,
    rest: Vec<(String, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.push(field.name(), value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.push(field.name(), format!("{value:?}"));
    }
}

impl Fields {
    fn push(&mut self, name: &str, value: String) {
        if name == "message" {
            self.msg = Some(value);
        } else {
            self.rest.push((name.to_string(), value));
        }
    }
}

fn level_name(l: &Level) -> &'static str {
    match *l {
        Level::ERROR => "error",
        Level::WARN => "warn",
        Level::INFO => "info",
        _ => "debug",
    }
}

/// Writes a logfmt value, quoting it as go-logfmt does when it contains
/// spaces, `=`, quotes or control characters.
pub fn logfmt_value(out: &mut String, v: &str) {
    let needs_quotes = v.is_empty()
        || v.chars()
            .any(|c| c <= ' ' || c == '=' || c == '"' || c == '\u{7f}' || c == '\u{fffd}');
    if !needs_quotes {
        out.push_str(v);
        return;
    }
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl<S, N> FormatEvent<S, N> for AmFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut fields = Fields::default();
        event.record(&mut fields);
        let ts = chrono::Utc::now()
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string();
        let file = meta
            .file()
            .map(|f| f.rsplit('/').next().unwrap_or(f))
            .unwrap_or("?");
        let caller = format!("{}:{}", file, meta.line().unwrap_or(0));
        let line = match self.0 {
            Format::Logfmt => {
                let mut out = String::with_capacity(128);
                out.push_str("level=");
                out.push_str(level_name(meta.level()));
                out.push_str(" ts=");
                out.push_str(&ts);
                out.push_str(" caller=");
                logfmt_value(&mut out, &caller);
                if let Some(msg) = &fields.msg {
                    out.push_str(" msg=");
                    logfmt_value(&mut out, msg);
                }
                for (k, v) in &fields.rest {
                    out.push(' ');
                    out.push_str(k);
                    out.push('=');
                    logfmt_value(&mut out, v);
                }
                out
            }
            Format::Json => {
                let mut m: BTreeMap<&str, &str> = BTreeMap::new();
                m.insert("level", level_name(meta.level()));
                m.insert("ts", &ts);
                m.insert("caller", &caller);
                if let Some(msg) = &fields.msg {
                    m.insert("msg", msg);
                }
                for (k, v) in &fields.rest {
                    m.insert(k, v);
                }
                serde_json::to_string(&m).map_err(|_| fmt::Error)?
            }
        };
        writeln!(writer, "{line}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logfmt_quoting() {
        let cases = [
            ("plain", "plain"),
            ("", "\"\""),
            ("two words", "\"two words\""),
            ("a=b", "\"a=b\""),
            ("say \"hi\"", "\"say \\\"hi\\\"\""),
            ("127.0.0.1:9093", "127.0.0.1:9093"),
            ("line\nbreak", "\"line\\nbreak\""),
        ];
        for (input, want) in cases {
            let mut s = String::new();
            logfmt_value(&mut s, input);
            assert_eq!(s, want, "{input:?}");
        }
    }
}
