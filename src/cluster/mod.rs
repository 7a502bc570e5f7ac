//! High availability: Tocsin peers gossip their silences and notification
//! log through chitchat (UDP, scuttlebutt reconciliation), so that every
//! peer mutes what one peer silenced and a cluster pages once.
//!
//! How a notification goes out once: every peer receives every alert and
//! runs the same groups; a peer waits its position (its name's rank among
//! the live peers) × `--cluster.peer-timeout` before sending, then skips
//! the send if a peer's notification-log entry, gossiped meanwhile, shows
//! it was sent ([`Cluster::peer_wait`], read by the pipeline's wait stage).
//!
//! What travels (see [`wire`]): each peer publishes in its own chitchat
//! state the silences changed through its API and the log entries of its
//! sends; peers merge what they receive into their stores (newest update
//! wins) without publishing it again. A peer that starts publishes what it
//! restored from its database, so that a silence outlives the peer that
//! created it.
//!
//! Not wire-compatible with Alertmanager's memberlist: a cluster is all
//! Tocsin.

mod name;
pub mod sealed;
pub mod wire;

use std::collections::BTreeSet;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use chitchat::transport::UdpTransport;
use chitchat::{
    ChitchatConfig, ChitchatHandle, ChitchatId, FailureDetectorConfig, ListenerHandle,
    ProtocolVersion, spawn_chitchat,
};
use tokio::sync::mpsc;

pub use name::new_peer_name;

use crate::api::PeerInfo;
use crate::metrics::cluster::ClusterMetrics;
use crate::nflog::{Entry, NflogSink, NotificationLog, Receiver};
use crate::silence::{Silence, SilenceGossip, Silences};

/// The cluster flags, as Alertmanager names them.
#[derive(Clone, Debug)]
pub struct Options {
    /// `--cluster.listen-address`: `ip:port`, `[ipv6]:port` or `:port`.
    pub listen: String,
    /// `--cluster.advertise-address` (empty: worked out from `listen`).
    pub advertise: String,
    /// `--cluster.peer`: `host:port`, names re-resolved while running.
    pub peers: Vec<String>,
    /// `--cluster.peer-name`, or the name kept in the database.
    pub name: String,
    /// `--cluster.label`: peers with another label are refused.
    pub label: String,
    pub gossip_interval: Duration,
    pub peer_timeout: Duration,
    pub settle_timeout: Duration,
    /// `--cluster.reconnect-timeout`: how long a peer that left is still
    /// gossiped with before it is forgotten.
    pub reconnect_timeout: Duration,
    /// `--cluster.gossip-key-file` / `--cluster.gossip-key`: gossip sealed
    /// with this key (see [`sealed`]).
    pub key: Option<sealed::GossipKey>,
}

/// A change of this peer's gossiped state.
enum Publish {
    Set(String, String),
    Delete(String),
}

/// A value gossiped by another peer.
struct Incoming {
    key: String,
    value: String,
}

