//! A description of this crate's side of the service model: for each operation, the members of
//! its input (with the constraints the core validates them against) and output, and the
//! exceptions it can answer.
//!
//! The input constraints are read from the same constants the core's shape validation uses, and
//! the member names are checked against the request and response types by this module's tests,
//! so the description cannot drift from the code. The project's model-conformance test compares
//! it with botocore's `cognito-idp` service model (`examples/model_description.rs` prints it).

use super::{PROTOCOL_EXCEPTIONS, exceptions};
use crate::config::OperationName as Op;
use crate::validate::{self, Constraint};
use serde_json::{Map, Value, json};

/// A string member with the core's constraint.
fn string(c: Constraint) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), "string".into());
    m.insert("required".into(), c.required.into());
    if let Some(min) = c.min {
        m.insert("min".into(), min.into());
    }
    if let Some(max) = c.max {
        m.insert("max".into(), max.into());
    }
    if let Some(p) = c.pattern {
        m.insert("pattern".into(), p.text().into());
    }
    Value::Object(m)
}

/// An integer member with the core's range.
fn integer(c: validate::IntConstraint) -> Value {
    json!({"type": "integer", "required": false, "min": c.min, "max": c.max})
}

fn optional(mut v: Value) -> Value {
    if let Some(m) = v.as_object_mut() {
        m.insert("required".into(), false.into());
    }
    v
}

fn boolean() -> Value {
    json!({"type": "boolean", "required": false})
}

fn structure(members: &[(&str, Value)]) -> Value {
    let members: Map<String, Value> = members
        .iter()
        .map(|(n, v)| ((*n).to_owned(), v.clone()))
        .collect();
    json!({"type": "structure", "required": false, "members": members})
}

fn list(member: Value) -> Value {
    json!({"type": "list", "required": false, "member": member})
}

fn attribute_list() -> Value {
    list(structure(&[
        ("Name", string(validate::C_ATTRIBUTE_NAME)),
        ("Value", string(validate::C_ATTRIBUTE_VALUE)),
    ]))
}

fn client_metadata() -> Value {
    json!({
        "type": "map",
        "required": false,
        "key": string(validate::C_STRING),
        "value": string(validate::C_STRING),
    })
}

fn analytics_metadata() -> Value {
    structure(&[("AnalyticsEndpointId", string(validate::C_STRING))])
}

fn user_context_data() -> Value {
    structure(&[
        ("IpAddress", string(validate::C_STRING)),
        ("EncodedData", string(validate::C_STRING)),
    ])
}

/// The input members of an operation, as a structure description.
#[must_use]
pub fn input(operation: Op) -> Value {
    use validate::{
        C_CLIENT_ID, C_CONFIRMATION_CODE, C_PASSWORD, C_SECRET_HASH, C_SESSION, C_USER_POOL_ID,
        C_USERNAME,
    };
    match operation {
        Op::SignUp => structure(&[
            ("ClientId", string(C_CLIENT_ID)),
            ("SecretHash", string(C_SECRET_HASH)),
            ("Username", string(C_USERNAME)),
            ("Password", string(C_PASSWORD)),
            ("UserAttributes", attribute_list()),
            ("ValidationData", attribute_list()),
            ("AnalyticsMetadata", analytics_metadata()),
            ("UserContextData", user_context_data()),
            ("ClientMetadata", client_metadata()),
        ]),
        Op::ConfirmSignUp => structure(&[
            ("ClientId", string(C_CLIENT_ID)),
            ("SecretHash", string(C_SECRET_HASH)),
            ("Username", string(C_USERNAME)),
            ("ConfirmationCode", string(C_CONFIRMATION_CODE)),
            ("ForceAliasCreation", boolean()),
            ("AnalyticsMetadata", analytics_metadata()),
            ("UserContextData", user_context_data()),
            ("ClientMetadata", client_metadata()),
            ("Session", string(C_SESSION)),
        ]),
        Op::ResendConfirmationCode => structure(&[
            ("ClientId", string(C_CLIENT_ID)),
            ("SecretHash", string(C_SECRET_HASH)),
            ("UserContextData", user_context_data()),
            ("Username", string(C_USERNAME)),
            ("AnalyticsMetadata", analytics_metadata()),
            ("ClientMetadata", client_metadata()),
        ]),
        Op::AdminConfirmSignUp => structure(&[
            ("UserPoolId", string(C_USER_POOL_ID)),
            ("Username", string(C_USERNAME)),
            ("ClientMetadata", client_metadata()),
        ]),
        Op::AdminGetUser | Op::AdminDisableUser | Op::AdminEnableUser | Op::AdminDeleteUser => {
            structure(&[
                ("UserPoolId", string(C_USER_POOL_ID)),
                ("Username", string(C_USERNAME)),
            ])
        }
        Op::ListUsers => structure(&[
            ("UserPoolId", string(C_USER_POOL_ID)),
            ("AttributesToGet", list(string(validate::C_ATTRIBUTE_NAME))),
            ("Limit", integer(validate::C_LIST_USERS_LIMIT)),
            (
                "PaginationToken",
                string(validate::C_SEARCH_PAGINATION_TOKEN),
            ),
            ("Filter", string(validate::C_USER_FILTER)),
        ]),
    }
}

