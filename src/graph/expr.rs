//! What to draw for an alert: the PromQL expression (the `graph_query`
//! annotation, else the `g0.expr` of the alert's `generatorURL`) split into
//! the series to plot and the thresholds they are compared with, so the
//! chart shows the value and the line it crossed rather than only the
//! points where the condition held. SLO burn-rate alerts (Sloth, Pyrra,
//! Autometrics) are drawn as burn rates against their factors.

use std::time::Duration;

use promql_parser::parser::token::{
    T_ADD, T_DIV, T_EQLC, T_GTE, T_GTR, T_LAND, T_LOR, T_LSS, T_LTE, T_MUL, T_NEQ, T_POW, T_SUB,
};
use promql_parser::parser::{self, Expr};

use crate::alert::Alert;

/// The annotation that overrides the expression drawn.
pub const QUERY_ANNOTATION: &str = "graph_query";
/// The annotation that overrides `--graph.range` (a Go duration).
pub const RANGE_ANNOTATION: &str = "graph_range";

/// One query to run and draw.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    /// The PromQL to query over the chart's range.
    pub expr: String,
    /// A short name for the legend when the query has several parts
    /// (`5m`/`1h` windows of a burn-rate alert); empty otherwise.
    pub part: String,
}

/// Everything drawn for one alert group.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub plots: Vec<Plot>,
    /// Horizontal lines: what the plotted values are compared with.
    pub thresholds: Vec<f64>,
    /// The values are burn rates (error ratio ÷ error budget).
    pub burn_rate: bool,
    /// The range override from the `graph_range` annotation.
    pub range: Option<Duration>,
    /// Where the expression came from, for the chart's subtitle.
    pub source: Source,
}

/// Where the expression came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Annotation,
    GeneratorUrl,
}

/// Why nothing can be drawn for an alert.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("the alert has no graph_query annotation and its generatorURL carries no g0.expr")]
    NoExpression,
    #[error("the alert's expression does not parse: {0}")]
    Parse(String),
    #[error("the graph_range annotation {0:?} is not a duration")]
    Range(String),
}

/// The expression of `alert`: the `graph_query` annotation, else the
/// `g0.expr` parameter of its `generatorURL` (form-decoded: Prometheus
/// writes spaces as `+`).
pub fn expression_of(alert: &Alert) -> Option<(String, Source)> {
    if let Some(q) = alert.annotations.get(QUERY_ANNOTATION)
        && !q.trim().is_empty()
    {
        return Some((q.trim().to_string(), Source::Annotation));
    }
    let url = url::Url::parse(&alert.generator_url).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == "g0.expr")
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .map(|v| (v, Source::GeneratorUrl))
}

/// The plan for `alert`.
pub fn plan(alert: &Alert) -> Result<Plan, PlanError> {
    let (expr, source) = expression_of(alert).ok_or(PlanError::NoExpression)?;
    let range = match alert.annotations.get(RANGE_ANNOTATION) {
        Some(r) if !r.trim().is_empty() => Some(
            crate::config::types::parse_go_duration(r.trim())
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| PlanError::Range(r.to_string()))?,
        ),
        _ => None,
    };
    let parsed = parser::parse(&expr).map_err(PlanError::Parse)?;
    let mut found = Vec::new();
    collect(&parsed, &mut found);
    let slo = is_slo(alert);
    let mut plots = Vec::new();
    let mut thresholds = Vec::new();
    let mut burn_rate = false;
    if found.is_empty() {
        plots.push(Plot {
            expr: parsed.to_string(),
            part: String::new(),
        });
    }
    for c in &found {
        let budget_split = if slo {
            c.threshold.as_ref().and_then(factor_and_budget)
        } else {
            None
        };
        let (expr, threshold) = match budget_split {
            Some((factor, budget)) => {
                burn_rate = true;
                (
                    format!("({}) / {}", c.series, fmt_number(budget)),
                    Some(factor),
                )
            }
            None => (
                c.series.to_string(),
                c.threshold.as_ref().and_then(constant),
            ),
        };
        let part = if found.len() > 1 {
            window_of(c.series).unwrap_or_else(|| format!("#{}", plots.len() + 1))
        } else {
            String::new()
        };
        if !plots.iter().any(|p: &Plot| p.expr == expr) {
            plots.push(Plot { expr, part });
        }
        if let Some(t) = threshold
            && t.is_finite()
            && !thresholds.contains(&t)
        {
            thresholds.push(t);
        }
    }
    Ok(Plan {
        plots,
        thresholds,
        burn_rate,
        range,
        source,
    })
}

/// A comparison found in the expression: the side to plot and the constant
/// side, if any.
struct Comparison<'a> {
    series: &'a Expr,
    threshold: Option<Expr>,
}

