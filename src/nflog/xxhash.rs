//! XXH64, the 64-bit xxHash, which Alertmanager uses (seed 0, through
//! `github.com/cespare/xxhash/v2`) to identify alerts in the notification
//! log. Peers exchange these hashes, so ours must be bit-identical.
//!
//! [`xxh64`] hashes a byte slice in one go; [`Xxh64`] takes the input in
//! pieces (and is a [`std::hash::Hasher`]), giving the same result for any
//! split, so callers can hash a label set without building a buffer.

use std::hash::Hasher;

const P1: u64 = 0x9E37_79B1_85EB_CA87;
const P2: u64 = 0xC2B2_AE3D_27D4_EB4F;
const P3: u64 = 0x1656_67B1_9E37_79F9;
const P4: u64 = 0x85EB_CA77_C2B2_AE63;
const P5: u64 = 0x27D4_EB2F_1656_67C5;

/// Bytes consumed per step by the four accumulators.
const STRIPE: usize = 32;

/// The XXH64 of `data` with `seed` (Alertmanager uses seed 0).
pub fn xxh64(data: &[u8], seed: u64) -> u64 {
    let mut h = Xxh64::with_seed(seed);
    h.update(data);
    h.digest()
}

fn read_u64(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().expect("8 bytes"))
}

fn read_u32(b: &[u8]) -> u32 {
    u32::from_le_bytes(b[..4].try_into().expect("4 bytes"))
}

/// One accumulator step over an 8-byte lane.
fn round(acc: u64, lane: u64) -> u64 {
    acc.wrapping_add(lane.wrapping_mul(P2))
        .rotate_left(31)
        .wrapping_mul(P1)
}

/// Folds accumulator `v` into the result `h` after the stripes.
fn merge_round(h: u64, v: u64) -> u64 {
    (h ^ round(0, v)).wrapping_mul(P1).wrapping_add(P4)
}

/// Streaming XXH64 state.
#[derive(Clone, Debug)]
pub struct Xxh64 {
    seed: u64,
    acc: [u64; 4],
    /// Input not yet consumed as a full stripe (`buf[..buffered]`).
    buf: [u8; STRIPE],
    buffered: usize,
    total_len: u64,
}

impl Default for Xxh64 {
    fn default() -> Self {
        Xxh64::new()
    }
}

impl Xxh64 {
    /// A hasher with seed 0, like Go's `xxhash.New()`.
    pub fn new() -> Xxh64 {
        Xxh64::with_seed(0)
    }

    pub fn with_seed(seed: u64) -> Xxh64 {
        Xxh64 {
            seed,
            acc: [
                seed.wrapping_add(P1).wrapping_add(P2),
                seed.wrapping_add(P2),
                seed,
                seed.wrapping_sub(P1),
            ],
            buf: [0; STRIPE],
            buffered: 0,
            total_len: 0,
        }
    }

    fn stripe(&mut self, s: &[u8]) {
        for (i, acc) in self.acc.iter_mut().enumerate() {
            *acc = round(*acc, read_u64(&s[i * 8..]));
        }
    }

    /// Adds `data` to the input.
    pub fn update(&mut self, mut data: &[u8]) {
        self.total_len = self.total_len.wrapping_add(data.len() as u64);
        if self.buffered > 0 {
            let take = (STRIPE - self.buffered).min(data.len());
            self.buf[self.buffered..self.buffered + take].copy_from_slice(&data[..take]);
            self.buffered += take;
            data = &data[take..];
            if self.buffered < STRIPE {
                return;
            }
            let buf = self.buf;
            self.stripe(&buf);
            self.buffered = 0;
        }
        let mut chunks = data.chunks_exact(STRIPE);
        for s in &mut chunks {
            self.stripe(s);
        }
        let rest = chunks.remainder();
        self.buf[..rest.len()].copy_from_slice(rest);
        self.buffered = rest.len();
    }

    /// The hash of everything added so far (the state is unchanged).
    pub fn digest(&self) -> u64 {
        let mut h = if self.total_len >= STRIPE as u64 {
            let [v1, v2, v3, v4] = self.acc;
            let mut h = v1
                .rotate_left(1)
                .wrapping_add(v2.rotate_left(7))
                .wrapping_add(v3.rotate_left(12))
                .wrapping_add(v4.rotate_left(18));
            for v in self.acc {
                h = merge_round(h, v);
            }
            h
        } else {
            self.seed.wrapping_add(P5)
        };
        h = h.wrapping_add(self.total_len);

        let mut tail = &self.buf[..self.buffered];
        while tail.len() >= 8 {
            h ^= round(0, read_u64(tail));
            h = h.rotate_left(27).wrapping_mul(P1).wrapping_add(P4);
            tail = &tail[8..];
        }
        if tail.len() >= 4 {
            h ^= u64::from(read_u32(tail)).wrapping_mul(P1);
            h = h.rotate_left(23).wrapping_mul(P2).wrapping_add(P3);
            tail = &tail[4..];
        }
        for &b in tail {
            h ^= u64::from(b).wrapping_mul(P5);
            h = h.rotate_left(11).wrapping_mul(P1);
        }

        h ^= h >> 33;
        h = h.wrapping_mul(P2);
        h ^= h >> 29;
        h = h.wrapping_mul(P3);
        h ^ (h >> 32)
    }
}

