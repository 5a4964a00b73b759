//! Shape validation with Cognito's (Coral's) messages ([validate-message], [validate-echo]),
//! and the format rules of usernames, email addresses and phone numbers.
//!
//! Lengths are counted in UTF-16 code units, as the service (written in Java) counts them.
//! Patterns are full-match. Values are echoed for `clientId` and `userPoolId` only; every other
//! member is reported without its value (`Value at 'username' …`). This redacts
//! `confirmationCode` too, which Cognito echoes: codes never appear in this crate's errors.

use crate::error::{Error, Exception};
use regex::Regex;
use std::sync::LazyLock;

/// A pattern: its Java text (for the message) and the check.
#[derive(Clone, Copy)]
pub(crate) struct Pattern {
    text: &'static str,
    check: fn(&str) -> bool,
}

impl Pattern {
    /// The pattern as the service model spells it.
    #[cfg_attr(not(feature = "wire"), allow(dead_code))]
    pub(crate) fn text(&self) -> &'static str {
        self.text
    }
}

/// A set of bytes as a table: a value is checked with one lookup a byte.
type ByteSet = [bool; 256];

/// The bytes of Java's `\w` (ASCII letters, digits, `_`) if `word`, of the ASCII graphic
/// characters (`!` to `~`) if `graphic`, and `extra`. No byte of a non-ASCII character is in
/// such a set, exactly as the character is not in the pattern's class.
const fn byte_set(word: bool, graphic: bool, extra: &[u8]) -> ByteSet {
    let mut set = [false; 256];
    let mut b: u8 = 0;
    loop {
        set[b as usize] =
            (word && (b.is_ascii_alphanumeric() || b == b'_')) || (graphic && b.is_ascii_graphic());
        if b == u8::MAX {
            break;
        }
        b = b.wrapping_add(1);
    }
    let mut i = 0;
    while i < extra.len() {
        set[extra[i] as usize] = true;
        i = i.wrapping_add(1);
    }
    set
}

/// Whether `s` is not empty and every byte of it is in `set`: eight bytes at a time, their
/// lookups combined without a branch per byte.
#[inline]
fn all_in(set: &ByteSet, s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut chunks = bytes.chunks_exact(8);
    let mut ok = !bytes.is_empty();
    for chunk in &mut chunks {
        ok &= chunk.iter().fold(true, |all, &b| all & set[usize::from(b)]);
    }
    ok && chunks.remainder().iter().all(|&b| set[usize::from(b)])
}

const CLIENT_ID_BYTES: ByteSet = byte_set(true, false, b"+");
const SECRET_HASH_BYTES: ByteSet = byte_set(true, false, b"+=/");
const POOL_REGION_BYTES: ByteSet = byte_set(true, false, b"-");
const GRAPHIC_BYTES: ByteSet = byte_set(false, true, b"");
const GRAPHIC_OR_SPACE_BYTES: ByteSet = byte_set(false, true, b"\t\n\r ");
/// Java's `\s`: `[ \t\n\x0B\f\r]`; every byte of a non-ASCII character is outside it.
const JAVA_SPACE_BYTES: ByteSet = byte_set(false, false, b" \t\n\x0B\x0C\r");

static UNICODE_NAME: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$").ok());
static ATTRIBUTE_NAME: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^[\p{L}\p{M}\p{S}\p{N}\p{P}\t\n\r ]+$").ok());

fn full_match(re: &LazyLock<Option<Regex>>, s: &str) -> bool {
    re.as_ref().is_some_and(|re| re.is_match(s))
}

/// `[\p{L}\p{M}\p{S}\p{N}\p{P}]+` (plus some ASCII characters), whose ASCII members are the
/// set `ascii`. Every ASCII graphic character (`!` to `~`) is a letter, number, punctuation or
/// symbol and no other ASCII character is, so an ASCII value is decided without the regex,
/// which is kept for the rest of Unicode.
fn unicode_name(re: &LazyLock<Option<Regex>>, s: &str, ascii: &ByteSet) -> bool {
    if all_in(ascii, s) {
        true
    } else if s.is_ascii() {
        false
    } else {
        full_match(re, s)
    }
}

