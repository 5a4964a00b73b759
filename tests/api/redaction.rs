//! Secrets, codes, tags, passwords and addresses never appear in `Debug` or error messages.

use crate::harness::*;
use cognito_signup::*;

#[test]
fn debug_output_redacts_every_secret() {
    let h = host()
        .secret("clientsecretvalue123")
        .post_confirmation()
        .build();
    let code = h.sign_up("alice", "alice-private@example.com");
    let secret_hash = code::secret_hash("clientsecretvalue123", "alice", CLIENT);
    let mut req = h.confirm_req("alice", &code);
    req.session = Some("s".repeat(30));
    let sign_up = h.sign_up_req("bob", Some("bob-private@example.com"));
    let record = h.record("alice");
    let message = h.delivery.last().unwrap();
    let seed = h.driver.seed().unwrap();
    let keys = CodeKeys::new(&[[0xCD; 32]]).unwrap();
    // Confirming fires PostConfirmation, whose event carries the address.
    let needs = needs_of_a_confirmation(&h, &code);
    assert!(
        h.lambda.calls()[0]
            .payload
            .contains("alice-private@example.com")
    );
    let outputs = [
        format!("{req:?}"),
        format!("{sign_up:?}"),
        format!("{record:?}"),
        format!("{message:?}"),
        format!("{seed:?}"),
        format!("{keys:?}"),
        format!("{:?}", record.code),
        format!("{:?}", h.client),
        format!("{:?}", h.get("alice")),
        format!("{:?}", h.store.inner.index(POOL).unwrap()),
        format!("{:?}", h.driver),
        format!("{:?}", h.lambda.calls()),
        format!(
            "{:?}",
            protocol::LambdaReply::Returned(h.lambda.calls()[0].payload.clone().into_bytes())
        ),
        format!("{needs:?}"),
    ];
    let secrets = [
        code.as_str(),
        "clientsecretvalue123",
        secret_hash.as_str(),
        PASSWORD,
        "alice-private@example.com",
        "bob-private@example.com",
        "ababab",
        "cdcdcd",
        "ssssssssss",
    ];
    for out in &outputs {
        for s in &secrets {
            assert!(
                !out.to_lowercase().contains(&s.to_lowercase()),
                "{s:?} leaked in {out}"
            );
        }
    }
    let phc = record.password.unwrap();
    assert!(!format!("{phc:?}").contains("argon2"));
}

/// The `Debug` of every need a confirmation raises, as a host would log them.
fn needs_of_a_confirmation(h: &Host, code: &str) -> Vec<String> {
    use cognito_signup::ops::{ConfirmSignUp, Operation, Step};
    let op = ConfirmSignUp::new(h.confirm_req("alice", code), START);
    let mut seen = Vec::new();
    let mut step = op.start();
    while let Step::Need(n) = step {
        seen.push(format!("{n:?}"));
        step = h.driver.answer(n);
    }
    seen
}

#[test]
fn error_messages_never_carry_codes_or_secrets() {
    let h = host().secret("clientsecretvalue123").build();
    let code = h.sign_up("alice", "alice@example.com");
    let mut answers = Vec::new();
    answers.push(h.confirm("alice", &format!("{code} 1")).unwrap_err());
    answers.push(h.confirm("alice", &Host::wrong(&code)).unwrap_err());
    let mut req = h.confirm_req("alice", &code);
    req.secret_hash = Some("bm90LXRoZS1oYXNo".into());
    answers.push(h.driver.confirm_sign_up(req).unwrap_err());
    for e in &answers {
        let text = format!("{e} {e:?}");
        assert!(!text.contains(&code), "{text}");
        assert!(!text.contains("clientsecretvalue123"), "{text}");
        assert!(!text.contains("bm90LXRoZS1oYXNo"), "{text}");
        assert!(!text.contains("alice@example.com"), "{text}");
    }
}
