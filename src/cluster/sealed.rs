//! Gossip sealed with a shared key (`--cluster.gossip-key-file`): every
//! datagram between peers is encrypted and authenticated with
//! ChaCha20-Poly1305 (ring), so that a peer without the key can neither
//! read the cluster's silences nor join it. Alertmanager's memberlist
//! gossip is plaintext unless its experimental TLS is configured.
//!
//! chitchat serialises its messages itself and hands its transport whole
//! messages, not bytes; so the sealing happens on a relay beside it.
//! chitchat's own UDP socket is bound to a loopback port, and each remote
//! peer `R` is represented by a loopback relay socket `L(R)`:
//!
//! ```text
//! chitchat socket ──plain──▶ L(R) ──sealed──▶ public socket ─▶ R
//! chitchat socket ◀──plain── L(R) ◀──opened── public socket ◀─ R
//! ```
//!
//! [`SealedTransport`]'s socket sends to `L(R)` when chitchat sends to `R`
//! and reports `R` when a message comes from `L(R)`; a datagram from any
//! other local address is dropped.
//!
//! On the wire a sealed message is `T1` (format), a message id, the
//! fragment's index and count, then its share of `nonce || ciphertext ||
//! tag`: a message chitchat fills up to the largest UDP datagram no longer
//! fits in one once sealed, so it travels in up to three fragments.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use base64::Engine;
use chitchat::ChitchatEnvelope;
use chitchat::transport::{RecvOutcome, SendOutcome, Socket, Transport, UdpSocket};
use prometheus_client::metrics::counter::Counter;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use tokio::net::UdpSocket as TokioUdp;

/// The format of a sealed datagram.
const MAGIC: &[u8; 2] = b"T1";
/// Magic, message id (4), fragment index (1), fragment count (1).
const HEADER: usize = 2 + 4 + 1 + 1;
/// The largest share of a sealed message one datagram carries.
const FRAGMENT: usize = 32 * 1024;
/// The largest sealed message accepted (chitchat's largest message, sealed).
const MAX_SEALED: usize = 65_507 + NONCE_LEN + 16;
/// Incomplete messages are dropped after this.
const REASSEMBLY_TIMEOUT: Duration = Duration::from_secs(5);
/// At most this many messages are being reassembled at once.
const REASSEMBLY_SLOTS: usize = 64;

/// A shared gossip key: 32 bytes, written in base64 (`openssl rand
/// -base64 32`).
#[derive(Clone)]
pub struct GossipKey(Arc<LessSafeKey>);

impl std::fmt::Debug for GossipKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GossipKey(<secret>)")
    }
}

impl GossipKey {
    /// Parses a key; the error never repeats the text.
    pub fn parse(text: &str) -> Result<GossipKey, String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| {
                "the gossip key is not base64 (make one with `openssl rand -base64 32`)".to_string()
            })?;
        if bytes.len() != 32 {
            return Err(format!(
                "the gossip key must be 32 bytes, it is {} (make one with `openssl rand -base64 32`)",
                bytes.len()
            ));
        }
        let key = UnboundKey::new(&CHACHA20_POLY1305, &bytes)
            .map_err(|_| "the gossip key cannot be used".to_string())?;
        Ok(GossipKey(Arc::new(LessSafeKey::new(key))))
    }

    /// Reads a key file (`--cluster.gossip-key-file`).
    pub fn read(path: &str) -> Result<GossipKey, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("reading the gossip key file {path}: {e}"))?;
        GossipKey::parse(&text).map_err(|e| format!("{path}: {e}"))
    }
}

/// Seals and opens messages for one cluster label.
#[derive(Clone)]
struct Sealer {
    key: GossipKey,
    aad: Arc<Vec<u8>>,
    rng: SystemRandom,
}

impl Sealer {
    fn seal(&self, plain: &[u8]) -> Option<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).ok()?;
        let mut out = Vec::with_capacity(NONCE_LEN + plain.len() + 16);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plain);
        let mut body = out.split_off(NONCE_LEN);
        self.key
            .0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(self.aad.as_slice()),
                &mut body,
            )
            .ok()?;
        out.extend_from_slice(&body);
        Some(out)
    }

    fn open(&self, mut sealed: Vec<u8>) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN + 16 {
            return None;
        }
        let nonce = Nonce::try_assume_unique_for_key(&sealed[..NONCE_LEN]).ok()?;
        let n = self
            .key
            .0
            .open_in_place(
                nonce,
                Aad::from(self.aad.as_slice()),
                &mut sealed[NONCE_LEN..],
            )
            .ok()?
            .len();
        sealed.copy_within(NONCE_LEN..NONCE_LEN + n, 0);
        sealed.truncate(n);
        Some(sealed)
    }
}