pub(crate) const CLIENT_ID: Pattern = Pattern {
    text: r"[\w+]+",
    check: |s| all_in(&CLIENT_ID_BYTES, s),
};
pub(crate) const SECRET_HASH: Pattern = Pattern {
    text: r"[\w+=/]+",
    check: |s| all_in(&SECRET_HASH_BYTES, s),
};
pub(crate) const USERNAME: Pattern = Pattern {
    text: r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+",
    check: |s| unicode_name(&UNICODE_NAME, s, &GRAPHIC_BYTES),
};
pub(crate) const NON_SPACE: Pattern = Pattern {
    text: r"[\S]+",
    check: |s| !s.is_empty() && !s.bytes().any(|b| JAVA_SPACE_BYTES[usize::from(b)]),
};
pub(crate) const USER_POOL_ID: Pattern = Pattern {
    text: r"[\w-]+_[0-9a-zA-Z]+",
    check: |s| {
        let Some((region, rest)) = s.rsplit_once('_') else {
            return false;
        };
        all_in(&POOL_REGION_BYTES, region)
            && !rest.is_empty()
            && rest.chars().all(|c| c.is_ascii_alphanumeric())
    },
};
pub(crate) const ATTRIBUTE_NAME_PATTERN: Pattern = Pattern {
    text: r"[\p{L}\p{M}\p{S}\p{N}\p{P}\t\n\r ]+",
    check: |s| unicode_name(&ATTRIBUTE_NAME, s, &GRAPHIC_OR_SPACE_BYTES),
};

/// Whether a member's value may be echoed in a message ([validate-echo]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Echo {
    Yes,
    No,
}

/// The constraints of one string member.
#[derive(Clone, Copy)]
pub(crate) struct Constraint {
    pub(crate) path: &'static str,
    pub(crate) required: bool,
    pub(crate) echo: Echo,
    pub(crate) pattern: Option<Pattern>,
    pub(crate) min: Option<usize>,
    pub(crate) max: Option<usize>,
}

/// How many violations a message lists; the count before them stays exact.
pub(crate) const LISTED_VIOLATIONS: usize = 10;
/// The most characters of an echoed value a message shows; a longer value is cut there and
/// marked with `...`. Every echoed member is at most 128 characters long when valid, so a value
/// refused for its pattern alone is always shown whole.
pub(crate) const ECHOED_VALUE_CHARS: usize = 256;
/// What follows the listed violations when more were found.
pub(crate) const MORE_VIOLATIONS: &str = "; ...";

/// Collects violations in member order and turns them into one InvalidParameterException.
///
/// Every violation is counted; only the first [`LISTED_VIOLATIONS`] are kept and formatted, so
/// a request with hundreds of thousands of bad list members costs neither memory nor a huge
/// message.
#[derive(Default)]
pub(crate) struct Violations {
    count: usize,
    listed: Vec<String>,
}

impl Violations {
    fn value_part(echo: Echo, value: &str) -> String {
        match echo {
            Echo::Yes => match value.char_indices().nth(ECHOED_VALUE_CHARS) {
                Some((cut, _)) => format!("Value '{}...' at", &value[..cut]),
                None => format!("Value '{value}' at"),
            },
            Echo::No => "Value at".to_owned(),
        }
    }

    /// Counts a violation, and formats it only if it is among the listed ones.
    fn push(&mut self, violation: impl FnOnce() -> String) {
        self.count = self.count.saturating_add(1);
        if self.listed.len() < LISTED_VIOLATIONS {
            self.listed.push(violation());
        }
    }

    /// Checks a string member.
    pub(crate) fn string(&mut self, c: Constraint, value: Option<&str>) {
        self.string_at(c.path, c, value);
    }

    /// Checks a string member whose path is computed (list members).
    /// The path is only formatted into a message, so list members pass `format_args!` and
    /// nothing is built unless a value is refused.
    pub(crate) fn string_at(
        &mut self,
        path: impl std::fmt::Display,
        c: Constraint,
        value: Option<&str>,
    ) {
        let Some(value) = value else {
            if c.required {
                self.push(|| format!(
                    "Value null at '{path}' failed to satisfy constraint: Member must not be null"
                ));
            }
            return;
        };
        // Built only for a violation: the accepted path allocates nothing here.
        let v = || Self::value_part(c.echo, value);
        if let Some(p) = c.pattern {
            if !(p.check)(value) {
                self.push(|| format!(
                    "{} '{path}' failed to satisfy constraint: Member must satisfy regular expression pattern: {}",
                    v(),
                    p.text
                ));
            }
        }
        // Lengths are in UTF-16 code units, as Coral counts them; ASCII text has one per byte.
        let len = if value.is_ascii() {
            value.len()
        } else {
            value.encode_utf16().count()
        };
        if let Some(min) = c.min {
            if len < min {
                self.push(|| format!(
                    "{} '{path}' failed to satisfy constraint: Member must have length greater than or equal to {min}",
                    v()
                ));
            }
        }
        if let Some(max) = c.max {
            if len > max {
                self.push(|| format!(
                    "{} '{path}' failed to satisfy constraint: Member must have length less than or equal to {max}",
                    v()
                ));
            }
        }
    }

