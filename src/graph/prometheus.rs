//! Querying Prometheus' `/api/v1/query_range` for a chart: the step that
//! keeps about 250 points (never more than Prometheus' 11,000 per series),
//! a start and end aligned on it so that equal requests hit the cache, the
//! answer decoded with NaN and ±Inf dropped, and every failure (refused,
//! timeout, `bad_data`, a proxy's HTML page) turned into one line.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

/// The points a chart aims for.
pub const TARGET_POINTS: i64 = 250;
/// Prometheus refuses range queries with more points per series.
pub const MAX_POINTS: i64 = 11_000;
/// The largest answer read (a query returning thousands of series).
pub const MAX_BODY: usize = 16 << 20;

/// The evaluation window of a range query, in Unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Window {
    pub start: i64,
    pub end: i64,
    pub step: i64,
}

impl Window {
    /// A window covering `start..end` with about [`TARGET_POINTS`] points:
    /// the step is a whole number of seconds (at least `min_step`), and the
    /// ends are multiples of it.
    pub fn covering(start: i64, end: i64, min_step: i64) -> Window {
        let span = (end - start).max(1);
        let mut step = (span + TARGET_POINTS - 1) / TARGET_POINTS;
        step = step.max(min_step).max(1);
        while span / step + 1 > MAX_POINTS {
            step += 1;
        }
        let start = start.div_euclid(step) * step;
        let end = (end + step - 1).div_euclid(step) * step;
        Window { start, end, step }
    }

    pub fn points(&self) -> i64 {
        (self.end - self.start) / self.step + 1
    }
}

/// One series of the answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub labels: BTreeMap<String, String>,
    /// (Unix seconds, value), finite values only.
    pub points: Vec<(i64, f64)>,
}

/// Why a query gave nothing to draw.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("Prometheus is unreachable: {0}")]
    Unreachable(String),
    #[error("the Prometheus query timed out")]
    Timeout,
    #[error("Prometheus refused the query: {0}")]
    Refused(String),
    #[error("Prometheus answered status {status}: {body}")]
    BadAnswer { status: u16, body: String },
}

impl QueryError {
    /// The metric label of the failure.
    pub fn reason(&self) -> &'static str {
        match self {
            QueryError::Unreachable(_) => "prometheus_unreachable",
            QueryError::Timeout => "timeout",
            QueryError::Refused(_) => "query_error",
            QueryError::BadAnswer { .. } => "prometheus_error",
        }
    }
}

#[derive(Deserialize)]
struct Answer {
    status: String,
    #[serde(default)]
    data: Option<AnswerData>,
    #[serde(default, rename = "errorType")]
    error_type: String,
    #[serde(default)]
    error: String,
}

#[derive(Deserialize)]
struct AnswerData {
    #[serde(rename = "resultType")]
    result_type: String,
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct MatrixSeries {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<(f64, String)>,
}

/// Runs `expr` over `window` against the Prometheus at `base` (its query
/// API is `<base>/api/v1/query_range`), within `timeout`.
pub async fn query_range(
    client: &reqwest::Client,
    base: &str,
    expr: &str,
    window: Window,
    timeout: Duration,
) -> Result<Vec<Series>, QueryError> {
    let url = format!("{}/api/v1/query_range", base.trim_end_matches('/'));
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("query", expr)
        .append_pair("start", &window.start.to_string())
        .append_pair("end", &window.end.to_string())
        .append_pair("step", &window.step.to_string())
        .append_pair("timeout", &format!("{}ms", timeout.as_millis().max(1)))
        .finish();
    let send = async {
        let resp = client
            .post(&url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form)
            .send()
            .await
            .map_err(|e| QueryError::Unreachable(error_chain(&e.without_url())))?;
        let status = resp.status().as_u16();
        let mut body = Vec::new();
        let mut resp = resp;
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| QueryError::Unreachable(e.without_url().to_string()))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_BODY {
                return Err(QueryError::Refused(format!(
                    "the answer is larger than {} MiB",
                    MAX_BODY >> 20
                )));
            }
        }
        decode(status, &body)
    };
    match tokio::time::timeout(timeout, send).await {
        Ok(r) => r,
        Err(_) => Err(QueryError::Timeout),
    }
}

