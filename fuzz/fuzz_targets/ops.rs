//! Fuzz target `ops`: the body is `cognito_signup_testkit::fuzzing::ops`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cognito_signup_testkit::fuzzing::ops(data));