    /// The InvalidParameterException, if anything was violated.
    pub(crate) fn finish(self) -> Result<(), Error> {
        let listed = self.listed.join("; ");
        let more = if self.count > self.listed.len() {
            MORE_VIOLATIONS
        } else {
            ""
        };
        match self.count {
            0 => Ok(()),
            1 => Err(Error::new(
                Exception::InvalidParameter,
                format!("1 validation error detected: {listed}"),
            )),
            n => Err(Error::new(
                Exception::InvalidParameter,
                format!("{n} validation errors detected: {listed}{more}"),
            )),
        }
    }
}

/// ListUsers's `Limit` (`QueryLimitType`, 0 to 60).
pub(crate) const C_LIST_USERS_LIMIT: Range = Range {
    path: "limit",
    required: false,
    min: 0,
    max: 60,
};
/// ListUsers's `PaginationToken` (`SearchPaginationTokenType`).
pub(crate) const C_SEARCH_PAGINATION_TOKEN: Constraint = Constraint {
    path: "paginationToken",
    required: false,
    echo: Echo::No,
    pattern: Some(NON_SPACE),
    min: Some(1),
    max: None,
};
/// ListUsers's `Filter` (`UserFilterType`).
pub(crate) const C_USER_FILTER: Constraint = Constraint {
    path: "filter",
    required: false,
    echo: Echo::No,
    pattern: None,
    min: None,
    max: Some(256),
};

pub(crate) const C_CLIENT_ID: Constraint = Constraint {
    path: "clientId",
    required: true,
    echo: Echo::Yes,
    pattern: Some(CLIENT_ID),
    min: Some(1),
    max: Some(128),
};
pub(crate) const C_SECRET_HASH: Constraint = Constraint {
    path: "secretHash",
    required: false,
    echo: Echo::No,
    pattern: Some(SECRET_HASH),
    min: Some(1),
    max: Some(128),
};
pub(crate) const C_USERNAME: Constraint = Constraint {
    path: "username",
    required: true,
    echo: Echo::No,
    pattern: Some(USERNAME),
    min: Some(1),
    max: Some(128),
};
pub(crate) const C_CONFIRMATION_CODE: Constraint = Constraint {
    path: "confirmationCode",
    required: true,
    echo: Echo::No,
    pattern: Some(NON_SPACE),
    min: Some(1),
    max: Some(2048),
};
pub(crate) const C_PASSWORD: Constraint = Constraint {
    path: "password",
    required: false,
    echo: Echo::No,
    pattern: Some(NON_SPACE),
    min: None,
    max: Some(256),
};
pub(crate) const C_SESSION: Constraint = Constraint {
    path: "session",
    required: false,
    echo: Echo::No,
    pattern: None,
    min: Some(20),
    max: Some(2048),
};
pub(crate) const C_USER_POOL_ID: Constraint = Constraint {
    path: "userPoolId",
    required: true,
    echo: Echo::Yes,
    pattern: Some(USER_POOL_ID),
    min: Some(1),
    max: Some(55),
};
pub(crate) const C_ATTRIBUTE_NAME: Constraint = Constraint {
    path: "name",
    required: true,
    echo: Echo::No,
    pattern: Some(ATTRIBUTE_NAME_PATTERN),
    min: Some(1),
    max: Some(32),
};
pub(crate) const C_ATTRIBUTE_VALUE: Constraint = Constraint {
    path: "value",
    required: false,
    echo: Echo::No,
    pattern: None,
    min: None,
    max: Some(2048),
};
/// `StringType` (0 to 131072).
pub(crate) const C_STRING: Constraint = Constraint {
    path: "",
    required: false,
    echo: Echo::No,
    pattern: None,
    min: None,
    max: Some(131_072),
};

// ---------------------------------------------------------------------------------------------
// Pool and client management ([pool-validation]).