/// This peer in the cluster.
pub struct Cluster {
    handle: ChitchatHandle,
    name: String,
    address: SocketAddr,
    peer_timeout: Duration,
    position: AtomicUsize,
    /// Live peers (this one included), sorted by name.
    peers: RwLock<Vec<PeerInfo>>,
    settled: AtomicBool,
    publish: mpsc::UnboundedSender<Publish>,
    /// This peer and its `--cluster.peer`s: the size the cluster is
    /// expected to have before membership is known.
    expected: usize,
    metrics: ClusterMetrics,
    listeners: Mutex<Vec<ListenerHandle>>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The address to bind: the first of `listen`'s, with a free port for `:0`.
pub fn bind_addr(listen: &str) -> Result<SocketAddr, String> {
    let addrs = crate::server::listen_addrs(listen)?;
    let mut last = format!("listen udp {listen}: no address");
    for a in addrs {
        // Bound and released here so that a clash is reported at start,
        // with the address, before anything else runs.
        match std::net::UdpSocket::bind(a) {
            Ok(s) => return s.local_addr().map_err(|e| e.to_string()),
            Err(e) => last = format!("listen udp {a}: {e}"),
        }
    }
    Err(last)
}

/// The address peers reach this one at: `advertise` if given, else the
/// bound address, with an unspecified IP replaced by the one the host
/// routes from (as Alertmanager picks a private address).
fn advertise_addr(advertise: &str, bound: SocketAddr) -> Result<SocketAddr, String> {
    if !advertise.is_empty() {
        return advertise
            .to_socket_addrs()
            .map_err(|e| format!("cluster.advertise-address {advertise}: {e}"))?
            .next()
            .ok_or_else(|| format!("cluster.advertise-address {advertise}: no address"));
    }
    if !bound.ip().is_unspecified() {
        return Ok(bound);
    }
    // A connected UDP socket sends nothing; its local address is the
    // interface the host would route from.
    let probe = if bound.is_ipv4() {
        std::net::UdpSocket::bind("0.0.0.0:0")
            .and_then(|s| s.connect("10.255.255.255:9").map(|_| s))
    } else {
        std::net::UdpSocket::bind("[::]:0").and_then(|s| s.connect("[fd00::1]:9").map(|_| s))
    };
    let ip = probe
        .and_then(|s| s.local_addr())
        .map(|a| a.ip())
        .ok()
        .filter(|ip| !ip.is_unspecified())
        .unwrap_or_else(|| {
            if bound.is_ipv4() {
                [127, 0, 0, 1].into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            }
        });
    Ok(SocketAddr::new(ip, bound.port()))
}

impl Cluster {
    /// Joins (or starts) the cluster and starts replicating `silences` and
    /// `nflog`. Fails, naming the address, when the port cannot be bound.
    pub async fn start(
        opts: Options,
        silences: Arc<Silences>,
        nflog: Arc<NotificationLog>,
        metrics: ClusterMetrics,
    ) -> Result<Arc<Cluster>, String> {
        let listen = bind_addr(&opts.listen)?;
        let address = advertise_addr(&opts.advertise, listen)?;
        let generation = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let id = ChitchatId::new(opts.name.clone(), generation, address);
        let failure_detector_config = FailureDetectorConfig {
            // A peer is first heard of after about one gossip interval.
            initial_interval: opts.gossip_interval.max(Duration::from_millis(100)) * 5,
            // A peer that left is forgotten after the reconnect timeout
            // (its silences stay with the peers that merged them).
            dead_node_grace_period: opts.reconnect_timeout.max(opts.gossip_interval),
            ..FailureDetectorConfig::default()
        };
        let config = ChitchatConfig {
            chitchat_id: id.clone(),
            cluster_id: if opts.label.is_empty() {
                "tocsin".to_string()
            } else {
                opts.label.clone()
            },
            gossip_interval: opts.gossip_interval,
            listen_addr: listen,
            seed_nodes: opts.peers.clone(),
            failure_detector_config,
            marked_for_deletion_grace_period: Duration::from_secs(3600),
            catchup_callback: None,
            extra_liveness_predicate: None,
            protocol_version: ProtocolVersion::V1,
        };
        let spawned = match &opts.key {
            Some(key) => {
                let transport = sealed::SealedTransport {
                    key: key.clone(),
                    label: opts.label.clone(),
                    rejected: metrics.gossip_refused.clone(),
                };
                spawn_chitchat(config, Vec::new(), &transport).await
            }
            None => spawn_chitchat(config, Vec::new(), &UdpTransport).await,
        };
        let handle = spawned.map_err(|e| format!("listen udp {listen}: {e}"))?;
        let (publish, publish_rx) = mpsc::unbounded_channel();
        let (incoming_tx, incoming_rx) = mpsc::unbounded_channel::<Incoming>();
        let cluster = Arc::new(Cluster {
            handle,
            name: opts.name.clone(),
            address,
            peer_timeout: opts.peer_timeout,
            position: AtomicUsize::new(0),
            peers: RwLock::new(vec![PeerInfo {
                name: opts.name.clone(),
                address: address.to_string(),
            }]),
            // Nothing to wait for: no peers, or no settle timeout.
            settled: AtomicBool::new(opts.peers.is_empty() || opts.settle_timeout.is_zero()),
            publish,
            expected: 1 + opts.peers.len(),
            metrics,
            listeners: Mutex::new(Vec::new()),
            tasks: Mutex::new(Vec::new()),
        });
        cluster.metrics.members.set(1);
        cluster
            .metrics
            .peer_info
            .get_or_create(&vec![("peer", opts.name.clone())])
            .set(1);

        // What peers publish: to the merge task (a callback runs under
        // chitchat's lock and must only hand the value over).
        {
            let chitchat = cluster.handle.chitchat();
            let guard = chitchat.lock().await;
            let mut listeners = lock(&cluster.listeners);
            for prefix in [wire::SILENCE_PREFIX, wire::NFLOG_PREFIX] {
                let tx = incoming_tx.clone();
                let me = id.clone();
                listeners.push(guard.subscribe_event(prefix, move |ev| {
                    if *ev.node == me {
                        return;
                    }
                    let _ = tx.send(Incoming {
                        key: format!("{prefix}{}", ev.key),
                        value: ev.value.to_string(),
                    });
                }));
            }
        }
        let tasks = vec![
            tokio::spawn(publisher(cluster.clone(), publish_rx)),
            tokio::spawn(merger(
                incoming_rx,
                silences.clone(),
                nflog.clone(),
                cluster.metrics.clone(),
            )),
            tokio::spawn(membership(cluster.clone())),
            tokio::spawn(settle(
                cluster.clone(),
                opts.gossip_interval,
                opts.settle_timeout,
            )),
        ];
        lock(&cluster.tasks).extend(tasks);

        // Adopt what was restored, then report every later local change.
        for s in silences.all() {
            cluster.publish_silence(&s);
        }
        for e in nflog.entries() {
            cluster.logged(&e);
        }
        silences.set_gossip(cluster.clone());
        nflog.set_gossip(cluster.clone());
        tracing::info!(
            peer = %opts.name,
            listen = %listen,
            advertise = %address,
            peers = ?opts.peers,
            sealed = opts.key.is_some(),
            "Joining the cluster"
        );
        Ok(cluster)
    }

