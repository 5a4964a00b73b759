//! ListUsers ([list-users]): a pool's users, a page at a time, optionally filtered on one
//! attribute.
//!
//! Unlike the other operations it is not a step machine: it pages through the store with
//! [`UserStore::list`], which a step machine has no need for, so it is a plain blocking function
//! over the host's store and a pool lookup.

use super::sign_up::STANDARD_ATTRIBUTES;
use super::support::fold;
use crate::config::{OperationName as Op, UserPool};
use crate::error::{Error, Exception, HostError, messages};
use crate::host::UserStore;
use crate::types::{AttributeType, ListUsersRequest, ListUsersResponse, UserType};
use crate::user::UserRecord;
use crate::validate::{self, Violations};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The page size when `Limit` is absent ([list-users-pagination]).
pub const LIST_USERS_DEFAULT_LIMIT: usize = 60;
/// How many records one [`UserStore::list`] call reads while a page is being filled.
const SCAN_BATCH: usize = 60;
/// The first byte of every pagination token: the token's format.
const TOKEN_VERSION: u8 = 1;

/// An attribute a filter may name ([list-users-filter]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Searched {
    Username,
    Email,
    PhoneNumber,
    Name,
    GivenName,
    FamilyName,
    PreferredUsername,
    /// `cognito:user_status`: UNCONFIRMED, CONFIRMED, … (case-insensitive).
    UserStatus,
    /// `status`: `Enabled` or `Disabled` (case-sensitive).
    Enabled,
    Sub,
}

impl Searched {
    fn of(name: &str) -> Option<Self> {
        Some(match name {
            "username" => Self::Username,
            "email" => Self::Email,
            "phone_number" => Self::PhoneNumber,
            "name" => Self::Name,
            "given_name" => Self::GivenName,
            "family_name" => Self::FamilyName,
            "preferred_username" => Self::PreferredUsername,
            "cognito:user_status" => Self::UserStatus,
            "status" => Self::Enabled,
            "sub" => Self::Sub,
            _ => return None,
        })
    }
}

/// `=` or `^=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Match {
    Exact,
    Prefix,
}

/// A parsed `Filter`.
#[derive(Debug)]
struct Filter {
    attribute: Searched,
    kind: Match,
    value: String,
}

fn invalid(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(Exception::InvalidParameter, message)
}

/// Parses `AttributeName Filter-Type "AttributeValue"`; `None` for an empty (or blank) filter,
/// which lists every user. Spaces around the operator are optional; inside the quotes a
/// backslash makes the next character literal (`\"`, `\\`).
fn parse_filter(text: &str) -> Result<Option<Filter>, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let parse_error = || invalid(messages::FILTER_PARSE_ERROR);
    let name_end = text
        .find(|c: char| c.is_whitespace() || c == '=' || c == '^' || c == '"')
        .ok_or_else(parse_error)?;
    let (name, rest) = text.split_at(name_end);
    if name.is_empty() {
        return Err(parse_error());
    }
    let rest = rest.trim_start();
    let (kind, rest) = if let Some(r) = rest.strip_prefix("^=") {
        (Match::Prefix, r)
    } else if let Some(r) = rest.strip_prefix('=') {
        (Match::Exact, r)
    } else {
        return Err(parse_error());
    };
    let rest = rest.trim_start();
    let mut chars = rest.strip_prefix('"').ok_or_else(parse_error)?.chars();
    let mut value = String::new();
    loop {
        match chars.next() {
            None => return Err(parse_error()),
            Some('"') => break,
            Some('\\') => value.push(chars.next().ok_or_else(parse_error)?),
            Some(c) => value.push(c),
        }
    }
    if !chars.as_str().trim().is_empty() {
        return Err(parse_error());
    }
    let attribute =
        Searched::of(name).ok_or_else(|| invalid(format!("Invalid search attribute: {name}")))?;
    Ok(Some(Filter {
        attribute,
        kind,
        value,
    }))
}

/// A value of another attribute, from the record.
fn other<'a>(user: &'a UserRecord, name: &str) -> Option<&'a str> {
    user.other_attributes
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.value.as_str())
}

