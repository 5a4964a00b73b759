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
}

proptest! {
    #![proptest_config(ProptestConfig { cases: scaled(256), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn ops_body_holds_on_random_bytes(data in prop::collection::vec(any::<u8>(), 0..400)) {
        fuzzing::ops(&data);
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