/// `[\w\s+=,.@-]+`: pool and client names.
pub(crate) const NAME: Pattern = Pattern {
    text: r"[\w\s+=,.@-]+",
    check: |s| all_in(&NAME_BYTES, s),
};
/// Java's `\w`, `\s` and `+=,.@-`: every byte of a non-ASCII character is outside it.
const NAME_BYTES: ByteSet = byte_set(true, false, b" \t\n\x0B\x0C\r+=,.@-");
/// `[\w+]+`: client secrets given by the caller.
pub(crate) const CLIENT_SECRET: Pattern = Pattern {
    text: r"[\w+]+",
    check: |s| all_in(&CLIENT_ID_BYTES, s),
};
static ARN: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let part = r"[A-Za-z0-9_+=/,.@-]";
    Regex::new(&format!(
        r"^arn:{part}+:{part}+:({part}*)?:[0-9]+:{part}+(:{part}+)?(:{part}+)?$"
    ))
    .ok()
});
/// `ArnType`: Lambda triggers given through the API.
pub(crate) const ARN_PATTERN: Pattern = Pattern {
    text: r"arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?",
    check: |s| full_match(&ARN, s),
};
static SMS_MESSAGE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^(?s:[^\n\r]*)\{####\}[^\n\r]*$").ok());
/// `.*\{####\}.*`: SMS messages (Java's `.` matches no line terminator).
pub(crate) const SMS_MESSAGE_PATTERN: Pattern = Pattern {
    text: r".*\{####\}.*",
    check: |s| full_match(&SMS_MESSAGE, s),
};
static EMAIL_MESSAGE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let text = r"[\p{L}\p{M}\p{S}\p{N}\p{P} \t\n\x0B\f\r*]*";
    Regex::new(&format!(r"^{text}\{{####\}}{text}$")).ok()
});
/// Email messages: the code placeholder among printable text and white space.
pub(crate) const EMAIL_MESSAGE_PATTERN: Pattern = Pattern {
    text: r"[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*\{####\}[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*",
    check: |s| full_match(&EMAIL_MESSAGE, s),
};
static EMAIL_SUBJECT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^[\p{L}\p{M}\p{S}\p{N}\p{P} \t\n\x0B\f\r]+$").ok());
/// Email subjects.
pub(crate) const EMAIL_SUBJECT_PATTERN: Pattern = Pattern {
    text: r"[\p{L}\p{M}\p{S}\p{N}\p{P}\s]+",
    check: |s| full_match(&EMAIL_SUBJECT, s),
};

pub(crate) const C_POOL_NAME: Constraint = Constraint {
    path: "poolName",
    required: true,
    echo: Echo::Yes,
    pattern: Some(NAME),
    min: Some(1),
    max: Some(128),
};
pub(crate) const C_CLIENT_NAME: Constraint = Constraint {
    path: "clientName",
    required: true,
    echo: Echo::Yes,
    pattern: Some(NAME),
    min: Some(1),
    max: Some(128),
};
pub(crate) const C_CLIENT_SECRET: Constraint = Constraint {
    path: "clientSecret",
    required: false,
    echo: Echo::No,
    pattern: Some(CLIENT_SECRET),
    min: Some(24),
    max: Some(64),
};
/// `NextToken` of ListUserPools (`PaginationKeyType`).
pub(crate) const C_POOLS_NEXT_TOKEN: Constraint = Constraint {
    path: "nextToken",
    required: false,
    echo: Echo::No,
    pattern: Some(NON_SPACE),
    min: Some(1),
    max: None,
};
/// `NextToken` of ListUserPoolClients (`PaginationKey`).
pub(crate) const C_CLIENTS_NEXT_TOKEN: Constraint = Constraint {
    path: "nextToken",
    required: false,
    echo: Echo::No,
    pattern: Some(NON_SPACE),
    min: Some(1),
    max: Some(131_072),
};
pub(crate) const C_ARN: Constraint = Constraint {
    path: "",
    required: false,
    echo: Echo::No,
    pattern: Some(ARN_PATTERN),
    min: Some(20),
    max: Some(2048),
};
pub(crate) const C_SMS_MESSAGE: Constraint = Constraint {
    path: "",
    required: false,
    echo: Echo::No,
    pattern: Some(SMS_MESSAGE_PATTERN),
    min: Some(6),
    max: Some(140),
};
pub(crate) const C_EMAIL_MESSAGE: Constraint = Constraint {
    path: "",
    required: false,
    echo: Echo::No,
    pattern: Some(EMAIL_MESSAGE_PATTERN),
    min: Some(6),
    max: Some(20_000),
};
pub(crate) const C_EMAIL_SUBJECT: Constraint = Constraint {
    path: "",
    required: false,
    echo: Echo::No,
    pattern: Some(EMAIL_SUBJECT_PATTERN),
    min: Some(1),
    max: Some(140),
};

