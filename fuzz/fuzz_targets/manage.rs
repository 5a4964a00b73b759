//! Fuzz target `manage`: the body is `cognito_signup_testkit::fuzzing::manage`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cognito_signup_testkit::fuzzing::manage(data));
