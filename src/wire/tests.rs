use super::*;
use crate::config::{AppClient, UserPool};
use crate::password::PasswordHashing;
use crate::reference::MemoryStore;
use crate::reference::{ManualClock, RecordingDelivery, SeededRandomness, StaticDirectory};
use crate::{CodeKeys, ConfirmSignUpResponse};
use serde_json::{Value, json};
use std::sync::Arc;

const POOL: &str = "us-east-1_Example";
const CLIENT: &str = "exampleclient";

fn target(op: &str) -> String {
    format!("{TARGET_PREFIX}{op}")
}

/// A seed for an operation built by hand (deterministic: the tests only need one).
fn seed() -> Seed {
    Seed::generate(&SeededRandomness::new([0; 32])).unwrap()
}

fn fixture() -> (Driver<MemoryStore>, Arc<RecordingDelivery>) {
    let pool = UserPool::from_json(
        r#"{"Id": "us-east-1_Example", "AliasAttributes": ["email"],
            "AutoVerifiedAttributes": ["email"],
            "UsernameConfiguration": {"CaseSensitive": false}}"#,
    )
    .unwrap();
    let mut directory = StaticDirectory::new();
    directory.add_pool(pool, CodeKeys::new(&[[7u8; 32]]).unwrap());
    directory.add_client(POOL, AppClient::new(CLIENT)).unwrap();
    let delivery = Arc::new(RecordingDelivery::new());
    let driver = Driver::new(MemoryStore::new(), Arc::new(directory))
        .with_clock(Arc::new(ManualClock::new(Timestamp::from_secs(
            1_800_000_000,
        ))))
        .with_randomness(Arc::new(SeededRandomness::new([1; 32])))
        .with_password_hashing(PasswordHashing::insecure_fast_for_tests())
        .with_delivery(delivery.clone());
    (driver, delivery)
}

fn body_json(r: &WireResponse) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

/// Asserts the exact error response: status, the three headers, and the body.
fn assert_error(r: &WireResponse, status: u16, name: &str, message: &str) {
    assert_eq!(r.status, status, "status of {name}");
    assert_eq!(
        r.headers,
        vec![
            ("Content-Type", CONTENT_TYPE.to_owned()),
            ("x-amzn-ErrorType", format!("{name}:")),
            ("x-amzn-ErrorMessage", message.to_owned()),
        ]
    );
    // Exactly these two members, `__type` first, as Cognito writes them.
    assert_eq!(
        String::from_utf8(r.body.clone()).unwrap(),
        format!(
            r#"{{"__type":"{name}","message":{}}}"#,
            serde_json::to_string(message).unwrap()
        )
    );
}

fn sign_up(driver: &Driver<MemoryStore>) -> WireResponse {
    handle(
        driver,
        &target("SignUp"),
        br#"{"ClientId":"exampleclient","Username":"alice","Password":"Corr3ct-Horse",
             "UserAttributes":[{"Name":"email","Value":"alice@example.com"}]}"#,
    )
}

#[test]
fn sign_up_success_is_200_with_the_response_members() {
    let (driver, _) = fixture();
    let r = sign_up(&driver);
    assert_eq!(r.status, 200);
    assert_eq!(r.headers, vec![("Content-Type", CONTENT_TYPE.to_owned())]);
    let body = body_json(&r);
    assert_eq!(body["UserConfirmed"], json!(false));
    assert_eq!(
        body["CodeDeliveryDetails"],
        json!({"Destination": "a***@e***.com", "DeliveryMedium": "EMAIL", "AttributeName": "email"})
    );
    assert_eq!(body["UserSub"].as_str().unwrap().len(), 36);
    assert_eq!(body.as_object().unwrap().len(), 3);
}

#[test]
fn empty_outputs_are_an_empty_object() {
    let (driver, delivery) = fixture();
    assert_eq!(sign_up(&driver).status, 200);
    let code = delivery.last().unwrap().code;
    let body = format!(
        r#"{{"ClientId":"exampleclient","Username":"alice","ConfirmationCode":"{}"}}"#,
        code.as_str()
    );
    let r = handle(&driver, &target("ConfirmSignUp"), body.as_bytes());
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"{}");
    assert_eq!(r.headers, vec![("Content-Type", CONTENT_TYPE.to_owned())]);
    assert_eq!(
        serde_json::to_vec(&ConfirmSignUpResponse {}).unwrap(),
        b"{}"
    );

    for op in ["AdminDisableUser", "AdminEnableUser"] {
        let r = handle(
            &driver,
            &target(op),
            br#"{"UserPoolId":"us-east-1_Example","Username":"alice"}"#,
        );
        assert_eq!(
            (r.status, r.body.as_slice()),
            (200, b"{}".as_slice()),
            "{op}"
        );
    }
    let r = handle(
        &driver,
        &target("AdminGetUser"),
        br#"{"UserPoolId":"us-east-1_Example","Username":"alice"}"#,
    );
    assert_eq!(r.status, 200);
    let user = body_json(&r);
    assert_eq!(user["UserStatus"], json!("CONFIRMED"));
    assert_eq!(user["Enabled"], json!(true));
}