/// An integer member's range.
#[derive(Clone, Copy)]
pub(crate) struct Range {
    pub(crate) path: &'static str,
    pub(crate) required: bool,
    pub(crate) min: i64,
    pub(crate) max: i64,
}

/// `MaxResults` of ListUserPools (`PoolQueryLimitType`, required).
pub(crate) const R_POOLS_MAX_RESULTS: Range = Range {
    path: "maxResults",
    required: true,
    min: 1,
    max: 60,
};
/// `MaxResults` of ListUserPoolClients (`QueryLimit`).
pub(crate) const R_CLIENTS_MAX_RESULTS: Range = Range {
    path: "maxResults",
    required: false,
    min: 1,
    max: 60,
};
/// `PasswordPolicy.MinimumLength`.
pub(crate) const R_MINIMUM_LENGTH: Range = Range {
    path: "policies.passwordPolicy.minimumLength",
    required: false,
    min: 6,
    max: 99,
};

impl Violations {
    /// Checks an integer member against its range; the value is echoed, as Coral does.
    pub(crate) fn integer(&mut self, r: Range, value: Option<i64>) {
        let path = r.path;
        let Some(value) = value else {
            if r.required {
                self.push(|| format!(
                    "Value null at '{path}' failed to satisfy constraint: Member must not be null"
                ));
            }
            return;
        };
        if value < r.min {
            self.push(|| format!(
                "Value '{value}' at '{path}' failed to satisfy constraint: Member must have value greater than or equal to {}",
                r.min
            ));
        }
        if value > r.max {
            self.push(|| format!(
                "Value '{value}' at '{path}' failed to satisfy constraint: Member must have value less than or equal to {}",
                r.max
            ));
        }
    }

    /// Reports a required member that is absent (members that are not strings).
    pub(crate) fn null(&mut self, path: &str) {
        self.push(|| {
            format!("Value null at '{path}' failed to satisfy constraint: Member must not be null")
        });
    }

    /// Checks an enumerated string member.
    pub(crate) fn one_of(&mut self, path: &str, value: Option<&str>, allowed: &[&str]) {
        if let Some(value) = value {
            if !allowed.contains(&value) {
                let shown = Self::value_part(Echo::Yes, value);
                self.push(|| format!(
                    "{shown} '{path}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                    allowed.join(", ")
                ));
            }
        }
    }

    /// Checks a list of enumerated strings: one violation for the list, which is shown whole.
    pub(crate) fn all_of(&mut self, path: &str, list: Option<&[String]>, allowed: &[&str]) {
        let Some(list) = list else { return };
        if list.iter().all(|v| allowed.contains(&v.as_str())) {
            return;
        }
        let shown = Self::value_part(Echo::Yes, &format!("[{}]", list.join(", ")));
        self.push(|| format!(
            "{shown} '{path}' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [{}]]",
            allowed.join(", ")
        ));
    }
}

/// Checks a list of attributes (`userAttributes`, `validationData`).
pub(crate) fn attributes(
    v: &mut Violations,
    list_path: &str,
    list: Option<&[crate::types::AttributeType]>,
) {
    for (i, a) in list.unwrap_or_default().iter().enumerate() {
        let n = i.saturating_add(1);
        v.string_at(
            format_args!("{list_path}.{n}.member.name"),
            C_ATTRIBUTE_NAME,
            a.name.as_deref(),
        );
        v.string_at(
            format_args!("{list_path}.{n}.member.value"),
            C_ATTRIBUTE_VALUE,
            a.value.as_deref(),
        );
    }
}

