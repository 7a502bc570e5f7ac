//! Content negotiation for `/metrics`.
//!
//! Tocsin only writes the OpenMetrics text format (`prometheus-client` has no
//! encoder for the classic Prometheus text format). Every Prometheus since
//! 2.5 asks for OpenMetrics in its scrape `Accept` header and picks its parser
//! from the response `Content-Type`, so it reads the output with full type
//! information. Clients that only understand `text/plain; version=0.0.4` get
//! the same body: the classic parser accepts it (including `# EOF` and the
//! histogram layout) but sees counters as untyped, because their `# TYPE`
//! line names the family without `_total`.
//!
//! The version parameter follows the client: `1.0.0` unless the client asks
//! for OpenMetrics `0.0.1` only (Prometheus 2.5–2.42), whose syntax is the
//! same for everything Tocsin writes.

/// OpenMetrics 1.0.0, the default answer.
pub const OPENMETRICS_1_0_0: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// OpenMetrics 0.0.1, for clients that ask for that version only.
pub const OPENMETRICS_0_0_1: &str = "application/openmetrics-text; version=0.0.1; charset=utf-8";

/// The `Content-Type` to answer a scrape with, given its `Accept` header
/// (empty when absent).
pub fn content_type(accept: &str) -> &'static str {
    let mut wants_0_0_1 = false;
    for range in accept.split(',') {
        let mut params = range.split(';').map(str::trim);
        let media = params.next().unwrap_or("");
        if !media.eq_ignore_ascii_case("application/openmetrics-text") {
            continue;
        }
        let mut version = None;
        let mut q = 1.0f64;
        for p in params {
            if let Some((k, v)) = p.split_once('=') {
                let (k, v) = (k.trim(), v.trim().trim_matches('"'));
                if k.eq_ignore_ascii_case("version") {
                    version = Some(v);
                } else if k.eq_ignore_ascii_case("q") {
                    q = v.parse().unwrap_or(1.0);
                }
            }
        }
        if q <= 0.0 {
            continue;
        }
        match version {
            Some("0.0.1") => wants_0_0_1 = true,
            _ => return OPENMETRICS_1_0_0,
        }
    }
    if wants_0_0_1 {
        OPENMETRICS_0_0_1
    } else {
        OPENMETRICS_1_0_0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation() {
        assert_eq!(content_type(""), OPENMETRICS_1_0_0);
        // Prometheus 3.x default scrape protocols.
        assert_eq!(
            content_type(
                "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,\
                 application/openmetrics-text;version=0.0.1;q=0.4,\
                 text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,\
                 text/plain;version=0.0.4;q=0.2,*/*;q=0.1"
            ),
            OPENMETRICS_1_0_0
        );
        // Prometheus 2.5 to 2.42.
        assert_eq!(
            content_type(
                "application/openmetrics-text; version=0.0.1,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
            ),
            OPENMETRICS_0_0_1
        );
        assert_eq!(content_type("text/plain;version=0.0.4"), OPENMETRICS_1_0_0);
        assert_eq!(content_type("*/*"), OPENMETRICS_1_0_0);
        assert_eq!(
            content_type("application/openmetrics-text;version=0.0.1;q=0"),
            OPENMETRICS_1_0_0
        );
    }
}