#[test]
fn core_exception_is_encoded_with_status_headers_and_body() {
    let (driver, _) = fixture();
    assert_eq!(sign_up(&driver).status, 200);
    let r = handle(
        &driver,
        &target("ConfirmSignUp"),
        br#"{"ClientId":"exampleclient","Username":"alice","ConfirmationCode":"000000"}"#,
    );
    // Against a seeded code; 000000 is not it (asserted by the exception itself).
    assert_error(
        &r,
        400,
        "CodeMismatchException",
        "Invalid verification code provided, please try again.",
    );
}

#[test]
fn missing_client_is_resource_not_found() {
    let (driver, _) = fixture();
    let r = handle(
        &driver,
        &target("ResendConfirmationCode"),
        br#"{"ClientId":"nosuchclient","Username":"alice"}"#,
    );
    assert_error(
        &r,
        400,
        "ResourceNotFoundException",
        "User pool client nosuchclient does not exist.",
    );
}

#[test]
fn validation_errors_come_from_the_core() {
    let (driver, _) = fixture();
    let r = handle(&driver, &target("ConfirmSignUp"), b"");
    assert_error(
        &r,
        400,
        "InvalidParameterException",
        "3 validation errors detected: Value null at 'clientId' failed to satisfy constraint: Member must not be null; Value null at 'username' failed to satisfy constraint: Member must not be null; Value null at 'confirmationCode' failed to satisfy constraint: Member must not be null",
    );
}

#[test]
fn empty_and_blank_bodies_are_an_empty_object() {
    for body in [&b""[..], b"  \r\n", b"{}"] {
        let request = decode(&target("AdminGetUser"), body).unwrap();
        assert_eq!(
            request,
            WireRequest::AdminGetUser(AdminUserRequest::default())
        );
    }
}

#[test]
fn unknown_members_are_ignored() {
    let request = decode(
        &target("AdminGetUser"),
        br#"{"UserPoolId":"us-east-1_Example","Username":"bob","Extra":{"deep":[1,2,{"x":null}]},"More":7}"#,
    )
    .unwrap();
    assert_eq!(
        request,
        WireRequest::AdminGetUser(AdminUserRequest::new(POOL, "bob"))
    );
}

#[test]
fn null_members_are_absent() {
    let request = decode(
        &target("ConfirmSignUp"),
        br#"{"ClientId":"c","Username":null,"ForceAliasCreation":null}"#,
    )
    .unwrap();
    let WireRequest::ConfirmSignUp(r) = request else {
        panic!("wrong operation")
    };
    assert_eq!(r.username, None);
    assert_eq!(r.force_alias_creation, None);
}

#[test]
fn wrong_member_type_is_serialization_exception_naming_the_member() {
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "SignUp",
            br#"{"ClientId":123}"#,
            "Invalid value for member 'ClientId': expected a string.",
        ),
        (
            "SignUp",
            br#"{"ClientId":"c","Password":12345678}"#,
            "Invalid value for member 'Password': expected a string.",
        ),
        (
            "SignUp",
            br#"{"UserAttributes":[{"Name":"email","Value":5}]}"#,
            "Invalid value for member 'UserAttributes[0].Value': expected a string.",
        ),
        (
            "SignUp",
            br#"{"UserAttributes":{"Name":"email"}}"#,
            "Invalid value for member 'UserAttributes': expected a JSON array.",
        ),
        (
            "ConfirmSignUp",
            br#"{"ForceAliasCreation":"yes"}"#,
            "Invalid value for member 'ForceAliasCreation': expected a boolean.",
        ),
        (
            "ConfirmSignUp",
            br#"{"ClientMetadata":{"k":1}}"#,
            "Invalid value for member 'ClientMetadata.k': expected a string.",
        ),
        (
            "ResendConfirmationCode",
            br#"{"UserContextData":"1.2.3.4"}"#,
            "Invalid value for member 'UserContextData': expected a JSON object.",
        ),
        (
            "AdminGetUser",
            br#"{"Username":["bob"]}"#,
            "Invalid value for member 'Username': expected a string.",
        ),
    ];
    for (op, body, message) in cases {
        let r = decode(&target(op), body).unwrap_err();
        assert_error(&r, 400, "SerializationException", message);
    }
}

#[test]
fn serialization_messages_never_echo_values() {
    let r = decode(
        &target("SignUp"),
        br#"{"ClientId":"c","Password":987654321}"#,
    )
    .unwrap_err();
    let text = format!("{:?} {}", r.headers, String::from_utf8_lossy(&r.body));
    assert!(!text.contains("987654321"), "{text}");
}

#[test]
fn a_body_that_is_not_a_json_object_is_serialization_exception() {
    let not_json: &[&[u8]] = &[
        b"{",
        b"{\"ClientId\":",
        b"not json",
        b"{}}",
        b"{} {}",
        b"\xff\xfe",
    ];
    for body in not_json {
        let r = decode(&target("SignUp"), body).unwrap_err();
        assert_error(
            &r,
            400,
            "SerializationException",
            "The request body is not valid JSON.",
        );
    }
    for body in [&b"[]"[..], b"\"text\"", b"42", b"null", b"true"] {
        let r = decode(&target("SignUp"), body).unwrap_err();
        assert_error(
            &r,
            400,
            "SerializationException",
            "The request body must be a JSON object.",
        );
    }
}