impl Filter {
    /// Whether `user` matches. Values the pool compares without case (username, email and
    /// `preferred_username` of a case-insensitive pool) are compared folded; `cognito:user_status`
    /// without ASCII case; everything else exactly.
    fn matches(&self, pool: &UserPool, user: &UserRecord) -> bool {
        let (held, folded): (Option<std::borrow::Cow<'_, str>>, bool) = match self.attribute {
            Searched::Username => (Some(user.username.as_str().into()), true),
            Searched::Email => (user.email.as_deref().map(Into::into), true),
            Searched::PreferredUsername => {
                (other(user, "preferred_username").map(Into::into), true)
            }
            Searched::PhoneNumber => (user.phone_number.as_deref().map(Into::into), false),
            Searched::Name => (other(user, "name").map(Into::into), false),
            Searched::GivenName => (other(user, "given_name").map(Into::into), false),
            Searched::FamilyName => (other(user, "family_name").map(Into::into), false),
            Searched::Sub => (Some(user.sub.as_str().into()), false),
            Searched::Enabled => (
                Some(if user.enabled { "Enabled" } else { "Disabled" }.into()),
                false,
            ),
            Searched::UserStatus => {
                let status = user.status.as_str();
                let wanted = self.value.to_ascii_uppercase();
                return match self.kind {
                    Match::Exact => status == wanted,
                    Match::Prefix => status.starts_with(&wanted),
                };
            }
        };
        let Some(held) = held else {
            return false;
        };
        let (held, wanted) = if folded {
            (fold(pool, &held).into_owned(), fold(pool, &self.value))
        } else {
            (
                held.into_owned(),
                std::borrow::Cow::Borrowed(self.value.as_str()),
            )
        };
        match self.kind {
            Match::Exact => held == *wanted,
            Match::Prefix => held.starts_with(&*wanted),
        }
    }
}

/// The `sub` a token says the previous page ended at.
fn parse_token(token: &str) -> Result<String, Error> {
    let bad = || invalid(messages::INVALID_PAGINATION_TOKEN);
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    match bytes.split_first() {
        Some((&TOKEN_VERSION, sub)) if !sub.is_empty() => {
            String::from_utf8(sub.to_vec()).map_err(|_| bad())
        }
        _ => Err(bad()),
    }
}

