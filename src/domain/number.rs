use std::fmt;

/// A telephone number of an account: E.164 (`+` and 8–15 digits) or an internal extension
/// of 2–8 digits. Stored exactly as given once valid, so `+4930…` and `4930…` are distinct.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(input: &str) -> Option<PhoneNumber> {
        let (digits, min, max) = match input.strip_prefix('+') {
            Some(rest) => (rest, 8, 15),
            None => (input, 2, 8),
        };
        let ok = (min..=max).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| PhoneNumber(input.to_owned()))
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::PhoneNumber;

    #[test]
    fn e164_numbers_and_short_extensions_are_accepted() {
        for ok in ["+14155550123", "+49301234", "+123456789012345", "12", "1001", "12345678"] {
            assert!(PhoneNumber::parse(ok).is_some(), "{ok}");
        }
    }

    #[test]
    fn everything_else_is_rejected() {
        for bad in ["", "+", "1", "123456789", "+1234567", "+1234567890123456", "12a4", " 1234", "+1 415 555"] {
            assert!(PhoneNumber::parse(bad).is_none(), "{bad:?}");
        }
    }
}