/// Splits a sealed message into datagrams.
fn fragments(id: u32, sealed: &[u8]) -> Vec<Vec<u8>> {
    let chunks: Vec<&[u8]> = sealed.chunks(FRAGMENT).collect();
    let count = chunks.len() as u8;
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let mut d = Vec::with_capacity(HEADER + c.len());
            d.extend_from_slice(MAGIC);
            d.extend_from_slice(&id.to_be_bytes());
            d.push(i as u8);
            d.push(count);
            d.extend_from_slice(c);
            d
        })
        .collect()
}

/// The fragments of a message received so far, and when the first came.
type Partial = (Instant, Vec<Option<Vec<u8>>>);

/// Messages being put back together, by sender and message id.
#[derive(Default)]
struct Reassembly {
    partial: HashMap<(SocketAddr, u32), Partial>,
}

impl Reassembly {
    /// Takes a datagram; returns the sealed message once complete, or why
    /// the datagram is refused.
    fn take(&mut self, from: SocketAddr, d: &[u8]) -> Result<Option<Vec<u8>>, &'static str> {
        if d.len() < HEADER || &d[..2] != MAGIC {
            return Err("not a sealed gossip datagram");
        }
        let id = u32::from_be_bytes([d[2], d[3], d[4], d[5]]);
        let (index, count) = (d[6] as usize, d[7] as usize);
        if count == 0 || index >= count || count * FRAGMENT > MAX_SEALED + FRAGMENT {
            return Err("bad fragment header");
        }
        let body = &d[HEADER..];
        if count == 1 {
            return Ok(Some(body.to_vec()));
        }
        let now = Instant::now();
        self.partial
            .retain(|_, (at, _)| now.duration_since(*at) < REASSEMBLY_TIMEOUT);
        if self.partial.len() >= REASSEMBLY_SLOTS
            && !self.partial.contains_key(&(from, id))
            && let Some(oldest) = self
                .partial
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(k, _)| *k)
        {
            self.partial.remove(&oldest);
        }
        let (_, parts) = self
            .partial
            .entry((from, id))
            .or_insert_with(|| (now, vec![None; count]));
        if parts.len() != count {
            return Err("fragment count changed");
        }
        parts[index] = Some(body.to_vec());
        if parts.iter().all(Option::is_some) {
            let parts = self
                .partial
                .remove(&(from, id))
                .map(|(_, p)| p)
                .unwrap_or_default();
            return Ok(Some(parts.into_iter().flatten().flatten().collect()));
        }
        Ok(None)
    }
}

/// The relays: which loopback socket stands for which peer.
#[derive(Default)]
struct Relays {
    by_peer: HashMap<SocketAddr, Relay>,
    by_local: HashMap<SocketAddr, SocketAddr>,
}

/// The loopback socket standing for one peer, and its sending task.
struct Relay {
    socket: Arc<TokioUdp>,
    local: SocketAddr,
    last_used: Instant,
    task: tokio::task::JoinHandle<()>,
}

/// A relay unused this long is closed (peers come and go with new
/// addresses; a peer heard of again gets a new relay).
const RELAY_IDLE: Duration = Duration::from_secs(600);

impl Relays {
    /// Closes the relays unused since `before`; returns how many.
    fn close_idle(&mut self, before: Instant) -> usize {
        let idle: Vec<SocketAddr> = self
            .by_peer
            .iter()
            .filter(|(_, r)| r.last_used < before)
            .map(|(p, _)| *p)
            .collect();
        for p in &idle {
            if let Some(r) = self.by_peer.remove(p) {
                r.task.abort();
                self.by_local.remove(&r.local);
            }
        }
        idle.len()
    }
}

struct Shared {
    sealer: Sealer,
    public: Arc<TokioUdp>,
    /// chitchat's loopback socket.
    inner_addr: SocketAddr,
    relays: Mutex<Relays>,
    rejected: Counter,
    next_id: std::sync::atomic::AtomicU32,
    /// When a refused datagram from an address was last logged.
    logged: Mutex<HashMap<IpAddr, Instant>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn refuse(&self, from: SocketAddr, why: &str) {
        self.rejected.inc();
        let mut logged = lock(&self.logged);
        let now = Instant::now();
        let due = logged
            .get(&from.ip())
            .is_none_or(|at| now.duration_since(*at) > Duration::from_secs(60));
        if due {
            logged.insert(from.ip(), now);
            tracing::warn!(
                from = %from,
                why,
                "Refused gossip from a peer without the cluster's gossip key"
            );
        }
    }

