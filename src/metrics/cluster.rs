//! Metrics of the cluster: Alertmanager's `alertmanager_cluster_*`,
//! `alertmanager_peer_position` and `alertmanager_oversize_gossip_*` where
//! gossip over chitchat has the same meaning, and Tocsin's own
//! `tocsin_cluster_*` for what memberlist does not have.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

use super::registry::MetricRegistry;

/// Handles for the cluster metrics.
#[derive(Debug, Clone)]
pub struct ClusterMetrics {
    /// `alertmanager_cluster_members`: live peers, this one included.
    pub members: Gauge,
    /// `alertmanager_peer_position`: this peer's position (0 sends first).
    pub position: Gauge,
    /// `alertmanager_cluster_failed_peers`: peers gone silent and not yet
    /// forgotten (`--cluster.reconnect-timeout`).
    pub failed_peers: Gauge,
    /// `alertmanager_cluster_peer_info{peer}`: 1, labelled with this
    /// peer's name.
    pub peer_info: Family<Vec<(&'static str, String)>, Gauge>,
    /// `alertmanager_cluster_peers_joined_total`.
    pub joined: Counter,
    /// `alertmanager_cluster_peers_left_total`.
    pub left: Counter,
    /// `alertmanager_oversize_gossip_message_dropped_total{key}`: values
    /// too large to gossip (`sil`: a silence, `nfl`: a log entry).
    pub oversize_dropped: Family<Vec<(&'static str, &'static str)>, Counter>,
    /// `tocsin_cluster_merge_failures_total`: values from peers that could
    /// not be decoded or stored.
    pub merge_failures: Counter,
    /// `tocsin_cluster_merged_total`: values from peers that changed the
    /// local state.
    pub merged: Counter,
    /// `tocsin_cluster_gossip_refused_total`: datagrams refused because
    /// they were not sealed with this cluster's gossip key and label.
    pub gossip_refused: Counter,
}

impl ClusterMetrics {
    pub fn register(reg: &MetricRegistry) -> ClusterMetrics {
        ClusterMetrics {
            members: reg.register(
                "alertmanager_cluster_members",
                "Number indicating current number of members in cluster.",
                Gauge::default(),
            ),
            position: reg.register(
                "alertmanager_peer_position",
                "Position the Alertmanager instance believes it's in. The position determines a peer's behavior in the cluster.",
                Gauge::default(),
            ),
            failed_peers: reg.register(
                "alertmanager_cluster_failed_peers",
                "Number indicating the current number of failed peers in the cluster.",
                Gauge::default(),
            ),
            peer_info: reg.register(
                "alertmanager_cluster_peer_info",
                "A metric with a constant '1' value labeled by peer name.",
                Family::default(),
            ),
            joined: reg.register(
                "alertmanager_cluster_peers_joined_total",
                "A counter of the number of peers that have joined.",
                Counter::default(),
            ),
            left: reg.register(
                "alertmanager_cluster_peers_left_total",
                "A counter of the number of peers that have left.",
                Counter::default(),
            ),
            oversize_dropped: reg.register(
                "alertmanager_oversize_gossip_message_dropped_total",
                "Number of oversized gossip messages that were dropped due to a full message queue.",
                Family::default(),
            ),
            merge_failures: reg.register(
                "tocsin_cluster_merge_failures_total",
                "Values gossiped by peers that could not be decoded or stored.",
                Counter::default(),
            ),
            merged: reg.register(
                "tocsin_cluster_merged_total",
                "Values gossiped by peers that changed the local silences or notification log.",
                Counter::default(),
            ),
            gossip_refused: reg.register(
                "tocsin_cluster_gossip_refused_total",
                "Gossip datagrams refused because they were not sealed with this cluster's gossip key and label.",
                Counter::default(),
            ),
        }
    }
}
