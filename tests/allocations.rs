//! Heap allocations of an accepted ConfirmSignUp through the [`Driver`](cognito_signup::Driver),
//! run in place and stepped through the public continuations, counted by a global allocator that counts (`stats_alloc`): a regression guard on the count,
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

use cognito_signup::{ConfirmSignUpRequest, ConfirmSignUpResponse, Driver, Error, MemoryStore};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;
use std::sync::Arc;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The most allocations (and reallocations) an accepted ConfirmSignUp may make, warm (after a
/// first operation), for a client without and with a secret.
const MAX_PLAIN: usize = 1;
const MAX_SECRET: usize = 1;
/// The same, stepped through the public continuations: one more, the box the operation lives
/// in from `start` to its end.
const MAX_STEPPED: usize = 2;

/// How a test runs one ConfirmSignUp.
type Run =
    fn(&Driver<Arc<MemoryStore>>, ConfirmSignUpRequest) -> Result<ConfirmSignUpResponse, Error>;

fn in_place(
    driver: &Driver<Arc<MemoryStore>>,
    request: ConfirmSignUpRequest,
) -> Result<ConfirmSignUpResponse, Error> {
    driver.confirm_sign_up(request)
}

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
    let cases: [(&str, &str, usize, usize, Run); 4] = [
        ("in place", common::PLAIN, 2, MAX_PLAIN, in_place),
        ("in place", common::SECRET_CLIENT, 3, MAX_SECRET, in_place),
        ("stepped", common::PLAIN, 4, MAX_STEPPED, common::stepped),
        (
            "stepped",
            common::SECRET_CLIENT,
            5,
            MAX_STEPPED,
            common::stepped,
        ),
    ];
    for (how, client, user, max, run) in cases {
        let request = common::confirm_request(client, user, common::code(user));
        let region = Region::new(GLOBAL);
        let response = run(&driver, request);
        let stats = region.change();
        assert!(response.is_ok(), "{how}, {client}: {response:?}");
        drop(response);
        let made = stats.allocations + stats.reallocations;
        counted.push((how, client, made, max));
        // The user is confirmed: a second confirmation of the same code is refused, so the
        // count above is the accepted path's.
        let again = run(
            &driver,
            common::confirm_request(client, user, common::code(user)),
        );
        assert!(again.is_err(), "{how}, {client}: confirmed twice");
    }
    for (how, client, made, max) in counted {
        eprintln!("{how}, {client}: {made} allocations");
        assert!(
            made <= max,
            "{how}, {client}: an accepted ConfirmSignUp made {made} allocations, at most {max} \
             expected"
        );
    }
}
