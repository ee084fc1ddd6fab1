//! Tells the binary what it was built from, for `ssokey --version`: the
//! commit (`SSOKEY_COMMIT` when set; else `git rev-parse` in a checkout;
//! else the `.cargo_vcs_info.json` that `cargo package` puts in a crate
//! tarball; else "unknown"), the target, and the build
//! date (`SOURCE_DATE_EPOCH` when set, so that a rebuild can be identical).
//!
//! Links the `ssokey` binary as a static PIE on x86_64 Linux with glibc,
//! where the C library's static archives are installed (Debian's libc6-dev
//! has them; Fedora's glibc-static package adds them). Elsewhere, and without
//! them, the binary is linked as before, dynamically.
//!
//! Why: a cached `ssokey credential-process` is almost all process start-up.
//! Linked dynamically, the loader maps libc, libm and libgcc_s and resolves
//! their symbols before `main`; a static PIE skips all of that and still
//! loads at a random address (ASLR). Measured on a cache hit: about 40% fewer
//! instructions (callgrind) and 0.4 ms less time (see bench/run). The
//! relative relocations are also packed (`-z pack-relative-relocs`, DT_RELR),
//! which glibc 2.36 reads, so that the table is 6 KiB instead of 570 KiB.
//!
//! How: `-C target-feature=+crt-static` would say the same to rustc, but set
//! for the target it also reaches the proc-macro crates, which cannot be
//! built then (without `--target`, host and target are one). So the link of
//! this one binary is changed instead: `-static-pie`, and a directory that
//! rustc's `-lc`, `-lm`, `-lgcc_s` (and the empty `-lpthread`, `-ldl`,
//! `-lrt`, `-lutil`) find before the system's shared libraries, which points
//! them at the static archives (`libgcc_s` becomes `libgcc_eh` and `libgcc`,
//! as with `crt-static`). Tests and other binaries are linked as before.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=CC");
    let target = std::env::var("TARGET").unwrap_or_default();
    build_info(&target);
    let host = std::env::var("HOST").unwrap_or_default();
    if target != "x86_64-unknown-linux-gnu" || host != target {
        return;
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    match static_archives(&out.join("static-pie")) {
        Ok(dir) => {
            println!("cargo::rustc-link-arg-bin=ssokey=-static-pie");
            println!("cargo::rustc-link-arg-bin=ssokey=-L{}", dir.display());
            println!("cargo::rustc-link-arg-bin=ssokey=-Wl,-z,pack-relative-relocs");
        }
        Err(why) => println!(
            "cargo::warning=ssokey is linked dynamically, which starts slower: {why} (Debian: apt-get install libc6-dev; Fedora: dnf install glibc-static)"
        ),
    }
}

/// Sets `SSOKEY_COMMIT`, `SSOKEY_TARGET` and `SSOKEY_BUILD_DATE` for the
/// crate's `env!`.
fn build_info(target: &str) {
    println!("cargo::rerun-if-env-changed=SSOKEY_COMMIT");
    println!("cargo::rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let commit = std::env::var("SSOKEY_COMMIT")
        .ok()
        .filter(|commit| !commit.is_empty())
        .or_else(git_commit)
        .or_else(packaged_commit)
        .unwrap_or_else(|| "unknown".to_owned());
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|epoch| epoch.trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |since| since.as_secs())
        });
    println!("cargo::rustc-env=SSOKEY_COMMIT={commit}");
    println!("cargo::rustc-env=SSOKEY_TARGET={target}");
    println!(
        "cargo::rustc-env=SSOKEY_BUILD_DATE={}",
        civil_date(seconds / 86_400)
    );
}

/// The commit checked out, when this is a git checkout and git is there; and
/// the files whose change means another commit (HEAD, the branch it points
/// at, the packed refs), so that cargo runs this again after a commit.
fn git_commit() -> Option<String> {
    let git = |args: &[&str]| {
        let output = Command::new("git").args(args).output().ok()?;
        let text = String::from_utf8(output.stdout).ok()?.trim().to_owned();
        (output.status.success() && !text.is_empty()).then_some(text)
    };
    // Only this project's own checkout: a crate unpacked inside some other
    // repository must not take that one's commit.
    let top = git(&["rev-parse", "--show-toplevel"])?;
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").ok()?;
    if std::fs::canonicalize(top).ok()? != std::fs::canonicalize(manifest_dir).ok()? {
        return None;
    }
    let commit = git(&["rev-parse", "--short=12", "HEAD"])?;
    let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(branch);
    }
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--git-path", &name])
            && Path::new(&path).exists()
        {
            println!("cargo::rerun-if-changed={path}");
        }
    }
    Some(commit)
}

/// The commit that `cargo package` recorded in the crate tarball.
fn packaged_commit() -> Option<String> {
    let info = std::fs::read_to_string(".cargo_vcs_info.json").ok()?;
    let after = &info[info.find("\"sha1\"")? + 6..];
    let start = after.find('"')? + 1;
    let sha1 = &after[start..];
    let sha1 = &sha1[..sha1.find('"')?];
    Some(sha1.chars().take(12).collect())
}

/// `YYYY-MM-DD` of the day `days` after 1970-01-01 (proleptic Gregorian;
/// H. Hinnant's `civil_from_days`).
fn civil_date(days: u64) -> String {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The libraries that rustc links a Linux binary with, and the static
/// archives that stand for them.
const ARCHIVES: [(&str, &[&str]); 7] = [
    ("c", &["libc.a"]),
    ("m", &["libm.a"]),
    ("gcc_s", &["libgcc_eh.a", "libgcc.a"]),
    ("pthread", &["libpthread.a"]),
    ("dl", &["libdl.a"]),
    ("rt", &["librt.a"]),
    ("util", &["libutil.a"]),
];

/// Writes `dir/libNAME.a` for each of [`ARCHIVES`]: a linker script that
/// names the C compiler's static archives, by absolute path.
fn static_archives(dir: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir)
        .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    for (name, archives) in ARCHIVES {
        let mut paths = Vec::new();
        for archive in archives {
            paths.push(find(archive)?);
        }
        let script = format!("INPUT({})\n", paths.join(" "));
        let file = dir.join(format!("lib{name}.a"));
        std::fs::write(&file, script)
            .map_err(|err| format!("cannot write {}: {err}", file.display()))?;
    }
    Ok(dir.to_owned())
}

/// Where the C compiler finds `archive`, or why not.
fn find(archive: &str) -> Result<String, String> {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let output = Command::new(&cc)
        .arg(format!("-print-file-name={archive}"))
        .output()
        .map_err(|err| format!("cannot run {cc}: {err}"))?;
    let path = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    // The compiler prints the name unchanged when it does not find the file.
    if output.status.success() && Path::new(&path).is_absolute() && Path::new(&path).is_file() {
        Ok(path)
    } else {
        Err(format!("{cc} finds no {archive}"))
    }
}
