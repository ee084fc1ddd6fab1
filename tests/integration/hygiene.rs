//! The harness stops every process it starts, whether the test passes, fails
//! or panics: no gnome-keyring-daemon outlives its test environment.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::harness::{TestEnv, wait_until};

/// The live processes whose HOME is `home`: those a test environment started.
fn processes_of(home: &Path) -> Vec<u32> {
    let wanted = format!("HOME={}", home.display());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            // A zombie has no environment left; it holds nothing.
            std::fs::read(format!("/proc/{pid}/environ")).is_ok_and(|environ| {
                environ
                    .split(|&byte| byte == 0)
                    .any(|var| var == wanted.as_bytes())
            })
        })
        .collect()
}

fn home_of_a_test_that(panics: bool) -> PathBuf {
    let mut home = PathBuf::new();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let env = TestEnv::new();
        home.clone_from(&env.home);
        assert!(
            !processes_of(&env.home).is_empty(),
            "the keyring runs during the test"
        );
        assert!(!panics, "this test environment ends in a panic on purpose");
    }));
    assert_eq!(result.is_err(), panics);
    home
}

#[test]
fn the_keyring_stops_when_a_test_passes() {
    let home = home_of_a_test_that(false);
    wait_until(Duration::from_secs(5), "the keyring to stop", || {
        processes_of(&home).is_empty()
    });
}

#[test]
fn the_keyring_stops_when_a_test_panics() {
    let home = home_of_a_test_that(true);
    wait_until(Duration::from_secs(5), "the keyring to stop", || {
        processes_of(&home).is_empty()
    });
}

/// Under load (a full suite runs 8 tests at once) a daemon was slow to take
/// its bus name, the old harness found no pid for it, and it stayed running.
#[test]
fn keyrings_started_all_at_once_all_stop() {
    let homes: Vec<PathBuf> = std::thread::scope(|scope| {
        let started: Vec<_> = (0..12)
            .map(|_| scope.spawn(|| home_of_a_test_that(false)))
            .collect();
        started.into_iter().map(|t| t.join().unwrap()).collect()
    });
    for home in homes {
        wait_until(Duration::from_secs(5), "every keyring to stop", || {
            processes_of(&home).is_empty()
        });
    }
}