/// Walks `and`/`or`/`unless`, parentheses and aggregations down to the
/// comparisons; a comparison of two vectors plots both sides.
fn collect<'a>(e: &'a Expr, out: &mut Vec<Comparison<'a>>) {
    match e {
        Expr::Paren(p) => collect(&p.expr, out),
        Expr::Aggregate(a) => collect(&a.expr, out),
        Expr::Binary(b) => {
            let op = b.op.id();
            let bool_modifier = b.modifier.as_ref().is_some_and(|m| m.return_bool);
            if op == T_LAND || op == T_LOR {
                collect(&b.lhs, out);
                collect(&b.rhs, out);
            } else if op == promql_parser::parser::token::T_LUNLESS {
                collect(&b.lhs, out);
            } else if is_comparison(op) && !bool_modifier {
                match (constant(&b.lhs), constant(&b.rhs)) {
                    (_, Some(_)) => out.push(Comparison {
                        series: &b.lhs,
                        threshold: Some((*b.rhs).clone()),
                    }),
                    (Some(_), None) => out.push(Comparison {
                        series: &b.rhs,
                        threshold: Some((*b.lhs).clone()),
                    }),
                    (None, None) => {
                        out.push(Comparison {
                            series: &b.lhs,
                            threshold: None,
                        });
                        out.push(Comparison {
                            series: &b.rhs,
                            threshold: None,
                        });
                    }
                }
            }
        }
        _ => {}
    }
}

fn is_comparison(op: promql_parser::parser::token::TokenId) -> bool {
    [T_GTR, T_GTE, T_LSS, T_LTE, T_EQLC, T_NEQ].contains(&op)
}

/// The value of a constant expression (numbers, parentheses, unary minus
/// and arithmetic between constants).
pub fn constant(e: &Expr) -> Option<f64> {
    match e {
        Expr::NumberLiteral(n) => Some(n.val),
        Expr::Paren(p) => constant(&p.expr),
        Expr::Unary(u) => constant(&u.expr).map(|v| -v),
        Expr::Binary(b) => {
            let (l, r) = (constant(&b.lhs)?, constant(&b.rhs)?);
            let op = b.op.id();
            Some(match op {
                _ if op == T_ADD => l + r,
                _ if op == T_SUB => l - r,
                _ if op == T_MUL => l * r,
                _ if op == T_DIV => l / r,
                _ if op == T_POW => l.powf(r),
                _ => return None,
            })
        }
        _ => None,
    }
}

/// A burn-rate threshold `factor * budget` (Sloth writes `(14.4 *
/// 0.001)`, Pyrra `(14 * (1-0.99))`): the factor (≥ 1) and the error
/// budget (< 1).
fn factor_and_budget(threshold: &Expr) -> Option<(f64, f64)> {
    let mut e = threshold;
    while let Expr::Paren(p) = e {
        e = &p.expr;
    }
    let Expr::Binary(b) = e else { return None };
    if b.op.id() != T_MUL {
        return None;
    }
    let (l, r) = (constant(&b.lhs)?, constant(&b.rhs)?);
    let (factor, budget) = if l >= r { (l, r) } else { (r, l) };
    (factor >= 1.0 && budget > 0.0 && budget < 1.0).then_some((factor, budget))
}

/// Whether the alert comes from an SLO tool's rules.
fn is_slo(alert: &Alert) -> bool {
    let l = &alert.labels;
    l.get("sloth_slo").is_some()
        || l.get("sloth_id").is_some()
        || l.get("objective_name").is_some()
        || (l.get("slo").is_some() && (l.get("long").is_some() || l.get("short").is_some()))
}

/// The window of a recording-rule series for the legend: `5m` of
/// `slo:sli_error:ratio_rate5m` or `http:burnrate5m`.
fn window_of(e: &Expr) -> Option<String> {
    let Expr::VectorSelector(v) = e else {
        return None;
    };
    let name = v.name.as_deref()?;
    let unit_len = name
        .bytes()
        .rev()
        .take_while(u8::is_ascii_lowercase)
        .count();
    let head = &name[..name.len() - unit_len];
    let digits = head.bytes().rev().take_while(u8::is_ascii_digit).count();
    (unit_len > 0 && unit_len <= 2 && digits > 0).then(|| name[head.len() - digits..].to_string())
}

