//! Field validation shared by every resource. Each check returns the message a client sees
//! under `errors[].message` of a 422.

/// One invalid field of a request body or query.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// JSON path of the field, e.g. `owner.username`.
    pub field: String,
    /// Stable snake_case reason, e.g. `too_short`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

/// Collects field errors so a client sees every problem of a request at once.
#[derive(Default, Debug)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn add(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.to_owned(), code: code.to_owned(), message: message.into() });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }

    /// Names: 1–200 characters, not blank.
    pub fn name(&mut self, field: &str, value: &str) {
        let n = value.chars().count();
        if value.trim().is_empty() || n > 200 {
            self.add(field, "invalid_name", "must be 1 to 200 characters and not blank");
        }
    }

    /// Usernames: 3–64 characters of `[a-z0-9._-]`, unique system-wide (checked by the database).
    pub fn username(&mut self, field: &str, value: &str) {
        let ok = (3..=64).contains(&value.len())
            && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if !ok {
            self.add(field, "invalid_username", "must be 3 to 64 characters of a-z, 0-9, '.', '_' or '-'");
        }
    }

    /// Passwords: at least 12 characters, at most 1024 (argon2 of megabytes is a DoS).
    pub fn password(&mut self, field: &str, value: &str) {
        let n = value.chars().count();
        if n < 12 {
            self.add(field, "password_too_short", "must be at least 12 characters");
        } else if n > 1024 {
            self.add(field, "password_too_long", "must be at most 1024 characters");
        }
    }

    /// Optional free text with a maximum length.
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        if value.chars().count() > max {
            self.add(field, "too_long", format!("must be at most {max} characters"));
        }
    }
}

/// A deliberately plain e-mail check: one `@`, a non-empty local part, a dotted domain,
/// no spaces. Full RFC 5322 parsing accepts addresses no mail server delivers to.
pub fn is_email(s: &str) -> bool {
    if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

/// Voicemail PINs: 4 to 10 digits.
pub fn is_pin(s: &str) -> bool {
    (4..=10).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_documented_alphabet_and_length() {
        let check = |u: &str| {
            let mut e = Errors::default();
            e.username("username", u);
            e.is_empty()
        };
        assert!(check("alice.smith-2_x"));
        assert!(!check("al"));
        assert!(!check("Alice"));
        assert!(!check(&"a".repeat(65)));
        assert!(!check("al ice"));
    }

    #[test]
    fn emails_and_pins_are_checked_plainly() {
        assert!(is_email("vm@example.org"));
        assert!(!is_email("vm@example"));
        assert!(!is_email("vm example@x.org"));
        assert!(is_pin("1234") && is_pin("1234567890"));
        assert!(!is_pin("123") && !is_pin("12345678901") && !is_pin("12a4"));
    }
}
