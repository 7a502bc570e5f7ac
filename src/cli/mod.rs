//! The command line: Alertmanager's server flags (same names, defaults and
//! kingpin conventions) and Tocsin's amtool-style subcommands.
//!
//! Kingpin conventions kept here: `--flag=value` and `--flag value`, repeated
//! list flags, `--no-<flag>` for every boolean flag, Go duration syntax.

use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::config::types::parse_go_duration;

/// The version of Alertmanager whose API and configuration Tocsin implements.
pub mod check_config;
pub mod history;
pub mod receivers;
pub mod routes;
pub mod template;

pub const ALERTMANAGER_COMPAT_VERSION: &str = "0.34.0";

#[derive(Debug, Parser)]
#[command(
    name = "tocsin",
    about = "Tocsin: a drop-in replacement for the Prometheus Alertmanager.",
    disable_version_flag = true,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Show application version.
    #[arg(long = "version", global = true)]
    pub version: bool,

    #[command(flatten)]
    pub server: ServerArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// `MAJOR.MINOR.PATCH`, as Alertmanager's versions are written.
fn reported_version(s: &str) -> Result<String, String> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        Ok(s.to_string())
    } else {
        Err(format!("{s:?} is not a version like 0.25.0"))
    }
}

fn go_duration(s: &str) -> Result<Duration, String> {
    parse_go_duration(s)
}

