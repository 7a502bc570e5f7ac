//! `tocsin receivers test`: a test notification through each integration of
//! the named receivers (all when none), with the configuration file's real
//! templates; prints one line per integration and exits 1 when any failed
//! (see [`crate::notify::receiver_test`]).

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};

use crate::alert::LabelSet;
use crate::config::{Config, LoadOptions};
use crate::notify::build::{BuildDeps, build_receiver_integrations};
use crate::notify::pipeline::AmTemplater;
use crate::notify::receiver_test::{self, Outcome};

#[derive(Debug, Subcommand)]
pub enum ReceiversCommand {
    /// Send a test notification through each integration of the named receivers (all when none); the exit code is 1 when any fails.
    Test(TestArgs),
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Alertmanager configuration file name.
    #[arg(long = "config.file", default_value = "alertmanager.yml")]
    pub config_file: String,
    /// A label of the test alert, as name=value (repeatable); alertname=TestAlert and instance=tocsin unless given.
    #[arg(long = "alert", value_name = "NAME=VALUE")]
    pub alert: Vec<String>,
    /// An annotation of the test alert, as name=value (repeatable).
    #[arg(long = "annotation", value_name = "NAME=VALUE")]
    pub annotation: Vec<String>,
    /// The external URL the templates link to (Alertmanager's --web.external-url).
    #[arg(long = "web.external-url", default_value = "")]
    pub external_url: String,
    /// The receivers to test (all when none).
    #[arg(value_name = "RECEIVER")]
    pub receivers: Vec<String>,
}

/// `name=value` (the value may be quoted) into a label set.
pub fn parse_pairs(pairs: &[String], what: &str) -> Result<LabelSet, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for p in pairs {
        let Some((k, v)) = p.split_once('=') else {
            return Err(format!("{what} {p:?} is not name=value"));
        };
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(v);
        if k.trim().is_empty() {
            return Err(format!("{what} {p:?} has no name"));
        }
        out.push((k.trim().to_string(), v.to_string()));
    }
    Ok(out.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect())
}

pub fn main(command: &ReceiversCommand) -> ExitCode {
    let ReceiversCommand::Test(args) = command;
    match run(args) {
        Ok(outcomes) => {
            for o in &outcomes {
                println!("{}", o.line());
            }
            if outcomes.iter().all(|o| o.ok) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("tocsin: error: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &TestArgs) -> Result<Vec<Outcome>, String> {
    let config = Config::load_file(Path::new(&args.config_file), LoadOptions::default())
        .map_err(|e| e.to_string())?;
    let labels = parse_pairs(&args.alert, "label")?;
    crate::alert::validate_label_set(&labels, crate::matcher::ParseMode::default())
        .map_err(|e| format!("invalid labels: {e}"))?;
    let annotations = parse_pairs(&args.annotation, "annotation")?;
    let external = args.external_url.trim_end_matches('/').to_string();
    let deps = BuildDeps {
        templater: Arc::new(AmTemplater::new(config.templates(), external.clone())),
        metrics: crate::metrics::notify::NotifyMetrics::register(
            &crate::metrics::registry::MetricRegistry::new(),
        ),
        graphs: None,
    };
    let wanted: Vec<&crate::config::receiver::Receiver> = if args.receivers.is_empty() {
        config.receivers.iter().collect()
    } else {
        args.receivers
            .iter()
            .map(|name| {
                config
                    .receivers
                    .iter()
                    .find(|r| &r.name == name)
                    .ok_or_else(|| format!("no receiver named {name:?} in {}", args.config_file))
            })
            .collect::<Result<_, _>>()?
    };
    let mut chosen = Vec::new();
    let mut missing = Vec::new();
    for r in wanted {
        let (integrations, unsupported) = build_receiver_integrations(r, &deps)?;
        for kind in unsupported {
            missing.push(Outcome {
                receiver: r.name.clone(),
                integration: kind,
                index: 0,
                ok: false,
                error: "integration not yet available in this version of Tocsin".into(),
                duration_seconds: 0.0,
            });
        }
        chosen.push((r.name.clone(), integrations));
    }
    let alert = receiver_test::test_alert(&labels, &annotations, chrono::Utc::now());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut outcomes = runtime.block_on(receiver_test::run(&chosen, alert, &external));
    outcomes.append(&mut missing);
    Ok(outcomes)
}