fn out(kind: &str, required: bool) -> Value {
    json!({"type": kind, "required": required})
}

fn code_delivery_details() -> Value {
    structure(&[
        ("Destination", out("string", false)),
        ("DeliveryMedium", out("string", false)),
        ("AttributeName", out("string", false)),
    ])
}

/// `AttributeListType` as the crate sends it: every attribute has a value.
fn attribute_output_list() -> Value {
    list(structure(&[
        ("Name", out("string", true)),
        ("Value", out("string", false)),
    ]))
}

/// The output members of an operation (types and whether always present; outputs are made by
/// the crate, so their constraints hold by construction and are not described).
#[must_use]
pub fn output(operation: Op) -> Value {
    match operation {
        Op::SignUp => structure(&[
            ("UserConfirmed", out("boolean", true)),
            ("CodeDeliveryDetails", code_delivery_details()),
            ("UserSub", out("string", true)),
        ]),
        Op::ResendConfirmationCode => {
            structure(&[("CodeDeliveryDetails", code_delivery_details())])
        }
        Op::AdminGetUser => structure(&[
            ("Username", out("string", true)),
            ("UserAttributes", attribute_output_list()),
            ("UserCreateDate", out("timestamp", false)),
            ("UserLastModifiedDate", out("timestamp", false)),
            ("Enabled", out("boolean", false)),
            ("UserStatus", out("string", false)),
        ]),
        Op::ListUsers => structure(&[
            (
                "Users",
                list(structure(&[
                    ("Username", out("string", true)),
                    ("Attributes", attribute_output_list()),
                    ("UserCreateDate", out("timestamp", true)),
                    ("UserLastModifiedDate", out("timestamp", true)),
                    ("Enabled", out("boolean", true)),
                    ("UserStatus", out("string", true)),
                ])),
            ),
            ("PaginationToken", out("string", false)),
        ]),
        Op::ConfirmSignUp
        | Op::AdminConfirmSignUp
        | Op::AdminDisableUser
        | Op::AdminEnableUser
        | Op::AdminDeleteUser => structure(&[]),
    }
}

/// The whole description: `{"Operations": {Name: {"Input", "Output", "Errors"}},
/// "ProtocolErrors": [...]}`.
#[must_use]
pub fn describe() -> Value {
    let operations: Map<String, Value> = Op::ALL
        .iter()
        .map(|&op| {
            let errors: Vec<&str> = exceptions(op).iter().map(|e| e.name()).collect();
            (
                op.name().to_owned(),
                json!({
                    "Input": optional(input(op)),
                    "Output": optional(output(op)),
                    "Errors": errors,
                }),
            )
        })
        .collect();
    let protocol: Vec<&str> = PROTOCOL_EXCEPTIONS.iter().map(|e| e.name()).collect();
    json!({"Operations": operations, "ProtocolErrors": protocol})
}
