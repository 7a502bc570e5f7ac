//! The running server: loads the configuration, binds the listeners, serves
//! the HTTP endpoints, reloads on SIGHUP and exits cleanly on SIGINT/SIGTERM.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::net::TcpListener;

use crate::api::{self, AppState, Live};
use crate::cli::{FeatureFlags, ServerArgs};
use crate::cluster;
use crate::config::LoadOptions;
use crate::config::coordinator::{Coordinator, Source};
use crate::dispatch::Dispatcher;
use crate::history::History;
use crate::logging;
use crate::metrics::{BuildInfo, HttpInstrumentation, Metrics};
use crate::nflog::NotificationLog;
use crate::notify::pipeline::PipelineDeps;
use crate::silence::{SilenceOptions, Silences};
use crate::state::StateDb;
use crate::store::AlertObserver;
use crate::store::{AlertStore, StoreOptions};

/// Runs the server until it is told to stop; returns the process exit code.
pub fn run(args: ServerArgs) -> ExitCode {
    logging::init(&args.log_level, &args.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(err = %e, "Failed to start the runtime");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(serve(args))
}

/// Where the web endpoints live and how they are reached from outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebPaths {
    pub external_url: url::Url,
    /// `/` or `/prefix` (no trailing slash).
    pub route_prefix: String,
}

/// Works out the external URL and route prefix as Alertmanager does: an empty
/// `--web.external-url` becomes `http://<hostname>:<port of the first listen
/// address>`, and the prefix defaults to the external URL's path.
/// The chart settings of the `--graph.*` flags; `None` without
/// `--graph.prometheus-url`.
pub fn graph_settings(args: &ServerArgs) -> Result<Option<crate::graph::GraphSettings>, String> {
    if args.graph_prometheus_url.is_empty() {
        return Ok(None);
    }
    let check_url = |flag: &str, v: &str| -> Result<String, String> {
        let u = url::Url::parse(v).map_err(|e| format!("--{flag}={v:?}: {e}"))?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(format!("--{flag}={v:?}: the scheme must be http or https"));
        }
        Ok(v.trim_end_matches('/').to_string())
    };
    let opt_url = |flag: &str, v: &str| -> Result<Option<String>, String> {
        (!v.is_empty()).then(|| check_url(flag, v)).transpose()
    };
    let tz: chrono_tz::Tz = args.graph_timezone.parse().map_err(|_| {
        format!(
            "--graph.timezone={:?}: unknown time zone",
            args.graph_timezone
        )
    })?;
    if args.graph_range.is_zero() || args.graph_timeout.is_zero() || args.graph_link_ttl.is_zero() {
        return Err("--graph.range, --graph.timeout and --graph.link-ttl must be positive".into());
    }
    Ok(Some(crate::graph::GraphSettings {
        prometheus_url: check_url("graph.prometheus-url", &args.graph_prometheus_url)?,
        public_url: opt_url("graph.public-url", &args.graph_public_url)?,
        range: args.graph_range,
        explorer_url: opt_url("graph.explorer-url", &args.graph_explorer_url)?,
        timeout: args.graph_timeout,
        tz,
        link_ttl: args.graph_link_ttl,
        ..crate::graph::GraphSettings::default()
    }))
}

pub fn web_paths(args: &ServerArgs, hostname: &str) -> Result<WebPaths, String> {
    let raw = if args.web_external_url.is_empty() {
        let first = args
            .web_listen_address
            .first()
            .map(String::as_str)
            .unwrap_or(":9093");
        let port = first.rsplit_once(':').map(|(_, p)| p).unwrap_or("9093");
        format!("http://{hostname}:{port}/")
    } else {
        args.web_external_url.clone()
    };
    let url = url::Url::parse(&raw).map_err(|e| format!("parse {raw:?}: {e}"))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(format!(
            "{raw:?}: invalid {:?} scheme, only 'http' and 'https' are supported",
            url.scheme()
        ));
    }
    let prefix_src = if args.web_route_prefix.is_empty() {
        url.path().to_string()
    } else {
        args.web_route_prefix.clone()
    };
    let trimmed = prefix_src.trim_matches('/');
    let route_prefix = format!("/{trimmed}");
    Ok(WebPaths {
        external_url: url,
        route_prefix,
    })
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