/// An error with its causes (`error sending request: client error
/// (Connect): tcp connect error: Connection refused`), without repeats.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

/// Decodes an answer of `query_range`.
pub fn decode(status: u16, body: &[u8]) -> Result<Vec<Series>, QueryError> {
    let answer: Answer = match serde_json::from_slice(body) {
        Ok(a) => a,
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let (text, _) = crate::notify::text::truncate_in_runes(text.trim(), 200);
            return Err(QueryError::BadAnswer { status, body: text });
        }
    };
    if answer.status != "success" {
        if answer.error_type == "timeout" {
            return Err(QueryError::Timeout);
        }
        return Err(QueryError::Refused(format!(
            "{}: {}",
            answer.error_type, answer.error
        )));
    }
    let Some(data) = answer.data else {
        return Err(QueryError::Refused("an answer without data".into()));
    };
    if data.result_type != "matrix" {
        return Err(QueryError::Refused(format!(
            "a {} result where a range query gives a matrix",
            data.result_type
        )));
    }
    let raw: Vec<MatrixSeries> = serde_json::from_value(data.result)
        .map_err(|e| QueryError::Refused(format!("an unreadable matrix: {e}")))?;
    Ok(raw
        .into_iter()
        .map(|s| Series {
            labels: s.metric,
            points: s
                .values
                .into_iter()
                .filter_map(|(t, v)| {
                    let v: f64 = v.parse().ok()?;
                    v.is_finite().then_some((t as i64, v))
                })
                .collect(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_keep_about_250_points_aligned_on_the_step() {
        let w = Window::covering(1_700_000_123, 1_700_000_123 + 3 * 3600, 1);
        assert_eq!(w.step, 44);
        assert_eq!(w.start % w.step, 0);
        assert_eq!(w.end % w.step, 0);
        assert!(w.start <= 1_700_000_123 && w.end >= 1_700_000_123 + 3 * 3600);
        assert!(w.points() <= TARGET_POINTS + 2);
        // A tiny range still has a step of a second, and a minimum holds.
        assert_eq!(Window::covering(100, 110, 1).step, 1);
        assert_eq!(Window::covering(0, 600, 15).step, 15);
        // However long the range, never more than Prometheus accepts.
        let w = Window::covering(0, 10 * 365 * 86400, 1);
        assert!(w.points() <= MAX_POINTS);
        let w = Window::covering(0, 100_000, 1);
        assert!(w.points() <= TARGET_POINTS + 2);
    }

    #[test]
    fn answers_are_decoded_with_non_finite_values_dropped() {
        let body = br#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"job":"a"},"values":[[100,"1.5"],[115,"NaN"],[130,"+Inf"],[145,"-Inf"],[160,"2"]]},
            {"metric":{},"values":[]}]}}"#;
        let s = decode(200, body).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].points, [(100, 1.5), (160, 2.0)]);
        assert_eq!(s[0].labels["job"], "a");
    }

    #[test]
    fn errors_are_one_line_each() {
        let e = decode(
            400,
            br#"{"status":"error","errorType":"bad_data","error":"1:15: parse error: unclosed left parenthesis"}"#,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Prometheus refused the query: bad_data: 1:15: parse error: unclosed left parenthesis"
        );
        assert_eq!(e.reason(), "query_error");
        let e = decode(
            503,
            br#"{"status":"error","errorType":"timeout","error":"query timed out in query execution"}"#,
        )
        .unwrap_err();
        assert_eq!(e, QueryError::Timeout);
        let e = decode(502, b"<html><body>Bad Gateway</body></html>\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Prometheus answered status 502: <html><body>Bad Gateway</body></html>"
        );
        let e = decode(
            200,
            br#"{"status":"success","data":{"resultType":"vector","result":[]}}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("a vector result"), "{e}");
    }

    #[tokio::test]
    async fn an_unreachable_prometheus_is_an_error_not_a_hang() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        crate::notify::http::install_crypto_provider();
        let e = query_range(
            &reqwest::Client::new(),
            &format!("http://127.0.0.1:{port}"),
            "up",
            Window::covering(0, 3600, 1),
            Duration::from_secs(5),
        )
        .await
        .unwrap_err();
        assert_eq!(e.reason(), "prometheus_unreachable", "{e}");
    }
}
