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

/// An integer member with its range.
fn integer(r: validate::Range) -> Value {
    json!({"type": "integer", "required": r.required, "min": r.min, "max": r.max})
}

/// A structure whose unlisted members are accepted and ignored ([pool-unmodelled]).
fn open(members: &[(&str, Value)]) -> Value {
    let mut v = structure(members);
    if let Some(m) = v.as_object_mut() {
        m.insert("others".into(), "ignored".into());
    }
    v
}

fn strings() -> Value {
    list(json!({"type": "string", "required": false}))
}

// Pool and client management ([pool-operations]).

fn pool_settings_input() -> Vec<(&'static str, Value)> {
    vec![
        (
            "Policies",
            structure(&[
                (
                    "PasswordPolicy",
                    open(&[
                        ("MinimumLength", integer(validate::R_MINIMUM_LENGTH)),
                        ("RequireUppercase", boolean()),
                        ("RequireLowercase", boolean()),
                        ("RequireNumbers", boolean()),
                        ("RequireSymbols", boolean()),
                    ]),
                ),
                (
                    "SignInPolicy",
                    structure(&[("AllowedFirstAuthFactors", strings())]),
                ),
            ]),
        ),
        (
            "LambdaConfig",
            open(&[
                ("PreSignUp", string(validate::C_ARN)),
                ("CustomMessage", string(validate::C_ARN)),
                ("PostConfirmation", string(validate::C_ARN)),
            ]),
        ),
        ("AutoVerifiedAttributes", strings()),
        ("SmsVerificationMessage", string(validate::C_SMS_MESSAGE)),
        (
            "EmailVerificationMessage",
            string(validate::C_EMAIL_MESSAGE),
        ),
        (
            "EmailVerificationSubject",
            string(validate::C_EMAIL_SUBJECT),
        ),
        (
            "VerificationMessageTemplate",
            open(&[
                ("SmsMessage", string(validate::C_SMS_MESSAGE)),
                ("EmailMessage", string(validate::C_EMAIL_MESSAGE)),
                ("EmailSubject", string(validate::C_EMAIL_SUBJECT)),
            ]),
        ),
        (
            "AdminCreateUserConfig",
            open(&[("AllowAdminCreateUserOnly", boolean())]),
        ),
    ]
}

fn client_settings_input() -> Vec<(&'static str, Value)> {
    vec![
        ("ExplicitAuthFlows", strings()),
        (
            "PreventUserExistenceErrors",
            json!({"type": "string", "required": false}),
        ),
    ]
}

/// The input of a management operation.
fn management_input(operation: Op) -> Option<Value> {
    use validate::{C_CLIENT_ID, C_CLIENT_NAME, C_POOL_NAME, C_USER_POOL_ID};
    let mut members: Vec<(&str, Value)> = match operation {
        Op::CreateUserPool => {
            let mut m = vec![
                ("PoolName", string(C_POOL_NAME)),
                ("AliasAttributes", strings()),
                ("UsernameAttributes", strings()),
                (
                    "UsernameConfiguration",
                    structure(&[(
                        "CaseSensitive",
                        json!({"type": "boolean", "required": true}),
                    )]),
                ),
            ];
            m.extend(pool_settings_input());
            m
        }
        Op::UpdateUserPool => {
            let mut m = vec![
                ("UserPoolId", string(C_USER_POOL_ID)),
                ("PoolName", optional(string(C_POOL_NAME))),
            ];
            m.extend(pool_settings_input());
            m
        }
        Op::DescribeUserPool | Op::DeleteUserPool => vec![("UserPoolId", string(C_USER_POOL_ID))],
        Op::ListUserPools => vec![
            ("NextToken", string(validate::C_POOLS_NEXT_TOKEN)),
            ("MaxResults", integer(validate::R_POOLS_MAX_RESULTS)),
        ],
        Op::CreateUserPoolClient => {
            let mut m = vec![
                ("UserPoolId", string(C_USER_POOL_ID)),
                ("ClientName", string(C_CLIENT_NAME)),
                ("GenerateSecret", boolean()),
                ("ClientSecret", string(validate::C_CLIENT_SECRET)),
            ];
            m.extend(client_settings_input());
            m
        }
        Op::UpdateUserPoolClient => {
            let mut m = vec![
                ("UserPoolId", string(C_USER_POOL_ID)),
                ("ClientId", string(C_CLIENT_ID)),
                ("ClientName", optional(string(C_CLIENT_NAME))),
            ];
            m.extend(client_settings_input());
            m
        }
        Op::DescribeUserPoolClient | Op::DeleteUserPoolClient => vec![
            ("UserPoolId", string(C_USER_POOL_ID)),
            ("ClientId", string(C_CLIENT_ID)),
        ],
        Op::ListUserPoolClients => vec![
            ("UserPoolId", string(C_USER_POOL_ID)),
            ("MaxResults", integer(validate::R_CLIENTS_MAX_RESULTS)),
            ("NextToken", string(validate::C_CLIENTS_NEXT_TOKEN)),
            ("ClientType", json!({"type": "string", "required": false})),
        ],
        _ => return None,
    };
    // Every request of these operations has members the crate does not model.
    let open_request = matches!(
        operation,
        Op::CreateUserPool
            | Op::UpdateUserPool
            | Op::CreateUserPoolClient
            | Op::UpdateUserPoolClient
    );
    members.sort_by_key(|(n, _)| *n);
    Some(if open_request {
        open(&members)
    } else {
        structure(&members)
    })
}

