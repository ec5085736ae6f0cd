//! The rules for every field a client writes, each defined once: the check the server runs
//! and the JSON Schema the OpenAPI document states (`minLength`, `maxLength`, `pattern`)
//! come from the same [`Rule`], and a unit test holds the pattern and the check to the same
//! answers. A request valid by the document is never refused as invalid, and one the
//! document refuses is never accepted.

use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{RefOr, schema::KnownFormat, schema::SchemaFormat};

use super::code::Code;

/// One invalid field of a request body or query.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// JSON path of the field, e.g. `owner.username`.
    pub field: String,
    /// Stable snake_case reason, e.g. `invalid_name`.
    pub code: &'static str,
    /// Human-readable explanation, in the API's terms; it never repeats the rejected value.
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, code: Code, message: impl Into<String>) -> FieldError {
        FieldError { field: field.to_owned(), code: code.as_str(), message: message.into() }
    }
}

/// Collects field errors so a client sees every problem of a request at once.
#[derive(Default, Debug)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn add(&mut self, field: &str, code: Code, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }

    /// Checks `value` against `rule`, naming `field` when it fails.
    pub fn check(&mut self, field: &str, rule: &Rule, value: &str) {
        if let Err((code, message)) = rule.check(value) {
            self.add(field, code, message);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }
}

/// What a text field must be: a length in characters (Unicode scalar values, as JSON
/// Schema counts them) and a shape, stated once as a pattern for the document and as a
/// function for the server.
pub struct Rule {
    pub min_chars: usize,
    pub max_chars: usize,
    /// What the document says of the field.
    pub description: &'static str,
    /// The shape as a JSON Schema (ECMA-262) pattern; `None` for any text.
    pub pattern: Option<&'static str>,
    /// The shape as the server checks it; the unit tests keep it equal to `pattern`.
    shape: fn(&str) -> bool,
    /// The code and message of a value of the wrong shape.
    invalid: (Code, &'static str),
    /// Codes of a value too short or too long, when they differ from `invalid`.
    too_short: Option<(Code, &'static str)>,
    too_long: Option<(Code, &'static str)>,
}

impl Rule {
    /// Ok, or the code and message of the first thing wrong with `value`.
    pub fn check(&self, value: &str) -> Result<(), (Code, String)> {
        let n = value.chars().count();
        if n < self.min_chars {
            let (code, message) = self.too_short.unwrap_or(self.invalid);
            return Err((code, message.to_owned()));
        }
        if n > self.max_chars {
            return Err(match self.too_long {
                Some((code, message)) => (code, message.to_owned()),
                None => (self.invalid.0, self.invalid.1.to_owned()),
            });
        }
        if !(self.shape)(value) {
            return Err((self.invalid.0, self.invalid.1.to_owned()));
        }
        Ok(())
    }

    pub fn is_valid(&self, value: &str) -> bool {
        self.check(value).is_ok()
    }

    /// The JSON Schema of a string following this rule.
    pub fn schema(&self) -> ObjectBuilder {
        let mut b = ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(self.min_chars))
            .max_length(Some(self.max_chars))
            .description(Some(self.description));
        if let Some(p) = self.pattern {
            b = b.pattern(Some(p));
        }
        b
    }

    /// The same, for a field that may also be `null` (which clears it).
    pub fn nullable_schema(&self) -> ObjectBuilder {
        self.schema().schema_type(SchemaType::from_iter([Type::String, Type::Null]))
    }
}

/// Node names: 1 to 200 characters, no control characters, not only white space.
pub const NAME: Rule = Rule {
    description: "1 to 200 characters, not blank, without control characters; stored trimmed.",
    min_chars: 1,
    max_chars: 200,
    pattern: Some(r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"),
    shape: |s| !s.chars().any(char::is_control) && s.chars().any(|c| !c.is_whitespace()),
    invalid: (Code::InvalidName, "must be 1 to 200 characters, not blank, without control characters"),
    too_short: None,
    too_long: None,
};

/// Usernames: 3 to 64 characters of `a-z 0-9 . _ -`.
pub const USERNAME: Rule = Rule {
    description: "3 to 64 characters of `a-z 0-9 . _ -`, unique system-wide.",
    min_chars: 3,
    max_chars: 64,
    pattern: Some(r"^[a-z0-9._-]*$"),
    shape: |s| s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)),
    invalid: (Code::InvalidUsername, "must be 3 to 64 characters of a-z, 0-9, '.', '_' or '-'"),
    too_short: None,
    too_long: None,
};

/// Passwords: 12 to 1024 characters of anything (argon2 of megabytes would be a DoS).
pub const PASSWORD: Rule = Rule {
    description: "12 to 1024 characters. Write-only: never returned or logged.",
    min_chars: 12,
    max_chars: 1024,
    pattern: None,
    shape: |_| true,
    invalid: (Code::PasswordTooShort, "must be at least 12 characters"),
    too_short: Some((Code::PasswordTooShort, "must be at least 12 characters")),
    too_long: Some((Code::PasswordTooLong, "must be at most 1024 characters")),
};

/// Voicemail PINs: 4 to 10 digits.
pub const PIN: Rule = Rule {
    description: "4 to 10 digits. Write-only: stored hashed, shown as `pin_set`.",
    min_chars: 4,
    max_chars: 10,
    pattern: Some(r"^[0-9]*$"),
    shape: |s| s.bytes().all(|b| b.is_ascii_digit()),
    invalid: (Code::InvalidPin, "a PIN is 4 to 10 digits"),
    too_short: None,
    too_long: None,
};

/// E-mail addresses, deliberately plain: a local part and a dotted domain of non-empty
/// labels, no white space, no control characters, at most 254 characters. Full RFC 5322
/// parsing accepts addresses no mail server delivers to.
pub const EMAIL: Rule = Rule {
    description: "An e-mail address: a local part, `@`, and a domain of at least two dot-separated labels.",
    min_chars: 3,
    max_chars: 254,
    pattern: Some(
        r"^[^@\s\u0000-\u001F\u007F-\u009F]+@[^@.\s\u0000-\u001F\u007F-\u009F]+(\.[^@.\s\u0000-\u001F\u007F-\u009F]+)+$",
    ),
    shape: is_email_shape,
    invalid: (Code::InvalidEmail, "not an e-mail address"),
    too_short: None,
    too_long: None,
};

fn is_email_shape(s: &str) -> bool {
    let plain = |c: char| !c.is_whitespace() && !c.is_control() && c != '@';
    let Some((local, domain)) = s.split_once('@') else { return false };
    let labels: Vec<&str> = domain.split('.').collect();
    !local.is_empty()
        && local.chars().all(plain)
        && labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && l.chars().all(plain))
}