/// Turns a Go listen address (`:9093`, `host:port`, `[::1]:port`) into the
/// socket addresses to bind.
pub fn listen_addrs(addr: &str) -> Result<Vec<SocketAddr>, String> {
    let (host, port) = addr
        .rsplit_once(':')
        .ok_or_else(|| format!("listen tcp {addr}: address {addr}: missing port in address"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("listen tcp {addr}: address {addr}: invalid port"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Ok(vec![
            SocketAddr::from(([0u16; 8], port)),
            SocketAddr::from(([0u8; 4], port)),
        ]);
    }
    let host = if host == "localhost" {
        "127.0.0.1"
    } else {
        host
    };
    use std::net::ToSocketAddrs;
    (host, port)
        .to_socket_addrs()
        .map(|a| a.take(1).collect())
        .map_err(|e| format!("listen tcp {addr}: {e}"))
}

async fn bind(addr: &str) -> Result<TcpListener, String> {
    let mut last = String::new();
    for a in listen_addrs(addr)? {
        match TcpListener::bind(a).await {
            Ok(l) => return Ok(l),
            Err(e) => last = format!("listen tcp {a}: {e}"),
        }
    }
    Err(last)
}

/// The body size limit of API requests.
const MAX_BODY_BYTES: usize = 64 << 20;

async fn serve(args: ServerArgs) -> ExitCode {
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        alertmanager_compat = crate::cli::ALERTMANAGER_COMPAT_VERSION,
        "Starting Tocsin"
    );
    let features = match FeatureFlags::parse(&args.enable_feature) {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(err = %e, "error parsing the feature flag list");
            return ExitCode::from(1);
        }
    };
    for (flag, value) in args.not_yet_effective() {
        match ServerArgs::never_effective(&flag) {
            Some(why) => {
                tracing::warn!(flag = %flag, value = %value, why, "Flag accepted; it has no effect in Tocsin")
            }
            None => {
                tracing::warn!(flag = %flag, value = %value, "Flag accepted but not yet effective in this version of Tocsin")
            }
        }
    }
    for (feature, why) in args.features_not_yet_effective() {
        if why.is_empty() {
            tracing::warn!(
                feature,
                "Feature accepted but not yet effective in this version of Tocsin"
            );
        } else {
            tracing::warn!(feature, why, "Feature accepted; it has no effect in Tocsin");
        }
    }
    if !args.storage_in_memory
        && let Err(e) = std::fs::create_dir_all(&args.storage_path)
    {
        tracing::error!(path = %args.storage_path, err = %e, "Unable to create data directory");
        return ExitCode::from(1);
    }

    // The web configuration is checked before anything is opened.
    let web_config = if args.web_config_file.is_empty() {
        None
    } else {
        match crate::web::LiveWebConfig::open(Path::new(&args.web_config_file)) {
            Ok(c) => Some(Arc::new(c)),
            Err(e) => {
                tracing::error!(file = %args.web_config_file, err = %e, "Unable to load the web configuration");
                return ExitCode::from(1);
            }
        }
    };

    let tls = match &web_config {
        None => None,
        Some(c) => match crate::web::tls::LiveTls::new(c.clone()) {
            Ok(t) => t.map(Arc::new),
            Err(e) => {
                tracing::error!(file = %args.web_config_file, err = %e, "Unable to load the web configuration");
                return ExitCode::from(1);
            }
        },
    };
    let http2 = web_config
        .as_ref()
        .and_then(|c| c.current().ok())
        .is_some_and(|c| c.http_server_config.http2);

    // A cluster port that cannot be bound fails the start before anything
    // is opened, as in Alertmanager.
    let cluster_enabled = !args.cluster_listen_address.is_empty();
    if cluster_enabled && let Err(e) = cluster::bind_addr(&args.cluster_listen_address) {
        tracing::error!(err = %e, "unable to initialize gossip mesh");
        return ExitCode::from(1);
    }

    let source = Source::choose(args.config_file.as_deref());
    if source == Source::Embedded {
        tracing::info!(
            "No --config.file given and no alertmanager.yml in the working directory; using the embedded default configuration"
        );
    }
    let opts = LoadOptions {
        matcher_mode: features.parse_mode(),
    };
    tracing::info!(file = %source.describe(), "Loading configuration file");
    let coordinator = match Coordinator::load(source, opts) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            tracing::error!(file = %source_name(&args), err = %e, "Loading configuration file failed");
            return ExitCode::from(1);
        }
    };
    tracing::info!(file = %coordinator.source().describe(), "Completed loading of configuration file");

    let paths = match web_paths(&args, &hostname()) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(err = %e, "failed to determine external URL");
            return ExitCode::from(1);
        }
    };

    let metrics = Arc::new(Metrics::new(&BuildInfo::tocsin()));
    metrics
        .notify
        .set_receiver_names(features.receiver_name_in_metrics);
    let db = if args.storage_in_memory {
        tracing::warn!("--storage.in-memory: state is not persisted and there is no history");
        None
    } else {
        match StateDb::open(Path::new(&args.storage_path), metrics.state.clone()) {
            Ok(db) => Some(db),
            Err(e) => {
                tracing::error!(err = %e, "Unable to open the state database");
                return ExitCode::from(1);
            }
        }
    };
    let history = match &db {
        None => None,
        Some(db) => {
            match History::start(
                Path::new(&args.storage_path),
                args.history_retention,
                metrics.state.clone(),
            ) {
                Ok(h) => Some(h),
                Err(e) => {
                    tracing::error!(err = %e, "Unable to start the history");
                    db.close();
                    return ExitCode::from(1);
                }
            }
        }
    };
    let alerts = Arc::new(AlertStore::new(StoreOptions {
        per_alertname_limit: usize::try_from(args.alerts_per_alertname_limit).unwrap_or(0),
    }));
    let mut silences = Silences::new(SilenceOptions {
        retention: args.data_retention,
        max_silences: usize::try_from(args.silences_max_silences).unwrap_or(0),
        max_silence_size_bytes: usize::try_from(args.silences_max_silence_size_bytes).unwrap_or(0),
        mode: features.parse_mode(),
        log_changes: args.log_silences,
    });
    let mut nflog = NotificationLog::new(args.data_retention).with_metrics(metrics.nflog.clone());
    if let Some(db) = &db {
        silences = silences.with_sink(Arc::new(db.clone()));
        nflog = nflog.with_sink(Arc::new(db.clone()));
    }
    let (silences, nflog) = (Arc::new(silences), Arc::new(nflog));
    // Persistence and history follow every alert change (they are never
    // replayed to on reload).
    let mut recorders: Vec<Arc<dyn AlertObserver>> = Vec::new();
    if let Some(db) = &db {
        recorders.push(Arc::new(db.clone()));
    }
    if let Some(h) = &history {
        recorders.push(Arc::new(h.clone()));
    }
    alerts.set_observers(recorders.clone());
    let restored = match &db {
        None => Restored {
            timers: Default::default(),
        },
        Some(db) => match restore_state(db, &args.storage_path, &alerts, &silences, &nflog) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(err = %e, "Unable to restore the state");
                db.close();
                return ExitCode::from(1);
            }
        },
    };
    let cluster = if cluster_enabled {
        let name = match peer_name(&args, db.as_ref()) {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(err = %e, "Unable to name this peer");
                return ExitCode::from(1);
            }
        };
        let key = match (
            args.cluster_gossip_key_file.as_str(),
            args.cluster_gossip_key.as_str(),
        ) {
            ("", "") => None,
            (file, "") => match cluster::sealed::GossipKey::read(file) {
                Ok(k) => Some(k),
                Err(e) => {
                    tracing::error!(err = %e, "unable to initialize gossip mesh");
                    return ExitCode::from(1);
                }
            },
            ("", text) => match cluster::sealed::GossipKey::parse(text) {
                Ok(k) => Some(k),
                Err(e) => {
                    tracing::error!(err = %e, "unable to initialize gossip mesh");
                    return ExitCode::from(1);
                }
            },
            _ => {
                tracing::error!(
                    "--cluster.gossip-key and --cluster.gossip-key-file are mutually exclusive"
                );
                return ExitCode::from(1);
            }
        };
        let opts = cluster::Options {
            listen: args.cluster_listen_address.clone(),
            advertise: args.cluster_advertise_address.clone(),
            peers: args.cluster_peer.clone(),
            name,
            label: args.cluster_label.clone(),
            gossip_interval: args.cluster_gossip_interval,
            peer_timeout: args.cluster_peer_timeout,
            settle_timeout: args.cluster_settle_timeout,
            reconnect_timeout: args.cluster_reconnect_timeout,
            key,
        };
        match cluster::Cluster::start(
            opts,
            silences.clone(),
            nflog.clone(),
            metrics.cluster.clone(),
        )
        .await
        {
            Ok(c) => {
                metrics.build.cluster_enabled.set(1);
                Some(c)
            }
            Err(e) => {
                tracing::error!(err = %e, "unable to initialize gossip mesh");
                if let Some(db) = &db {
                    db.close();
                }
                return ExitCode::from(1);
            }
        }
    } else {
        None
    };
    if let Some(h) = &history {
        let mut restored_alerts = Vec::with_capacity(alerts.len());
        alerts.for_each(|a| restored_alerts.push(a.clone()));
        h.restored(restored_alerts);
    }
    let graphs = match graph_settings(&args) {
        Ok(None) => None,
        Ok(Some(settings)) => {
            tracing::info!(prometheus = %settings.prometheus_url, public_url = settings.public_url.as_deref().unwrap_or(""), "Slack messages get charts");
            match crate::graph::Grapher::new(settings, Some(metrics.graph.clone())) {
                Ok(g) => Some(Arc::new(g)),
                Err(e) => {
                    tracing::error!(err = %e, "Invalid --graph flags");
                    if let Some(db) = &db {
                        db.close();
                    }
                    return ExitCode::from(1);
                }
            }
        }
        Err(e) => {
            tracing::error!(err = %e, "Invalid --graph flags");
            if let Some(db) = &db {
                db.close();
            }
            return ExitCode::from(1);
        }
    };
    let deps = PipelineDeps {
        silences: silences.clone(),
        nflog: nflog.clone(),
        metrics: metrics.notify.clone(),
        external_url: paths
            .external_url
            .as_str()
            .trim_end_matches('/')
            .to_string(),
        peer_wait: match &cluster {
            Some(c) => {
                let c = c.clone();
                Arc::new(move || c.peer_wait())
            }
            None => crate::notify::pipeline::no_peer_wait(),
        },
        history: history.clone(),
        graphs: graphs.clone(),
    };
    let config = coordinator.current();
    let live = match Live::new(config.clone(), &deps) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(err = %e, "failed to build the notification pipeline");
            return ExitCode::from(1);
        }
    };
    if let Some(c) = &cluster {
        c.warn_slow_routes(&live.route);
    }
    let dispatcher = Dispatcher::with_metrics(
        live.route.clone(),
        live.pipeline.clone(),
        metrics.dispatch.clone(),
    );
    let dispatcher_observer: Arc<dyn AlertObserver> = Arc::new(dispatcher.clone());
    if let Some(db) = &db {
        dispatcher.set_timer_sink(Arc::new(db.clone()));
    }
    dispatcher.set_start_delay(args.dispatch_start_delay);
    dispatcher.restore_timers(restored.timers);
    let mut observers: Vec<Arc<dyn AlertObserver>> =
        vec![live.inhibitor.clone(), dispatcher_observer.clone()];
    observers.extend(recorders.iter().cloned());
    alerts.set_observers(observers);
    let stale_timers = dispatcher.finish_restore();
    tracing::info!(
        alerts = alerts.len(),
        groups = dispatcher.group_count(),
        stale_timers,
        "Aggregation groups rebuilt from the restored alerts"
    );
    apply_config_metrics(&metrics, &config, &live);
    let state = Arc::new(AppState::new(
        coordinator.clone(),
        alerts.clone(),
        silences.clone(),
        metrics.clone(),
        features.parse_mode(),
        cluster.clone(),
        live,
    ));
    if let Some(db) = &db {
        let db = db.clone();
        state.set_ready_check(Box::new(move || {
            if db.writable() {
                Ok(())
            } else {
                Err("state database not writable".to_string())
            }
        }));
    }
    if let Some(c) = &cluster {
        let c = c.clone();
        state.set_ready_check(Box::new(move || {
            if c.settled() {
                Ok(())
            } else {
                Err("cluster settling".to_string())
            }
        }));
    }
    state.set_history(history.clone());
    state.set_graphs(graphs.clone());
    state.set_reported_version(args.api_reported_version.clone());
    install_reload_hook(
        &coordinator,
        &state,
        deps,
        dispatcher.clone(),
        dispatcher_observer,
        recorders,
    );
    register_metric_sources(&state);
    let background = [
        alerts.clone().spawn_gc(args.alerts_gc_interval),
        silences.clone().spawn_gc(args.data_maintenance_interval),
        nflog.clone().spawn_gc(args.data_maintenance_interval),
        dispatcher.spawn_maintenance(args.dispatch_maintenance_interval),
        tokio::spawn(dispatcher.clone().run()),
    ];

    let get_limit = usize::try_from(args.web_get_concurrency).unwrap_or(0);
    let instrumentation = HttpInstrumentation::new(&metrics.http, &paths.route_prefix, get_limit);
    let mut app = api::router(state.clone(), &paths.route_prefix)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            instrumentation,
            crate::metrics::http::instrument,
        ))
        .layer(axum::middleware::from_fn(api::cors));
    if !args.web_timeout.is_zero() {
        app = app.layer(axum::middleware::from_fn_with_state(
            args.web_timeout,
            api::timeout,
        ));
    }
    // A query too long for the URI type travels in a header (web::lenient).
    app = app.layer(axum::middleware::from_fn(
        crate::web::lenient::restore_long_query,
    ));
    // Outermost: headers and basic authentication guard every route.
    if let Some(c) = &web_config {
        app = app.layer(axum::middleware::from_fn_with_state(
            crate::web::WebGate::new(c.clone()).with_open_prefix(format!(
                "{}/graphs/",
                paths.route_prefix.trim_end_matches('/')
            )),
            crate::web::gate,
        ));
    }
    // Outside even that: a request past the header limits is answered 431
    // with the reason, as Go answers it before any handler (web::lenient).
    app = app.layer(axum::middleware::from_fn(
        crate::web::lenient::refused_request,
    ));

    let mut listeners = Vec::new();
    let bound: Vec<Result<TcpListener, String>> = if args.web_systemd_socket {
        tracing::info!("Listening on systemd activated listeners instead of port listeners.");
        match systemd_listeners() {
            Ok(ls) => ls.into_iter().map(Ok).collect(),
            Err(e) => vec![Err(e)],
        }
    } else {
        let mut out = Vec::new();
        for addr in &args.web_listen_address {
            out.push(bind(addr).await);
        }
        out
    };
    // Caught from before the first request can be answered: a signal sent
    // as soon as the server answers is handled, not fatal.
    let signals = Signals::install();
    for result in bound {
        match result {
            Ok(l) => {
                let local = l.local_addr().map(|a| a.to_string()).unwrap_or_default();
                tracing::info!(address = %local, "Listening on");
                if tls.is_some() {
                    tracing::info!(http2, address = %local, "TLS is enabled.");
                } else {
                    tracing::info!(http2 = false, address = %local, "TLS is disabled.");
                }
                listeners.push(l);
            }
            Err(e) => {
                tracing::error!(err = %e, "Listen error");
                return ExitCode::from(1);
            }
        }
    }

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut servers = Vec::new();
    for l in listeners {
        let (app, stop, tls) = (app.clone(), stop_rx.clone(), tls.clone());
        servers.push(tokio::spawn(crate::web::serve::serve(l, app, tls, stop)));
    }
    state.ready.store(true, Ordering::Release);
    sd_notify("READY=1");

    wait_for_signals(&coordinator, signals).await;
    tracing::info!("Received shutdown signal, exiting gracefully...");
    sd_notify("STOPPING=1");
    let _ = stop_tx.send(true);
    for s in servers {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), s).await;
    }
    state.live().pipeline.cancel();
    for t in background {
        t.abort();
    }
    if let Some(h) = &history {
        h.close();
    }
    if let Some(db) = &db {
        db.close();
    }
    if let Some(c) = &cluster {
        c.stop();
    }
    ExitCode::SUCCESS
}