impl Hasher for Xxh64 {
    fn write(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }

    fn finish(&self) -> u64 {
        self.digest()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The buffer of the reference sanity check in xxHash's `xxhsum`: byte
    /// `i` is the top byte of `g`, then `g = g * g` (32-bit), from
    /// `g = 2654435761`.
    fn sanity_buffer() -> Vec<u8> {
        let mut g: u32 = 2_654_435_761;
        (0..101)
            .map(|_| {
                let b = (g >> 24) as u8;
                g = g.wrapping_mul(g);
                b
            })
            .collect()
    }

    /// Every way of feeding `data` (one piece, bytes one by one, pieces of
    /// each size up to 40) gives `want`.
    fn check(data: &[u8], seed: u64, want: u64) {
        assert_eq!(xxh64(data, seed), want, "one-shot, len {}", data.len());
        for piece in 1..=40 {
            let mut h = Xxh64::with_seed(seed);
            for c in data.chunks(piece) {
                h.update(c);
            }
            assert_eq!(h.digest(), want, "len {} in pieces of {piece}", data.len());
        }
        let mut h = Xxh64::with_seed(seed);
        h.update(&[]);
        h.update(data);
        h.update(&[]);
        assert_eq!(h.finish(), want);
    }

    #[test]
    fn reference_sanity_vectors() {
        // xxhsum's own self-test (seeds 0 and 2654435761).
        let buf = sanity_buffer();
        let prime = 2_654_435_761;
        check(&[], 0, 0xEF46_DB37_51D8_E999);
        check(&[], prime, 0xAC75_FDA2_929B_17EF);
        check(&buf[..1], 0, 0x4FCE_394C_C889_52D8);
        check(&buf[..1], prime, 0x7398_40CB_819F_A723);
        check(&buf[..14], 0, 0xCFFA_8DB8_81BC_3A3D);
        check(&buf[..14], prime, 0x5B96_1158_5EFC_C9CB);
        check(&buf, 0, 0x0EAB_5433_84F8_78AD);
        check(&buf, prime, 0xCAA6_5939_306F_1E21);
    }

    /// Values printed by `testdata/xxhash_probe.go.txt` with Go's
    /// `github.com/cespare/xxhash` (the implementation Alertmanager links),
    /// for inputs of every length class: byte `i` of the input is `i*7+3`.
    #[test]
    fn matches_go_cespare_xxhash() {
        let seq: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        let cases: [(usize, u64); 25] = [
            (0, 0xef46db3751d8e999),
            (1, 0x1f25c8d0bc1f4bb6),
            (3, 0x31d2363f52e564c9),
            (4, 0x9bb64b7d66ee9fda),
            (5, 0xc7608efddb7051fe),
            (7, 0x9a7b149959ce60d8),
            (8, 0xdab99d95c6f90092),
            (9, 0x170bb6bf975b4c02),
            (12, 0xd52e407833af5133),
            (15, 0x1b47cb8243cc8e32),
            (16, 0x434850232b787be2),
            (31, 0xa2aa5f33cc4a6119),
            (32, 0x23c3c17ef790fd97),
            (33, 0x50a7cfc7ba588784),
            (35, 0xa5b3456011d2913b),
            (36, 0xc0b52b0dcc5e3f7f),
            (40, 0xb620306b253d76b6),
            (63, 0x5e3e54b431c7493c),
            (64, 0x0eb64b3ef6eeb01f),
            (65, 0xa383b724b2bd12f1),
            (100, 0xa61f8d4c170fe531),
            (127, 0x0c2b3713c3edbeb3),
            (128, 0x46fbcfbf0150793f),
            (255, 0x39ae55a29989206f),
            (300, 0x240004dbee0ba6dc),
        ];
        for (n, want) in cases {
            check(&seq[..n], 0, want);
        }
        for (s, want) in [
            ("a", 0xd24ec4f1a98c6e5b),
            ("abc", 0x44bc2cf5ad770999),
            (
                "Nobody inspects the spammish repetition",
                0xfbcea83c8a378bf1,
            ),
            (
                "The quick brown fox jumps over the lazy dog",
                0x0b242d361fda71bc,
            ),
        ] {
            check(s.as_bytes(), 0, want);
        }
    }

    #[test]
    fn digest_does_not_consume_the_state() {
        let mut h = Xxh64::new();
        h.update(b"abc");
        assert_eq!(h.digest(), h.digest());
        h.update(b"def");
        assert_eq!(h.digest(), xxh64(b"abcdef", 0));
    }
}
