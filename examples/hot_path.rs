//! A fixed number of one operation, for instruction counts under callgrind (which a loaded
//! machine does not disturb) and for profiles.
//!
//! ```text
//! cargo build --release --example hot_path
//! valgrind --tool=callgrind --toggle-collect='hot_path::measured*' \
//!     target/release/examples/hot_path confirm_plain 1000 2000
//! ```
//!
//! Operations: `floor_secret`, `floor_plain`, `bare_secret` (the bare reference of
//! `benches/common`), `confirm_secret`, `confirm_plain`,
//! `confirm_stepped` (`confirm_secret` stepped through the public continuations, as a host that
//! answers each need itself does, with [`Driver::answer`]), `wrong_code`,
//! `confirm_enabled` and `wrong_code_enabled` (the client with PreventUserExistenceErrors
//! ENABLED), `unknown_user` (the same client), `throttled`, `validation_error`, `resend`, `sign_up_passwordless`, and
//! `wire_plain`, `wire_secret` (ConfirmSignUp as a JSON body through `wire::handle`). Only
//! `measured` is counted; divide its instructions by the count.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects,
    missing_docs
)]

#[path = "../benches/common/mod.rs"]
mod common;

use cognito_signup::{
    ConfirmSignUpRequest, Driver, MemoryStore, ResendConfirmationCodeRequest, SignUpRequest, wire,
};
use common::{DenyAll, Floor, HIDDEN, PLAIN, SECRET_CLIENT};
use std::hint::black_box;
use std::sync::Arc;

#[allow(clippy::large_enum_variant)]
enum Work {
    Floor(Floor, Vec<common::FloorRequest>, bool),
    Bare(common::Bare, Vec<ConfirmSignUpRequest>),
    Confirm(Driver<Arc<MemoryStore>>, Vec<ConfirmSignUpRequest>),
    /// ConfirmSignUp stepped through the public continuations, as a host that answers each
    /// need itself does.
    Stepped(Driver<Arc<MemoryStore>>, Vec<ConfirmSignUpRequest>),
    Resend(Driver<Arc<MemoryStore>>, Vec<ResendConfirmationCodeRequest>),
    SignUp(Driver<Arc<MemoryStore>>, Vec<SignUpRequest>),
    Wire(Driver<Arc<MemoryStore>>, Vec<Vec<u8>>),
}

#[inline(never)]
fn measured(work: Work) -> usize {
    let mut ok = 0;
    match work {
        Work::Floor(floor, requests, secret) => {
            for r in &requests {
                ok += usize::from(floor.check(black_box(r), secret));
            }
        }
        Work::Bare(bare, requests) => {
            for r in requests {
                ok += usize::from(bare.confirm(black_box(r)));
            }
        }
        Work::Confirm(driver, requests) => {
            for r in requests {
                ok += usize::from(driver.confirm_sign_up(black_box(r)).is_ok());
            }
        }
        Work::Stepped(driver, requests) => {
            for r in requests {
                ok += usize::from(common::stepped(&driver, black_box(r)).is_ok());
            }
        }
        Work::Resend(driver, requests) => {
            for r in requests {
                ok += usize::from(driver.resend_confirmation_code(black_box(r)).is_ok());
            }
        }
        Work::SignUp(driver, requests) => {
            for r in requests {
                ok += usize::from(driver.sign_up(black_box(r)).is_ok());
            }
        }
        Work::Wire(driver, bodies) => {
            for body in bodies {
                let response = wire::handle(&driver, common::CONFIRM_TARGET, black_box(&body));
                ok += usize::from(response.status == 200);
            }
        }
    }
    ok
}

fn main() {
    let mut args = std::env::args().skip(1);
    let op = args.next().unwrap_or_else(|| "confirm_plain".to_owned());
    let users: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let count: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000)
        .min(users);
    let store = Arc::new(MemoryStore::new());
    let keys = common::code_keys();
    common::populate(&store, &keys, 0..users);
    let order = common::shuffled(users, 5);
    let picked = &order[..count];
    let driver = common::driver(Arc::clone(&store));
    let confirm = |client: &str, wrong: bool| -> Vec<ConfirmSignUpRequest> {
        picked
            .iter()
            .map(|&i| {
                let code = if wrong {
                    common::wrong_code(i)
                } else {
                    common::code(i)
                };
                common::confirm_request(client, i, code)
            })
            .collect()
    };
    let work = match op.as_str() {
        "floor_secret" | "floor_plain" => Work::Floor(
            Floor::new(users),
            picked.iter().map(|&i| Floor::request(i)).collect(),
            op == "floor_secret",
        ),
        "bare_secret" => Work::Bare(common::Bare::new(users), confirm(SECRET_CLIENT, false)),
        "confirm_secret" => Work::Confirm(driver, confirm(SECRET_CLIENT, false)),
        "confirm_plain" => Work::Confirm(driver, confirm(PLAIN, false)),
        "confirm_stepped" => Work::Stepped(driver, confirm(SECRET_CLIENT, false)),
        "wrong_code" => Work::Confirm(driver, confirm(PLAIN, true)),
        "confirm_enabled" => Work::Confirm(driver, confirm(HIDDEN, false)),
        "wrong_code_enabled" => Work::Confirm(driver, confirm(HIDDEN, true)),
        "unknown_user" => Work::Confirm(
            driver,
            (0..count)
                .map(|k| ConfirmSignUpRequest::new(HIDDEN, format!("nobody{k:010}"), "123456"))
                .collect(),
        ),
        "throttled" => Work::Confirm(
            driver.with_rate_limiter(Arc::new(DenyAll)),
            confirm(PLAIN, false),
        ),
        "validation_error" => Work::Confirm(
            driver,
            picked
                .iter()
                .map(|&i| common::confirm_request(PLAIN, i, String::new()))
                .collect(),
        ),
        "wire_plain" | "wire_secret" => Work::Wire(
            driver,
            picked
                .iter()
                .map(|&i| {
                    let client = if op == "wire_secret" {
                        SECRET_CLIENT
                    } else {
                        PLAIN
                    };
                    common::confirm_body(client, i, &common::code(i))
                })
                .collect(),
        ),
        "resend" => Work::Resend(
            driver,
            picked
                .iter()
                .map(|&i| ResendConfirmationCodeRequest::new(PLAIN, common::username(i)))
                .collect(),
        ),
        "sign_up_passwordless" => Work::SignUp(
            driver,
            (0..count)
                .map(|k| {
                    let mut r = SignUpRequest::new(PLAIN, format!("new{k:013}"), "")
                        .attribute("email", format!("new{k:013}@example.com"));
                    r.password = None;
                    r
                })
                .collect(),
        ),
        other => panic!("unknown operation {other}"),
    };
    let start = std::time::Instant::now();
    let ok = measured(work);
    let per = start.elapsed().as_nanos() / u128::try_from(count.max(1)).unwrap();
    println!("{op}: {ok} of {count} succeeded, {per} ns per operation (wall clock)");
}
