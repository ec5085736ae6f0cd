use std::fmt;

/// A MAC address in its stored form: 12 lowercase hex digits (D9).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MacAddress(String);

impl MacAddress {
    /// Accepts exactly the forms of D9: `00:04:F2:AB:CD:EF`, `00-04-f2-ab-cd-ef`,
    /// `0004.f2ab.cdef` and `0004f2abcdef` (any case). Mixed separators are refused: a
    /// typo in a MAC provisions somebody else's phone.
    pub fn parse(input: &str) -> Option<MacAddress> {
        let s = input;
        let groups: Vec<&str> = if s.len() == 17 && s.contains(':') {
            s.split(':').collect()
        } else if s.len() == 17 && s.contains('-') {
            s.split('-').collect()
        } else if s.len() == 14 && s.contains('.') {
            s.split('.').collect()
        } else if s.len() == 12 {
            vec![s]
        } else {
            return None;
        };
        let expected = match groups.len() {
            6 => 2,
            3 => 4,
            1 => 12,
            _ => return None,
        };
        if groups.iter().any(|g| g.len() != expected) {
            return None;
        }
        let hex: String = groups.concat();
        if hex.len() != 12 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(MacAddress(hex.to_ascii_lowercase()))
    }
}

impl fmt::Display for MacAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::MacAddress;

    #[test]
    fn d9_every_accepted_form_normalises_to_twelve_lowercase_hex_digits() {
        for form in ["00:04:F2:AB:CD:EF", "00-04-f2-ab-cd-ef", "0004.f2ab.cdef", "0004f2abcdef", "0004F2ABCDEF"] {
            assert_eq!(MacAddress::parse(form).map(|m| m.to_string()).as_deref(), Some("0004f2abcdef"), "{form}");
        }
    }

    #[test]
    fn d9_anything_else_is_rejected() {
        for bad in [
            "",
            "0004f2abcde",
            "0004f2abcdeg",
            "00:04:F2:AB:CD",
            "00:04-F2:AB:CD:EF",
            "00:04:F2:AB:CD:EF:00",
            "0004.f2ab.cde",
            "000.4f2ab.cdef",
            "00:4:F2:AB:CD:EFF",
            "0004f2abcdef0",
            "zz:04:f2:ab:cd:ef",
            "00 04 f2 ab cd ef",
            "0:04:F2:AB:CD:EF0",
        ] {
            assert!(MacAddress::parse(bad).is_none(), "{bad:?} must be rejected");
        }
    }
}