    /// The relay standing for `peer`, made on first use.
    async fn relay(self: &Arc<Self>, peer: SocketAddr) -> std::io::Result<Arc<TokioUdp>> {
        if let Some(r) = lock(&self.relays).by_peer.get_mut(&peer) {
            r.last_used = Instant::now();
            return Ok(r.socket.clone());
        }
        let socket = Arc::new(TokioUdp::bind((Ipv4Addr::LOCALHOST, 0)).await?);
        let local = socket.local_addr()?;
        let mut relays = lock(&self.relays);
        if let Some(r) = relays.by_peer.get_mut(&peer) {
            r.last_used = Instant::now();
            return Ok(r.socket.clone());
        }
        // What chitchat sends to `peer`: sealed and sent on.
        let shared = self.clone();
        let relay = socket.clone();
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 65_536];
            loop {
                let (n, from) = match relay.recv_from(&mut buf).await {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::debug!(err = %e, "gossip relay receive");
                        continue;
                    }
                };
                if from != shared.inner_addr {
                    continue;
                }
                let Some(sealed) = shared.sealer.seal(&buf[..n]) else {
                    tracing::error!("Cannot seal a gossip message");
                    continue;
                };
                let id = shared
                    .next_id
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                for d in fragments(id, &sealed) {
                    if let Err(e) = shared.public.send_to(&d, peer).await {
                        tracing::debug!(peer = %peer, err = %e, "gossip send");
                    }
                }
            }
        });
        relays.by_peer.insert(
            peer,
            Relay {
                socket: socket.clone(),
                local,
                last_used: Instant::now(),
                task,
            },
        );
        relays.by_local.insert(local, peer);
        Ok(socket)
    }
}

/// chitchat's transport when a gossip key is set (see the module
/// documentation).
pub struct SealedTransport {
    pub key: GossipKey,
    pub label: String,
    /// Datagrams refused (`tocsin_cluster_gossip_refused_total`).
    pub rejected: Counter,
}

#[async_trait]
impl Transport for SealedTransport {
    async fn open(&self, listen_addr: SocketAddr) -> anyhow::Result<Box<dyn Socket>> {
        let public =
            Arc::new(TokioUdp::bind(listen_addr).await.map_err(|e| {
                anyhow::anyhow!("failed to bind to {listen_addr}/UDP for gossip: {e}")
            })?);
        let inner = UdpSocket::open(SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0)).await?;
        let inner_addr = inner.local_addr()?;
        let mut aad = b"tocsin-gossip-v1\0".to_vec();
        aad.extend_from_slice(self.label.as_bytes());
        let shared = Arc::new(Shared {
            sealer: Sealer {
                key: self.key.clone(),
                aad: Arc::new(aad),
                rng: SystemRandom::new(),
            },
            public: public.clone(),
            inner_addr,
            relays: Mutex::new(Relays::default()),
            rejected: self.rejected.clone(),
            next_id: std::sync::atomic::AtomicU32::new(0),
            logged: Mutex::new(HashMap::new()),
        });
        // What peers send: opened and handed to chitchat by the relay
        // standing for the sender.
        let reader = shared.clone();
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 65_536];
            let mut reassembly = Reassembly::default();
            loop {
                let (n, from) = match reader.public.recv_from(&mut buf).await {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::debug!(err = %e, "gossip receive");
                        continue;
                    }
                };
                let sealed = match reassembly.take(from, &buf[..n]) {
                    Ok(Some(s)) => s,
                    Ok(None) => continue,
                    Err(why) => {
                        reader.refuse(from, why);
                        continue;
                    }
                };
                let Some(plain) = reader.sealer.open(sealed) else {
                    reader.refuse(from, "cannot be opened with this cluster's key and label");
                    continue;
                };
                match reader.relay(from).await {
                    Ok(relay) => {
                        if let Err(e) = relay.send_to(&plain, reader.inner_addr).await {
                            tracing::debug!(err = %e, "gossip relay send");
                        }
                    }
                    Err(e) => tracing::error!(err = %e, "Cannot open a gossip relay socket"),
                }
            }
        });
        // Relays of peers gone quiet are closed.
        let janitor = {
            let shared = shared.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(60));
                loop {
                    tick.tick().await;
                    let Some(before) = Instant::now().checked_sub(RELAY_IDLE) else {
                        continue;
                    };
                    let closed = lock(&shared.relays).close_idle(before);
                    if closed > 0 {
                        tracing::debug!(closed, "closed idle gossip relays");
                    }
                }
            })
        };
        Ok(Box::new(SealedSocket {
            inner,
            shared,
            _reader: AbortOnDrop(task),
            _janitor: AbortOnDrop(janitor),
        }))
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

