//! [hide-same-work] beyond the cryptographic work: under `PreventUserExistenceErrors=ENABLED`, the
//! host-visible I/O of a ConfirmSignUp (the needs it asks the host, in order) does not depend on
//! whether the user exists, so a store write that only present users cause cannot time them apart.

use crate::interleave::stepper;
use crate::model::{Client, Config, PoolKind};
use crate::sut::{PASSWORD, POOL, Sut};
use cognito_signup::ops::ConfirmSignUp;
use cognito_signup::store::IndexKey;
use cognito_signup::{AdminUserRequest, Clock, ConfirmSignUpRequest, SignUpRequest};

/// Runs a ConfirmSignUp through the driver's answers; the needs it asked and its outcome.
fn needs(sut: &Sut, username: &str, code: &str) -> (Vec<&'static str>, &'static str) {
    let req = ConfirmSignUpRequest::new(Client::Enabled.id(), username, code);
    let mut op = stepper(ConfirmSignUp::new(req, sut.clock.now()));
    let mut kinds = Vec::new();
    loop {
        match op.step(sut, None) {
            Ok(kind) => kinds.push(kind),
            Err(outcome) => return (kinds, outcome.err().map_or("Ok", |e| e.0)),
        }
    }
}

#[test]
fn enabled_confirm_asks_the_same_of_the_host_and_writes_one_record_for_present_missing_and_disabled_users()
 {
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
    // The first request for a missing user creates the pool's decoy; from then on a missing
    // user reads and writes the decoy as a present user reads and writes their record.
    let first_missing = needs(&sut, "nobody", wrong);
    let (decoy, keys) = sut.decoy();
    let decoy = decoy.expect("the first hidden request creates the decoy");
    assert_eq!(keys, vec![IndexKey::decoy()]);
    assert_eq!(decoy.version, 1);
    let missing = needs(&sut, "somebody-else", wrong);
    let disabled = needs(&sut, "dora", wrong);
    assert_eq!(present.1, "CodeMismatchException");
    assert_eq!(
        present, first_missing,
        "the first missing user asks the host for less"
    );
    assert_eq!(present, missing, "a missing user asks the host for less");
    assert_eq!(present, disabled, "a disabled user asks the host for less");
    // Each hidden request committed a counted failure: to the decoy for a missing user, to
    // the disabled user's own record for the disabled one; no other record changed.
    let (decoy_after, _) = sut.decoy();
    let decoy_after = decoy_after.unwrap();
    assert_eq!(decoy_after.version, 2);
    assert_eq!(decoy_after.value.failed_confirmations.len(), 1);
    let after = sut.records();
    assert_eq!(after.len(), before.len());
    for (sub, r) in &after {
        let old = &before[sub];
        match r.value.username.as_str() {
            "alice" | "dora" => {
                assert_eq!(r.version, old.version + 1, "{}", r.value.username);
                assert_eq!(r.value.failed_confirmations.len(), 1);
                assert_eq!(r.value.code.as_ref().unwrap().failed_checks, 1);
                let mut unchanged = r.value.clone();
                unchanged.failed_confirmations.clear();
                unchanged.code.as_mut().unwrap().failed_checks = 0;
                assert_eq!(&unchanged, &old.value, "only the counters changed");
            }
            _ => assert_eq!(r, old),
        }
    }
}
