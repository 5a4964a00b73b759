//! Fuzz target `request_json`: the body is `cognito_signup_testkit::fuzzing::request_json`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cognito_signup_testkit::fuzzing::request_json(data));
