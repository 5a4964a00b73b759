//! Fuzz target `trigger_response`: the body is `cognito_signup_testkit::fuzzing::trigger_response`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cognito_signup_testkit::fuzzing::trigger_response(data));
