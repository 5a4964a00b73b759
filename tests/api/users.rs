//! AdminDeleteUser ([admin-delete-user]) and ListUsers ([list-users]): the exact messages, every
//! filter attribute and type, pagination, and the state a deletion leaves.

use crate::harness::*;
use cognito_signup::*;
use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

fn delete(h: &Host, username: &str) -> Result<AdminDeleteUserResponse, Error> {
    h.driver
        .admin_delete_user(AdminDeleteUserRequest::new(POOL, username))
}

fn list(h: &Host, request: ListUsersRequest) -> Result<ListUsersResponse, Error> {
    h.driver.list_users(&request)
}

/// The usernames a filter lists (one page of up to 60).
fn names(h: &Host, filter: &str) -> Vec<String> {
    let page = list(h, ListUsersRequest::new(POOL).filter(filter)).unwrap();
    assert_eq!(page.pagination_token, None, "{filter}");
    let mut names: Vec<String> = page.users.into_iter().map(|u| u.username).collect();
    names.sort();
    names
}

fn sub_of(h: &Host, username: &str) -> String {
    h.get(username).attribute("sub").unwrap().to_owned()
}

fn validation(message: &str) -> (String, String) {
    pair(
        "InvalidParameterException",
        &format!("1 validation error detected: {message}"),
    )
}

/// A pool where many users can sign up at once.
fn roomy() -> Builder {
    host().pool(|p| {
        p.sign_up_policy.user_creation_rate = 100_000;
        p.sign_up_policy.user_creation_burst = 100_000;
    })
}

// ---------------------------------------------------------------------------------------------
// AdminDeleteUser

#[test]
fn admin_delete_user_by_alias_frees_the_username_the_sub_and_the_alias() {
    let h = host().email_alias().build();
    let code = h.sign_up("alice", "alice@example.com");
    h.confirm("alice", &code).unwrap();
    let sub = sub_of(&h, "alice");
    assert_eq!(
        delete(&h, "alice@example.com").unwrap(),
        AdminDeleteUserResponse {}
    );
    for name in ["alice", "alice@example.com", sub.as_str()] {
        assert_eq!(
            err(h.driver.admin_get_user(AdminUserRequest::new(POOL, name))),
            pair("UserNotFoundException", "User does not exist.")
        );
    }
    // Nothing of the user is left: no record, no index entry.
    assert!(h.records().is_empty());
    assert!(h.store.inner.index(POOL).unwrap().is_empty());
    // The same username and email sign up and confirm again: the alias is free.
    let code = h.sign_up("alice", "alice@example.com");
    h.confirm("alice", &code).unwrap();
    assert_eq!(h.get("alice@example.com").username, "alice");
    assert_ne!(sub_of(&h, "alice"), sub);
}

#[test]
fn admin_delete_user_by_sub_removes_an_unconfirmed_user_and_its_code_confirms_nothing() {
    let h = host().build();
    let old_code = h.sign_up("alice", "alice@example.com");
    let sub = sub_of(&h, "alice");
    delete(&h, &sub).unwrap();
    assert_eq!(
        err(h.confirm("alice", &old_code)),
        pair(
            "UserNotFoundException",
            "Username/client id combination not found."
        )
    );
    // A new user of the same name has a code of its own: the old one does not confirm it.
    let new_code = h.sign_up("alice", "alice@example.com");
    assert_ne!(old_code, new_code);
    assert_eq!(
        err(h.confirm("alice", &old_code)),
        pair(
            "CodeMismatchException",
            "Invalid verification code provided, please try again."
        )
    );
    assert_eq!(h.status("alice"), "UNCONFIRMED");
    h.confirm("alice", &new_code).unwrap();
    assert_eq!(h.status("alice"), "CONFIRMED");
}

#[test]
fn admin_delete_user_frees_the_sign_in_email_of_a_username_attribute_pool() {
    let h = host().email_username().build();
    h.sign_up("alice@example.com", "alice@example.com");
    assert_eq!(h.store.inner.index(POOL).unwrap().len(), 3);
    delete(&h, "alice@example.com").unwrap();
    assert!(h.store.inner.index(POOL).unwrap().is_empty());
    h.sign_up("alice@example.com", "alice@example.com");
    assert_eq!(h.records().len(), 1);
}