#[test]
fn deeply_nested_members_neither_overflow_nor_pass_as_valid() {
    // An unknown member is skipped, however deep (serde_json skips it without recursing).
    let mut body = String::from(r#"{"Extra":"#);
    body.push_str(&"[".repeat(100_000));
    body.push_str(&"]".repeat(100_000));
    body.push('}');
    assert!(decode(&target("SignUp"), body.as_bytes()).is_ok());
    // Unbalanced nesting is not JSON.
    let body = format!(r#"{{"Extra":{}}}"#, "[".repeat(100_000));
    let r = decode(&target("SignUp"), body.as_bytes()).unwrap_err();
    assert_error(
        &r,
        400,
        "SerializationException",
        "The request body is not valid JSON.",
    );
    // A known member of the wrong type is named.
    let body = format!(r#"{{"ClientMetadata":{}}}"#, "[".repeat(100_000));
    let r = decode(&target("SignUp"), body.as_bytes()).unwrap_err();
    assert_error(
        &r,
        400,
        "SerializationException",
        "Invalid value for member 'ClientMetadata': expected a JSON object.",
    );
}

#[test]
fn unknown_target_is_unknown_operation_exception() {
    let (driver, _) = fixture();
    for t in [
        "AWSCognitoIdentityProviderService.InitiateAuth",
        "AWSCognitoIdentityProviderService.",
        "AWSCognitoIdentityProviderService.signup",
        "DynamoDB_20120810.SignUp",
        "SignUp",
        "",
    ] {
        let r = handle(&driver, t, b"{}");
        assert_error(
            &r,
            400,
            "UnknownOperationException",
            "The X-Amz-Target header names no operation of this service.",
        );
    }
}

#[test]
fn every_operation_is_dispatched_by_its_target() {
    for &op in Op::ALL {
        let request = decode(&target(op.name()), b"{}").unwrap();
        assert_eq!(request.operation(), op);
        let wire_op = request.into_operation(Timestamp::EPOCH, seed());
        assert_eq!(wire_op.operation(), op);
        assert_eq!(operation_of(&target(op.name())), Ok(op));
    }
}

#[test]
fn admin_operations_require_a_signature() {
    let signed: Vec<Op> = Op::ALL
        .iter()
        .copied()
        .filter(|&op| requires_signature(op))
        .collect();
    assert_eq!(
        signed,
        vec![
            Op::AdminConfirmSignUp,
            Op::AdminGetUser,
            Op::AdminDisableUser,
            Op::AdminEnableUser,
            Op::AdminDeleteUser,
            Op::ListUsers,
            // Pool and client management ([pool-operations]).
            Op::CreateUserPool,
            Op::DescribeUserPool,
            Op::UpdateUserPool,
            Op::DeleteUserPool,
            Op::ListUserPools,
            Op::CreateUserPoolClient,
            Op::DescribeUserPoolClient,
            Op::UpdateUserPoolClient,
            Op::DeleteUserPoolClient,
            Op::ListUserPoolClients,
        ]
    );
    // Exactly ListUsers and the management operations run outside the step machines.
    let managed: Vec<Op> = Op::ALL
        .iter()
        .copied()
        .filter(|&op| is_management(op))
        .collect();
    assert_eq!(managed, signed[5..].to_vec());
}

#[test]
fn bodies_over_one_mib_are_refused_with_413() {
    let mut body = br#"{"ClientId":""#.to_vec();
    body.resize(MAX_BODY_BYTES.saturating_add(1).saturating_sub(2), b'a');
    body.extend_from_slice(b"\"}");
    assert_eq!(body.len(), MAX_BODY_BYTES + 1);
    let r = decode(&target("SignUp"), &body).unwrap_err();
    assert_error(
        &r,
        413,
        "RequestEntityTooLargeException",
        "The request body is larger than 1048576 bytes.",
    );
    assert_eq!(r, WireResponse::too_large());

    // Exactly 1 MiB is read.
    body.remove(14);
    assert_eq!(body.len(), MAX_BODY_BYTES);
    assert!(decode(&target("SignUp"), &body).is_ok());
}

#[test]
fn error_message_header_never_holds_control_characters() {
    let e = Error::new(
        Exception::UserLambdaValidation,
        "PostConfirmation failed with error line one\r\nX-Injected: 1\u{7f}.",
    );
    let r = WireResponse::error(&e);
    assert_eq!(
        r.header("x-amzn-errormessage"),
        Some("PostConfirmation failed with error line one  X-Injected: 1 .")
    );
    // The body keeps the message as it is, JSON-escaped.
    assert_eq!(
        body_json(&r)["message"],
        json!("PostConfirmation failed with error line one\r\nX-Injected: 1\u{7f}.")
    );
}

#[test]
fn statuses_follow_the_exception_table() {
    for &e in Exception::ALL {
        let r = WireResponse::error(&Error::new(e, "m"));
        assert_eq!(r.status, e.status());
        assert_eq!(
            r.header("X-AMZN-ERRORTYPE"),
            Some(format!("{}:", e.name()).as_str())
        );
    }
    assert_eq!(Exception::Forbidden.status(), 403);
    assert_eq!(Exception::InternalError.status(), 500);
    assert_eq!(Exception::CodeMismatch.status(), 400);
    assert_eq!(Exception::Serialization.status(), 400);
    assert_eq!(Exception::UnknownOperation.status(), 400);
    assert_eq!(Exception::RequestEntityTooLarge.status(), 413);
}

#[test]
fn forbidden_and_internal_error_statuses() {
    let r = WireResponse::error(&Error::new(Exception::Forbidden, messages::WAF_BLOCK));
    assert_error(
        &r,
        403,
        "ForbiddenException",
        "Request not allowed due to WAF block.",
    );
    let r = WireResponse::error(&Error::internal("disk on fire".into()));
    // The host's failure is kept as the source, never put on the wire.
    assert_error(
        &r,
        500,
        "InternalErrorException",
        "Internal error encountered.",
    );
}

#[test]
fn debug_of_responses_and_requests_shows_no_secrets() {
    let (driver, _) = fixture();
    let r = sign_up(&driver);
    let debug = format!("{r:?}");
    assert!(
        !debug.contains("UserSub") && !debug.contains("a***"),
        "{debug}"
    );
    let request = decode(
        &target("SignUp"),
        br#"{"ClientId":"c","Username":"alice","Password":"Sup3r-Secret","SecretHash":"c2VjcmV0"}"#,
    )
    .unwrap();
    let debug = format!("{request:?}");
    let debug = format!(
        "{debug} {:?}",
        request.into_operation(Timestamp::EPOCH, seed())
    );
    for secret in ["alice", "Sup3r-Secret", "c2VjcmV0"] {
        assert!(!debug.contains(secret), "{debug}");
    }
}

// ---------------------------------------------------------------------------------------------
// The model description names the members of the real types.

/// A value for every member of a description.
fn sample(desc: &Value) -> Value {
    match desc["type"].as_str().unwrap() {
        "string" => json!("x"),
        "boolean" => json!(true),
        "integer" => json!(7),
        "list" => json!([sample(&desc["member"])]),
        "map" => json!({"k": "v"}),
        "structure" => Value::Object(
            desc["members"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), sample(v)))
                .collect(),
        ),
        other => panic!("unexpected type {other}"),
    }
}

/// The shape of a JSON value as a description type tree (names and kinds only).
fn shape(v: &Value) -> Value {
    match v {
        Value::String(_) => json!("string"),
        Value::Bool(_) => json!("boolean"),
        Value::Number(_) => json!("number"),
        Value::Array(a) => json!({"list": shape(&a[0])}),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Null => json!(null),
    }
}

fn desc_shape(desc: &Value) -> Value {
    match desc["type"].as_str().unwrap() {
        "list" => json!({"list": desc_shape(&desc["member"])}),
        "map" => json!({"k": "string"}),
        "integer" | "timestamp" => json!("number"),
        "structure" => Value::Object(
            desc["members"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), desc_shape(v)))
                .collect(),
        ),
        t => json!(t),
    }
}

