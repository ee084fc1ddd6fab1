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
