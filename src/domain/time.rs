//! Timestamps: UTC with microseconds, shown as fixed-width RFC 3339 (`…T06:02:01.123456Z`)
//! so that text order is time order wherever a time is kept as text.

use std::fmt;

use chrono::{DateTime, SubsecRound, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

/// The one textual form: RFC 3339, UTC, six fractional digits.
pub const FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

impl Timestamp {
    /// Now, truncated to the microsecond every backend keeps.
    pub fn now() -> Timestamp {
        Timestamp(Utc::now().trunc_subsecs(6))
    }

    pub fn from_datetime(t: DateTime<Utc>) -> Timestamp {
        Timestamp(t.trunc_subsecs(6))
    }

    pub fn datetime(self) -> DateTime<Utc> {
        self.0
    }

    /// Parses any RFC 3339 time (a stored one, or a filter a client sent).
    pub fn parse(s: &str) -> Option<Timestamp> {
        DateTime::parse_from_rfc3339(s).ok().map(|t| Timestamp::from_datetime(t.with_timezone(&Utc)))
    }
}

impl Timestamp {
    /// [`FORMAT`] in a fixed buffer, digit by digit: every answer carries timestamps (a page
    /// of devices a hundred), and `write!`'s padded integers cost more than the rest of
    /// rendering one. None for a year outside 0–9999, which [`FORMAT`] cannot write in four
    /// digits.
    fn fixed(self) -> Option<[u8; 27]> {
        use chrono::{Datelike, Timelike};
        let t = self.0;
        let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
        let mut out = *b"0000-00-00T00:00:00.000000Z";
        let mut put = |at: usize, width: usize, mut value: u32| {
            for i in (at..at + width).rev() {
                // A digit: `value % 10` is below 10.
                out[i] = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, t.month());
        put(8, 2, t.day());
        put(11, 2, t.hour());
        put(14, 2, t.minute());
        put(17, 2, t.second());
        put(20, 6, t.nanosecond() / 1_000 % 1_000_000);
        Some(out)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.fixed() {
            // ASCII digits and separators only.
            Some(bytes) => f.write_str(std::str::from_utf8(&bytes).map_err(|_| fmt::Error)?),
            None => write!(f, "{}", self.0.format(FORMAT)),
        }
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.fixed() {
            Some(bytes) => s.serialize_str(std::str::from_utf8(&bytes).map_err(serde::ser::Error::custom)?),
            None => s.collect_str(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timestamp_prints_fixed_width_and_parses_back() {
        let t = Timestamp::parse("2026-12-03T06:02:01.5+01:00").unwrap();
        assert_eq!(t.to_string(), "2026-12-03T05:02:01.500000Z");
        assert_eq!(Timestamp::parse(&t.to_string()), Some(t));
        assert!(Timestamp::parse("yesterday").is_none());
        let now = Timestamp::now();
        assert_eq!(now.to_string(), now.datetime().format(FORMAT).to_string());
    }

    #[test]
    fn the_digit_by_digit_form_is_the_format_strings_form_for_every_year_it_can_write() {
        for text in [
            "0000-01-01T00:00:00.000000Z",
            "0999-09-09T09:09:09.000009Z",
            "1970-01-01T00:00:00.000001Z",
            "2026-12-31T23:59:59.999999Z",
            "9999-12-31T23:59:59.999999Z",
        ] {
            let t = Timestamp::parse(text).unwrap();
            assert_eq!(t.to_string(), text);
            assert_eq!(t.to_string(), t.datetime().format(FORMAT).to_string());
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{text}\""));
        }
        let beyond = Timestamp::from_datetime(
            chrono::NaiveDate::from_ymd_opt(10_000, 1, 2).unwrap().and_hms_opt(3, 4, 5).unwrap().and_utc(),
        );
        assert_eq!(beyond.to_string(), beyond.datetime().format(FORMAT).to_string());
        assert_eq!(serde_json::to_string(&beyond).unwrap(), format!("\"{beyond}\""));
    }
}