/// The flags of the `alertmanager` binary (0.25 plus those added up to 0.34).
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// Alertmanager configuration file name.
    #[arg(long = "config.file", value_name = "FILE")]
    pub config_file: Option<String>,

    /// Base path for data storage.
    #[arg(long = "storage.path", default_value = "data/")]
    pub storage_path: String,

    /// How long to keep data for.
    #[arg(long = "data.retention", default_value = "120h", value_parser = go_duration)]
    pub data_retention: Duration,

    /// How long the history of alerts and notifications is kept (Tocsin); 0 keeps it forever.
    #[arg(long = "history.retention", default_value = "720h", value_parser = go_duration)]
    pub history_retention: Duration,

    /// Keep silences, the notification log and alerts in memory only: nothing is written under --storage.path, a restart starts empty and there is no history (Tocsin; for throwaway instances and benchmarks).
    #[arg(long = "storage.in-memory")]
    pub storage_in_memory: bool,

    /// Interval between garbage collection and snapshotting to disk of the silences and the notification logs.
    #[arg(long = "data.maintenance-interval", default_value = "15m", value_parser = go_duration)]
    pub data_maintenance_interval: Duration,

    /// Maximum number of silences, including expired silences. If negative or zero, no limit is set.
    #[arg(
        long = "silences.max-silences",
        default_value_t = 0,
        allow_negative_numbers = true
    )]
    pub silences_max_silences: i64,

    /// Maximum silence size in bytes. If negative or zero, no limit is set.
    #[arg(
        long = "silences.max-silence-size-bytes",
        default_value_t = 0,
        allow_negative_numbers = true
    )]
    pub silences_max_silence_size_bytes: i64,

    /// Enable logging silences. If it is enabled, the status change of silence will be logged.
    #[arg(long = "log.silences", overrides_with = "no_log_silences")]
    pub log_silences: bool,
    #[arg(long = "no-log.silences", hide = true, overrides_with = "log_silences")]
    no_log_silences: bool,

    /// Interval between alert GC.
    #[arg(long = "alerts.gc-interval", default_value = "30m", value_parser = go_duration)]
    pub alerts_gc_interval: Duration,

    /// Maximum number of alerts per alertname. If negative or zero, no limit is set.
    #[arg(
        long = "alerts.per-alertname-limit",
        default_value_t = 0,
        allow_negative_numbers = true
    )]
    pub alerts_per_alertname_limit: i64,

    /// Interval between maintenance of aggregation groups in the dispatcher.
    #[arg(long = "dispatch.maintenance-interval", default_value = "30s", value_parser = go_duration)]
    pub dispatch_maintenance_interval: Duration,

    /// Minimum amount of time to wait before dispatching alerts. This option should be synced with value of --rules.alert.resend-delay on Prometheus.
    #[arg(long = "dispatch.start-delay", default_value = "0s", value_parser = go_duration)]
    pub dispatch_start_delay: Duration,

    /// Use systemd socket activation listeners instead of port listeners (Linux only).
    #[arg(long = "web.systemd-socket", overrides_with = "no_web_systemd_socket")]
    pub web_systemd_socket: bool,
    #[arg(
        long = "no-web.systemd-socket",
        hide = true,
        overrides_with = "web_systemd_socket"
    )]
    no_web_systemd_socket: bool,

    /// Addresses on which to expose metrics and web interface. Repeatable for multiple addresses.
    #[arg(long = "web.listen-address", default_value = ":9093", action = clap::ArgAction::Append)]
    pub web_listen_address: Vec<String>,

    /// Path to configuration file that can enable TLS or authentication (exporter-toolkit format).
    #[arg(long = "web.config.file", default_value = "")]
    pub web_config_file: String,

    /// The URL under which Alertmanager is externally reachable (for example, if Alertmanager is served via a reverse proxy). Used for generating relative and absolute links back to Alertmanager itself. If the URL has a path portion, it will be used to prefix all HTTP endpoints served by Alertmanager. If omitted, relevant URL components will be derived automatically.
    #[arg(long = "web.external-url", default_value = "")]
    pub web_external_url: String,

    /// Prefix for the internal routes of web endpoints. Defaults to path of --web.external-url.
    #[arg(long = "web.route-prefix", default_value = "")]
    pub web_route_prefix: String,

    /// Maximum number of GET requests processed concurrently. If negative or zero, the limit is GOMAXPROC or 8, whichever is larger.
    #[arg(
        long = "web.get-concurrency",
        default_value_t = 0,
        allow_negative_numbers = true
    )]
    pub web_get_concurrency: i64,

    /// Timeout for HTTP requests. If negative or zero, no timeout is set.
    #[arg(long = "web.timeout", default_value = "0", value_parser = go_duration, allow_hyphen_values = true)]
    pub web_timeout: Duration,

    /// Path to the static web UI files (accepted for compatibility with Debian's packaging).
    #[arg(long = "web.ui-path", hide = true)]
    pub web_ui_path: Option<String>,

    /// Path to Alertmanager's `default.tmpl` (passed by Debian's packaging of Alertmanager's acceptance tests; Tocsin's default templates are built in).
    #[arg(long = "template.default", hide = true)]
    pub template_default: Option<String>,

    /// The ratio of reserved GOMEMLIMIT memory to the detected maximum container or system memory (accepted for compatibility; Tocsin has no garbage collector).
    #[arg(long = "auto-gomemlimit.ratio", default_value_t = 0.9)]
    pub auto_gomemlimit_ratio: f64,

    /// Listen address for cluster. Set to empty string to disable HA mode.
    #[arg(long = "cluster.listen-address", default_value = "0.0.0.0:9094")]
    pub cluster_listen_address: String,

    /// Explicit address to advertise in cluster.
    #[arg(long = "cluster.advertise-address", default_value = "")]
    pub cluster_advertise_address: String,

    /// Explicit name of the peer, rather than generating a random one.
    #[arg(long = "cluster.peer-name", default_value = "")]
    pub cluster_peer_name: String,

    /// Initial peers (may be repeated).
    #[arg(long = "cluster.peer", action = clap::ArgAction::Append)]
    pub cluster_peer: Vec<String>,

    /// Time to wait between peers to send notifications.
    #[arg(long = "cluster.peer-timeout", default_value = "15s", value_parser = go_duration)]
    pub cluster_peer_timeout: Duration,

    /// Time to resolve peers.
    #[arg(long = "cluster.peers-resolve-timeout", default_value = "15s", value_parser = go_duration)]
    pub cluster_peers_resolve_timeout: Duration,

    /// Interval between sending gossip messages. By lowering this value (more frequent) gossip messages are propagated across the cluster more quickly at the expense of increased bandwidth.
    #[arg(long = "cluster.gossip-interval", default_value = "200ms", value_parser = go_duration)]
    pub cluster_gossip_interval: Duration,

    /// Interval for gossip state syncs. Setting this interval lower (more frequent) will increase convergence speeds across larger clusters at the expense of increased bandwidth usage.
    #[arg(long = "cluster.pushpull-interval", default_value = "1m0s", value_parser = go_duration)]
    pub cluster_pushpull_interval: Duration,

    /// Timeout for establishing a stream connection with a remote node for a full state sync, and for stream read and write operations.
    #[arg(long = "cluster.tcp-timeout", default_value = "10s", value_parser = go_duration)]
    pub cluster_tcp_timeout: Duration,

    /// Timeout to wait for an ack from a probed node before assuming it is unhealthy. This should be set to 99-percentile of RTT (round-trip time) on your network.
    #[arg(long = "cluster.probe-timeout", default_value = "500ms", value_parser = go_duration)]
    pub cluster_probe_timeout: Duration,

    /// Interval between random node probes. Setting this lower (more frequent) will cause the cluster to detect failed nodes more quickly at the expense of increased bandwidth usage.
    #[arg(long = "cluster.probe-interval", default_value = "1s", value_parser = go_duration)]
    pub cluster_probe_interval: Duration,

    /// Maximum time to wait for cluster connections to settle before evaluating notifications.
    #[arg(long = "cluster.settle-timeout", default_value = "1m0s", value_parser = go_duration)]
    pub cluster_settle_timeout: Duration,

    /// Interval between attempting to reconnect to lost peers.
    #[arg(long = "cluster.reconnect-interval", default_value = "10s", value_parser = go_duration)]
    pub cluster_reconnect_interval: Duration,

    /// Length of time to attempt to reconnect to a lost peer.
    #[arg(long = "cluster.reconnect-timeout", default_value = "6h0m0s", value_parser = go_duration)]
    pub cluster_reconnect_timeout: Duration,

    /// [EXPERIMENTAL] Path to config yaml file that can enable mutual TLS within the gossip protocol.
    #[arg(long = "cluster.tls-config", default_value = "")]
    pub cluster_tls_config: String,

    /// [EXPERIMENTAL] Allow alertmanager to discover and listen on a public IP address.
    #[arg(
        long = "cluster.allow-insecure-public-advertise-address-discovery",
        overrides_with = "no_cluster_allow_insecure"
    )]
    pub cluster_allow_insecure_public_advertise_address_discovery: bool,
    #[arg(
        long = "no-cluster.allow-insecure-public-advertise-address-discovery",
        hide = true,
        overrides_with = "cluster_allow_insecure_public_advertise_address_discovery"
    )]
    no_cluster_allow_insecure: bool,

    /// File holding the cluster's gossip key: 32 bytes in base64 (`openssl rand -base64 32`). Every peer needs the same key; gossip is then encrypted and authenticated, and peers without it are refused (a Tocsin extension).
    #[arg(long = "cluster.gossip-key-file", default_value = "")]
    pub cluster_gossip_key_file: String,

    /// The cluster's gossip key itself (prefer --cluster.gossip-key-file: a flag's value is visible to every local user).
    #[arg(
        long = "cluster.gossip-key",
        default_value = "",
        env = "TOCSIN_CLUSTER_GOSSIP_KEY",
        hide_env_values = true
    )]
    pub cluster_gossip_key: String,

    /// The cluster label is an optional string to include on each packet and stream. It uniquely identifies the cluster and prevents cross-communication issues when sending gossip messages.
    #[arg(long = "cluster.label", default_value = "")]
    pub cluster_label: String,

    /// The Alertmanager version `/api/v2/status` reports (versionInfo.version). amtool warns on every command when its major.minor differs: with an older amtool, set its version here (for example 0.25.0) (Tocsin).
    #[arg(long = "api.reported-version", default_value = ALERTMANAGER_COMPAT_VERSION, value_parser = reported_version)]
    pub api_reported_version: String,

    /// Draw a chart of what fired for every Slack notification, querying this Prometheus (Tocsin; the Autometrics Slack app's PROMETHEUS_URL). Slack configs in Web API mode upload it into the message's thread; with --graph.public-url, incoming webhooks show it too.
    #[arg(
        long = "graph.prometheus-url",
        default_value = "",
        env = "PROMETHEUS_URL"
    )]
    pub graph_prometheus_url: String,

    /// The URL at which Slack can fetch Tocsin's charts (Tocsin's /graphs/ path, e.g. the external URL): the attachment's image_url becomes <public-url>/graphs/<signed, expiring id>.png (Tocsin; the Autometrics Slack app's BASE_URL).
    #[arg(long = "graph.public-url", default_value = "", env = "BASE_URL")]
    pub graph_public_url: String,

    /// How much time a chart shows before the alert started (Tocsin; the annotation graph_range overrides it per alert).
    #[arg(long = "graph.range", default_value = "3h", value_parser = go_duration)]
    pub graph_range: Duration,

    /// A Prometheus-compatible query UI the chart links to (Tocsin; the Autometrics Slack app's EXPLORER_URL).
    #[arg(long = "graph.explorer-url", default_value = "", env = "EXPLORER_URL")]
    pub graph_explorer_url: String,

    /// The most time spent querying and drawing a chart before the message goes out without it (Tocsin).
    #[arg(long = "graph.timeout", default_value = "5s", value_parser = go_duration)]
    pub graph_timeout: Duration,

    /// The time zone of the charts' time axis, e.g. Europe/Berlin (Tocsin).
    #[arg(long = "graph.timezone", default_value = "UTC")]
    pub graph_timezone: String,

    /// How long a public chart link works (Tocsin).
    #[arg(long = "graph.link-ttl", default_value = "168h", value_parser = go_duration)]
    pub graph_link_ttl: Duration,

    /// Comma-separated experimental features to enable. Valid options: alert-names-in-metrics, receiver-name-in-metrics, group-key-in-metrics, classic-mode, utf8-strict-mode, auto-gomemlimit, event-recorder
    #[arg(long = "enable-feature", default_value = "")]
    pub enable_feature: String,

    /// Only log messages with the given severity or above. One of: [debug, info, warn, error]
    #[arg(long = "log.level", default_value = "info", value_parser = ["debug", "info", "warn", "error"])]
    pub log_level: String,

    /// Output format of log messages. One of: [logfmt, json]
    #[arg(long = "log.format", default_value = "logfmt", value_parser = ["logfmt", "json"])]
    pub log_format: String,

    /// The flags given explicitly on the command line, with their values.
    #[arg(skip)]
    pub explicit: Vec<(String, String)>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate alertmanager config files. Will validate the syntax and schema for alertmanager config file and associated templates. Non existing templates will not trigger errors.
    #[command(name = "check-config")]
    CheckConfig {
        /// The alertmanager config file(s) to check (standard input when none).
        #[arg(value_name = "CONFIG_FILE")]
        files: Vec<String>,
        /// Comma-separated experimental features (matcher parsing modes: classic-mode, utf8-strict-mode).
        #[arg(long = "enable-feature", default_value = "")]
        enable_feature: String,
    },
    /// Render template files.
    Template {
        #[command(subcommand)]
        command: template::TemplateCommand,
    },
    /// View configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Send a test notification through receivers (Tocsin).
    Receivers {
        #[command(subcommand)]
        command: receivers::ReceiversCommand,
    },
    /// Query the history of alerts and notifications of a running Tocsin.
    History {
        #[command(subcommand)]
        command: history::HistoryCommand,
        #[command(flatten)]
        common: history::Common,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Prints and tests the alert routing tree.
    Routes {
        #[command(subcommand)]
        command: Option<RoutesCommand>,
        /// Config file to be tested.
        #[arg(long = "config.file", global = true)]
        config_file: Option<String>,
        /// Comma-separated experimental features (matcher parsing modes: classic-mode, utf8-strict-mode).
        #[arg(long = "enable-feature", default_value = "", global = true)]
        enable_feature: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum RoutesCommand {
    /// Prints alert routing tree.
    Show,
    /// Test alert routing: prints the receivers the given label set routes to.
    Test {
        /// Checks if specified receivers matches resolved receivers. The command fails if the labelset does not route to the specified receivers.
        #[arg(long = "verify.receivers", default_value = "")]
        verify_receivers: String,
        /// Prints out matching routes tree.
        #[arg(long = "tree")]
        tree: bool,
        /// List of labels to be tested against the configured routes.
        labels: Vec<String>,
    },
}

/// Flags accepted and logged at startup when given, so that nothing is
/// silently ignored: with a reason, flags that can never apply to Tocsin;
/// without, flags whose feature is still to come.
const NOT_YET_EFFECTIVE: &[(&str, &str)] = &[
    (
        "web.ui-path",
        "Debian's option to serve Alertmanager's own UI from a directory: Tocsin serves its UI built in",
    ),
    (
        "template.default",
        "Alertmanager's default templates are built into Tocsin",
    ),
    (
        "auto-gomemlimit.ratio",
        "Tocsin is not a Go program and has no garbage collector to limit",
    ),
    (
        "cluster.peers-resolve-timeout",
        "peers are resolved by the gossip layer, which retries names while it runs",
    ),
    (
        "cluster.pushpull-interval",
        "memberlist's setting: Tocsin's gossip (chitchat) has no push-pull rounds",
    ),
    (
        "cluster.tcp-timeout",
        "memberlist's setting: Tocsin's gossip is UDP only",
    ),
    (
        "cluster.probe-timeout",
        "memberlist's setting: Tocsin's gossip detects failures from heartbeats (phi accrual), without probes",
    ),
    (
        "cluster.probe-interval",
        "memberlist's setting: Tocsin's gossip detects failures from heartbeats (phi accrual), without probes",
    ),
    (
        "cluster.reconnect-interval",
        "memberlist's setting: Tocsin's gossip retries lost peers in its gossip rounds",
    ),
    (
        "cluster.tls-config",
        "memberlist's TLS: Tocsin's gossip is sealed with --cluster.gossip-key-file instead",
    ),
    (
        "cluster.allow-insecure-public-advertise-address-discovery",
        "Tocsin advertises the address given or the one the host routes from",
    ),
];

/// Feature flags of `--enable-feature` that Tocsin accepts but does not act on yet.
/// With a reason, those that can never apply to Tocsin.
const FEATURES_NOT_YET_EFFECTIVE: &[(&str, &str)] = &[
    ("alert-names-in-metrics", ""),
    ("group-key-in-metrics", ""),
    (
        "auto-gomemlimit",
        "Tocsin is not a Go program and has no garbage collector to limit",
    ),
    ("event-recorder", ""),
];

impl Cli {
    /// Parses a command line, remembering which flags were given explicitly.
    pub fn parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::{CommandFactory, FromArgMatches, parser::ValueSource};
        let cmd = Cli::command();
        let matches = cmd.clone().try_get_matches_from(args)?;
        let mut cli = Cli::from_arg_matches(&matches)?;
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if matches.value_source(id) != Some(ValueSource::CommandLine) {
                continue;
            }
            let Some(long) = arg.get_long() else { continue };
            let value = matches
                .get_raw(id)
                .map(|vals| {
                    vals.map(|v| v.to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_else(|| "true".to_string());
            cli.server.explicit.push((long.to_string(), value));
        }
        Ok(cli)
    }
}

impl ServerArgs {
    /// The flags given on the command line whose feature is not built yet,
    /// with their values: the server logs them as not yet effective.
    pub fn not_yet_effective(&self) -> Vec<(String, String)> {
        self.explicit
            .iter()
            .filter(|(long, _)| {
                let name = long.strip_prefix("no-").unwrap_or(long);
                NOT_YET_EFFECTIVE.iter().any(|(f, _)| *f == name)
            })
            .cloned()
            .collect()
    }

    /// Why a flag of [`ServerArgs::not_yet_effective`] can never apply to
    /// Tocsin (`None`: its feature is still to come).
    pub fn never_effective(flag: &str) -> Option<&'static str> {
        let name = flag.strip_prefix("no-").unwrap_or(flag);
        NOT_YET_EFFECTIVE
            .iter()
            .find(|(f, why)| *f == name && !why.is_empty())
            .map(|(_, why)| *why)
    }

    /// The `--enable-feature` entries Tocsin accepts but does not act on yet.
    /// The features given that have no effect, each with the reason it can
    /// never have one (empty: still to come).
    pub fn features_not_yet_effective(&self) -> Vec<(&str, &'static str)> {
        self.enable_feature
            .split(',')
            .map(str::trim)
            .filter_map(|f| {
                FEATURES_NOT_YET_EFFECTIVE
                    .iter()
                    .find(|(name, _)| *name == f)
                    .map(|(_, why)| (f, *why))
            })
            .collect()
    }
}

/// Alertmanager's experimental feature flags, parsed from `--enable-feature`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeatureFlags {
    pub alert_names_in_metrics: bool,
    pub receiver_name_in_metrics: bool,
    pub group_key_in_metrics: bool,
    pub classic_mode: bool,
    pub utf8_strict_mode: bool,
    pub auto_gomemlimit: bool,
    pub event_recorder: bool,
}

impl FeatureFlags {
    /// Parses the comma-separated list with Alertmanager's error messages.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut f = FeatureFlags::default();
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match name {
                "alert-names-in-metrics" => f.alert_names_in_metrics = true,
                "receiver-name-in-metrics" => f.receiver_name_in_metrics = true,
                "group-key-in-metrics" => f.group_key_in_metrics = true,
                "classic-mode" => f.classic_mode = true,
                "utf8-strict-mode" => f.utf8_strict_mode = true,
                "auto-gomemlimit" => f.auto_gomemlimit = true,
                "event-recorder" => f.event_recorder = true,
                other => return Err(format!("unknown option '{other}' for --enable-feature")),
            }
        }
        if f.classic_mode && f.utf8_strict_mode {
            return Err("cannot have both classic and UTF-8 modes enabled".to_string());
        }
        Ok(f)
    }

    /// The matcher parsing mode these flags select.
    pub fn parse_mode(&self) -> crate::matcher::compat::ParseMode {
        use crate::matcher::compat::ParseMode;
        if self.classic_mode {
            ParseMode::Classic
        } else if self.utf8_strict_mode {
            ParseMode::Utf8Strict
        } else {
            ParseMode::Fallback
        }
    }
}