/// Tells systemd (a unit of `Type=notify`) how the service stands, through
/// `$NOTIFY_SOCKET`; nothing without it. A failure is logged, never fatal.
fn sd_notify(state: &str) {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let sent = (|| {
        let socket = std::os::unix::net::UnixDatagram::unbound()?;
        let bytes = path.as_encoded_bytes();
        if let Some(name) = bytes.strip_prefix(b"@") {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
            socket.send_to_addr(state.as_bytes(), &addr)
        } else {
            socket.send_to(state.as_bytes(), &path)
        }
    })();
    if let Err(e) = sent {
        tracing::warn!(err = %e, state, "Cannot notify systemd");
    }
}

/// The sockets systemd passed (`LISTEN_PID`, `LISTEN_FDS`, from file
/// descriptor 3 on), as `--web.systemd-socket` asks; like Alertmanager,
/// none is an error.
fn systemd_listeners() -> Result<Vec<TcpListener>, String> {
    use std::os::fd::FromRawFd;
    let for_us = std::env::var("LISTEN_PID")
        .ok()
        .and_then(|p| p.parse::<u32>().ok())
        .is_some_and(|p| p == std::process::id());
    let n: i32 = if for_us {
        std::env::var("LISTEN_FDS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    } else {
        0
    };
    if n < 1 {
        return Err("no socket activation file descriptors found".into());
    }
    let mut out = Vec::new();
    for fd in 3..3 + n {
        // SAFETY: systemd hands these descriptors to this process (checked
        // through LISTEN_PID above); each is taken once, here.
        let std = unsafe { std::net::TcpListener::from_raw_fd(fd) };
        std.set_nonblocking(true)
            .and_then(|()| TcpListener::from_std(std))
            .map(|l| out.push(l))
            .map_err(|e| format!("socket activation descriptor {fd}: {e}"))?;
    }
    Ok(out)
}

/// `--cluster.peer-name`, or the name this peer was given on its first
/// start (kept in the state database), or a new one.
fn peer_name(args: &ServerArgs, db: Option<&StateDb>) -> Result<String, String> {
    const KEY: &str = "cluster_peer_name";
    if !args.cluster_peer_name.is_empty() {
        return Ok(args.cluster_peer_name.clone());
    }
    let Some(db) = db else {
        return Ok(cluster::new_peer_name());
    };
    if let Some(name) = db.meta(KEY)? {
        return Ok(name);
    }
    let name = cluster::new_peer_name();
    db.set_meta(KEY, &name)?;
    Ok(name)
}

/// What the state database gave back, for the dispatcher.
struct Restored {
    timers: std::collections::HashMap<String, crate::dispatch::RestoredTimer>,
}

/// Imports Alertmanager's snapshot files once, then loads the database
/// into the stores (before any observer but persistence follows them).
fn restore_state(
    db: &StateDb,
    storage_path: &str,
    alerts: &AlertStore,
    silences: &Silences,
    nflog: &NotificationLog,
) -> Result<Restored, String> {
    crate::state::import_alertmanager_once(db, Path::new(storage_path), silences, nflog)?;
    let started = std::time::Instant::now();
    let loaded = db.load()?;
    let now = chrono::Utc::now();
    let n_silences = silences.restore(loaded.silences, now);
    let n_nflog = nflog.restore(loaded.nflog);
    let n_alerts = alerts.restore(loaded.alerts, now);
    tracing::info!(
        path = %db.path().display(),
        silences = n_silences,
        nflog_entries = n_nflog,
        alerts = n_alerts,
        group_timers = loaded.timers.len(),
        damaged_rows = loaded.damaged,
        duration = ?started.elapsed(),
        "State restored"
    );
    Ok(Restored {
        timers: loaded.timers,
    })
}

/// Receivers used by the routing tree, and their integrations, as
/// Alertmanager counts them for its metrics.
fn used_receivers(config: &crate::config::Config) -> (usize, usize) {
    let mut names = std::collections::HashSet::new();
    config.root_route().walk(&mut |r| {
        if !r.receiver.is_empty() {
            names.insert(r.receiver.as_str());
        }
    });
    let integrations = config
        .receivers
        .iter()
        .filter(|r| names.contains(r.name.as_str()))
        .map(|r| r.integration_count())
        .sum();
    (names.len(), integrations)
}

fn apply_config_metrics(metrics: &Metrics, config: &crate::config::Config, live: &Live) {
    metrics.config.reload_succeeded(
        config.original.as_bytes(),
        crate::metrics::config::unix_now(),
    );
    let (receivers, integrations) = used_receivers(config);
    metrics
        .config
        .set_counts(receivers, integrations, live.inhibitor.rules_len());
}

/// On every reload: rebuild what follows the configuration (routing tree,
/// inhibitor, pipeline), hand the dispatcher the new tree (it keeps the
/// groups of unchanged routes), replay the alerts, and update the config
/// metrics. A pipeline that cannot be built refuses the reload.
fn install_reload_hook(
    coordinator: &Coordinator,
    state: &Arc<AppState>,
    deps: PipelineDeps,
    dispatcher: Dispatcher,
    dispatcher_observer: Arc<dyn AlertObserver>,
    recorders: Vec<Arc<dyn AlertObserver>>,
) {
    let weak = Arc::downgrade(state);
    coordinator.on_reload(Box::new(move |outcome| {
        let Some(state) = weak.upgrade() else {
            return Ok(());
        };
        match outcome {
            Ok(config) => {
                let live = Live::new(config.clone(), &deps).map_err(crate::config::ConfigError)?;
                state.live().pipeline.cancel();
                dispatcher.set_handler(live.pipeline.clone());
                dispatcher.set_tree(live.route.clone());
                // Unregistering then registering the dispatcher replays every
                // stored alert to it, atomically with respect to new ones.
                // Persistence stays registered throughout (it is not
                // replayed to).
                let mut without: Vec<Arc<dyn AlertObserver>> = vec![live.inhibitor.clone()];
                without.extend(recorders.iter().cloned());
                state.alerts.set_observers(without);
                let mut with: Vec<Arc<dyn AlertObserver>> =
                    vec![live.inhibitor.clone(), dispatcher_observer.clone()];
                with.extend(recorders.iter().cloned());
                state.alerts.set_observers(with);
                apply_config_metrics(&state.metrics, config, &live);
                if let Some(c) = &state.cluster {
                    c.warn_slow_routes(&live.route);
                }
                state.set_live(live);
                Ok(())
            }
            Err(_) => {
                state.metrics.config.reload_failed();
                Ok(())
            }
        }
    }));
}

/// Gauges computed at scrape time from the stores.
fn register_metric_sources(state: &Arc<AppState>) {
    let weak = Arc::downgrade(state);
    state.metrics.api.set_alert_counts_source(move || {
        let mut counts = crate::metrics::AlertCounts::default();
        let Some(state) = weak.upgrade() else {
            return counts;
        };
        let live = state.live();
        let now = chrono::Utc::now();
        state.alerts.for_each(|a| {
            if a.resolved_at(now) {
                return;
            }
            if state.silences.mutes(&a.labels, now).is_silenced()
                || live.inhibitor.mutes(a, now).is_some()
            {
                counts.suppressed += 1;
            } else {
                counts.active += 1;
            }
        });
        counts
    });
    let silences = state.silences.clone();
    state.metrics.silences.set_silence_counts_source(move || {
        let c = silences.counts(chrono::Utc::now());
        crate::metrics::SilenceCounts {
            active: c.active as u64,
            pending: c.pending as u64,
            expired: c.expired as u64,
        }
    });
    let alerts = state.alerts.clone();
    state
        .metrics
        .store
        .set_source(move || crate::metrics::StoreStats {
            per_alert_limit: alerts.per_alertname_limit() as u64,
            limited_total: alerts.limited_total(),
            limited_by_alertname: None,
        });
}

fn source_name(args: &ServerArgs) -> String {
    Source::choose(args.config_file.as_deref()).describe()
}

/// Reloads on SIGHUP; returns on SIGINT or SIGTERM.
/// SIGHUP, SIGTERM and SIGINT, caught from the moment this is made (before
/// the process says it is ready, so that none arrives unhandled).
struct Signals {
    hup: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> Option<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::hangup()),
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(hup), Ok(term), Ok(int)) => Some(Signals { hup, term, int }),
            _ => {
                tracing::error!("Unable to install signal handlers");
                None
            }
        }
    }
}

