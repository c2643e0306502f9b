//! Deterministic file bytes: any byte of a synthetic recording file is a pure function of the file
//! id and the offset, so a file of several GiB is generated while it streams (never held in memory)
//! and a client can check what it received by recomputing it with [`fill`].
//!
//! The bytes are SplitMix64 words, little-endian: word `i` of a file is
//! `splitmix64(seed + (i + 1) * 0x9E3779B97F4A7C15)` where `seed` is the 64-bit FNV-1a hash of the
//! file id. Byte `n` is byte `n % 8` of word `n / 8`.

use std::convert::Infallible;

use bytes::{Bytes, BytesMut};
use futures::Stream;

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
/// The size of the chunks a stream yields: big enough for throughput, small enough for memory.
pub const CHUNK: usize = 256 * 1024;

/// The generator's seed for a file id (64-bit FNV-1a).
pub fn seed(file_id: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in file_id.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[inline]
fn word(seed: u64, index: u64) -> u64 {
    let mut z = seed.wrapping_add(index.wrapping_add(1).wrapping_mul(GOLDEN));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Fills `buf` with the bytes of file `file_id` starting at `offset`.
pub fn fill(file_id: &str, offset: u64, buf: &mut [u8]) {
    fill_seeded(seed(file_id), offset, buf);
}

/// [`fill`] with a precomputed [`seed`].
pub fn fill_seeded(seed: u64, offset: u64, buf: &mut [u8]) {
    let mut pos = offset;
    let mut i = 0;
    // Bytes before the first word boundary.
    while i < buf.len() && !pos.is_multiple_of(8) {
        buf[i] = word(seed, pos / 8).to_le_bytes()[(pos % 8) as usize];
        i += 1;
        pos += 1;
    }
    let mut index = pos / 8;
    let mut words = buf[i..].chunks_exact_mut(8);
    for chunk in &mut words {
        chunk.copy_from_slice(&word(seed, index).to_le_bytes());
        index += 1;
    }
    let rest = words.into_remainder();
    if !rest.is_empty() {
        let last = word(seed, index).to_le_bytes();
        rest.copy_from_slice(&last[..rest.len()]);
    }
}

/// The bytes `start..end` of a file, generated chunk by chunk as the receiver reads them.
pub(crate) fn stream(file_id: &str, start: u64, end: u64) -> impl Stream<Item = Result<Bytes, Infallible>> + use<> {
    let seed = seed(file_id);
    futures::stream::unfold(start, move |pos| async move {
        if pos >= end {
            return None;
        }
        let len = usize::try_from(end - pos).map_or(CHUNK, |left| left.min(CHUNK));
        let mut buf = BytesMut::zeroed(len);
        fill_seeded(seed, pos, &mut buf);
        Some((Ok(buf.freeze()), pos + len as u64))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_slice_equals_the_same_bytes_of_the_whole() {
        let mut whole = vec![0u8; 1000];
        fill("file-a", 0, &mut whole);
        for (start, len) in [(0, 1), (3, 17), (8, 8), (13, 500), (999, 1)] {
            let mut part = vec![0u8; len];
            fill("file-a", start as u64, &mut part);
            assert_eq!(part, whole[start..start + len]);
        }
        let mut other = vec![0u8; 1000];
        fill("file-b", 0, &mut other);
        assert_ne!(whole, other);
    }
}
