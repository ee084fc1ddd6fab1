//! How the binary is linked (build.rs): on x86_64 Linux with glibc, a static
//! PIE, which starts faster than a dynamically linked one and still loads at
//! a random address; and what static glibc must still do, such as resolving
//! a host name.

use std::fs::File;
use std::os::unix::fs::FileExt as _;

use crate::harness::{TestEnv, credential_process_args};
use sso_emulator::Op;

const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_RELR: u64 = 36;
const ET_DYN: u16 = 3;

fn u16_at(file: &File, offset: u64) -> u16 {
    let mut bytes = [0; 2];
    file.read_exact_at(&mut bytes, offset).unwrap();
    u16::from_le_bytes(bytes)
}

fn u32_at(file: &File, offset: u64) -> u32 {
    let mut bytes = [0; 4];
    file.read_exact_at(&mut bytes, offset).unwrap();
    u32::from_le_bytes(bytes)
}

fn u64_at(file: &File, offset: u64) -> u64 {
    let mut bytes = [0; 8];
    file.read_exact_at(&mut bytes, offset).unwrap();
    u64::from_le_bytes(bytes)
}

/// The ELF type, the program header types, and the dynamic section's tags of
/// a 64-bit little-endian ELF file.
fn elf(path: &str) -> (u16, Vec<u32>, Vec<u64>) {
    let file = File::open(path).unwrap();
    let mut magic = [0; 6];
    file.read_exact_at(&mut magic, 0).unwrap();
    assert_eq!(
        &magic, b"\x7fELF\x02\x01",
        "{path} is not a 64-bit little-endian ELF file"
    );
    let kind = u16_at(&file, 16);
    let phoff = u64_at(&file, 32);
    let phentsize = u64::from(u16_at(&file, 54));
    let phnum = u64::from(u16_at(&file, 56));
    let mut types = Vec::new();
    let mut tags = Vec::new();
    for i in 0..phnum {
        let header = phoff + i * phentsize;
        let kind = u32_at(&file, header);
        types.push(kind);
        if kind == PT_DYNAMIC {
            let (offset, size) = (u64_at(&file, header + 8), u64_at(&file, header + 32));
            for entry in (offset..offset + size).step_by(16) {
                let tag = u64_at(&file, entry);
                if tag == DT_NULL {
                    break;
                }
                tags.push(tag);
            }
        }
    }
    (kind, types, tags)
}

/// No program interpreter and no shared library: the kernel starts ssokey
/// itself. A position-independent executable (ASLR kept), with its relative
/// relocations packed (DT_RELR).
#[cfg(all(target_arch = "x86_64", target_env = "gnu"))]
#[test]
fn the_binary_is_a_static_pie_with_packed_relocations() {
    let (kind, types, tags) = elf(env!("CARGO_BIN_EXE_ssokey"));
    assert_eq!(kind, ET_DYN, "not a position-independent executable");
    assert!(!types.contains(&PT_INTERP), "it asks for a dynamic loader");
    assert!(types.contains(&PT_DYNAMIC), "no dynamic section: {types:?}");
    assert!(!tags.contains(&DT_NEEDED), "it needs a shared library");
    assert!(tags.contains(&DT_RELR), "no packed relocations: {tags:?}");
}

/// Static glibc still resolves a host name (through /etc/hosts here): the
/// portal named `localhost` rather than 127.0.0.1.
#[test]
fn a_portal_named_by_host_name_is_reached() {
    let mut env = TestEnv::new();
    for (name, url) in env.emulator.env() {
        let by_name = url.replace("127.0.0.1", "localhost");
        assert_ne!(by_name, url, "the emulator's URL has no 127.0.0.1: {url}");
        env.set_env(name, &by_name);
    }
    env.login().success();
    let fetched = env.emulator.count(Op::GetRoleCredentials);
    env.run(&credential_process_args(
        "100000000001",
        "Admin",
        &["--refresh"],
    ))
    .success();
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), fetched + 1);
}
