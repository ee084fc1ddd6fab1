//! Time as the wire and the knobs count it: seconds in a minute and an hour, and the time since
//! the Unix epoch.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub(crate) const MINUTE: u64 = 60;
pub(crate) const HOUR: u64 = 60 * MINUTE;

pub(crate) fn epoch(time: SystemTime) -> Duration {
    time.duration_since(UNIX_EPOCH).unwrap_or_default()
}

pub(crate) fn epoch_secs(time: SystemTime) -> u64 {
    epoch(time).as_secs()
}
