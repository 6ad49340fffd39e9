//! Work shared between this thread and helper threads that claim items one at a time.
//!
//! A thread spawned on this machine's kind of VM can take milliseconds before it first
//! runs (measured: 0.04–4 ms between `pthread_create` and the thread's first
//! instruction while the spawning thread keeps its core busy; a scheduler tick is
//! 4 ms). Work split into fixed halves waits for the late half; work handed out one
//! item at a time does not: the calling thread takes items too, and a helper that starts
//! late only takes fewer of them. Results come back in item order whichever thread made
//! them, so the output does not depend on the scheduling.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Helper threads at most, besides the calling thread.
const MAX_HELPERS: usize = 7;

/// `make(&mut state, item)` for every item of `items`, on this thread and on up to
/// `crate::cores() - 1` helpers (seven at most), each claiming the next unclaimed item
/// (in the order of `order`, an ordering of `items`' indices: the largest first balances
/// best); `first` runs on this thread before it claims any (the part of the work that
/// cannot move). Each thread makes its own `state` with `init` (state that is not `Send`,
/// kept from one item to the next: a word cache). The results are in `items`' order.
pub fn map_claimed<T, S, R, F>(
    items: &[T],
    order: &[usize],
    first: F,
    init: impl Fn() -> S + Sync,
    make: impl Fn(&mut S, &T) -> R + Sync,
) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: FnOnce(),
{
    // `first` is work of this thread's: a helper for each item.
    run(items, order, first, init, make, items.len())
}

/// `make(item)` for every item, in items' order (see [`map_claimed`]): the calling
/// thread and the helpers claim items first to last.
pub fn map<T: Sync, R: Send>(items: &[T], make: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let order: Vec<usize> = (0..items.len()).collect();
    // This thread takes an item itself: a helper for each other one.
    let others = items.len().saturating_sub(1);
    run(items, &order, || {}, || (), |(), item| make(item), others)
}

/// [`map_claimed`] with at most `wanted` helper threads (and no more than the other
/// cores).
fn run<T, S, R, F>(
    items: &[T],
    order: &[usize],
    first: F,
    init: impl Fn() -> S + Sync,
    make: impl Fn(&mut S, &T) -> R + Sync,
    wanted: usize,
) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: FnOnce(),
{
    let next = AtomicUsize::new(0);
    let claim = || -> Vec<(usize, R)> {
        let mut made = Vec::new();
        let mut state: Option<S> = None;
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let Some(&i) = order.get(k) else {
                return made;
            };
            let Some(item) = items.get(i) else {
                continue;
            };
            let state = state.get_or_insert_with(&init);
            made.push((i, make(state, item)));
        }
    };
    // Scoped threads are joined even when they found nothing to do, and one that has not
    // started yet is waited for (measured: up to 3.4 ms for a thread spawned to share
    // one item): no helper for work this thread alone can take.
    // At most eight threads in all, as the stages had before: past that, spawning costs
    // more than a book's stages gain.
    let helpers = crate::cores()
        .saturating_sub(1)
        .min(MAX_HELPERS)
        .min(wanted);
    let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..helpers).map(|_| scope.spawn(claim)).collect();
        first();
        let mine = claim();
        let theirs = handles.into_iter().map(|h| match h.join() {
            Ok(made) => made,
            Err(panic) => std::panic::resume_unwind(panic),
        });
        for (i, r) in theirs.flatten().chain(mine) {
            if let Some(slot) = slots.get_mut(i) {
                *slot = Some(r);
            }
        }
    });
    slots.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_item_order_whoever_makes_them() {
        let items: Vec<u64> = (0..200).collect();
        let order: Vec<usize> = (0..items.len()).rev().collect();
        let ran_first = std::sync::atomic::AtomicBool::new(false);
        let out = map_claimed(
            &items,
            &order,
            || ran_first.store(true, Ordering::Relaxed),
            || 0u64,
            |seen, x| {
                *seen += 1;
                x * x
            },
        );
        assert!(ran_first.load(Ordering::Relaxed));
        assert_eq!(out, items.iter().map(|x| x * x).collect::<Vec<_>>());
    }

    #[test]
    fn an_order_that_skips_items_drops_them() {
        let out = map_claimed(&[1, 2, 3], &[2, 0], || {}, || (), |_, x| *x);
        assert_eq!(out, vec![1, 3]);
    }
}