/// The token of a page that ended at `sub`.
fn token_after(sub: &str) -> String {
    let mut bytes = Vec::with_capacity(sub.len().saturating_add(1));
    bytes.push(TOKEN_VERSION);
    bytes.extend_from_slice(sub.as_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether a user can have an attribute of this name: `sub`, a standard attribute, a verified
/// flag, or a custom attribute.
fn known_attribute(name: &str) -> bool {
    name == "sub"
        || name == "email_verified"
        || name == "phone_number_verified"
        || STANDARD_ATTRIBUTES.contains(&name)
        || name.strip_prefix("custom:").is_some_and(|n| !n.is_empty())
}

/// A user as ListUsers answers it: AdminGetUser's attributes, only those named by
/// `AttributesToGet` when it is given.
fn user_type(user: &UserRecord, wanted: Option<&[String]>) -> UserType {
    UserType {
        username: user.username.to_string(),
        attributes: user
            .attributes()
            .into_iter()
            .filter(|a| wanted.is_none_or(|w| w.contains(&a.name)))
            .map(AttributeType::from)
            .collect(),
        user_create_date: user.created.as_secs_f64(),
        user_last_modified_date: user.last_modified.as_secs_f64(),
        enabled: user.enabled,
        user_status: user.status.as_str().to_owned(),
    }
}

fn validate_shape(r: &ListUsersRequest) -> Result<(), Error> {
    let mut v = Violations::default();
    v.string(validate::C_USER_POOL_ID, r.user_pool_id.as_deref());
    for (i, name) in r
        .attributes_to_get
        .as_deref()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let n = i.saturating_add(1);
        v.string_at(
            format_args!("attributesToGet.{n}.member"),
            validate::C_ATTRIBUTE_NAME,
            Some(name),
        );
    }
    v.integer(validate::C_LIST_USERS_LIMIT, r.limit);
    v.string(
        validate::C_SEARCH_PAGINATION_TOKEN,
        r.pagination_token.as_deref(),
    );
    v.string(validate::C_USER_FILTER, r.filter.as_deref());
    v.finish()
}

/// Runs ListUsers: shape validation, then the pool (`pool` looks it up by id: the host's
/// directory or catalog), then the filter, the attribute names and the token, then as many
/// [`UserStore::list`] calls as it takes to fill the page.
///
/// Users come in ascending order of `sub`; the decoy record never does. The answer has a
/// `PaginationToken` when another matching user follows the last one answered: paging until
/// there is none visits every user present throughout exactly once.
///
/// # Errors
/// InvalidParameterException (shape, [list-users-filter], [list-users-attributes],
/// [list-users-pagination]); ResourceNotFoundException `User pool <id> does not exist.`;
/// OperationNotEnabledException when the pool disables ListUsers; InternalErrorException when
/// the lookup or the store fails.
pub fn list_users(
    request: &ListUsersRequest,
    pool: impl FnOnce(&str) -> Result<Option<UserPool>, HostError>,
    users: &dyn UserStore,
) -> Result<ListUsersResponse, Error> {
    validate_shape(request)?;
    let pool_id = request.user_pool_id.as_deref().unwrap_or_default();
    let pool = pool(pool_id).map_err(Error::internal)?.ok_or_else(|| {
        Error::new(
            Exception::ResourceNotFound,
            format!("User pool {pool_id} does not exist."),
        )
    })?;
    if pool.disabled_operations.contains(&Op::ListUsers) {
        return Err(Error::new(
            Exception::OperationNotEnabled,
            messages::OPERATION_NOT_ENABLED,
        ));
    }
    let filter = parse_filter(request.filter.as_deref().unwrap_or_default())?;
    let wanted = request.attributes_to_get.as_deref();
    if wanted.is_some_and(|w| !w.iter().all(|n| known_attribute(n))) {
        return Err(invalid(messages::ATTRIBUTES_DO_NOT_EXIST));
    }
    let mut cursor = request
        .pagination_token
        .as_deref()
        .map(parse_token)
        .transpose()?;
    let limit = request.limit.map_or(LIST_USERS_DEFAULT_LIMIT, |l| {
        usize::try_from(l).unwrap_or(0)
    });
    let mut page = Vec::with_capacity(limit.min(LIST_USERS_DEFAULT_LIMIT));
    if limit == 0 {
        return Ok(ListUsersResponse {
            users: page,
            pagination_token: None,
        });
    }
    // Batches are read until the page is full and one more match is seen (a token follows),
    // or the pool ends (none does).
    let mut page_end: Option<String> = None;
    loop {
        let batch = users
            .list(&pool.id, cursor.as_deref(), SCAN_BATCH)
            .map_err(Error::internal)?;
        let Some(last) = batch.last() else {
            return Ok(ListUsersResponse {
                users: page,
                pagination_token: None,
            });
        };
        cursor = Some(last.value.sub.to_string());
        for record in &batch {
            let user = &record.value;
            if user.is_decoy() || !filter.as_ref().is_none_or(|f| f.matches(&pool, user)) {
                continue;
            }
            if page.len() == limit {
                return Ok(ListUsersResponse {
                    users: page,
                    pagination_token: page_end.as_deref().map(token_after),
                });
            }
            page.push(user_type(user, wanted));
            page_end = Some(user.sub.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use proptest::prelude::*;

    const NAMES: [&str; 10] = [
        "username",
        "email",
        "phone_number",
        "name",
        "given_name",
        "family_name",
        "preferred_username",
        "cognito:user_status",
        "status",
        "sub",
    ];

    /// A value written into a filter: quotes and backslashes escaped.
    fn quoted(value: &str) -> String {
        let mut out = String::from("\"");
        for c in value.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
        out
    }

    proptest! {
        #[test]
        fn any_text_parses_or_is_refused_without_panicking(text in ".{0,80}") {
            let _ = parse_filter(&text);
        }

        #[test]
        fn a_written_filter_parses_back(
            name in 0usize..10,
            prefix: bool,
            value in "[ -~\u{e9}\u{1F600}]{0,20}",
            left in "[ \t]{0,2}",
            right in "[ \t]{0,2}",
        ) {
            let op = if prefix { "^=" } else { "=" };
            let text = format!("{}{left}{op}{right}{}", NAMES[name], quoted(&value));
            let f = parse_filter(&text).unwrap().unwrap();
            prop_assert_eq!(f.attribute, Searched::of(NAMES[name]).unwrap());
            prop_assert_eq!(f.kind, if prefix { Match::Prefix } else { Match::Exact });
            prop_assert_eq!(f.value, value);
        }

        #[test]
        fn a_token_names_the_sub_it_was_made_from(sub in "\\PC{1,40}") {
            prop_assert_eq!(parse_token(&token_after(&sub)).unwrap(), sub);
        }
    }
}
