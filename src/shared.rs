//! [`SharedStr`]: an immutable string that shares its bytes, so that a store can hand out the
//! strings of a record without copying them.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, Range};
use std::sync::Arc;

/// An immutable string whose bytes are shared: a range of an `Arc<str>`. Cloning it (and
/// making one from a range of a text already shared) allocates nothing, which is how
/// [`MemoryStore`](crate::MemoryStore) hands out a record's username, `sub` and email from the
/// one text it keeps them in.
///
/// It reads as a `str` (it dereferences to one) and compares, orders and hashes as the `str`
/// it holds, whatever text it shares. Make one from a `String` or a `&str` with `.into()`.
///
/// ```
/// # use cognito_signup::user::SharedStr;
/// # use std::sync::Arc;
/// let text: Arc<str> = Arc::from("subalice");
/// let name = SharedStr::share(&text, 3..8).unwrap();
/// assert_eq!(name, "alice");
/// assert_eq!(name, SharedStr::from("alice"));
/// assert_eq!(SharedStr::share(&text, 3..9), None, "past the end");
/// ```
#[derive(Clone)]
pub struct SharedStr {
    /// The whole of it when `end` is [`WHOLE`] (a string of any length), else `start..end`.
    text: Arc<str>,
    start: u32,
    end: u32,
}

/// `end` of a value that is the whole of its text.
const WHOLE: u32 = u32::MAX;

impl SharedStr {
    /// The bytes `range` of `text`, sharing them: `None` when the range is out of bounds or
    /// does not fall on character boundaries, or ends 4 GiB or more into the text.
    #[must_use]
    pub fn share(text: &Arc<str>, range: Range<usize>) -> Option<Self> {
        text.get(range.clone())?;
        let end = u32::try_from(range.end).ok().filter(|&end| end != WHOLE)?;
        Some(Self {
            text: Arc::clone(text),
            start: u32::try_from(range.start).ok()?,
            end,
        })
    }

    /// The string.
    #[must_use]
    #[inline]
    pub fn as_str(&self) -> &str {
        // The range was checked when the value was made, and the text never changes.
        let start = self.start as usize;
        match self.end {
            WHOLE => self.text.get(start..),
            end => self.text.get(start..end as usize),
        }
        .unwrap_or_default()
    }
}

impl Default for SharedStr {
    fn default() -> Self {
        Self::from("")
    }
}

impl Deref for SharedStr {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<Arc<str>> for SharedStr {
    fn from(text: Arc<str>) -> Self {
        Self {
            text,
            start: 0,
            end: WHOLE,
        }
    }
}

impl From<&str> for SharedStr {
    fn from(s: &str) -> Self {
        Self::from(Arc::<str>::from(s))
    }
}

impl From<String> for SharedStr {
    fn from(s: String) -> Self {
        Self::from(Arc::<str>::from(s))
    }
}

impl From<&String> for SharedStr {
    fn from(s: &String) -> Self {
        Self::from(s.as_str())
    }
}

impl From<SharedStr> for String {
    fn from(s: SharedStr) -> Self {
        s.as_str().to_owned()
    }
}

impl PartialEq for SharedStr {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for SharedStr {}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for SharedStr {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<SharedStr> for str {
    fn eq(&self, other: &SharedStr) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<SharedStr> for &str {
    fn eq(&self, other: &SharedStr) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<SharedStr> for String {
    fn eq(&self, other: &SharedStr) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialOrd for SharedStr {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SharedStr {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for SharedStr {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl Serialize for SharedStr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SharedStr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from)
    }
}

#[cfg(test)]
mod tests {
    use super::SharedStr;
    use std::collections::hash_map::DefaultHasher;
    use std::hash::{Hash, Hasher};
    use std::sync::Arc;

    fn hash(v: &impl Hash) -> u64 {
        let mut h = DefaultHasher::new();
        v.hash(&mut h);
        h.finish()
    }

    #[test]
    fn a_shared_range_reads_compares_and_hashes_as_its_str() {
        let text: Arc<str> = Arc::from("0123alice@example.com");
        let name = SharedStr::share(&text, 4..9);
        assert_eq!(name.as_ref().map(SharedStr::as_str), Some("alice"));
        let name = name.unwrap_or_default();
        assert_eq!(name, SharedStr::from("alice".to_owned()));
        assert_eq!(hash(&name), hash(&"alice"));
        assert_eq!(name.to_string(), "alice");
        assert_eq!(format!("{name:?}"), "\"alice\"");
        assert_eq!(Arc::strong_count(&text), 2, "shared, not copied");
        assert_eq!(
            serde_json::to_string(&name).ok().as_deref(),
            Some("\"alice\"")
        );
        let back: Option<SharedStr> = serde_json::from_str("\"alice\"").ok();
        assert_eq!(back, Some(name));
    }

    #[test]
    fn a_range_out_of_bounds_or_inside_a_character_is_refused() {
        let text: Arc<str> = Arc::from("aé");
        assert_eq!(SharedStr::share(&text, 0..4), None);
        assert_eq!(SharedStr::share(&text, 0..2), None, "inside 'é'");
        #[allow(clippy::reversed_empty_ranges)]
        let backwards = 2..1;
        assert_eq!(SharedStr::share(&text, backwards), None);
        assert_eq!(SharedStr::share(&text, 0..3).as_deref(), Some("aé"));
    }
}
