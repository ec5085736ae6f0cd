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

impl fmt::Display for Timestamp {
    /// [`FORMAT`], written field by field: every answer carries timestamps, and chrono's
    /// format-string interpreter costs more than the rest of rendering one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use chrono::{Datelike, Timelike};
        let t = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.nanosecond() / 1_000 % 1_000_000
        )
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
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
}