async fn wait_for_signals(coordinator: &Coordinator, signals: Option<Signals>) {
    let Some(Signals {
        mut hup,
        mut term,
        mut int,
    }) = signals
    else {
        return std::future::pending().await;
    };
    loop {
        tokio::select! {
            _ = hup.recv() => {
                // Errors are logged by the coordinator; the old config stays.
                let _ = coordinator.reload().await;
            }
            _ = term.recv() => return,
            _ = int.recv() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> ServerArgs {
        crate::cli::Cli::parse_args(std::iter::once("tocsin").chain(extra.iter().copied()))
            .unwrap()
            .server
    }

    #[test]
    fn external_url_and_prefix_like_alertmanager() {
        let p = web_paths(&args(&[]), "host1").unwrap();
        assert_eq!(p.external_url.as_str(), "http://host1:9093/");
        assert_eq!(p.route_prefix, "/");
        let p = web_paths(
            &args(&["--web.external-url=https://am.example.com/alerts/"]),
            "h",
        )
        .unwrap();
        assert_eq!(p.route_prefix, "/alerts");
        let p = web_paths(
            &args(&["--web.external-url=http://x/a", "--web.route-prefix=/b/"]),
            "h",
        )
        .unwrap();
        assert_eq!(p.route_prefix, "/b");
        let p = web_paths(&args(&["--web.listen-address=127.0.0.1:8080"]), "h").unwrap();
        assert_eq!(p.external_url.as_str(), "http://h:8080/");
        assert!(
            web_paths(&args(&["--web.external-url=ftp://x/"]), "h")
                .unwrap_err()
                .contains("only 'http' and 'https' are supported")
        );
    }

    #[test]
    fn listen_addresses() {
        assert_eq!(
            listen_addrs("127.0.0.1:0").unwrap(),
            vec!["127.0.0.1:0".parse().unwrap()]
        );
        assert_eq!(listen_addrs(":9093").unwrap().len(), 2);
        assert_eq!(
            listen_addrs("[::1]:80").unwrap(),
            vec!["[::1]:80".parse().unwrap()]
        );
        assert!(listen_addrs("nope").is_err());
    }
}
