//! The wall clock, in whole seconds and milliseconds since the Unix epoch: the
//! units of token and credential lifetimes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A duration for people, as humantime writes it with a space before each
/// unit that is a word: "3 days 2h", "1 year 2 months", "7h 59m".
pub fn spell(duration: Duration) -> String {
    let words: Vec<String> = humantime::format_duration(duration)
        .to_string()
        .split(' ')
        .map(|part| {
            let digits = part
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(part.len());
            let (number, unit) = part.split_at(digits);
            if unit.len() > 2 {
                format!("{number} {unit}")
            } else {
                part.to_owned()
            }
        })
        .collect();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_units_get_their_space() {
        assert_eq!(spell(Duration::from_hours(72)), "3 days");
        assert_eq!(spell(Duration::from_mins(1561)), "1 day 2h 1m");
        assert_eq!(spell(Duration::from_mins(479)), "7h 59m");
        assert_eq!(spell(Duration::from_secs(5)), "5s");
    }
}