#[test]
fn admin_delete_user_folds_the_name_in_a_case_insensitive_pool() {
    let h = host().case_insensitive().email_alias().build();
    let code = h.sign_up("Alice", "Alice@Example.com");
    h.confirm("Alice", &code).unwrap();
    delete(&h, "ALICE").unwrap();
    assert!(h.records().is_empty());
    assert!(h.store.inner.index(POOL).unwrap().is_empty());
}

#[test]
fn admin_delete_user_leaves_other_users_and_an_alias_it_does_not_hold() {
    let h = host().email_alias().build();
    // Bob holds the verified alias; Alice has the same email, unverified.
    let code = h.sign_up("bob", "shared@example.com");
    h.confirm("bob", &code).unwrap();
    h.sign_up("alice", "shared@example.com");
    delete(&h, "alice").unwrap();
    assert_eq!(h.get("shared@example.com").username, "bob");
    assert_eq!(h.records().len(), 1);
    assert_eq!(h.store.inner.index(POOL).unwrap().len(), 3);
}

#[test]
fn admin_delete_user_errors() {
    let h = host().build();
    assert_eq!(
        err(h
            .driver
            .admin_delete_user(AdminDeleteUserRequest::new("us-east-1_Nope", "alice"))),
        pair(
            "ResourceNotFoundException",
            "User pool us-east-1_Nope does not exist."
        )
    );
    assert_eq!(
        err(delete(&h, "alice")),
        pair("UserNotFoundException", "User does not exist.")
    );
    assert_eq!(
        err(h
            .driver
            .admin_delete_user(AdminDeleteUserRequest::new("bad", "alice"))),
        validation(
            "Value 'bad' at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+"
        )
    );
    h.sign_up("alice", "alice@example.com");
    delete(&h, "alice").unwrap();
    assert_eq!(
        err(delete(&h, "alice")),
        pair("UserNotFoundException", "User does not exist.")
    );
    let h = host()
        .pool(|p| {
            p.disabled_operations.insert(OperationName::AdminDeleteUser);
        })
        .build();
    h.sign_up("alice", "alice@example.com");
    assert_eq!(
        err(delete(&h, "alice")),
        pair(
            "OperationNotEnabledException",
            "This operation is not enabled for this user pool."
        )
    );
    assert_eq!(h.records().len(), 1);
}

#[test]
fn admin_delete_user_retries_a_conflict_and_applies_nothing_on_failure() {
    let h = host().build();
    h.sign_up("alice", "alice@example.com");
    h.store.fail_commits.store(true, Ordering::SeqCst);
    assert_eq!(
        err(delete(&h, "alice")),
        pair("InternalErrorException", "Internal error encountered.")
    );
    assert_eq!(h.records().len(), 1);
    assert_eq!(h.store.inner.index(POOL).unwrap().len(), 2);
    h.store.fail_commits.store(false, Ordering::SeqCst);
    h.store.conflict_commits.store(2, Ordering::SeqCst);
    let before = h.store.commits.load(Ordering::SeqCst);
    delete(&h, "alice").unwrap();
    assert_eq!(h.store.commits.load(Ordering::SeqCst) - before, 3);
    assert!(h.records().is_empty());
}

// ---------------------------------------------------------------------------------------------
// ListUsers

