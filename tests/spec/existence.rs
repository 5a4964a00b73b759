//! P-4 beyond the cryptographic work: under `PreventUserExistenceErrors=ENABLED`, the host-visible
//! I/O of a ConfirmSignUp (the needs it asks the host, in order) does not depend on whether the
//! user exists, so a store write that only present users cause cannot time them apart.

use crate::interleave::Stepper;
use crate::model::{Client, Config, PoolKind};
use crate::sut::{PASSWORD, POOL, Sut};
use cognito_signup::ops::{ConfirmSignUp, Need};
use cognito_signup::{AdminUserRequest, Clock, ConfirmSignUpRequest, SignUpRequest};

fn kind(n: &Need) -> &'static str {
    match n {
        Need::Client { .. } => "Client",
        Need::Pool { .. } => "Pool",
        Need::Guard(_) => "Guard",
        Need::Throttle(_) => "Throttle",
        Need::Find { .. } => "Find",
        Need::Commit { .. } => "Commit",
        Need::Invoke(_) => "Invoke",
        Need::Deliver(_) => "Deliver",
        _ => "Other",
    }
}

/// Runs a ConfirmSignUp through the driver's answers; the needs it asked and its outcome.
fn needs(sut: &Sut, username: &str, code: &str) -> (Vec<&'static str>, &'static str) {
    let req = ConfirmSignUpRequest::new(Client::Enabled.id(), username, code);
    let mut op: Box<dyn Stepper> = Box::new(ConfirmSignUp::new(req, sut.clock.now()));
    let mut kinds = Vec::new();
    let mut answer = None;
    loop {
        match op.step(answer.take()) {
            Ok(need) => {
                kinds.push(kind(&need));
                answer = Some(sut.driver.answer(need));
            }
            Err(outcome) => return (kinds, outcome.err().map_or("Ok", |e| e.0)),
        }
    }
}

#[test]
fn enabled_confirm_asks_the_same_of_the_host_for_present_missing_and_disabled_users() {
    let config = Config {
        kind: PoolKind::EmailAlias,
        case_insensitive: true,
        hardened: false,
        pre_sign_up: false,
        post_confirmation: false,
        secret: false,
        custom_message: false,
        phone: false,
    };
    let mut sut = Sut::new(&config, 21);
    for name in ["alice", "dora"] {
        sut.driver
            .sign_up(
                SignUpRequest::new(Client::Legacy.id(), name, PASSWORD)
                    .attribute("email", format!("{name}@example.com")),
            )
            .unwrap();
    }
    sut.collect_codes();
    sut.driver
        .admin_disable_user(AdminUserRequest::new(POOL, "dora"))
        .unwrap();
    let wrong = if sut.codes[0] == "000000" {
        "111111"
    } else {
        "000000"
    };
    let before = sut.records();
    let present = needs(&sut, "alice", wrong);
    let missing = needs(&sut, "nobody", wrong);
    let disabled = needs(&sut, "dora", wrong);
    assert_eq!(present.1, "CodeMismatchException");
    assert_eq!(present, missing, "a missing user asks the host for less");
    assert_eq!(present, disabled, "a disabled user asks the host for less");
    // The missing and disabled users' requests changed nothing.
    let after = sut.records();
    assert_eq!(after.len(), before.len());
    for (sub, r) in &after {
        if r.value.username != "alice" {
            assert_eq!(Some(r), before.get(sub));
        }
    }
}
