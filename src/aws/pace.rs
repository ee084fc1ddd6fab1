//! The pace of many requests to one throttled service: how many may be in
//! flight, and, once the service has throttled, how many a second.
//!
//! A limit on requests in flight alone cannot match a service that allows N
//! requests a second: at 25 ms a request, one in flight is already 40 a second.
//! So the first throttle switches to a rate, set just under the rate that the
//! service delivered in the last second (its real limit), and the rate then
//! creeps up additively until the next throttle (AIMD). Requests start slowly
//! too: a few in flight, one more per success, up to the limit.
//!
//! Pure: time is a number of seconds that the caller passes in.

use std::collections::VecDeque;

/// How far under the delivered rate to settle after a throttle.
const SETTLE: f64 = 0.95;
/// How much the rate grows per second without a throttle.
const CREEP_PER_SECOND: f64 = 0.5;
/// The window over which the delivered rate is measured.
const WINDOW: f64 = 1.0;
/// The slowest pace: a service that throttles everything is still asked
/// this often, so that a listing ends when the storm does.
const MIN_RATE: f64 = 2.0;
/// The rate after a first throttle before anything succeeded.
const BLIND_RATE: f64 = 4.0;
/// The fewest requests in flight when the pace starts.
const INITIAL_IN_FLIGHT: usize = 4;

#[derive(Debug)]
pub struct Pacer {
    max_in_flight: usize,
    in_flight_limit: usize,
    /// Requests a second, once the service has throttled.
    rate: Option<f64>,
    /// The earliest time of the next request under the rate.
    next_slot: f64,
    /// When recent requests succeeded, for the delivered rate.
    successes: VecDeque<f64>,
    last_cut: f64,
    throttles: usize,
}

impl Pacer {
    pub fn new(max_in_flight: usize) -> Self {
        let max_in_flight = max_in_flight.max(1);
        Self {
            max_in_flight,
            in_flight_limit: INITIAL_IN_FLIGHT.min(max_in_flight),
            rate: None,
            next_slot: 0.0,
            successes: VecDeque::new(),
            last_cut: f64::NEG_INFINITY,
            throttles: 0,
        }
    }

    /// How long to wait before the next request may start, given how many
    /// are in flight; `None` when none may start until one finishes.
    pub fn wait(&self, now: f64, in_flight: usize) -> Option<f64> {
        if in_flight >= self.in_flight_limit {
            return None;
        }
        Some((self.next_slot - now).max(0.0))
    }

    /// A request starts now.
    pub fn started(&mut self, now: f64) {
        if let Some(rate) = self.rate {
            self.next_slot = self.next_slot.max(now) + 1.0 / rate;
        }
    }

    pub fn succeeded(&mut self, now: f64) {
        self.successes.push_back(now);
        while self.successes.front().is_some_and(|&t| t < now - WINDOW) {
            self.successes.pop_front();
        }
        if self.in_flight_limit < self.max_in_flight {
            self.in_flight_limit += 1;
        }
        if let Some(rate) = self.rate.as_mut() {
            // Each success adds CREEP/rate, so about CREEP a second in all.
            *rate += CREEP_PER_SECOND / *rate;
        }
    }

    /// The service answered "too many requests": settle under the rate it
    /// delivered in the last second, at most once a second.
    pub fn throttled(&mut self, now: f64) {
        self.throttles += 1;
        if now - self.last_cut < WINDOW {
            return;
        }
        self.last_cut = now;
        let delivered = self
            .successes
            .iter()
            .filter(|&&t| t >= now - WINDOW)
            .count();
        #[allow(clippy::cast_precision_loss)]
        let delivered = delivered as f64 / WINDOW;
        let settled = match self.rate {
            Some(rate) if delivered < 1.0 => rate / 2.0,
            _ if delivered < 1.0 => BLIND_RATE,
            _ => delivered * SETTLE,
        };
        let rate = settled.max(MIN_RATE);
        self.rate = Some(rate);
        self.next_slot = now + 1.0 / rate;
    }

    #[cfg(test)]
    pub fn throttles(&self) -> usize {
        self.throttles
    }

    #[cfg(test)]
    pub fn rate(&self) -> Option<f64> {
        self.rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A service that allows `per_second` requests a second with a burst of
    /// the same size, answering in `latency` seconds; returns (seconds taken,
    /// throttled answers) to serve `total` requests.
    fn simulate(
        total: usize,
        max_in_flight: usize,
        per_second: Option<f64>,
        latency: f64,
    ) -> (f64, usize) {
        let mut pacer = Pacer::new(max_in_flight);
        let mut tokens = per_second.unwrap_or(0.0);
        let mut last_refill = 0.0;
        let mut now = 0.0;
        let mut pending = total;
        let mut in_flight: Vec<(f64, bool)> = Vec::new(); // (finish time, throttled)
        let step = 0.0005;
        while pending > 0 || !in_flight.is_empty() {
            in_flight.retain(|&(finish, throttled)| {
                if finish > now {
                    return true;
                }
                if throttled {
                    pacer.throttled(now);
                    pending += 1;
                } else {
                    pacer.succeeded(now);
                }
                false
            });
            while pending > 0 && pacer.wait(now, in_flight.len()) == Some(0.0) {
                pacer.started(now);
                pending -= 1;
                let throttled = per_second.is_some_and(|rate| {
                    tokens = (tokens + (now - last_refill) * rate).min(rate);
                    last_refill = now;
                    if tokens >= 1.0 {
                        tokens -= 1.0;
                        false
                    } else {
                        true
                    }
                });
                in_flight.push((now + latency, throttled));
            }
            now += step;
        }
        (now, pacer.throttles())
    }

    #[test]
    fn unthrottled_it_runs_at_the_limit_in_flight() {
        let (seconds, throttles) = simulate(500, 16, None, 0.025);
        assert_eq!(throttles, 0);
        // The floor is ceil(500 / 16) * 25 ms = 0.8 s; slow start costs a few round trips.
        assert!(seconds < 0.8 * 1.15, "{seconds}");
    }

    #[test]
    fn under_a_rate_limit_it_settles_just_under_it() {
        let (seconds, throttles) = simulate(500, 16, Some(20.0), 0.025);
        // The floor is 500 / 20 = 25 s.
        assert!(seconds < 25.0 * 1.1, "{seconds}");
        assert!(throttles * 20 < 500, "{throttles} throttled");
    }

    #[test]
    fn a_throttle_with_nothing_delivered_halves_the_rate() {
        let mut pacer = Pacer::new(8);
        pacer.throttled(0.0);
        assert_eq!(pacer.rate(), Some(4.0));
        pacer.throttled(2.0);
        assert_eq!(pacer.rate(), Some(2.0));
        pacer.throttled(4.0);
        assert_eq!(pacer.rate(), Some(2.0), "never slower than MIN_RATE");
        assert_eq!(pacer.wait(4.0, 0), Some(0.5));
        assert_eq!(
            pacer.wait(2.0, 4),
            None,
            "four in flight is the limit still"
        );
    }
}