/// The text `--version` prints.
pub fn version_text() -> String {
    format!(
        "tocsin, version {} (alertmanager compatible: {}, api: v2)\n  platform:         {}/{}\n",
        env!("CARGO_PKG_VERSION"),
        ALERTMANAGER_COMPAT_VERSION,
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::parse_args(std::iter::once("tocsin").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_match_alertmanager() {
        let cli = parse(&[]).unwrap();
        let s = cli.server;
        assert_eq!(s.config_file, None);
        assert_eq!(s.storage_path, "data/");
        assert_eq!(s.data_retention, Duration::from_secs(120 * 3600));
        assert_eq!(s.data_maintenance_interval, Duration::from_secs(900));
        assert_eq!(s.alerts_gc_interval, Duration::from_secs(1800));
        assert_eq!(s.web_listen_address, vec![":9093"]);
        assert_eq!(s.cluster_listen_address, "0.0.0.0:9094");
        assert_eq!(s.cluster_gossip_interval, Duration::from_millis(200));
        assert_eq!(s.cluster_pushpull_interval, Duration::from_secs(60));
        assert_eq!(s.cluster_reconnect_timeout, Duration::from_secs(6 * 3600));
        assert_eq!(s.cluster_settle_timeout, Duration::from_secs(60));
        assert_eq!(s.dispatch_maintenance_interval, Duration::from_secs(30));
        assert_eq!(s.log_level, "info");
        assert_eq!(s.log_format, "logfmt");
        assert!(!s.web_systemd_socket);
        assert!(cli.command.is_none());
    }

    #[test]
    fn both_flag_forms_repeats_and_durations() {
        let cli = parse(&[
            "--config.file=/etc/am.yml",
            "--web.listen-address",
            "127.0.0.1:0",
            "--web.listen-address=127.0.0.1:9999",
            "--cluster.peer",
            "a:9094",
            "--cluster.peer=b:9094",
            "--data.retention=1h30m",
            "--cluster.settle-timeout",
            "0s",
            "--web.timeout=-1s",
            "--cluster.listen-address=",
        ])
        .unwrap();
        let s = cli.server;
        assert_eq!(s.config_file.as_deref(), Some("/etc/am.yml"));
        assert_eq!(s.web_listen_address, vec!["127.0.0.1:0", "127.0.0.1:9999"]);
        assert_eq!(s.cluster_peer, vec!["a:9094", "b:9094"]);
        assert_eq!(s.data_retention, Duration::from_secs(5400));
        assert_eq!(s.cluster_settle_timeout, Duration::ZERO);
        assert_eq!(s.web_timeout, Duration::ZERO);
        assert_eq!(s.cluster_listen_address, "");
    }

    #[test]
    fn kingpin_negations_last_one_wins() {
        let s = parse(&["--web.systemd-socket", "--no-web.systemd-socket"])
            .unwrap()
            .server;
        assert!(!s.web_systemd_socket);
        let s = parse(&["--no-log.silences", "--log.silences"])
            .unwrap()
            .server;
        assert!(s.log_silences);
    }

    #[test]
    fn unknown_flags_and_bad_durations_are_errors_naming_them() {
        let e = parse(&["--no-such.flag=1"]).unwrap_err().to_string();
        assert!(e.contains("--no-such.flag"), "{e}");
        let e = parse(&["--data.retention=5d"]).unwrap_err().to_string();
        assert!(e.contains("unknown unit"), "{e}");
        assert!(parse(&["--log.level=verbose"]).is_err());
    }

    #[test]
    fn subcommands_parse() {
        let cli = parse(&["check-config", "a.yml", "b.yml"]).unwrap();
        match cli.command {
            Some(Command::CheckConfig { files, .. }) => assert_eq!(files, vec!["a.yml", "b.yml"]),
            other => panic!("{other:?}"),
        }
        let cli = parse(&[
            "config",
            "routes",
            "test",
            "--config.file=x.yml",
            "--verify.receivers=a,b",
            "severity=critical",
            "team=db",
        ])
        .unwrap();
        match cli.command {
            Some(Command::Config {
                command:
                    ConfigCommand::Routes {
                        command:
                            Some(RoutesCommand::Test {
                                verify_receivers,
                                labels,
                                ..
                            }),
                        config_file,
                        ..
                    },
            }) => {
                assert_eq!(verify_receivers, "a,b");
                assert_eq!(labels, vec!["severity=critical", "team=db"]);
                assert_eq!(config_file.as_deref(), Some("x.yml"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flags_not_yet_effective_are_reported_only_when_given() {
        let s = parse(&[]).unwrap().server;
        assert!(s.not_yet_effective().is_empty());
        let s = parse(&[
            "--cluster.tcp-timeout=5s",
            "--web.timeout=5s",
            "--cluster.peer=a:1",
            "--cluster.probe-interval=3s",
            "--auto-gomemlimit.ratio=0.5",
            "--config.file=x.yml",
            "--enable-feature=classic-mode,receiver-name-in-metrics,group-key-in-metrics,auto-gomemlimit",
        ])
        .unwrap()
        .server;
        let got = s.not_yet_effective();
        assert_eq!(
            got,
            vec![
                ("auto-gomemlimit.ratio".to_string(), "0.5".to_string()),
                ("cluster.tcp-timeout".to_string(), "5s".to_string()),
                ("cluster.probe-interval".to_string(), "3s".to_string()),
            ]
        );
        assert_eq!(
            s.features_not_yet_effective(),
            vec![
                ("group-key-in-metrics", ""),
                (
                    "auto-gomemlimit",
                    "Tocsin is not a Go program and has no garbage collector to limit"
                )
            ]
        );
    }

    #[test]
    fn feature_flags() {
        let f = FeatureFlags::parse("classic-mode,receiver-name-in-metrics").unwrap();
        assert!(f.classic_mode && f.receiver_name_in_metrics);
        assert_eq!(
            FeatureFlags::parse("bogus").unwrap_err(),
            "unknown option 'bogus' for --enable-feature"
        );
        assert_eq!(
            FeatureFlags::parse("classic-mode,utf8-strict-mode").unwrap_err(),
            "cannot have both classic and UTF-8 modes enabled"
        );
        assert_eq!(FeatureFlags::parse("").unwrap(), FeatureFlags::default());
    }
}