/// Telephone numbers: E.164 (`+` and 8 to 15 digits) or an extension of 2 to 8 digits.
pub const NUMBER: Rule = Rule {
    description: "E.164 (`+` and 8 to 15 digits) or an internal extension of 2 to 8 digits.",
    min_chars: 2,
    max_chars: 16,
    pattern: Some(r"^(\+[0-9]{8,15}|[0-9]{2,8})$"),
    shape: |s| super::PhoneNumber::parse(s).is_some(),
    invalid: (Code::InvalidNumber, "a number is E.164 (+ and 8 to 15 digits) or an extension of 2 to 8 digits"),
    too_short: None,
    too_long: None,
};

/// MAC addresses in the four forms of D9.
pub const MAC: Rule = Rule {
    description: "`00:04:F2:AB:CD:EF`, `00-04-f2-ab-cd-ef`, `0004.f2ab.cdef` or `0004f2abcdef`, any case (rule D9); stored and shown as 12 lowercase hex digits.",
    min_chars: 12,
    max_chars: 17,
    pattern: Some(
        r"^([0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{2}(-[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}|[0-9A-Fa-f]{12})$",
    ),
    shape: |s| super::MacAddress::parse(s).is_some(),
    invalid: (
        Code::InvalidMac,
        "a MAC address is 00:04:F2:AB:CD:EF, 00-04-f2-ab-cd-ef, 0004.f2ab.cdef or 0004f2abcdef (rule D9)",
    ),
    too_short: None,
    too_long: None,
};

/// Free text of at most `max` characters: no control characters but line breaks and tabs
/// (NUL above all, which PostgreSQL cannot store). Blank text means "none".
/// One DNS host name: dot-separated labels of letters, digits and inner hyphens, at most
/// 63 characters each (RFC 1123). A dotted IPv4 literal has this shape too.
const HOST_NAME_PATTERN: &str =
    r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$";

fn is_host_name(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|l| {
            let b = l.as_bytes();
            (1..=63).contains(&b.len())
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        })
}

/// An IPv6 literal without brackets, zone or embedded IPv4 (what the pattern below states).
fn is_ipv6_literal(s: &str) -> bool {
    !s.contains('.') && s.parse::<std::net::Ipv6Addr>().is_ok()
}

