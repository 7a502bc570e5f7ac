//! Public chart links: each chart kept for `--graph.link-ttl` under an id
//! that is a random nonce and an expiry signed with HMAC-SHA256 under a key
//! drawn at start. An id that was not issued by this process, was altered,
//! or has expired is refused before any lookup; charts are kept in memory
//! (at most [`MAX_BYTES`]), so links last until the expiry or a restart —
//! Slack fetches and caches the image when the message is posted.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

/// The most PNG bytes kept for public links.
pub const MAX_BYTES: u64 = 64 << 20;

const NONCE: usize = 16;
const PAYLOAD: usize = 8 + NONCE;
const TAG: usize = 32;

/// Charts reachable by signed id.
pub struct PublicCharts {
    key: hmac::Key,
    rng: SystemRandom,
    ttl: Duration,
    charts: moka::future::Cache<String, Arc<Vec<u8>>>,
}

impl PublicCharts {
    pub fn new(ttl: Duration) -> Result<PublicCharts, String> {
        let rng = SystemRandom::new();
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &rng)
            .map_err(|_| "no randomness for the chart link key".to_string())?;
        Ok(PublicCharts {
            key,
            rng,
            ttl,
            charts: moka::future::Cache::builder()
                .max_capacity(MAX_BYTES)
                .weigher(|_: &String, v: &Arc<Vec<u8>>| v.len().try_into().unwrap_or(u32::MAX))
                .time_to_live(ttl)
                .build(),
        })
    }

    /// Keeps `png` and returns its id.
    pub async fn insert(&self, png: Arc<Vec<u8>>) -> String {
        let expires = now_secs() + self.ttl.as_secs();
        let id = self.sign(expires);
        self.charts.insert(id.clone(), png).await;
        id
    }

    /// The chart of a genuine, unexpired id.
    pub async fn get(&self, id: &str) -> Option<Arc<Vec<u8>>> {
        let expires = self.verify(id)?;
        if expires <= now_secs() {
            return None;
        }
        self.charts.get(id).await
    }

    fn sign(&self, expires: u64) -> String {
        let mut raw = [0u8; PAYLOAD + TAG];
        raw[..8].copy_from_slice(&expires.to_be_bytes());
        // A failing system RNG leaves a zero nonce: the id is still
        // unforgeable (the key is secret), only no longer unguessable
        // among this second's charts.
        let _ = self.rng.fill(&mut raw[8..PAYLOAD]);
        let tag = hmac::sign(&self.key, &raw[..PAYLOAD]);
        raw[PAYLOAD..].copy_from_slice(tag.as_ref());
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The expiry of an id signed with this key.
    fn verify(&self, id: &str) -> Option<u64> {
        let raw = URL_SAFE_NO_PAD.decode(id).ok()?;
        if raw.len() != PAYLOAD + TAG {
            return None;
        }
        hmac::verify(&self.key, &raw[..PAYLOAD], &raw[PAYLOAD..]).ok()?;
        Some(u64::from_be_bytes(raw[..8].try_into().ok()?))
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_issued_unexpired_ids_are_served() {
        let p = PublicCharts::new(Duration::from_secs(60)).unwrap();
        let png = Arc::new(vec![1, 2, 3]);
        let id = p.insert(png.clone()).await;
        assert_eq!(p.get(&id).await, Some(png));
        // Tampered: every single-character change is refused.
        for i in 0..id.len() {
            let mut chars: Vec<char> = id.chars().collect();
            chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
            let bad: String = chars.into_iter().collect();
            assert_eq!(p.get(&bad).await, None, "{bad}");
        }
        assert_eq!(p.get("").await, None);
        assert_eq!(p.get("not-base64!").await, None);
        // Signed by another process (another key).
        let other = PublicCharts::new(Duration::from_secs(60)).unwrap();
        let foreign = other.insert(Arc::new(vec![9])).await;
        assert_eq!(p.get(&foreign).await, None);
        // Expired: a genuine signature with a past expiry.
        let old = p.sign(now_secs() - 1);
        p.charts.insert(old.clone(), Arc::new(vec![4])).await;
        assert_eq!(p.get(&old).await, None);
    }
}