fn request_json(request: &WireRequest) -> Value {
    match request {
        WireRequest::SignUp(r) => serde_json::to_value(r),
        WireRequest::ConfirmSignUp(r) => serde_json::to_value(r),
        WireRequest::ResendConfirmationCode(r) => serde_json::to_value(r),
        WireRequest::AdminConfirmSignUp(r) => serde_json::to_value(r),
        WireRequest::AdminGetUser(r)
        | WireRequest::AdminDisableUser(r)
        | WireRequest::AdminEnableUser(r)
        | WireRequest::AdminDeleteUser(r) => serde_json::to_value(r),
        WireRequest::ListUsers(r) => serde_json::to_value(r),
        // Pool and client management.
        WireRequest::CreateUserPool(r) => serde_json::to_value(r),
        WireRequest::DescribeUserPool(r) | WireRequest::DeleteUserPool(r) => {
            serde_json::to_value(r)
        }
        WireRequest::UpdateUserPool(r) => serde_json::to_value(r),
        WireRequest::ListUserPools(r) => serde_json::to_value(r),
        WireRequest::CreateUserPoolClient(r) => serde_json::to_value(r),
        WireRequest::DescribeUserPoolClient(r) | WireRequest::DeleteUserPoolClient(r) => {
            serde_json::to_value(r)
        }
        WireRequest::UpdateUserPoolClient(r) => serde_json::to_value(r),
        WireRequest::ListUserPoolClients(r) => serde_json::to_value(r),
    }
    .unwrap()
}

#[test]
fn described_input_members_are_exactly_the_request_types_members() {
    for &op in Op::ALL {
        let desc = model::input(op);
        let body = serde_json::to_vec(&sample(&desc)).unwrap();
        let request = decode(&target(op.name()), &body).unwrap();
        // Every described member was read (none ignored as unknown) and nothing else exists.
        assert_eq!(shape(&request_json(&request)), desc_shape(&desc), "{op:?}");
    }
}