/// The SIP domain of a service provider (§5 `sip.domain`): a host name.
pub const SIP_DOMAIN: Rule = Rule {
    description: "The SIP domain phones register in: a host name (RFC 1123 labels), at most 253 characters.",
    min_chars: 1,
    max_chars: 253,
    pattern: Some(HOST_NAME_PATTERN),
    shape: is_host_name,
    invalid: (Code::InvalidHost, "must be a host name: dot-separated labels of letters, digits and inner hyphens"),
    too_short: None,
    too_long: None,
};

/// The registrar's host (§5 `sip.registrar.host`): a host name, an IPv4 or an IPv6 literal.
pub const SIP_HOST: Rule = Rule {
    description: "The registrar: a host name, an IPv4 literal, or an IPv6 literal without brackets.",
    min_chars: 1,
    max_chars: 253,
    pattern: Some(concat!(
        r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*",
        r"|([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,7}:|([0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}",
        r"|([0-9a-fA-F]{1,4}:){1,5}(:[0-9a-fA-F]{1,4}){1,2}|([0-9a-fA-F]{1,4}:){1,4}(:[0-9a-fA-F]{1,4}){1,3}",
        r"|([0-9a-fA-F]{1,4}:){1,3}(:[0-9a-fA-F]{1,4}){1,4}|([0-9a-fA-F]{1,4}:){1,2}(:[0-9a-fA-F]{1,4}){1,5}",
        r"|[0-9a-fA-F]{1,4}:(:[0-9a-fA-F]{1,4}){1,6}|:((:[0-9a-fA-F]{1,4}){1,7}|:))$"
    )),
    shape: |s| is_host_name(s) || is_ipv6_literal(s),
    invalid: (Code::InvalidHost, "must be a host name, an IPv4 literal or an IPv6 literal without brackets"),
    too_short: None,
    too_long: None,
};

/// An account's SIP user name (§5 `sip_username`).
pub const SIP_USERNAME: Rule = Rule {
    description: "1 to 64 characters of `A-Z a-z 0-9 . _ -`, unique within the service provider; defaults to the number's digits.",
    min_chars: 1,
    max_chars: 64,
    pattern: Some(r"^[A-Za-z0-9._-]*$"),
    shape: |s| s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
    invalid: (Code::InvalidSipUsername, "must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' or '-'"),
    too_short: None,
    too_long: None,
};

pub const fn text(max: usize, description: &'static str) -> Rule {
    Rule {
        description,
        min_chars: 0,
        max_chars: max,
        pattern: Some(r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"),
        shape: is_text,
        invalid: (Code::ControlCharacter, "must not contain control characters other than line breaks and tabs"),
        too_short: None,
        too_long: Some((Code::TooLong, "is too long")),
    }
}

pub const VENDOR: Rule = text(
    100,
    "The phone's maker: `yealink`, `polycom` or `grandstream` (any case) for a provisioned phone; up to 100 characters.",
);
pub const MODEL: Rule = text(100, "The phone's model, up to 100 characters.");
pub const LABEL: Rule = text(200, "A free label, up to 200 characters.");
pub const DISPLAY_NAME: Rule = text(200, "The name shown for calls from this number, up to 200 characters.");
pub const LOCATION: Rule = text(500, "Where the user is, for emergency calls; up to 500 characters.");

/// Free text: no control characters but line breaks and tabs.
pub fn is_text(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// The username alphabet and length.
pub fn is_username(s: &str) -> bool {
    USERNAME.is_valid(s)
}

/// A `uuid`-formatted string schema (ids in paths, queries and bodies).
pub fn uuid_schema() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
}

/// Schema functions for `#[schema(schema_with = …)]`, one per rule and nullability.
pub mod schemas {
    use super::*;

    macro_rules! schema_fns {
        ($($name:ident, $nullable:ident => $rule:expr;)+) => {
            $(
                pub fn $name() -> RefOr<Schema> {
                    $rule.schema().into()
                }

                pub fn $nullable() -> RefOr<Schema> {
                    $rule.nullable_schema().into()
                }
            )+
        };
    }

    schema_fns! {
        name, nullable_name => NAME;
        username, nullable_username => USERNAME;
        password, nullable_password => PASSWORD;
        pin, nullable_pin => PIN;
        email, nullable_email => EMAIL;
        number, nullable_number => NUMBER;
        mac, nullable_mac => MAC;
        vendor, nullable_vendor => VENDOR;
        model, nullable_model => MODEL;
        label, nullable_label => LABEL;
        display_name, nullable_display_name => DISPLAY_NAME;
        location, nullable_location => LOCATION;
        sip_domain, nullable_sip_domain => SIP_DOMAIN;
        sip_host, nullable_sip_host => SIP_HOST;
        sip_username, nullable_sip_username => SIP_USERNAME;
    }
}

#[cfg(test)]
mod tests;