#[test]
fn list_users_pages_150_users_seven_at_a_time_without_duplicate_or_gap() {
    let h = roomy().build();
    let mut created = BTreeSet::new();
    for i in 0..150 {
        h.driver
            .sign_up(h.sign_up_req(&format!("user{i:03}"), None))
            .unwrap();
        created.insert(format!("user{i:03}"));
    }
    let mut seen = Vec::new();
    let mut subs = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut req = ListUsersRequest::new(POOL).limit(7);
        req.pagination_token = token.clone();
        let page = list(&h, req).unwrap();
        pages += 1;
        assert!(page.users.len() <= 7);
        for u in &page.users {
            seen.push(u.username.clone());
            subs.push(u.attribute("sub").unwrap().to_owned());
        }
        match page.pagination_token {
            Some(t) => {
                assert_eq!(page.users.len(), 7, "a token only after a full page");
                token = Some(t);
            }
            None => break,
        }
    }
    // 150 = 21 × 7 + 3: 22 pages, the last of 3 without a token.
    assert_eq!(pages, 22);
    assert_eq!(seen.len(), 150);
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), created);
    let mut sorted = subs.clone();
    sorted.sort();
    assert_eq!(subs, sorted, "users come in ascending order of sub");
    // Without a limit, a page holds 60.
    let page = list(&h, ListUsersRequest::new(POOL)).unwrap();
    assert_eq!(page.users.len(), 60);
    assert!(page.pagination_token.is_some());
    // A full last page has no token when nothing follows it.
    let page = list(&h, ListUsersRequest::new(POOL).limit(60)).unwrap();
    let mut token = page.pagination_token;
    let mut count = page.users.len();
    while let Some(t) = token {
        let page = list(
            &h,
            ListUsersRequest::new(POOL).limit(60).pagination_token(t),
        )
        .unwrap();
        count += page.users.len();
        token = page.pagination_token;
    }
    assert_eq!(count, 150);
}

#[test]
fn list_users_answers_attributes_dates_and_status_as_admin_get_user_does() {
    let h = host().build();
    let req = h
        .sign_up_req("alice", Some("alice@example.com"))
        .attribute("given_name", "Alice");
    h.driver.sign_up(req).unwrap();
    h.clock.advance(std::time::Duration::from_secs(5));
    h.driver
        .admin_disable_user(AdminUserRequest::new(POOL, "alice"))
        .unwrap();
    let got = h.get("alice");
    let page = list(&h, ListUsersRequest::new(POOL)).unwrap();
    assert_eq!(page.users.len(), 1);
    let u = &page.users[0];
    assert_eq!(u.username, got.username);
    assert_eq!(u.attributes, got.user_attributes);
    assert_eq!(u.user_create_date, got.user_create_date);
    assert_eq!(u.user_last_modified_date, got.user_last_modified_date);
    assert!(u.user_last_modified_date > u.user_create_date);
    assert!(!u.enabled);
    assert_eq!(u.user_status, "UNCONFIRMED");
}

/// Alice (confirmed, every searchable attribute), Bob (unconfirmed, disabled), Carol.
fn people() -> Host {
    let h = host().build();
    let req = h
        .sign_up_req("alice", Some("alice@example.com"))
        .attribute("phone_number", "+15550100")
        .attribute("name", "Alice Liddell")
        .attribute("given_name", "Say \"hi\"")
        .attribute("family_name", "Liddell")
        .attribute("preferred_username", "ally");
    h.driver.sign_up(req).unwrap();
    let code = h.last_code();
    h.confirm("alice", &code).unwrap();
    let req = h
        .sign_up_req("bob", Some("bob@example.org"))
        .attribute("phone_number", "+4479460000")
        .attribute("family_name", "Lidd");
    h.driver.sign_up(req).unwrap();
    h.driver
        .admin_disable_user(AdminUserRequest::new(POOL, "bob"))
        .unwrap();
    h.driver.sign_up(h.sign_up_req("carol", None)).unwrap();
    h
}

