//! A cheap, unkeyed hasher for tables whose keys no client chooses.

use std::hash::{BuildHasherDefault, Hasher};

/// Mixes 8 bytes at a time, then avalanches. Unkeyed: use it only where no client picks the
/// keys that go into a table (pool ids in [`MemoryStore`](super::MemoryStore), the pools and
/// clients a [`StaticDirectory`](super::StaticDirectory) is given at start-up). A lookup of a
/// chosen key in a table nobody else fills costs what the table's layout allows, whatever the
/// key; the keys a client chooses (usernames, aliases) stay under SipHash with random keys.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mix(u64);

impl Default for Mix {
    fn default() -> Self {
        Self(0x243f_6a88_85a3_08d3)
    }
}

/// A `HashMap` hasher of [`Mix`]es.
pub(crate) type BuildMix = BuildHasherDefault<Mix>;

impl Hasher for Mix {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0 ^ u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            if let Some(to) = word.get_mut(..chunk.len()) {
                to.copy_from_slice(chunk);
            }
            h = (h ^ u64::from_le_bytes(word))
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .rotate_left(29);
        }
        self.0 = h;
    }

    fn finish(&self) -> u64 {
        let h = (self.0 ^ self.0.wrapping_shr(33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ h.wrapping_shr(33)
    }
}

/// The [`Mix`] of `bytes`.
pub(crate) fn mix(bytes: &[u8]) -> u64 {
    let mut m = Mix::default();
    m.write(bytes);
    m.finish()
}

#[cfg(test)]
mod tests {
    use super::mix;

    #[test]
    fn every_byte_and_the_length_count() {
        let base = mix(b"us-east-1_Example");
        assert_eq!(base, mix(b"us-east-1_Example"));
        assert_ne!(base, mix(b"us-east-1_Examplf"));
        assert_ne!(base, mix(b"us-east-1_Example\0"));
        assert_ne!(mix(b""), mix(b"\0"));
        // Both halves move: the table's buckets use the low bits, its tags and shards the high.
        let other = mix(b"us-east-1_Exbmple");
        assert_ne!(base & 0xffff, other & 0xffff);
        assert_ne!(base >> 48, other >> 48);
    }
}
