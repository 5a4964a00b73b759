//! Fuzz target `ops`: the body is `cognito_signup::fuzzing::ops`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cognito_signup::fuzzing::ops(data));