#[test]
fn list_users_filters_each_searchable_attribute_exactly_and_by_prefix() {
    let h = people();
    let alice_sub = sub_of(&h, "alice");
    let cases: &[(&str, &[&str])] = &[
        (r#"username = "alice""#, &["alice"]),
        (r#"username ^= "a""#, &["alice"]),
        (r#"username = "ali""#, &[]),
        (r#"email = "bob@example.org""#, &["bob"]),
        (r#"email ^= "alice@""#, &["alice"]),
        (r#"email ^= """#, &["alice", "bob"]),
        (r#"phone_number = "+15550100""#, &["alice"]),
        (r#"phone_number ^= "+44""#, &["bob"]),
        (r#"name = "Alice Liddell""#, &["alice"]),
        (r#"name ^= "Alice""#, &["alice"]),
        (r#"given_name = "Say \"hi\"""#, &["alice"]),
        (r#"given_name ^= "Say \"""#, &["alice"]),
        (r#"family_name = "Lidd""#, &["bob"]),
        (r#"family_name ^= "Lidd""#, &["alice", "bob"]),
        (r#"preferred_username = "ally""#, &["alice"]),
        (r#"preferred_username ^= "al""#, &["alice"]),
        (r#"cognito:user_status = "CONFIRMED""#, &["alice"]),
        (r#"cognito:user_status = "unconfirmed""#, &["bob", "carol"]),
        (r#"cognito:user_status ^= "Unconf""#, &["bob", "carol"]),
        (r#"status = "Disabled""#, &["bob"]),
        (r#"status = "Enabled""#, &["alice", "carol"]),
        (r#"status = "enabled""#, &[]),
        (r#"status ^= "Dis""#, &["bob"]),
        // Without spaces, with extra spaces, and with an escaped backslash.
        (r#"email="bob@example.org""#, &["bob"]),
        (r#"  email   ^=   "bob"  "#, &["bob"]),
        (r#"name = "Alice\\Liddell""#, &[]),
        // Empty and blank filters list everyone.
        ("", &["alice", "bob", "carol"]),
        ("   ", &["alice", "bob", "carol"]),
    ];
    for (filter, want) in cases {
        assert_eq!(names(&h, filter), *want, "{filter}");
    }
    assert_eq!(names(&h, &format!(r#"sub = "{alice_sub}""#)), ["alice"]);
    assert_eq!(
        names(&h, &format!(r#"sub ^= "{}""#, &alice_sub[..8])),
        ["alice"]
    );
}

#[test]
fn list_users_username_filter_follows_the_pool_case_rule() {
    let h = host().build();
    h.driver.sign_up(h.sign_up_req("Alice", None)).unwrap();
    assert_eq!(names(&h, r#"username = "Alice""#), ["Alice"]);
    assert!(names(&h, r#"username = "ALICE""#).is_empty());
    let h = host().case_insensitive().build();
    h.driver
        .sign_up(h.sign_up_req("Alice", Some("Alice@Example.com")))
        .unwrap();
    assert_eq!(names(&h, r#"username = "ALICE""#), ["Alice"]);
    assert_eq!(names(&h, r#"username ^= "al""#), ["Alice"]);
    assert_eq!(names(&h, r#"email = "alice@example.com""#), ["Alice"]);
}

#[test]
fn list_users_refuses_a_malformed_or_unsupported_filter() {
    let h = people();
    for filter in [
        r#"email = bob"#,
        r#"email "bob""#,
        r#"= "bob""#,
        r#"email = "bob"#,
        r#"email = "bob" extra"#,
        r#"email == "bob""#,
        r#"email ~= "bob""#,
        r#"email = "bob\"#,
        "email",
    ] {
        assert_eq!(
            err(list(&h, ListUsersRequest::new(POOL).filter(filter))),
            pair("InvalidParameterException", "Error while parsing filter."),
            "{filter}"
        );
    }
    for (filter, name) in [
        (r#"custom:plan = "gold""#, "custom:plan"),
        (r#"address ^= "1""#, "address"),
        (r#"Email = "bob@example.org""#, "Email"),
    ] {
        assert_eq!(
            err(list(&h, ListUsersRequest::new(POOL).filter(filter))),
            pair(
                "InvalidParameterException",
                &format!("Invalid search attribute: {name}")
            ),
            "{filter}"
        );
    }
    assert_eq!(
        err(list(
            &h,
            ListUsersRequest::new(POOL).filter("x".repeat(257))
        )),
        validation(
            "Value at 'filter' failed to satisfy constraint: Member must have length less than or equal to 256"
        )
    );
}

#[test]
fn list_users_limit_bounds_and_zero() {
    let h = people();
    assert_eq!(
        err(list(&h, ListUsersRequest::new(POOL).limit(61))),
        validation(
            "Value '61' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 60"
        )
    );
    assert_eq!(
        err(list(&h, ListUsersRequest::new(POOL).limit(-1))),
        validation(
            "Value '-1' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 0"
        )
    );
    let page = list(&h, ListUsersRequest::new(POOL).limit(0)).unwrap();
    assert!(page.users.is_empty());
    assert_eq!(page.pagination_token, None);
    let page = list(&h, ListUsersRequest::new(POOL).limit(3)).unwrap();
    assert_eq!(page.users.len(), 3);
    assert_eq!(page.pagination_token, None, "no user follows the third");
}

#[test]
fn list_users_refuses_a_token_it_did_not_issue() {
    let h = people();
    let invalid = pair(
        "InvalidParameterException",
        "Paging marker is invalid for request.",
    );
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    for token in [
        "garbage!".to_owned(),
        b64(b"\x02abc"),
        b64(b"\x01"),
        b64(b"\x01\xff\xfe"),
    ] {
        assert_eq!(
            err(list(
                &h,
                ListUsersRequest::new(POOL).pagination_token(token.clone())
            )),
            invalid,
            "{token}"
        );
    }
    assert_eq!(
        err(list(
            &h,
            ListUsersRequest::new(POOL).pagination_token("a b")
        )),
        validation(
            "Value at 'paginationToken' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\S]+"
        )
    );
    // An issued token continues after the page it ended, whatever the filter.
    let first = list(&h, ListUsersRequest::new(POOL).limit(1)).unwrap();
    let token = first.pagination_token.unwrap();
    let rest = list(&h, ListUsersRequest::new(POOL).pagination_token(token)).unwrap();
    assert_eq!(rest.users.len(), 2);
    assert!(
        !rest
            .users
            .iter()
            .any(|u| u.username == first.users[0].username)
    );
}

#[test]
fn list_users_filtered_pages_skip_what_does_not_match() {
    let h = roomy().build();
    for i in 0..40 {
        let email = if i % 3 == 0 { "match" } else { "other" };
        h.driver
            .sign_up(h.sign_up_req(&format!("u{i}"), Some(&format!("{email}{i}@example.com"))))
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let mut req = ListUsersRequest::new(POOL)
            .limit(4)
            .filter(r#"email ^= "match""#);
        req.pagination_token = token;
        let page = list(&h, req).unwrap();
        seen.extend(page.users.into_iter().map(|u| u.username));
        token = page.pagination_token;
        if token.is_none() {
            break;
        }
    }
    let mut want: Vec<String> = (0..40)
        .filter(|i| i % 3 == 0)
        .map(|i| format!("u{i}"))
        .collect();
    want.sort();
    seen.sort();
    assert_eq!(seen, want);
}

#[test]
fn list_users_attributes_to_get_limits_the_attributes() {
    let h = people();
    let page = list(
        &h,
        ListUsersRequest::new(POOL)
            .filter(r#"username = "alice""#)
            .attributes_to_get(["email", "family_name"]),
    )
    .unwrap();
    let names: Vec<&str> = page.users[0]
        .attributes
        .iter()
        .map(|a| a.name.as_deref().unwrap())
        .collect();
    assert_eq!(names, ["family_name", "email"]);
    let page = list(
        &h,
        ListUsersRequest::new(POOL).attributes_to_get(Vec::<String>::new()),
    )
    .unwrap();
    assert!(page.users.iter().all(|u| u.attributes.is_empty()));
    assert_eq!(page.users.len(), 3);
    // Known names a user lacks are fine; a name no user can have is refused.
    let page = list(
        &h,
        ListUsersRequest::new(POOL).attributes_to_get(["sub", "custom:plan", "email_verified"]),
    )
    .unwrap();
    assert!(page.users.iter().all(|u| {
        u.attributes
            .iter()
            .any(|a| a.name.as_deref() == Some("sub"))
    }));
    for bad in ["nickname2", "cognito:user_status", "custom:"] {
        assert_eq!(
            err(list(
                &h,
                ListUsersRequest::new(POOL).attributes_to_get([bad])
            )),
            pair(
                "InvalidParameterException",
                "One or more requested attributes do not exist."
            ),
            "{bad}"
        );
    }
    assert_eq!(
        err(list(
            &h,
            ListUsersRequest::new(POOL).attributes_to_get(["x".repeat(33)])
        )),
        validation(
            "Value at 'attributesToGet.1.member' failed to satisfy constraint: Member must have length less than or equal to 32"
        )
    );
}

#[test]
fn list_users_never_lists_the_decoy_record() {
    let h = host().enabled().build();
    h.sign_up("alice", "alice@example.com");
    // A confirmation for a missing name under ENABLED creates the pool's decoy record.
    let _ = h.confirm("nobody", "123456");
    assert!(h.records().iter().any(|r| r.value.is_decoy()));
    let page = list(&h, ListUsersRequest::new(POOL)).unwrap();
    let names: Vec<&str> = page.users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["alice"]);
    assert!(names_of_all_filters_exclude_decoy(&h));
}

fn names_of_all_filters_exclude_decoy(h: &Host) -> bool {
    [
        r#"sub ^= "0""#,
        r#"status = "Enabled""#,
        r#"cognito:user_status ^= """#,
    ]
    .iter()
    .all(|f| !names(h, f).iter().any(|n| n != "alice"))
}

#[test]
fn list_users_errors() {
    let h = host().build();
    assert_eq!(
        err(list(&h, ListUsersRequest::new("us-east-1_Nope"))),
        pair(
            "ResourceNotFoundException",
            "User pool us-east-1_Nope does not exist."
        )
    );
    assert_eq!(
        err(list(&h, ListUsersRequest::default())),
        validation(
            "Value null at 'userPoolId' failed to satisfy constraint: Member must not be null"
        )
    );
    // Validation comes before the pool lookup, and lists every violation.
    assert_eq!(
        err(list(
            &h,
            ListUsersRequest::new("us-east-1_Nope")
                .limit(99)
                .pagination_token("")
        ))
        .1,
        "3 validation errors detected: Value '99' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 60; Value at 'paginationToken' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\S]+; Value at 'paginationToken' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
    h.sign_up("alice", "alice@example.com");
    h.store.fail_finds.store(true, Ordering::SeqCst);
    assert_eq!(
        err(list(&h, ListUsersRequest::new(POOL))),
        pair("InternalErrorException", "Internal error encountered.")
    );
    let h = host()
        .pool(|p| {
            p.disabled_operations.insert(OperationName::ListUsers);
        })
        .build();
    assert_eq!(
        err(list(&h, ListUsersRequest::new(POOL))),
        pair(
            "OperationNotEnabledException",
            "This operation is not enabled for this user pool."
        )
    );
}

#[test]
fn list_users_and_admin_delete_user_over_the_wire() {
    let h = people();
    let body = br#"{"UserPoolId":"us-east-1_TestPool","Filter":"email ^= \"bob\"","AttributesToGet":["email"]}"#;
    let r = wire::handle(
        &h.driver,
        "AWSCognitoIdentityProviderService.ListUsers",
        body,
    );
    assert_eq!(r.status, 200);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["Users"].as_array().unwrap().len(), 1);
    assert_eq!(v["Users"][0]["Username"], "bob");
    assert_eq!(
        v["Users"][0]["Attributes"],
        serde_json::json!([{"Name": "email", "Value": "bob@example.org"}])
    );
    assert_eq!(v["Users"][0]["Enabled"], false);
    assert!(v.get("PaginationToken").is_none());
    let r = wire::handle(
        &h.driver,
        "AWSCognitoIdentityProviderService.ListUsers",
        br#"{"UserPoolId":"us-east-1_TestPool","Limit":"7"}"#,
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["message"],
        "Invalid value for member 'Limit': expected an integer."
    );
    let r = wire::handle(
        &h.driver,
        "AWSCognitoIdentityProviderService.AdminDeleteUser",
        br#"{"UserPoolId":"us-east-1_TestPool","Username":"bob"}"#,
    );
    assert_eq!((r.status, r.body.as_slice()), (200, b"{}".as_slice()));
    assert_eq!(names(&h, r#"username = "bob""#), Vec::<String>::new());
    // The request's Debug shows neither the filter nor the token.
    let req = ListUsersRequest::new(POOL)
        .filter(r#"email = "secret@example.com""#)
        .pagination_token("tok3n");
    let debug = format!("{req:?}");
    assert!(
        !debug.contains("secret@example.com") && !debug.contains("tok3n"),
        "{debug}"
    );
}