    /// This peer as `/api/v2/status` shows it.
    pub fn peer(&self) -> PeerInfo {
        PeerInfo {
            name: self.name.clone(),
            address: self.address.to_string(),
        }
    }

    /// The live peers, this one included, sorted by name.
    pub fn peers(&self) -> Vec<PeerInfo> {
        self.peers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// This peer's position among the live peers (0: it sends first).
    pub fn position(&self) -> usize {
        self.position.load(Ordering::Acquire)
    }

    /// How long this peer waits before sending a notification: its
    /// position × `--cluster.peer-timeout`, following membership.
    pub fn peer_wait(&self) -> Duration {
        self.peer_timeout * self.position() as u32
    }

    /// Whether membership has settled (or the settle timeout passed).
    pub fn settled(&self) -> bool {
        self.settled.load(Ordering::Acquire)
    }

    /// `ready` or `settling`, as `/api/v2/status` reports it.
    pub fn status(&self) -> &'static str {
        if self.settled() { "ready" } else { "settling" }
    }

    /// Warns for each route whose `group_wait` or `group_interval` is
    /// shorter than the last peer's wait ((size − 1) × peer timeout): its
    /// peers would send before that peer's entry can reach them, the cause
    /// of many duplicate pages.
    pub fn warn_slow_routes(&self, root: &crate::dispatch::Route) {
        let size = self.expected.max(self.peers().len());
        for (route, setting, value, wait) in slow_routes(root, size, self.peer_timeout) {
            tracing::warn!(
                route = route.id(),
                receiver = %route.opts.receiver,
                setting,
                value = ?value,
                last_peer_wait = ?wait,
                peers = size,
                "Route interval shorter than the last peer's wait: peers may send duplicate notifications"
            );
        }
    }

    /// Leaves the cluster: stops gossiping and the tasks.
    pub fn stop(&self) {
        for t in lock(&self.tasks).drain(..) {
            t.abort();
        }
        lock(&self.listeners).clear();
        if let Err(e) = self.handle.initiate_shutdown() {
            tracing::debug!(err = %e, "cluster shutdown");
        }
    }

    fn send(&self, p: Publish) {
        // The publisher lives as long as the cluster; after `stop`, there
        // is nothing left to tell.
        let _ = self.publish.send(p);
    }

    /// Publishes `key`, unless its value is too large to gossip: then it
    /// is counted under `kind` (Alertmanager's `sil` or `nfl`) and logged.
    fn publish_value(&self, key: String, value: String, kind: &'static str, what: &str) {
        if value.len() > wire::MAX_VALUE {
            self.metrics
                .oversize_dropped
                .get_or_create(&vec![("key", kind)])
                .inc();
            tracing::error!(
                key,
                what,
                bytes = value.len(),
                limit = wire::MAX_VALUE,
                "Value too large to gossip: peers will not see it"
            );
            return;
        }
        self.send(Publish::Set(key, value));
    }

    fn publish_silence(&self, s: &Silence) {
        self.publish_value(
            wire::silence_key(&s.id),
            wire::silence_value(s),
            "sil",
            "silence",
        );
    }
}

impl SilenceGossip for Cluster {
    fn publish(&self, saved: &[Arc<Silence>], removed: &[String]) {
        for s in saved {
            self.publish_silence(s);
        }
        for id in removed {
            self.send(Publish::Delete(wire::silence_key(id)));
        }
    }
}

impl NflogSink for Cluster {
    fn logged(&self, e: &Entry) {
        // Too large, peers may send the notification again.
        self.publish_value(
            wire::nflog_key(&e.group_key, &e.receiver),
            wire::nflog_value(e),
            "nfl",
            "notification log entry",
        );
    }