#[test]
fn described_output_members_are_exactly_the_response_types_members() {
    let (driver, delivery) = fixture();
    let r = sign_up(&driver);
    assert_eq!(
        shape(&body_json(&r)),
        desc_shape(&model::output(Op::SignUp))
    );
    let r = handle(
        &driver,
        &target("ResendConfirmationCode"),
        br#"{"ClientId":"exampleclient","Username":"alice"}"#,
    );
    assert_eq!(
        shape(&body_json(&r)),
        desc_shape(&model::output(Op::ResendConfirmationCode))
    );
    let code = delivery.last().unwrap().code;
    let body = format!(
        r#"{{"ClientId":"exampleclient","Username":"alice","ConfirmationCode":"{}"}}"#,
        code.as_str()
    );
    let r = handle(&driver, &target("ConfirmSignUp"), body.as_bytes());
    assert_eq!(
        shape(&body_json(&r)),
        desc_shape(&model::output(Op::ConfirmSignUp))
    );
    let r = handle(
        &driver,
        &target("AdminGetUser"),
        br#"{"UserPoolId":"us-east-1_Example","Username":"alice"}"#,
    );
    assert_eq!(
        shape(&body_json(&r)),
        desc_shape(&model::output(Op::AdminGetUser))
    );
    // Two users, a page of one: every member, the token included.
    let bob = br#"{"ClientId":"exampleclient","Username":"bob","Password":"Corr3ct-Horse!"}"#;
    assert_eq!(handle(&driver, &target("SignUp"), bob).status, 200);
    let r = handle(
        &driver,
        &target("ListUsers"),
        br#"{"UserPoolId":"us-east-1_Example","Limit":1}"#,
    );
    assert_eq!(
        shape(&body_json(&r)),
        desc_shape(&model::output(Op::ListUsers))
    );
    let r = handle(
        &driver,
        &target("AdminDeleteUser"),
        br#"{"UserPoolId":"us-east-1_Example","Username":"alice"}"#,
    );
    assert_eq!(
        shape(&body_json(&r)),
        desc_shape(&model::output(Op::AdminDeleteUser))
    );
}

#[test]
fn described_constraints_are_the_validated_ones() {
    let d = model::input(Op::ConfirmSignUp);
    assert_eq!(
        d["members"]["ConfirmationCode"],
        json!({"type": "string", "required": true, "min": 1, "max": 2048, "pattern": "[\\S]+"})
    );
    assert_eq!(
        d["members"]["Session"],
        json!({"type": "string", "required": false, "min": 20, "max": 2048})
    );
    let whole = model::describe();
    assert_eq!(
        whole["ProtocolErrors"],
        json!([
            "SerializationException",
            "UnknownOperationException",
            "RequestEntityTooLargeException",
            "MissingAuthenticationTokenException",
            "UnrecognizedClientException",
            "InvalidSignatureException"
        ])
    );
    assert_eq!(
        whole["Operations"].as_object().unwrap().len(),
        Op::ALL.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Every exception answered on the wire is one the operation lists (and so, by the
// model-conformance test, one its modelled errors name).

struct Block;

impl crate::host::RequestGuard for Block {
    fn check(&self, _: &crate::protocol::GuardRequest) -> crate::protocol::GuardVerdict {
        crate::protocol::GuardVerdict::Block
    }
}

/// A driver over pools that exercise the error paths: triggers that fail in each way, a secret
/// client, a one-request-per-second pool, disabled operations.
fn error_paths_driver(
    lambda: crate::protocol::LambdaReply,
    guard: bool,
) -> (Driver<MemoryStore>, Arc<RecordingDelivery>) {
    let mut directory = StaticDirectory::new();
    let pools = [
        (
            "us-east-1_Plain",
            r#"{"Id":"us-east-1_Plain","AliasAttributes":["email"],"AutoVerifiedAttributes":["email"]}"#,
        ),
        (
            "us-east-1_Triggers",
            r#"{"Id":"us-east-1_Triggers","AutoVerifiedAttributes":["email"],
                "LambdaConfig":{"PreSignUp":"f","PostConfirmation":"f","CustomMessage":"f"}}"#,
        ),
        (
            "us-east-1_Slow",
            r#"{"Id":"us-east-1_Slow","AutoVerifiedAttributes":["email"],
                "SignUpPolicy":{"RequestsPerSecond":1}}"#,
        ),
        (
            "us-east-1_Off",
            r#"{"Id":"us-east-1_Off","AutoVerifiedAttributes":["email"],
                "DisabledOperations":["SignUp","ConfirmSignUp","ResendConfirmationCode",
                "AdminConfirmSignUp","AdminGetUser","AdminDisableUser","AdminEnableUser"]}"#,
        ),
    ];
    for (id, json) in pools {
        directory.add_pool(
            UserPool::from_json(json).unwrap(),
            CodeKeys::new(&[[9u8; 32]]).unwrap(),
        );
        let client_id = id.split_once('_').unwrap().1.to_lowercase();
        directory.add_client(id, AppClient::new(client_id)).unwrap();
    }
    let mut secret = AppClient::new("secret");
    secret.client_secret = Some("shh".to_owned());
    directory.add_client("us-east-1_Plain", secret).unwrap();
    let delivery = Arc::new(RecordingDelivery::new());
    let mut driver = Driver::new(MemoryStore::new(), Arc::new(directory))
        .with_clock(Arc::new(ManualClock::new(Timestamp::from_secs(
            1_800_000_000,
        ))))
        .with_randomness(Arc::new(SeededRandomness::new([3; 32])))
        .with_password_hashing(PasswordHashing::insecure_fast_for_tests())
        .with_delivery(delivery.clone())
        .with_lambda(Arc::new(crate::reference::RecordingLambda::with_handler(
            move |_| lambda.clone(),
        )));
    if guard {
        driver = driver.with_guard(Arc::new(Block));
    }
    (driver, delivery)
}