/// A number as PromQL reads it back.
fn fmt_number(v: f64) -> String {
    let s = format!("{v}");
    if s.contains('e') || s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::LabelSet;

    fn alert(labels: &[(&str, &str)], expr: &str) -> Alert {
        let url = url::Url::parse_with_params(
            "http://prometheus:9090/graph",
            &[("g0.expr", expr), ("g0.tab", "1")],
        )
        .unwrap();
        Alert {
            labels: labels.iter().copied().collect::<LabelSet>(),
            annotations: LabelSet::empty(),
            starts_at: chrono::Utc::now(),
            ends_at: None,
            updated_at: chrono::Utc::now(),
            generator_url: url.to_string().into(),
            timeout: false,
        }
    }

    #[test]
    fn the_comparison_is_split_off_as_a_threshold() {
        let p = plan(&alert(
            &[("alertname", "HighErrors")],
            "sum by (job) (rate(errors_total[5m])) / sum by (job) (rate(requests_total[5m])) > 0.05",
        ))
        .unwrap();
        assert_eq!(p.plots.len(), 1);
        assert_eq!(
            p.plots[0].expr,
            "sum by (job) (rate(errors_total[5m])) / sum by (job) (rate(requests_total[5m]))"
        );
        assert_eq!(p.thresholds, [0.05]);
        assert!(!p.burn_rate);
        assert_eq!(p.source, Source::GeneratorUrl);
    }

    #[test]
    fn a_constant_on_the_left_and_constant_arithmetic() {
        let p = plan(&alert(&[], "(2 * 50) < up_seconds")).unwrap();
        assert_eq!(p.plots[0].expr, "up_seconds");
        assert_eq!(p.thresholds, [100.0]);
    }

    #[test]
    fn an_expression_without_comparison_is_drawn_as_is_and_bool_is_kept() {
        let p = plan(&alert(&[], "absent(up{job=\"x\"})")).unwrap();
        assert_eq!(p.plots[0].expr, "absent(up{job=\"x\"})");
        assert!(p.thresholds.is_empty());
        let p = plan(&alert(&[], "up > bool 0")).unwrap();
        assert_eq!(p.plots[0].expr, "up > bool 0");
    }

    #[test]
    fn two_vectors_compared_are_both_drawn() {
        let p = plan(&alert(
            &[],
            "node_filesystem_avail_bytes < node_filesystem_size_bytes * 0.1",
        ))
        .unwrap();
        assert_eq!(p.plots.len(), 2);
        assert!(p.thresholds.is_empty());
    }

    #[test]
    fn sloth_alerts_are_burn_rates_against_their_factors() {
        let expr = "(max(slo:sli_error:ratio_rate5m{sloth_id=\"svc-avail\", sloth_service=\"svc\", sloth_slo=\"avail\"} > (14.4 * 0.001)) without (sloth_window) and max(slo:sli_error:ratio_rate1h{sloth_id=\"svc-avail\", sloth_service=\"svc\", sloth_slo=\"avail\"} > (14.4 * 0.001)) without (sloth_window)) or (max(slo:sli_error:ratio_rate30m{sloth_id=\"svc-avail\"} > (6 * 0.001)) without (sloth_window) and max(slo:sli_error:ratio_rate6h{sloth_id=\"svc-avail\"} > (6 * 0.001)) without (sloth_window))";
        let p = plan(&alert(
            &[("sloth_slo", "avail"), ("sloth_id", "svc-avail")],
            expr,
        ))
        .unwrap();
        assert!(p.burn_rate);
        assert_eq!(p.thresholds, [14.4, 6.0]);
        let parts: Vec<_> = p.plots.iter().map(|p| p.part.as_str()).collect();
        assert_eq!(parts, ["5m", "1h", "30m", "6h"]);
        assert!(
            p.plots[0].expr.starts_with("(slo:sli_error:ratio_rate5m{"),
            "{}",
            p.plots[0].expr
        );
        assert!(
            p.plots[0].expr.ends_with(") / 0.001"),
            "{}",
            p.plots[0].expr
        );
    }

    #[test]
    fn pyrra_alerts_are_burn_rates_too() {
        let expr = "http_requests:burnrate5m{job=\"api\",slo=\"api-errors\"} > (14 * (1-0.99)) and http_requests:burnrate1h{job=\"api\",slo=\"api-errors\"} > (14 * (1-0.99))";
        let p = plan(&alert(
            &[("slo", "api-errors"), ("long", "1h"), ("short", "5m")],
            expr,
        ))
        .unwrap();
        assert!(p.burn_rate);
        assert_eq!(p.thresholds, [14.0]);
        assert_eq!(p.plots.len(), 2);
        assert_eq!(p.plots[1].part, "1h");
        // Without the SLO labels, the same expression is a plain threshold.
        let p = plan(&alert(&[], expr)).unwrap();
        assert!(!p.burn_rate);
        assert!((p.thresholds[0] - 0.14).abs() < 1e-9);
    }

    #[test]
    fn annotations_override_the_query_and_the_range() {
        let mut a = alert(&[], "up == 0");
        a.annotations = [("graph_query", "rate(x_total[5m])"), ("graph_range", "6h")]
            .into_iter()
            .collect();
        let p = plan(&a).unwrap();
        assert_eq!(p.plots[0].expr, "rate(x_total[5m])");
        assert_eq!(p.range, Some(Duration::from_secs(6 * 3600)));
        assert_eq!(p.source, Source::Annotation);
        a.annotations = [("graph_range", "soon")].into_iter().collect();
        assert_eq!(plan(&a).unwrap_err(), PlanError::Range("soon".into()));
    }

    #[test]
    fn missing_or_broken_expressions_are_errors() {
        let mut a = alert(&[], "up");
        a.generator_url = "http://ruler.example/".into();
        assert_eq!(plan(&a).unwrap_err(), PlanError::NoExpression);
        a.generator_url = "".into();
        assert_eq!(plan(&a).unwrap_err(), PlanError::NoExpression);
        assert!(matches!(
            plan(&alert(&[], "sum(rate(x[5m])")).unwrap_err(),
            PlanError::Parse(_)
        ));
    }
}