    /// Merged entries came from the cluster: nothing to publish.
    fn merged(&self, _: &Entry) {}

    fn removed(&self, group_key: &str, receiver: &Receiver) {
        self.send(Publish::Delete(wire::nflog_key(group_key, receiver)));
    }
}

/// The routes of `root` whose `group_wait` or `group_interval` is shorter
/// than the wait of the last of `size` peers: (route, setting, its value,
/// the wait).
fn slow_routes(
    root: &crate::dispatch::Route,
    size: usize,
    peer_timeout: Duration,
) -> Vec<(&crate::dispatch::Route, &'static str, Duration, Duration)> {
    let wait = peer_timeout * size.saturating_sub(1) as u32;
    let mut out = Vec::new();
    if wait.is_zero() {
        return out;
    }
    root.walk(&mut |r| {
        for (setting, value) in [
            ("group_wait", r.opts.group_wait),
            ("group_interval", r.opts.group_interval),
        ] {
            if wait > value {
                out.push((r, setting, value, wait));
            }
        }
    });
    out
}

/// Writes this peer's changes into its chitchat state, a batch at a time.
async fn publisher(cluster: Arc<Cluster>, mut rx: mpsc::UnboundedReceiver<Publish>) {
    let chitchat = cluster.handle.chitchat();
    let mut batch = Vec::new();
    while rx.recv_many(&mut batch, 1024).await > 0 {
        let mut guard = chitchat.lock().await;
        let state = guard.self_node_state();
        for p in batch.drain(..) {
            match p {
                Publish::Set(k, v) => state.set(k, v),
                Publish::Delete(k) => {
                    if state.contains_key(&k) {
                        state.delete(&k);
                    }
                }
            }
        }
    }
}

/// Merges what peers publish into the stores, off the runtime's threads
/// (a merged silence is committed to the database before it is used).
async fn merger(
    mut rx: mpsc::UnboundedReceiver<Incoming>,
    silences: Arc<Silences>,
    nflog: Arc<NotificationLog>,
    metrics: ClusterMetrics,
) {
    let mut batch = Vec::new();
    while rx.recv_many(&mut batch, 1024).await > 0 {
        let items = std::mem::take(&mut batch);
        let (silences, nflog, metrics) = (silences.clone(), nflog.clone(), metrics.clone());
        let merged = tokio::task::spawn_blocking(move || {
            let now = chrono::Utc::now();
            for Incoming { key, value } in items {
                let result = if let Some(id) = key.strip_prefix(wire::SILENCE_PREFIX) {
                    wire::silence_from(id, &value)
                        .and_then(|s| silences.merge(s, now).map_err(|e| e.to_string()))
                } else {
                    wire::nflog_from(&value).map(|e| nflog.merge(e, now))
                };
                match result {
                    Ok(true) => metrics.merged.inc(),
                    Ok(false) => 0,
                    Err(e) => {
                        metrics.merge_failures.inc();
                        tracing::warn!(key, err = %e, "Cannot merge a value gossiped by a peer");
                        0
                    }
                };
            }
        })
        .await;
        if let Err(e) = merged {
            tracing::error!(err = %e, "Merging gossiped values failed");
        }
    }
}

/// Follows the live peers: position, peer list, metrics, and a log line
/// for every peer that joins or leaves.
async fn membership(cluster: Arc<Cluster>) {
    let mut watcher = cluster.handle.chitchat().lock().await.live_nodes_watcher();
    let mut known: BTreeSet<(String, String)> = BTreeSet::new();
    loop {
        let live: BTreeSet<(String, String)> = watcher
            .borrow_and_update()
            .keys()
            .map(|id| (id.node_id.to_string(), id.gossip_advertise_addr.to_string()))
            .chain(std::iter::once((
                cluster.name.clone(),
                cluster.address.to_string(),
            )))
            .collect();
        for (name, address) in live.difference(&known) {
            if *name != cluster.name {
                cluster.metrics.joined.inc();
                tracing::info!(peer = %name, address = %address, "Peer joined the cluster");
            }
        }
        for (name, address) in known.difference(&live) {
            if *name != cluster.name {
                cluster.metrics.left.inc();
                tracing::info!(peer = %name, address = %address, "Peer left the cluster");
            }
        }
        // One entry per name (a restarted peer may linger under its old
        // generation until it is declared dead).
        let mut peers: Vec<PeerInfo> = Vec::new();
        for (name, address) in &live {
            if peers.last().is_none_or(|p| p.name != *name) {
                peers.push(PeerInfo {
                    name: name.clone(),
                    address: address.clone(),
                });
            }
        }
        let position = peers
            .iter()
            .position(|p| p.name == cluster.name)
            .unwrap_or(0);
        cluster.position.store(position, Ordering::Release);
        cluster.metrics.position.set(position as i64);
        cluster.metrics.members.set(peers.len() as i64);
        let failed: BTreeSet<String> = {
            let chitchat = cluster.handle.chitchat();
            let guard = chitchat.lock().await;
            guard
                .dead_nodes()
                .map(|id| id.node_id.to_string())
                .filter(|name| !peers.iter().any(|p| p.name == *name))
                .collect()
        };
        cluster.metrics.failed_peers.set(failed.len() as i64);
        *cluster
            .peers
            .write()
            .unwrap_or_else(PoisonError::into_inner) = peers;
        known = live;
        if watcher.changed().await.is_err() {
            return;
        }
    }
}

/// Checks in a row with the same number of peers that make the cluster
/// settled (Alertmanager's `NumOkayRequired`).
const SETTLE_CHECKS: usize = 3;

/// Waits until the number of peers has not changed for [`SETTLE_CHECKS`]
/// checks, one every ten gossip intervals (Alertmanager's rule), or until
/// `timeout`; until then `/-/ready` answers 503 and the status says
/// `settling`.
async fn settle(cluster: Arc<Cluster>, gossip_interval: Duration, timeout: Duration) {
    if cluster.settled() {
        return;
    }
    let started = Instant::now();
    let interval = (gossip_interval * 10).max(Duration::from_millis(100));
    let mut last = 0;
    let mut okay = 0;
    loop {
        tokio::time::sleep(interval).await;
        let n = cluster.peers().len();
        if n == last {
            okay += 1;
        } else {
            okay = 0;
            last = n;
        }
        if okay >= SETTLE_CHECKS {
            tracing::info!(peers = n, elapsed = ?started.elapsed(), "gossip settled; proceeding");
            break;
        }
        if started.elapsed() >= timeout {
            tracing::info!(peers = n, elapsed = ?started.elapsed(), "gossip not settled but continuing anyway");
            break;
        }
    }
    cluster.settled.store(true, Ordering::Release);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_in_use_is_reported_with_its_address() {
        let held = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = held.local_addr().unwrap().port();
        let err = bind_addr(&format!("127.0.0.1:{port}")).unwrap_err();
        assert!(
            err.starts_with(&format!("listen udp 127.0.0.1:{port}: ")),
            "{err}"
        );
        assert_ne!(bind_addr("127.0.0.1:0").unwrap().port(), 0);
    }

    #[test]
    fn routes_shorter_than_the_last_peers_wait() {
        let cfg = crate::config::Config::load(
            "route:\n  receiver: r\n  group_wait: 10s\n  group_interval: 5m\n  routes:\n  - receiver: r\n    group_wait: 40s\nreceivers:\n- name: r\n",
            Default::default(),
        )
        .unwrap();
        let root = crate::dispatch::Route::new(cfg.root_route());
        let slow = |size| {
            slow_routes(&root, size, Duration::from_secs(15))
                .into_iter()
                .map(|(r, s, _, _)| (r.id().to_string(), s))
                .collect::<Vec<_>>()
        };
        assert!(slow(1).is_empty());
        // Two peers: the second waits 15 s, more than the root's 10 s.
        assert_eq!(slow(2), [("{}".to_string(), "group_wait")]);
        // Three: 30 s; the child (40 s) is still fine.
        assert_eq!(slow(3), [("{}".to_string(), "group_wait")]);
        assert_eq!(slow(4).len(), 2);
    }

    #[test]
    fn advertised_addresses() {
        let bound: SocketAddr = "127.0.0.1:9094".parse().unwrap();
        assert_eq!(advertise_addr("", bound).unwrap(), bound);
        assert_eq!(
            advertise_addr("10.1.2.3:9095", bound).unwrap(),
            "10.1.2.3:9095".parse().unwrap()
        );
        let any: SocketAddr = "0.0.0.0:9094".parse().unwrap();
        let a = advertise_addr("", any).unwrap();
        assert!(!a.ip().is_unspecified() && a.port() == 9094, "{a}");
        assert!(advertise_addr("not an address", bound).is_err());
    }
}
