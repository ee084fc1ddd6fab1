//! Output for people and machines: tables, times and durations.

use std::time::{Duration, UNIX_EPOCH};

/// Aligns rows under their headers, two spaces between columns, no trailing blanks.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', width - cell.chars().count()));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// RFC 3339 in UTC with a `Z`, to the second.
pub fn rfc3339(epoch_seconds: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(epoch_seconds)).to_string()
}

/// "7h 59m" for people: minutes at most, never seconds above a minute.
pub fn duration(seconds: u64) -> String {
    if seconds < 60 {
        return format!("{seconds}s");
    }
    humantime::format_duration(Duration::from_secs(seconds / 60 * 60)).to_string()
}

/// "in 7h 59m" or "5m ago", relative to `now`.
pub fn relative(epoch_seconds: u64, now: u64) -> String {
    if epoch_seconds >= now {
        format!("in {}", duration(epoch_seconds - now))
    } else {
        format!("{} ago", duration(now - epoch_seconds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn tables_align_and_trim() {
        let rows = vec![
            vec!["acme".to_owned(), "us-east-1".to_owned(), "ok".to_owned()],
            vec![
                "a-longer-name".to_owned(),
                "eu-west-1".to_owned(),
                String::new(),
            ],
        ];
        assert_eq!(
            table(&["SESSION", "REGION", "STATUS"], &rows),
            "SESSION        REGION     STATUS\n\
             acme           us-east-1  ok\n\
             a-longer-name  eu-west-1\n"
        );
    }

    #[test]
    fn times_and_durations() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_764_000_000), "2025-11-24T16:00:00Z");
        assert_eq!(duration(28_799), "7h 59m");
        assert_eq!(duration(42), "42s");
        assert_eq!(relative(1000, 400), "in 10m");
        assert_eq!(relative(400, 1000), "10m ago");
    }
}
