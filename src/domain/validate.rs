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

    /// Names: 1–200 characters, not blank, no control characters.
    pub fn name(&mut self, field: &str, value: &str) {
        let n = value.chars().count();
        if value.trim().is_empty() || n > 200 || value.chars().any(char::is_control) {
            self.add(field, "invalid_name", "must be 1 to 200 characters, not blank, without control characters");
        }
    }

    /// Usernames: 3–64 characters of `[a-z0-9._-]`, unique system-wide (checked by the database).
    pub fn username(&mut self, field: &str, value: &str) {
        if !is_username(value) {
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

    /// Optional free text with a maximum length; line breaks and tabs are text, other
    /// control characters (NUL above all, which PostgreSQL cannot store) are not.
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        if value.chars().count() > max {
            self.add(field, "too_long", format!("must be at most {max} characters"));
        } else if !is_text(value) {
            self.add(field, "control_character", "must not contain control characters other than line breaks and tabs");
        }
    }
}

/// Free text: no control characters but line breaks and tabs.
pub fn is_text(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// The username alphabet and length (3–64 of `[a-z0-9._-]`).
pub fn is_username(s: &str) -> bool {
    (3..=64).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
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

    #[test]
    fn names_and_texts_refuse_control_characters_but_texts_keep_line_breaks() {
        let mut e = Errors::default();
        e.name("name", "a\u{0}b");
        e.text("location", "room\u{0}", 500);
        assert_eq!(e.into_vec().len(), 2);
        let mut e = Errors::default();
        e.text("location", "Bldg 4\nroom 210\t(east)", 500);
        assert!(e.is_empty());
    }
}
