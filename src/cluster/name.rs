//! Peer names: a ULID, as Alertmanager names its peers when
//! `--cluster.peer-name` is not given (Tocsin keeps it in its database, so
//! that a restarted peer keeps its name and its position).

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new ULID: 48 bits of milliseconds since the epoch then 80 random
/// bits, in Crockford base32.
pub fn new_peer_name() -> String {
    let ms = chrono::Utc::now().timestamp_millis().max(0) as u128;
    let random = u128::from_be_bytes(*uuid::Uuid::new_v4().as_bytes()) & ((1u128 << 80) - 1);
    let value = (ms << 80) | random;
    (0..26)
        .rev()
        .map(|i| CROCKFORD[((value >> (i * 5)) & 31) as usize] as char)
        .collect()
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
}
