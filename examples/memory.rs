//! Memory of the in-memory store: 1 million UNCONFIRMED users (16-character usernames, an email
//! address, a pending code), counted by a counting global allocator.
//!
//! `cargo run --release --example memory [USERS]`
//!
//! Prints the bytes the store holds per user (records and index entries, as requested from the
//! allocator), the live allocations per user, and the growth of the resident set as a
//! cross-check that includes the allocator's own overhead.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects,
    clippy::cast_precision_loss,
    missing_docs
)]

#[path = "../benches/common/mod.rs"]
mod common;

use cognito_signup::MemoryStore;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Resident set size in KiB, from `/proc/self/status` (Linux only; 0 elsewhere).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let users: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let keys = common::code_keys();
    let rss_before = rss_kib();
    let region = Region::new(GLOBAL);
    let store = MemoryStore::new();
    common::populate(&store, &keys, 0..users);
    let change = region.change();
    let rss_after = rss_kib();
    let live_bytes = change.bytes_allocated as f64 - change.bytes_deallocated as f64;
    let live_allocs = change.allocations as f64 - change.deallocations as f64;
    let n = users as f64;
    println!("users:                    {users}");
    println!("live bytes requested:     {live_bytes:.0}");
    println!("bytes per user:           {:.1}", live_bytes / n);
    println!("live allocations per user:{:.2}", live_allocs / n);
    println!(
        "resident set growth:      {:.1} bytes per user (includes allocator overhead)",
        (rss_after.saturating_sub(rss_before) * 1024) as f64 / n
    );
    // Keep the store alive until here.
    drop(store);
}
