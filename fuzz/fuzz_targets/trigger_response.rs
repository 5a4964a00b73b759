//! Fuzz target `trigger_response`: the body is `cognito_signup::fuzzing::trigger_response`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cognito_signup::fuzzing::trigger_response(data));