/// Checks `AnalyticsMetadata` and `UserContextData` (`StringType` members).
pub(crate) fn context(
    v: &mut Violations,
    analytics: Option<&crate::types::AnalyticsMetadata>,
    user_context: Option<&crate::types::UserContextData>,
) {
    if let Some(a) = analytics {
        v.string_at(
            "analyticsMetadata.analyticsEndpointId",
            C_STRING,
            a.analytics_endpoint_id.as_deref(),
        );
    }
    if let Some(u) = user_context {
        v.string_at(
            "userContextData.ipAddress",
            C_STRING,
            u.ip_address.as_deref(),
        );
        v.string_at(
            "userContextData.encodedData",
            C_STRING,
            u.encoded_data.as_deref(),
        );
    }
}

/// Checks `ClientMetadata` keys and values (`StringType`).
pub(crate) fn client_metadata(v: &mut Violations, m: Option<&crate::types::ClientMetadata>) {
    for (k, val) in m.into_iter().flatten() {
        v.string_at("clientMetadata", C_STRING, Some(k));
        v.string_at("clientMetadata", C_STRING, Some(val));
    }
}

/// Whether a value has the shape of an email address: one `@`, a non-empty local part, a domain
/// with a dot and no empty label, no whitespace or control characters.
#[must_use]
pub fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && domain.split('.').all(|l| !l.is_empty())
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && s.len() <= 2048
}