struct SealedSocket {
    inner: UdpSocket,
    shared: Arc<Shared>,
    _reader: AbortOnDrop,
    _janitor: AbortOnDrop,
}

impl Drop for SealedSocket {
    fn drop(&mut self) {
        // The relays' tasks hold the shared state: stop them with the socket.
        let mut relays = lock(&self.shared.relays);
        for (_, r) in relays.by_peer.drain() {
            r.task.abort();
        }
        relays.by_local.clear();
    }
}

#[async_trait]
impl Socket for SealedSocket {
    fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.shared.public.local_addr()?)
    }

    async fn send(
        &mut self,
        to: SocketAddr,
        envelope: ChitchatEnvelope,
    ) -> anyhow::Result<SendOutcome> {
        let relay = self.shared.relay(to).await?;
        self.inner.send(relay.local_addr()?, envelope).await
    }

    async fn recv(&mut self) -> anyhow::Result<RecvOutcome> {
        loop {
            let mut got = self.inner.recv().await?;
            let peer = lock(&self.shared.relays)
                .by_local
                .get(&got.from_addr)
                .copied();
            // Only the relays speak to chitchat's socket.
            if let Some(peer) = peer {
                got.from_addr = peer;
                return Ok(got);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> GossipKey {
        GossipKey::parse(&base64::engine::general_purpose::STANDARD.encode([b; 32])).unwrap()
    }

    fn sealer(k: GossipKey, label: &str) -> Sealer {
        Sealer {
            key: k,
            aad: Arc::new(label.as_bytes().to_vec()),
            rng: SystemRandom::new(),
        }
    }

    #[test]
    fn keys_are_32_bytes_of_base64_and_never_echoed() {
        assert!(
            GossipKey::parse("c2hvcnQ=")
                .unwrap_err()
                .contains("32 bytes, it is 5")
        );
        let e = GossipKey::parse("not base64 at all!").unwrap_err();
        assert!(e.contains("not base64") && !e.contains("at all"), "{e}");
        assert!(format!("{:?}", key(1)).contains("<secret>"));
    }

    #[test]
    fn only_the_same_key_and_label_open_a_message() {
        let plain = b"a chitchat message".to_vec();
        let s = sealer(key(1), "a");
        let sealed = s.seal(&plain).unwrap();
        assert!(!sealed.windows(plain.len()).any(|w| w == plain.as_slice()));
        assert_eq!(s.open(sealed.clone()).unwrap(), plain);
        assert!(sealer(key(2), "a").open(sealed.clone()).is_none());
        assert!(sealer(key(1), "b").open(sealed.clone()).is_none());
        let mut tampered = sealed;
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(s.open(tampered).is_none());
    }

    /// Relays unused for a while are closed, with their tasks; the others
    /// stay.
    #[tokio::test]
    async fn idle_relays_are_closed() {
        let mut relays = Relays::default();
        let now = Instant::now();
        for (i, age) in [(1u16, 700u64), (2, 10)] {
            let socket = Arc::new(TokioUdp::bind("127.0.0.1:0").await.unwrap());
            let local = socket.local_addr().unwrap();
            let peer: SocketAddr = format!("10.0.0.{i}:9094").parse().unwrap();
            relays.by_local.insert(local, peer);
            relays.by_peer.insert(
                peer,
                Relay {
                    socket,
                    local,
                    last_used: now - Duration::from_secs(age),
                    task: tokio::spawn(std::future::pending()),
                },
            );
        }
        assert_eq!(relays.close_idle(now - RELAY_IDLE), 1);
        assert_eq!(relays.by_peer.len(), 1);
        assert_eq!(relays.by_local.len(), 1);
        assert!(
            relays
                .by_peer
                .contains_key(&"10.0.0.2:9094".parse().unwrap())
        );
    }

    #[test]
    fn large_messages_travel_in_fragments_and_are_put_back_together() {
        let s = sealer(key(1), "");
        let plain: Vec<u8> = (0..65_507u32).map(|i| (i % 251) as u8).collect();
        let sealed = s.seal(&plain).unwrap();
        let ds = fragments(7, &sealed);
        assert_eq!(ds.len(), 2);
        assert!(ds.iter().all(|d| d.len() <= 65_507));
        let from: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let mut r = Reassembly::default();
        // Out of order, with another sender's fragment in between.
        assert_eq!(r.take(from, &ds[1]).unwrap(), None);
        let other: SocketAddr = "127.0.0.1:2".parse().unwrap();
        assert_eq!(r.take(other, &ds[0]).unwrap(), None);
        let whole = r.take(from, &ds[0]).unwrap().unwrap();
        assert_eq!(s.open(whole).unwrap(), plain);
        assert!(r.take(from, b"plain chitchat bytes").is_err());
    }
}
