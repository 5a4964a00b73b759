//! The fuzz target bodies run by `cargo test`: over the committed seed corpus, and over random
//! bytes, so that a regression in a property the fuzzers check fails the ordinary test suite.

use crate::scaled;
use cognito_signup_testkit::fuzzing;
use proptest::prelude::*;
use std::path::Path;

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seed corpus for {target}");
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

#[test]
fn seed_corpus_passes_every_target() {
    for input in corpus("ops") {
        fuzzing::ops(&input);
    }
    for input in corpus("request_json") {
        fuzzing::request_json(&input);
    }
    for input in corpus("trigger_response") {
        fuzzing::trigger_response(&input);
    }
    for input in corpus("code_verify") {
        fuzzing::code_verify(&input);
    }
    for input in corpus("manage") {
        fuzzing::manage(&input);
    }
}

/// Management requests, valid and not, for the `manage` body: `(operation byte, JSON)`.
const MANAGE_REQUESTS: &[(u8, &str)] = &[
    (
        0,
        r#"{"PoolName":"fixture","AliasAttributes":["email"],"AutoVerifiedAttributes":["email"]}"#,
    ),
    (0, r#"{"PoolName":"plain"}"#),
    (0, r#"{"PoolName":""}"#),
    (0, r#"{"PoolName":"bad/name"}"#),
    (
        0,
        r#"{"PoolName":"x","UsernameAttributes":["email"],"AliasAttributes":["email"]}"#,
    ),
    (
        0,
        r#"{"PoolName":"x","AliasAttributes":["nickname"],"Policies":{"PasswordPolicy":{"MinimumLength":3}}}"#,
    ),
    (1, r#"{"UserPoolId":"$P"}"#),
    (1, r#"{"UserPoolId":"us-east-1_missing1"}"#),
    (1, r#"{"UserPoolId":"not a pool id"}"#),
    (
        2,
        r#"{"UserPoolId":"$P","AutoVerifiedAttributes":["phone_number"]}"#,
    ),
    (
        2,
        r#"{"UserPoolId":"$P","Policies":{"PasswordPolicy":{"MinimumLength":100}}}"#,
    ),
    (3, r#"{"UserPoolId":"$P"}"#),
    (3, r#"{"UserPoolId":"us-east-1_missing1"}"#),
    (4, r#"{"MaxResults":1}"#),
    (4, r#"{"MaxResults":0}"#),
    (4, r#"{"MaxResults":61}"#),
    (4, r#"{"MaxResults":10,"NextToken":"not-a-token"}"#),
    (
        5,
        r#"{"UserPoolId":"$P","ClientName":"app","GenerateSecret":true}"#,
    ),
    (5, r#"{"UserPoolId":"$P","ClientName":"app"}"#),
    (5, r#"{"UserPoolId":"$P","ClientName":""}"#),
    (
        5,
        r#"{"UserPoolId":"$P","ClientName":"app","PreventUserExistenceErrors":"SOMETIMES"}"#,
    ),
    (6, r#"{"UserPoolId":"$P","ClientId":"$C"}"#),
    (6, r#"{"UserPoolId":"us-east-1_missing1","ClientId":"$C"}"#),
    (
        7,
        r#"{"UserPoolId":"$P","ClientId":"$C","PreventUserExistenceErrors":"ENABLED"}"#,
    ),
    (8, r#"{"UserPoolId":"$P","ClientId":"$C"}"#),
    (9, r#"{"UserPoolId":"$P","MaxResults":2}"#),
    (9, r#"{"UserPoolId":"$P","MaxResults":5,"NextToken":"%%%"}"#),
    (
        10,
        r#"{"ClientId":"$C","Username":"ann","Password":"Passw0rd!","UserAttributes":[{"Name":"email","Value":"ann@example.com"}]}"#,
    ),
    (
        10,
        r#"{"ClientId":"$C","Username":"bo","Password":"Passw0rd!"}"#,
    ),
    (11, r#"{"UserPoolId":"$P","Filter":"email ^= \"ann\""}"#),
    (11, r#"{"UserPoolId":"$P","Filter":"email = "}"#),
    (
        11,
        r#"{"UserPoolId":"$P","Limit":1,"PaginationToken":"nope"}"#,
    ),
];

fn manage_input(picks: &[usize]) -> Vec<u8> {
    let mut data = Vec::new();
    for &i in picks {
        let (op, json) = MANAGE_REQUESTS[i % MANAGE_REQUESTS.len()];
        data.push(op);
        data.extend_from_slice(json.as_bytes());
        data.push(0xFF);
    }
    data
}

proptest! {
    #![proptest_config(ProptestConfig { cases: scaled(256), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn ops_body_holds_on_random_bytes(data in prop::collection::vec(any::<u8>(), 0..400)) {
        fuzzing::ops(&data);
    }

    #[test]
    fn manage_body_holds_on_request_sequences(picks in prop::collection::vec(any::<usize>(), 0..40)) {
        fuzzing::manage(&manage_input(&picks));
    }

    #[test]
    fn manage_body_holds_on_random_bytes(data in prop::collection::vec(any::<u8>(), 0..300)) {
        fuzzing::manage(&data);
    }

    #[test]
    fn decoders_agree_with_the_naive_reading(data in prop::collection::vec(any::<u8>(), 0..64)) {
        fuzzing::trigger_response(&data);
    }

    #[test]
    fn code_and_secret_hash_verification_agree_with_naive_references(data in prop::collection::vec(any::<u8>(), 0..200)) {
        fuzzing::code_verify(&data);
    }
}