/// Whether a value has the shape of an E.164 phone number: `+` and 2 to 15 digits.
#[must_use]
pub fn looks_like_phone(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(f: impl FnOnce(&mut Violations)) -> String {
        let mut v = Violations::default();
        f(&mut v);
        v.finish().unwrap_err().message().to_owned()
    }

    #[test]
    fn null_member() {
        assert_eq!(
            msg(|v| v.string(C_CONFIRMATION_CODE, None)),
            "1 validation error detected: Value null at 'confirmationCode' failed to satisfy constraint: Member must not be null"
        );
    }

    #[test]
    fn empty_code_reports_pattern_then_length_without_value() {
        assert_eq!(
            msg(|v| v.string(C_CONFIRMATION_CODE, Some(""))),
            "2 validation errors detected: Value at 'confirmationCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\S]+; Value at 'confirmationCode' failed to satisfy constraint: Member must have length greater than or equal to 1"
        );
    }

    #[test]
    fn ascii_fast_path_agrees_with_the_patterns() {
        for b in 0u8..=127 {
            let c = char::from(b);
            for s in [c.to_string(), format!("a{c}b"), format!("{c}{c}")] {
                assert_eq!(
                    (USERNAME.check)(&s),
                    full_match(&UNICODE_NAME, &s),
                    "username {b:#x}"
                );
                assert_eq!(
                    (ATTRIBUTE_NAME_PATTERN.check)(&s),
                    full_match(&ATTRIBUTE_NAME, &s),
                    "attribute name {b:#x}"
                );
            }
        }
        for s in ["", "é", "aé b", "名前", "a\u{3000}b", "x\u{200b}"] {
            assert_eq!((USERNAME.check)(s), full_match(&UNICODE_NAME, s));
            assert_eq!(
                (ATTRIBUTE_NAME_PATTERN.check)(s),
                full_match(&ATTRIBUTE_NAME, s)
            );
        }
    }

    #[test]
    fn a_refused_byte_is_found_at_every_position_in_and_after_the_eight_byte_chunks() {
        for len in [1, 7, 8, 9, 16, 20] {
            let good = "a".repeat(len);
            assert!((CLIENT_ID.check)(&good), "{len}");
            assert!((USERNAME.check)(&good), "{len}");
            for at in 0..len {
                let mut bad = good.clone().into_bytes();
                bad[at] = b' ';
                let bad = String::from_utf8(bad).unwrap_or_default();
                assert!(!(CLIENT_ID.check)(&bad), "{len} {at}");
                assert!(!(SECRET_HASH.check)(&bad), "{len} {at}");
                assert!(!(USERNAME.check)(&bad), "{len} {at}");
                assert!(!(NON_SPACE.check)(&bad), "{len} {at}");
            }
        }
        assert!(!(CLIENT_ID.check)(""));
    }

    #[test]
    fn word_patterns_refuse_non_ascii_letters() {
        assert!((CLIENT_ID.check)("abc_123+X"));
        assert!(!(CLIENT_ID.check)("abcé"));
        assert!(!(CLIENT_ID.check)("ab c"));
        assert!((SECRET_HASH.check)("aGVsbG8=+/_"));
        assert!(!(SECRET_HASH.check)("aGVsbG8=ü"));
        assert!((USER_POOL_ID.check)("us-east-1_Ab9"));
        assert!(!(USER_POOL_ID.check)("us-éast-1_Ab9"));
    }

    #[test]
    fn client_id_is_echoed() {
        assert_eq!(
            msg(|v| v.string(C_CLIENT_ID, Some("ap-northeast-1_xxxxxxxxx"))),
            "1 validation error detected: Value 'ap-northeast-1_xxxxxxxxx' at 'clientId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+]+"
        );
    }

    #[test]
    fn username_pattern_is_unicode() {
        let mut v = Violations::default();
        v.string(C_USERNAME, Some("Zoë.Ünïcode@例え.jp"));
        assert!(v.finish().is_ok());
        assert_eq!(
            msg(|v| v.string(C_USERNAME, Some("has space"))),
            "1 validation error detected: Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+"
        );
        // A zero-width space is a format character (Cf), outside the pattern.
        let mut v = Violations::default();
        v.string(C_USERNAME, Some("a\u{200B}b"));
        assert!(v.finish().is_err());
    }

    #[test]
    fn lengths_count_utf16_units() {
        // 64 emoji = 128 UTF-16 units: allowed; 65 = 130: too long.
        let ok: String = "😀".repeat(64);
        let mut v = Violations::default();
        v.string(C_USERNAME, Some(&ok));
        assert!(v.finish().is_ok());
        let long: String = "😀".repeat(65);
        assert!(msg(|v| v.string(C_USERNAME, Some(&long))).ends_with("less than or equal to 128"));
    }

    #[test]
    fn many_violations_keep_the_exact_count_and_list_the_first_ten() {
        let list: Vec<crate::types::AttributeType> = (0..349_458)
            .map(|_| crate::types::AttributeType {
                name: None,
                value: None,
            })
            .collect();
        let m = msg(|v| attributes(v, "userAttributes", Some(&list)));
        let first: Vec<String> = (1..=10)
            .map(|n| format!("Value null at 'userAttributes.{n}.member.name' failed to satisfy constraint: Member must not be null"))
            .collect();
        assert_eq!(
            m,
            format!(
                "349458 validation errors detected: {}; ...",
                first.join("; ")
            )
        );
    }

    #[test]
    fn exactly_ten_violations_are_listed_without_a_mark() {
        let list: Vec<crate::types::AttributeType> = (0..10)
            .map(|_| crate::types::AttributeType {
                name: None,
                value: None,
            })
            .collect();
        let m = msg(|v| attributes(v, "userAttributes", Some(&list)));
        assert!(m.starts_with("10 validation errors detected: "), "{m}");
        assert!(
            m.ends_with("'userAttributes.10.member.name' failed to satisfy constraint: Member must not be null"),
            "{m}"
        );
    }

    #[test]
    fn a_long_echoed_value_is_cut_at_256_characters() {
        let long = "é".repeat(1024 * 1024);
        let shown = "é".repeat(256);
        assert_eq!(
            msg(|v| v.string(C_CLIENT_ID, Some(&long))),
            format!(
                "2 validation errors detected: Value '{shown}...' at 'clientId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+]+; Value '{shown}...' at 'clientId' failed to satisfy constraint: Member must have length less than or equal to 128"
            )
        );
        // 256 characters exactly are shown whole.
        let edge = "é".repeat(256);
        assert_eq!(
            msg(|v| v.string(C_CLIENT_ID, Some(&edge))),
            format!(
                "2 validation errors detected: Value '{edge}' at 'clientId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+]+; Value '{edge}' at 'clientId' failed to satisfy constraint: Member must have length less than or equal to 128"
            )
        );
    }

    #[test]
    fn pool_id_pattern() {
        assert!((USER_POOL_ID.check)("us-east-1_Example"));
        assert!(!(USER_POOL_ID.check)("us-east-1"));
        assert!(!(USER_POOL_ID.check)("us-east-1_"));
        assert!(!(USER_POOL_ID.check)("_abc"));
    }

    #[test]
    fn formats() {
        assert!(looks_like_email("a@b.co"));
        assert!(!looks_like_email("a@b"));
        assert!(!looks_like_email("a b@c.d"));
        assert!(!looks_like_email("@c.d"));
        assert!(!looks_like_email("a@@c.d"));
        assert!(looks_like_phone("+14155550100"));
        assert!(!looks_like_phone("14155550100"));
        assert!(!looks_like_phone("+1"));
        assert!(!looks_like_phone("+1415555010012345"));
    }
}