#[test]
fn every_exception_answered_is_listed_for_its_operation() {
    use crate::protocol::{InvokeFailure, LambdaReply};
    let replies = [
        LambdaReply::Returned(b"not json".to_vec()),
        LambdaReply::Returned(br#"{"response":7}"#.to_vec()),
        LambdaReply::FunctionError {
            error_message: "no".into(),
            error_type: None,
        },
        LambdaReply::InvokeFailed(InvokeFailure::Timeout),
        LambdaReply::InvokeFailed(InvokeFailure::AccessDenied),
    ];
    let mut seen = std::collections::BTreeSet::new();
    let mut check = |op: &str, r: &WireResponse| {
        if r.status != 200 {
            let name = body_json(r)["__type"].as_str().unwrap().to_owned();
            let e = Exception::from_name(&name).unwrap();
            let op = Op::from_name(op).unwrap();
            assert!(exceptions(op).contains(&e), "{op:?} answered {name}");
            seen.insert(name);
        }
    };
    let sign_up = |client: &str, user: &str, password: &str, email: &str| {
        format!(
            r#"{{"ClientId":"{client}","Username":"{user}","Password":"{password}",
                "UserAttributes":[{{"Name":"email","Value":"{email}"}}]}}"#
        )
    };
    let confirm = |client: &str, user: &str, code: &str| {
        format!(r#"{{"ClientId":"{client}","Username":"{user}","ConfirmationCode":"{code}"}}"#)
    };
    let resend =
        |client: &str, user: &str| format!(r#"{{"ClientId":"{client}","Username":"{user}"}}"#);
    let admin =
        |pool: &str, user: &str| format!(r#"{{"UserPoolId":"{pool}","Username":"{user}"}}"#);
    let mut run = |driver: &Driver<MemoryStore>, op: &str, body: &str| {
        let r = handle(driver, &target(op), body.as_bytes());
        check(op, &r);
        r
    };

    for (i, reply) in replies.into_iter().enumerate() {
        let (d, delivery) = error_paths_driver(reply, false);
        // Triggers failing in each way, on each operation that invokes them.
        run(
            &d,
            "SignUp",
            &sign_up("triggers", "t", "Passw0rd!", "t@example.com"),
        );
        run(&d, "ResendConfirmationCode", &resend("triggers", "t"));
        run(&d, "ConfirmSignUp", &confirm("triggers", "t", "123456"));
        run(&d, "AdminConfirmSignUp", &admin("us-east-1_Triggers", "t"));
        if i > 0 {
            continue;
        }
        // Shape, client, pool, disabled operations.
        for op in Op::ALL {
            run(&d, op.name(), "{}");
            run(
                &d,
                op.name(),
                r#"{"ClientId":"nope","Username":"u","ConfirmationCode":"1","UserPoolId":"us-east-1_Nope"}"#,
            );
            run(
                &d,
                op.name(),
                r#"{"ClientId":"off","Username":"u","Password":"Passw0rd!","ConfirmationCode":"1","UserPoolId":"us-east-1_Off"}"#,
            );
        }
        // SecretHash, password policy, existing users, missing users.
        run(
            &d,
            "SignUp",
            &sign_up("secret", "s", "Passw0rd!", "s@example.com"),
        );
        run(
            &d,
            "SignUp",
            r#"{"ClientId":"plain","Username":"p","SecretHash":"abc"}"#,
        );
        run(
            &d,
            "SignUp",
            &sign_up("plain", "p", "short", "p@example.com"),
        );
        assert_eq!(
            run(
                &d,
                "SignUp",
                &sign_up("plain", "p", "Passw0rd!", "p@example.com")
            )
            .status,
            200
        );
        run(
            &d,
            "SignUp",
            &sign_up("plain", "p", "Passw0rd!", "p@example.com"),
        );
        run(&d, "ConfirmSignUp", &confirm("plain", "nobody", "123456"));
        run(&d, "ResendConfirmationCode", &resend("plain", "nobody"));
        for op in [
            "AdminConfirmSignUp",
            "AdminGetUser",
            "AdminDisableUser",
            "AdminEnableUser",
        ] {
            run(&d, op, &admin("us-east-1_Plain", "nobody"));
        }
        // Wrong and expired codes, attempt limits, resend limits.
        for _ in 0..17 {
            run(&d, "ConfirmSignUp", &confirm("plain", "p", "000000"));
        }
        for _ in 0..7 {
            run(&d, "ResendConfirmationCode", &resend("plain", "p"));
        }
        // A second user whose verified email is then claimed by the first: alias conflict.
        run(
            &d,
            "SignUp",
            &sign_up("plain", "q", "Passw0rd!", "q@example.com"),
        );
        let q_code = delivery.last().unwrap().code;
        run(
            &d,
            "SignUp",
            &sign_up("plain", "r", "Passw0rd!", "q@example.com"),
        );
        let r_code = delivery.last().unwrap().code;
        run(&d, "ConfirmSignUp", &confirm("plain", "q", q_code.as_str()));
        run(&d, "ConfirmSignUp", &confirm("plain", "r", r_code.as_str()));
        // Confirmed and disabled users.
        run(&d, "ResendConfirmationCode", &resend("plain", "q"));
        run(&d, "ConfirmSignUp", &confirm("plain", "q", q_code.as_str()));
        run(&d, "AdminConfirmSignUp", &admin("us-east-1_Plain", "q"));
        run(&d, "AdminDisableUser", &admin("us-east-1_Plain", "q"));
        run(&d, "ConfirmSignUp", &confirm("plain", "q", q_code.as_str()));
        run(&d, "ResendConfirmationCode", &resend("plain", "q"));
        // Delivery failure.
        delivery.set_failing(true);
        run(
            &d,
            "SignUp",
            &sign_up("plain", "z", "Passw0rd!", "z@example.com"),
        );
        run(&d, "ResendConfirmationCode", &resend("plain", "z"));
        delivery.set_failing(false);
        // Throttling: one request per second.
        for op in ["SignUp", "ConfirmSignUp", "ResendConfirmationCode"] {
            for _ in 0..3 {
                run(
                    &d,
                    op,
                    &sign_up("slow", "w", "Passw0rd!", "w@example.com")
                        .replace(r#""Password""#, r#""ConfirmationCode":"1","Password""#),
                );
            }
        }
        for _ in 0..3 {
            run(&d, "AdminConfirmSignUp", &admin("us-east-1_Slow", "w"));
        }
    }
    // The request guard.
    let (d, _) = error_paths_driver(LambdaReply::Returned(Vec::new()), true);
    for op in ["SignUp", "ConfirmSignUp", "ResendConfirmationCode"] {
        run(
            &d,
            op,
            &sign_up("plain", "g", "Passw0rd!", "g@example.com")
                .replace(r#""Password""#, r#""ConfirmationCode":"1","Password""#),
        );
    }
    // The scenarios reached these; each was checked against its operation's list above.
    for name in [
        "AliasExistsException",
        "InvalidParameterException",
        "ResourceNotFoundException",
        "OperationNotEnabledException",
        "ForbiddenException",
        "TooManyRequestsException",
        "NotAuthorizedException",
        "UsernameExistsException",
        "InvalidPasswordException",
        "UserNotFoundException",
        "CodeMismatchException",
        "LimitExceededException",
        "UserLambdaValidationException",
        "UnexpectedLambdaException",
        "InvalidLambdaResponseException",
        "CodeDeliveryFailureException",
    ] {
        assert!(seen.contains(name), "no scenario reached {name}: {seen:?}");
    }
}

#[test]
fn a_repeated_member_is_serialization_exception_naming_it() {
    let r = decode(&target("SignUp"), br#"{"ClientId":"a","ClientId":"b"}"#).unwrap_err();
    assert_error(
        &r,
        400,
        "SerializationException",
        "Member 'ClientId' appears more than once.",
    );
    let r = decode(
        &target("SignUp"),
        br#"{"UserAttributes":[{"Name":"a","Value":"b","Value":"c"}]}"#,
    )
    .unwrap_err();
    assert_error(
        &r,
        400,
        "SerializationException",
        "Member 'UserAttributes[0].Value' appears more than once.",
    );
}

#[test]
fn a_maximal_body_of_empty_attributes_gets_a_bounded_answer_with_the_exact_count() {
    let (driver, _) = fixture();
    let mut body = br#"{"UserAttributes":[{}"#.to_vec();
    let mut entries = 1usize;
    // `]}` closes it; whitespace pads to exactly 1 MiB.
    while body.len() + 3 + 2 <= MAX_BODY_BYTES {
        body.extend_from_slice(b",{}");
        entries += 1;
    }
    body.extend_from_slice(b"]}");
    body.resize(MAX_BODY_BYTES, b' ');
    let r = handle(&driver, &target("SignUp"), &body);
    assert_eq!(r.status, 400);
    assert!(r.body.len() <= MAX_ERROR_BODY_BYTES, "{}", r.body.len());
    let null = |path: &str| {
        format!("Value null at '{path}' failed to satisfy constraint: Member must not be null")
    };
    let mut listed = vec![null("clientId"), null("username")];
    listed.extend((1..=8).map(|n| null(&format!("userAttributes.{n}.member.name"))));
    // clientId and username are missing too: two more than the entries.
    let message = format!(
        "{} validation errors detected: {}; ...",
        entries + 2,
        listed.join("; ")
    );
    assert_eq!(entries, 349_518);
    assert_eq!(body_json(&r)["message"], json!(message));
    let header = r.header("x-amzn-ErrorMessage").unwrap();
    assert!(header.len() <= MAX_ERROR_HEADER_BYTES, "{}", header.len());
    assert!(header.starts_with("349520 validation errors detected: Value null at 'clientId'"));
    assert!(header.ends_with("..."));
    assert_eq!(
        header.strip_suffix("...").map(|h| message.starts_with(h)),
        Some(true)
    );
}

#[test]
fn long_messages_are_cut_at_a_character_boundary() {
    // A function's error message is the function's to choose: 1 MiB of it.
    let text = format!("PreSignUp failed with error {}.", "é".repeat(512 * 1024));
    let r = WireResponse::error(&Error::new(Exception::UserLambdaValidation, text.clone()));
    assert!(r.body.len() <= MAX_ERROR_BODY_BYTES, "{}", r.body.len());
    let message = body_json(&r)["message"].as_str().unwrap().to_owned();
    // "PreSignUp failed with error " is 28 bytes; "é" 2: 4080 of them fit before the mark.
    assert_eq!(
        message,
        format!("PreSignUp failed with error {}...", "é".repeat(4080))
    );
    assert_eq!(message.len(), MAX_ERROR_MESSAGE_BYTES - 1);
    assert_eq!(
        r.header("x-amzn-ErrorMessage"),
        Some(format!("PreSignUp failed with error {}...", "é".repeat(240)).as_str())
    );

    // Control characters, each escaped to six bytes in JSON, still leave the body bounded.
    let r = WireResponse::error(&Error::new(
        Exception::UserLambdaValidation,
        "\u{1}".repeat(1024 * 1024),
    ));
    assert!(r.body.len() <= MAX_ERROR_BODY_BYTES, "{}", r.body.len());
    assert_eq!(
        body_json(&r)["message"],
        json!(format!(
            "{}...",
            "\u{1}".repeat(MAX_ERROR_MESSAGE_BYTES - 3)
        ))
    );
    assert_eq!(
        r.header("x-amzn-ErrorMessage").map(str::len),
        Some(MAX_ERROR_HEADER_BYTES)
    );

    // A message at the limit is untouched.
    let exact = "a".repeat(MAX_ERROR_MESSAGE_BYTES);
    let r = WireResponse::error(&Error::new(Exception::UserLambdaValidation, exact.clone()));
    assert_eq!(body_json(&r)["message"], json!(exact));
}

#[test]
fn described_management_outputs_are_the_serialized_responses() {
    // [pool-describe] Every modelled member filled: the serialized response has exactly the
    // described members.
    use crate::config::{AliasAttribute, AppClient, UserPool, VerifiableAttribute};
    use crate::manage::{
        EmptyResponse, ListUserPoolClientsResponse, ListUserPoolsResponse, UserPoolClientResponse,
        UserPoolResponse,
    };
    let mut pool = UserPool::new("us-east-1_Full");
    pool.name = Some("full".into());
    pool.arn = Some("arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Full".into());
    pool.creation_date = Some(Timestamp::from_secs(1));
    pool.last_modified_date = Some(Timestamp::from_secs(2));
    pool.alias_attributes.insert(AliasAttribute::Email);
    pool.username_attributes.insert(VerifiableAttribute::Email);
    pool.auto_verified_attributes
        .insert(VerifiableAttribute::Email);
    pool.policies.sign_in_policy.allowed_first_auth_factors = vec!["PASSWORD".into()];
    pool.lambda_config.pre_sign_up = Some("arn:a".into());
    pool.lambda_config.custom_message = Some("arn:b".into());
    pool.lambda_config.post_confirmation = Some("arn:c".into());
    pool.sms_verification_message = Some("{####}".into());
    pool.email_verification_message = Some("{####}".into());
    pool.email_verification_subject = Some("s".into());
    pool.verification_message_template.sms_message = Some("{####}".into());
    pool.verification_message_template.email_message = Some("{####}".into());
    pool.verification_message_template.email_subject = Some("s".into());
    let mut client = AppClient::new("c").with_secret("s".repeat(52));
    client.user_pool_id = Some(pool.id.clone());
    client.client_name = Some("app".into());
    client.explicit_auth_flows = vec!["ALLOW_USER_SRP_AUTH".into()];
    client.creation_date = Some(Timestamp::from_secs(1));
    client.last_modified_date = Some(Timestamp::from_secs(2));
    let check = |op: Op, value: Value| {
        assert_eq!(shape(&value), desc_shape(&model::output(op)), "{op:?}");
    };
    let pool_response = UserPoolResponse {
        user_pool: pool.clone(),
    };
    let client_response = UserPoolClientResponse {
        user_pool_client: client.clone(),
    };
    for op in [Op::CreateUserPool, Op::DescribeUserPool] {
        check(op, serde_json::to_value(&pool_response).unwrap());
    }
    for op in [
        Op::CreateUserPoolClient,
        Op::DescribeUserPoolClient,
        Op::UpdateUserPoolClient,
    ] {
        check(op, serde_json::to_value(&client_response).unwrap());
    }
    for op in [
        Op::UpdateUserPool,
        Op::DeleteUserPool,
        Op::DeleteUserPoolClient,
    ] {
        check(op, serde_json::to_value(EmptyResponse::default()).unwrap());
    }
    check(
        Op::ListUserPools,
        serde_json::to_value(ListUserPoolsResponse {
            user_pools: vec![pool],
            next_token: Some("t".into()),
        })
        .unwrap(),
    );
    let listed = serde_json::to_value(ListUserPoolClientsResponse {
        user_pool_clients: vec![client],
        next_token: Some("t".into()),
    })
    .unwrap();
    assert!(
        !listed.to_string().contains(&"s".repeat(52)),
        "no secret in a list"
    );
    check(Op::ListUserPoolClients, listed);
}
