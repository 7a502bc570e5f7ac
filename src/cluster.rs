//! Cluster membership. Gossip (silences and the notification log replicated
//! between peers) is not built yet; for now this module names the peer and
//! binds the cluster listen address, so that a port clash fails at startup as
//! in Alertmanager and `/api/v2/status` reports this instance as the only peer.

use std::net::SocketAddr;

use crate::api::PeerInfo;

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new ULID (as Alertmanager names its peers): 48 bits of milliseconds
/// since the epoch then 80 random bits, in Crockford base32.
pub fn new_peer_name() -> String {
    let ms = chrono::Utc::now().timestamp_millis().max(0) as u128;
    let random = u128::from_be_bytes(*uuid::Uuid::new_v4().as_bytes()) & ((1u128 << 80) - 1);
    let value = (ms << 80) | random;
    (0..26)
        .rev()
        .map(|i| CROCKFORD[((value >> (i * 5)) & 31) as usize] as char)
        .collect()
}

/// The cluster listener held while the process runs.
pub struct ClusterPort {
    _listener: std::net::TcpListener,
    pub peer: PeerInfo,
}

/// Binds the cluster listen address (TCP); `advertise` overrides the address
/// reported to clients. An unspecified bind address (`0.0.0.0`) is reported
/// as loopback until gossip, which works out the routable address, exists.
pub fn bind(listen: &str, advertise: &str, name: Option<&str>) -> Result<ClusterPort, String> {
    let addrs = crate::server::listen_addrs(listen)?;
    let mut last = format!("listen tcp {listen}: no address");
    for a in addrs {
        match std::net::TcpListener::bind(a) {
            Ok(l) => {
                let local: SocketAddr = l.local_addr().map_err(|e| e.to_string())?;
                let address = if !advertise.is_empty() {
                    advertise.to_string()
                } else if local.ip().is_unspecified() {
                    SocketAddr::new([127, 0, 0, 1].into(), local.port()).to_string()
                } else {
                    local.to_string()
                };
                let name = name
                    .filter(|n| !n.is_empty())
                    .map(str::to_string)
                    .unwrap_or_else(new_peer_name);
                return Ok(ClusterPort {
                    _listener: l,
                    peer: PeerInfo { name, address },
                });
            }
            Err(e) => last = format!("listen tcp {a}: {e}"),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulids() {
        let a = new_peer_name();
        assert_eq!(a.len(), 26);
        assert!(a.bytes().all(|b| CROCKFORD.contains(&b)));
        assert_ne!(a, new_peer_name());
    }

    #[test]
    fn binds_and_reports() {
        let p = bind("127.0.0.1:0", "", Some("peer-a")).unwrap();
        assert_eq!(p.peer.name, "peer-a");
        assert!(p.peer.address.starts_with("127.0.0.1:"));
        let port = p.peer.address.rsplit(':').next().unwrap();
        assert!(
            bind(&format!("127.0.0.1:{port}"), "", None).is_err(),
            "port in use"
        );
        let q = bind("127.0.0.1:0", "10.1.2.3:9094", None).unwrap();
        assert_eq!(q.peer.address, "10.1.2.3:9094");
    }
}
