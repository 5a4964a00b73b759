//! Fuzz target `code_verify`: the body is `cognito_signup_testkit::fuzzing::code_verify`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cognito_signup_testkit::fuzzing::code_verify(data));