fn lambda_config_output() -> Value {
    structure(&[
        ("PreSignUp", out("string", false)),
        ("CustomMessage", out("string", false)),
        ("PostConfirmation", out("string", false)),
    ])
}

/// `UserPoolType` as the crate sends it.
fn pool_output() -> Value {
    let strings_out = || list(out("string", false));
    structure(&[
        ("Id", out("string", true)),
        ("Name", out("string", false)),
        (
            "Policies",
            structure(&[
                (
                    "PasswordPolicy",
                    structure(&[
                        ("MinimumLength", out("integer", true)),
                        ("RequireUppercase", out("boolean", true)),
                        ("RequireLowercase", out("boolean", true)),
                        ("RequireNumbers", out("boolean", true)),
                        ("RequireSymbols", out("boolean", true)),
                    ]),
                ),
                (
                    "SignInPolicy",
                    structure(&[("AllowedFirstAuthFactors", strings_out())]),
                ),
            ]),
        ),
        ("LambdaConfig", lambda_config_output()),
        ("LastModifiedDate", out("timestamp", false)),
        ("CreationDate", out("timestamp", false)),
        ("AutoVerifiedAttributes", strings_out()),
        ("AliasAttributes", strings_out()),
        ("UsernameAttributes", strings_out()),
        ("SmsVerificationMessage", out("string", false)),
        ("EmailVerificationMessage", out("string", false)),
        ("EmailVerificationSubject", out("string", false)),
        (
            "VerificationMessageTemplate",
            structure(&[
                ("SmsMessage", out("string", false)),
                ("EmailMessage", out("string", false)),
                ("EmailSubject", out("string", false)),
            ]),
        ),
        (
            "AdminCreateUserConfig",
            structure(&[("AllowAdminCreateUserOnly", out("boolean", true))]),
        ),
        (
            "UsernameConfiguration",
            structure(&[("CaseSensitive", out("boolean", true))]),
        ),
        ("Arn", out("string", false)),
    ])
}

/// `UserPoolClientType` as the crate sends it.
fn client_output() -> Value {
    structure(&[
        ("UserPoolId", out("string", false)),
        ("ClientName", out("string", false)),
        ("ClientId", out("string", true)),
        ("ClientSecret", out("string", false)),
        ("LastModifiedDate", out("timestamp", false)),
        ("CreationDate", out("timestamp", false)),
        ("ExplicitAuthFlows", list(out("string", false))),
        ("PreventUserExistenceErrors", out("string", true)),
    ])
}

/// The output of a management operation.
fn management_output(operation: Op) -> Option<Value> {
    Some(match operation {
        Op::CreateUserPool | Op::DescribeUserPool => structure(&[("UserPool", pool_output())]),
        Op::UpdateUserPool | Op::DeleteUserPool | Op::DeleteUserPoolClient => structure(&[]),
        Op::ListUserPools => structure(&[
            (
                "UserPools",
                list(structure(&[
                    ("Id", out("string", true)),
                    ("Name", out("string", false)),
                    ("LambdaConfig", lambda_config_output()),
                    ("LastModifiedDate", out("timestamp", false)),
                    ("CreationDate", out("timestamp", false)),
                ])),
            ),
            ("NextToken", out("string", false)),
        ]),
        Op::CreateUserPoolClient | Op::DescribeUserPoolClient | Op::UpdateUserPoolClient => {
            structure(&[("UserPoolClient", client_output())])
        }
        Op::ListUserPoolClients => structure(&[
            (
                "UserPoolClients",
                list(structure(&[
                    ("ClientId", out("string", true)),
                    ("UserPoolId", out("string", false)),
                    ("ClientName", out("string", false)),
                ])),
            ),
            ("NextToken", out("string", false)),
        ]),
        _ => return None,
    })
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
        // Pool and client management.
        other => management_input(other).unwrap_or_else(|| structure(&[])),
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
        // Pool and client management.
        other => management_output(other).unwrap_or_else(|| structure(&[])),
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
