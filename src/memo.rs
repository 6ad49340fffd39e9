//! The memo layer: content keys and the caches keyed by them, at the bottom of the crate
//! (it imports nothing from it). Each stage owns its caches next to its code
//! (`parse::ParseCache`, `typeset::TypesetCache`, `epub::EpubCache`, `pdf::PdfCache`) and
//! `build::BuildCache` only composes them.
//!
//! The promise a stage makes with a [`ContentCache`]: a key is a 128-bit hash of EVERY
//! input that determines the value (its own content and the context it was made in:
//! fonts, style, language, hyphenation), never of a position, so a cached value is exactly
//! what a clean build computes and an incremental build's outputs are byte-identical to a
//! clean build's (tested in `tests/incremental.rs`). Keys hash values through `Hash`
//! (floats by their bits), never through their `Debug` form.
//!
//! Each cache keeps two generations: entries used (or made) by the current build, and
//! those of the previous build. [`ContentCache::finish`] drops the entries the last build
//! did not use, so memory stays bounded by about one build's results across edits.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};

/// A 128-bit content key (XXH3-128: at 128 bits an accidental collision between two of
/// the few million keys of a session is out of the question; the inputs are the user's
/// own manuscript, so no adversary chooses them).
pub type Key = (u64, u64);

/// Hashes everything written to it into a [`Key`]; feed it with `Hash` or `fmt::Write`.
#[derive(Clone)]
pub struct KeyHasher {
    state: xxhash_rust::xxh3::Xxh3Default,
}

impl Default for KeyHasher {
    fn default() -> Self {
        // The default secret and no seed: keys are stable within a process (they never
        // leave it).
        KeyHasher {
            state: xxhash_rust::xxh3::Xxh3Default::new(),
        }
    }
}

impl KeyHasher {
    /// Adds bytes.
    pub fn bytes(&mut self, bytes: &[u8]) {
        self.state.update(bytes);
    }

    /// Adds any hashable value.
    pub fn add<T: Hash + ?Sized>(&mut self, value: &T) {
        value.hash(&mut self.state);
    }

    /// The key.
    pub fn key(&self) -> Key {
        split(self.state.digest128())
    }
}

fn split(hash: u128) -> Key {
    ((hash >> 64) as u64, hash as u64)
}

impl std::fmt::Write for KeyHasher {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.bytes(s.as_bytes());
        Ok(())
    }
}

/// The key of one byte string.
pub fn key_of_bytes(bytes: &[u8]) -> Key {
    split(xxhash_rust::xxh3::xxh3_128(bytes))
}

/// Hit and miss counts of one build.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Results found.
    pub hits: usize,
    /// Results computed (and stored).
    pub misses: usize,
}

struct Generations<V> {
    current: HashMap<Key, Arc<V>>,
    previous: HashMap<Key, Arc<V>>,
    stats: CacheStats,
}

/// One content-keyed cache, shareable between threads (`&self` everywhere).
pub struct ContentCache<V> {
    inner: Mutex<Generations<V>>,
}

impl<V> Default for ContentCache<V> {
    fn default() -> Self {
        ContentCache {
            inner: Mutex::new(Generations {
                current: HashMap::new(),
                previous: HashMap::new(),
                stats: CacheStats::default(),
            }),
        }
    }
}

impl<V> ContentCache<V> {
    fn lock(&self) -> MutexGuard<'_, Generations<V>> {
        // A panic while holding the lock leaves whole maps behind (inserts are atomic).
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The value for `key`, computed by `make` when it is not cached. `make` runs without
    /// the lock held, so threads compute in parallel.
    pub fn get_or_make(&self, key: Key, make: impl FnOnce() -> V) -> Arc<V> {
        {
            let mut g = self.lock();
            if let Some(v) = g.current.get(&key).cloned() {
                g.stats.hits += 1;
                return v;
            }
            if let Some(v) = g.previous.remove(&key) {
                g.stats.hits += 1;
                g.current.insert(key, v.clone());
                return v;
            }
        }
        let v = Arc::new(make());
        let mut g = self.lock();
        g.stats.misses += 1;
        g.current.entry(key).or_insert(v).clone()
    }

    /// The value for `key` if it is cached (for values whose making can fail: see
    /// [`ContentCache::insert`]).
    pub fn get(&self, key: Key) -> Option<Arc<V>> {
        let mut g = self.lock();
        if let Some(v) = g.current.get(&key).cloned() {
            g.stats.hits += 1;
            return Some(v);
        }
        let v = g.previous.remove(&key)?;
        g.stats.hits += 1;
        g.current.insert(key, v.clone());
        Some(v)
    }

    /// Stores a value made after [`ContentCache::get`] found none.
    pub fn insert(&self, key: Key, value: V) -> Arc<V> {
        let mut g = self.lock();
        g.stats.misses += 1;
        g.current.entry(key).or_insert(Arc::new(value)).clone()
    }

    /// Ends a build: what it did not use is dropped; returns its counts and resets them.
    pub fn finish(&self) -> CacheStats {
        let mut g = self.lock();
        let current = std::mem::take(&mut g.current);
        g.previous = current;
        std::mem::take(&mut g.stats)
    }

    /// Forgets everything.
    pub fn clear(&self) {
        let mut g = self.lock();
        g.current.clear();
        g.previous.clear();
    }

    /// Number of stored entries.
    pub fn len(&self) -> usize {
        let g = self.lock();
        g.current.len() + g.previous.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Counts of something that either happened (a hit) or did not (a miss) in one build.
#[derive(Default)]
pub struct Counter(Mutex<CacheStats>);

impl Counter {
    /// Counts a hit.
    pub fn hit(&self) {
        if let Ok(mut s) = self.0.lock() {
            s.hits += 1;
        }
    }

    /// Counts a miss.
    pub fn miss(&self) {
        if let Ok(mut s) = self.0.lock() {
            s.misses += 1;
        }
    }

    /// The counts since the last call, reset.
    pub fn finish(&self) -> CacheStats {
        self.0
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn unused_entries_are_dropped_after_one_build() {
        let c: ContentCache<u32> = ContentCache::default();
        let (a, b) = (key_of_bytes(b"a"), key_of_bytes(b"b"));
        assert_eq!(*c.get_or_make(a, || 1), 1);
        assert_eq!(*c.get_or_make(b, || 2), 2);
        assert_eq!(c.finish(), CacheStats { hits: 0, misses: 2 });
        assert_eq!(*c.get_or_make(a, || 9), 1);
        assert_eq!(c.finish(), CacheStats { hits: 1, misses: 0 });
        // b was not used in the last build: gone.
        assert_eq!(*c.get_or_make(b, || 3), 3);
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn keys_depend_on_content() {
        assert_ne!(key_of_bytes(b"word"), key_of_bytes(b"ward"));
        assert_eq!(key_of_bytes(b"word"), key_of_bytes(b"word"));
    }
}
