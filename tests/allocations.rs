//! Heap allocations of an accepted ConfirmSignUp through the [`Driver`](cognito_signup::Driver),
//! counted by a global allocator that counts (`stats_alloc`): a regression guard on the count,
//! not a timing. Its own test binary, since the allocator is the whole process's; one test
//! function, so that no other test allocates while it counts.

// Test code: a failed expectation is a panic.
#![allow(
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

#[path = "../benches/common/mod.rs"]
mod common;

use cognito_signup::MemoryStore;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;
use std::sync::Arc;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The most allocations (and reallocations) an accepted ConfirmSignUp may make, warm (after a
/// first operation), for a client without and with a secret.
const MAX_PLAIN: usize = 1;
const MAX_SECRET: usize = 1;

#[test]
fn an_accepted_confirm_sign_up_allocates_at_most_the_budget() {
    let store = Arc::new(MemoryStore::new());
    let keys = common::code_keys();
    common::populate(&store, &keys, 0..8);
    let driver = common::driver(Arc::clone(&store));
    // Warm: thread-locals, lazily built keys and the like are made by a first operation.
    driver
        .confirm_sign_up(common::confirm_request(common::PLAIN, 0, common::code(0)))
        .unwrap();
    driver
        .confirm_sign_up(common::confirm_request(
            common::SECRET_CLIENT,
            1,
            common::code(1),
        ))
        .unwrap();

    let mut counted = Vec::new();
    for (client, user, max) in [
        (common::PLAIN, 2, MAX_PLAIN),
        (common::SECRET_CLIENT, 3, MAX_SECRET),
    ] {
        let request = common::confirm_request(client, user, common::code(user));
        let region = Region::new(GLOBAL);
        let response = driver.confirm_sign_up(request);
        let stats = region.change();
        assert!(response.is_ok(), "{client}: {response:?}");
        drop(response);
        let made = stats.allocations + stats.reallocations;
        counted.push((client, made, max));
    }
    // The user is confirmed: a second confirmation of the same code is refused, so the count
    // above is the accepted path's.
    assert!(
        driver
            .confirm_sign_up(common::confirm_request(common::PLAIN, 2, common::code(2)))
            .is_err()
    );
    for (client, made, max) in counted {
        eprintln!("{client}: {made} allocations");
        assert!(
            made <= max,
            "{client}: an accepted ConfirmSignUp made {made} allocations, at most {max} expected"
        );
    }
}
