//! Masking of `CodeDeliveryDetails.Destination` ([delivery-mask]).

/// Masks an email address: first character of the local part, `***@`, first character of the
/// domain, `***`, then `.` and the last domain label: `vera@oracle.com` → `v***@o***.com`.
/// A domain without a dot keeps only its first character: `a@b` → `a***@b***`.
#[must_use]
pub fn mask_email(address: &str) -> String {
    let (local, domain) = address.split_once('@').unwrap_or((address, ""));
    let tld = domain.rsplit_once('.').map(|(_, tld)| tld);
    // One allocation of the final size (first characters take at most 4 bytes each).
    let mut out = String::with_capacity(16usize.saturating_add(tld.map_or(0, str::len)));
    out.extend(local.chars().next());
    out.push_str("***@");
    out.extend(domain.chars().next());
    out.push_str("***");
    if let Some(tld) = tld {
        out.push('.');
        out.push_str(tld);
    }
    out
}

/// Masks a phone number: `+` and a `*` for every digit but the last four:
/// `+14155550276` → `+*******0276`.
#[must_use]
pub fn mask_phone(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    let keep = digits.len().min(4);
    let hidden = digits.len().saturating_sub(keep);
    let mut out = String::with_capacity(digits.len().saturating_add(1));
    out.push('+');
    out.extend(std::iter::repeat_n('*', hidden));
    out.extend(&digits[hidden..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email() {
        assert_eq!(mask_email("vera@oracle.com"), "v***@o***.com");
        assert_eq!(mask_email("élan@ñu.example.org"), "é***@ñ***.org");
        assert_eq!(mask_email("@x.io"), "***@x***.io");
        assert_eq!(mask_email("nodomain"), "n***@***");
        assert_eq!(mask_email("s@gmail.co.uk"), "s***@g***.uk");
        assert_eq!(mask_email("a@b"), "a***@b***");
    }

    #[test]
    fn phone() {
        assert_eq!(mask_phone("+123456780276"), "+********0276");
        assert_eq!(mask_phone("+14155550276"), "+*******0276");
        assert_eq!(mask_phone("+12"), "+12");
    }
}
