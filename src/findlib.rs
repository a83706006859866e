//! `find_library`: ctypes.util's search for a library by its short name,
//! done by reading what the loader reads (no compiler or ldconfig spawned).

use std::fs;
use std::path::PathBuf;

/// Finds a library by its short name, as `ctypes.util.find_library` does:
/// `find_library("m")` gives `Some("libm.so.6")` on glibc Linux, the name the
/// loader would pick for `-lm` at run time. Pass the result to
/// [`CDll::open`](crate::CDll::open).
///
/// The search follows the loader's order: the directories in
/// `LD_LIBRARY_PATH`, then the ld.so cache (`/etc/ld.so.cache`, as
/// `ldconfig -p` lists it), then the system directories. A library found by
/// file is named by its `DT_SONAME`; when no file of that name sits beside it
/// the full path is returned instead, so the result always opens the library
/// that was found. Libraries built for another architecture are skipped.
///
/// Returns `None` when nothing matches, or when `name` is empty or contains a
/// `/` (ctypes expects the bare name: "m", "ssl", "z").
///
/// ```
/// # #[cfg(all(target_os = "linux", target_env = "gnu"))] {
/// let libm = rctypes::find_library("m").expect("glibc has libm");
/// assert!(libm.to_string_lossy().starts_with("libm.so"));
/// assert_eq!(rctypes::find_library("surely-not-a-library"), None);
/// # }
/// ```
pub fn find_library(name: &str) -> Option<PathBuf> {
    if name.is_empty() || name.contains('/') || name.contains('\0') {
        return None;
    }
    let env_dirs: Vec<PathBuf> = std::env::var_os("LD_LIBRARY_PATH")
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    if let Some(found) = find_in_dirs(name, &env_dirs) {
        return Some(found);
    }
    if let Ok(cache) = fs::read("/etc/ld.so.cache") {
        if let Some(soname) = search_ld_cache(&cache, name) {
            return Some(PathBuf::from(soname));
        }
    }
    let system: Vec<PathBuf> = SYSTEM_DIRS.iter().map(PathBuf::from).collect();
    find_in_dirs(name, &system)
}

#[cfg(target_arch = "x86_64")]
const SYSTEM_DIRS: &[&str] = &[
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
];
#[cfg(target_arch = "aarch64")]
const SYSTEM_DIRS: &[&str] = &[
    "/lib/aarch64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
];
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const SYSTEM_DIRS: &[&str] = &["/lib", "/usr/lib"];

/// The ELF `e_machine` of this target, to skip libraries of other architectures.
const ELF_MACHINE: Option<u16> = if cfg!(target_arch = "x86_64") {
    Some(62)
} else if cfg!(target_arch = "aarch64") {
    Some(183)
} else if cfg!(target_arch = "x86") {
    Some(3)
} else {
    None
};

/// Whether a file name is `lib{name}.so` or `lib{name}.so.<anything>`.
fn matches_name(file: &str, name: &str) -> bool {
    file.strip_prefix("lib")
        .and_then(|rest| rest.strip_prefix(name))
        .and_then(|rest| rest.strip_prefix(".so"))
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// The version numbers after `.so.` for ordering `libx.so.2` above `libx.so.10`
/// correctly (numerically).
fn version_key(file: &str) -> Vec<u64> {
    file.split_once(".so")
        .map(|(_, v)| v.split('.').filter_map(|p| p.parse().ok()).collect())
        .unwrap_or_default()
}

/// Searches directories in order for `lib{name}.so*`, returning the soname of
/// the library the loader would use (or its path when no file carries the
/// soname beside it).
pub(crate) fn find_in_dirs(name: &str, dirs: &[PathBuf]) -> Option<PathBuf> {
    for dir in dirs {
        let Ok(entries) = fs::read_dir(dir) else {
            continue;
        };
        let mut candidates: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|f| matches_name(f, name))
            .collect();
        // Prefer the development link `libx.so` (what `-lx` links), then the
        // highest version.
        candidates.sort_by(|a, b| {
            let unversioned = |f: &String| !f.ends_with(".so");
            unversioned(a)
                .cmp(&unversioned(b))
                .then_with(|| version_key(b).cmp(&version_key(a)))
        });
        for file in candidates {
            let path = dir.join(&file);
            let Ok(bytes) = fs::read(&path) else {
                continue;
            };
            let Some(info) = elf_info(&bytes) else {
                continue; // a linker script or something else that is not a library
            };
            if ELF_MACHINE.is_some_and(|m| m != info.machine) {
                continue;
            }
            return Some(match info.soname {
                Some(soname) if dir.join(&soname).exists() => PathBuf::from(soname),
                _ => path,
            });
        }
    }
    None
}

/// What `find_library` needs from an ELF shared object.
#[derive(Debug, PartialEq)]
pub(crate) struct ElfInfo {
    pub machine: u16,
    pub soname: Option<String>,
}

/// Reads `e_machine` and `DT_SONAME` from an ELF file's bytes; `None` when the
/// bytes are not a well-formed ELF shared object.
pub(crate) fn elf_info(bytes: &[u8]) -> Option<ElfInfo> {
    if bytes.get(..4)? != b"\x7fELF" {
        return None;
    }
    let is64 = match bytes.get(4)? {
        1 => false,
        2 => true,
        _ => return None,
    };
    let le = match bytes.get(5)? {
        1 => true,
        2 => false,
        _ => return None,
    };
    let u16_at = |off: usize| -> Option<u16> {
        let b: [u8; 2] = bytes.get(off..off + 2)?.try_into().ok()?;
        Some(if le {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    };
    let u32_at = |off: usize| -> Option<u32> {
        let b: [u8; 4] = bytes.get(off..off + 4)?.try_into().ok()?;
        Some(if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let u64_at = |off: usize| -> Option<u64> {
        let b: [u8; 8] = bytes.get(off..off + 8)?.try_into().ok()?;
        Some(if le {
            u64::from_le_bytes(b)
        } else {
            u64::from_be_bytes(b)
        })
    };
    let word = |off: usize| -> Option<u64> {
        if is64 {
            u64_at(off)
        } else {
            u32_at(off).map(u64::from)
        }
    };
    let machine = u16_at(18)?;
    let (phoff, phentsize, phnum) = if is64 {
        (u64_at(32)?, u16_at(54)?, u16_at(56)?)
    } else {
        (u64::from(u32_at(28)?), u16_at(42)?, u16_at(44)?)
    };

    // Program headers: PT_LOAD segments map addresses to file offsets;
    // PT_DYNAMIC holds the dynamic section.
    let mut loads = Vec::new();
    let mut dynamic = None;
    for i in 0..usize::from(phnum) {
        let ph = usize::try_from(phoff).ok()? + i * usize::from(phentsize);
        let p_type = u32_at(ph)?;
        let (offset, vaddr, filesz) = if is64 {
            (u64_at(ph + 8)?, u64_at(ph + 16)?, u64_at(ph + 32)?)
        } else {
            (
                u64::from(u32_at(ph + 4)?),
                u64::from(u32_at(ph + 8)?),
                u64::from(u32_at(ph + 16)?),
            )
        };
        match p_type {
            1 => loads.push((offset, vaddr, filesz)),
            2 => dynamic = Some((offset, filesz)),
            _ => {}
        }
    }
    let mut soname = None;
    if let Some((dyn_off, dyn_size)) = dynamic {
        let entsize = if is64 { 16 } else { 8 };
        let mut strtab = None;
        let mut soname_off = None;
        for i in 0..usize::try_from(dyn_size).ok()? / entsize {
            let at = usize::try_from(dyn_off).ok()? + i * entsize;
            let tag = word(at)?;
            let val = word(at + entsize / 2)?;
            match tag {
                0 => break,
                5 => strtab = Some(val),
                14 => soname_off = Some(val),
                _ => {}
            }
        }
        if let (Some(strtab), Some(off)) = (strtab, soname_off) {
            let file_off = loads.iter().find_map(|&(offset, vaddr, filesz)| {
                (strtab >= vaddr && strtab < vaddr + filesz).then(|| strtab - vaddr + offset)
            })?;
            let start = usize::try_from(file_off.checked_add(off)?).ok()?;
            let rest = bytes.get(start..)?;
            let end = rest.iter().position(|&b| b == 0)?;
            soname = Some(String::from_utf8(rest[..end].to_vec()).ok()?);
        }
    }
    Some(ElfInfo { machine, soname })
}

/// Looks `lib{name}.so*` up in the bytes of an ld.so cache
/// (glibc's "glibc-ld.so.cache1.1" format, optionally after the old
/// "ld.so-1.7.0" table), keeping entries for this architecture, and returns
/// the first key in cache order, as `ldconfig -p` lists them.
pub(crate) fn search_ld_cache(cache: &[u8], name: &str) -> Option<String> {
    const NEW_MAGIC: &[u8] = b"glibc-ld.so.cache1.1";
    const OLD_MAGIC: &[u8] = b"ld.so-1.7.0";
    let u32_at = |off: usize| -> Option<u32> {
        Some(u32::from_ne_bytes(
            cache.get(off..off + 4)?.try_into().ok()?,
        ))
    };
    let start = if cache.starts_with(NEW_MAGIC) {
        0
    } else if cache.starts_with(OLD_MAGIC) {
        let nlibs = usize::try_from(u32_at(12)?).ok()?;
        let after_old = 16 + nlibs.checked_mul(12)?;
        (after_old + 7) & !7
    } else {
        return None;
    };
    if cache.get(start..start + NEW_MAGIC.len())? != NEW_MAGIC {
        return None;
    }
    let nlibs = usize::try_from(u32_at(start + 20)?).ok()?;
    // flags: FLAG_ELF_LIBC6 in the low byte, the required architecture in the high one.
    let wanted: Option<u32> = if cfg!(target_arch = "x86_64") {
        Some(0x0303)
    } else if cfg!(target_arch = "aarch64") {
        Some(0x0a03)
    } else {
        None
    };
    let entries = start + 48;
    for i in 0..nlibs {
        let e = entries + i * 24;
        let flags = u32_at(e)?;
        let key = usize::try_from(u32_at(e + 4)?).ok()?;
        let this_arch = match wanted {
            Some(w) => flags & 0xffff == w,
            None => flags & 0xff == 3,
        };
        if !this_arch {
            continue;
        }
        // String offsets count from the start of the new-format header.
        let rest = cache.get(start.checked_add(key)?..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        let Ok(soname) = std::str::from_utf8(&rest[..end]) else {
            continue;
        };
        if matches_name(soname, name) {
            return Some(soname.to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_matching() {
        assert!(matches_name("libm.so", "m"));
        assert!(matches_name("libm.so.6", "m"));
        assert!(!matches_name("libmvec.so.1", "m"));
        assert!(!matches_name("libm.a", "m"));
        assert!(!matches_name("libm.sox", "m"));
    }

    #[test]
    fn versions_order_numerically() {
        assert!(version_key("libx.so.10") > version_key("libx.so.2"));
    }

    #[test]
    #[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
    fn real_libm_by_file_and_by_cache() {
        // Debian's /usr/lib/x86_64-linux-gnu/libm.so is a linker script: it is
        // skipped, and libm.so.6 is named by its DT_SONAME.
        let dirs = [PathBuf::from("/usr/lib/x86_64-linux-gnu")];
        assert_eq!(find_in_dirs("m", &dirs), Some(PathBuf::from("libm.so.6")));
        let bytes = fs::read("/usr/lib/x86_64-linux-gnu/libm.so.6").unwrap();
        let info = elf_info(&bytes).unwrap();
        assert_eq!(
            (info.machine, info.soname.as_deref()),
            (62, Some("libm.so.6"))
        );
        let cache = fs::read("/etc/ld.so.cache").unwrap();
        assert_eq!(search_ld_cache(&cache, "m").as_deref(), Some("libm.so.6"));
        assert_eq!(search_ld_cache(&cache, "no-such-lib-here"), None);
    }

    #[test]
    fn a_library_without_soname_is_found_by_path() {
        let Some(dir) = option_env!("RCTYPES_FIXTURE_DIR") else {
            return; // built without the fixtures
        };
        let found = find_in_dirs("fixtures", &[PathBuf::from(dir)]);
        assert_eq!(found, Some(PathBuf::from(dir).join("libfixtures.so")));
        assert_eq!(find_in_dirs("fixture", &[PathBuf::from(dir)]), None);
    }

    #[test]
    fn garbage_is_not_elf_or_cache() {
        assert_eq!(elf_info(b"GROUP ( /lib/libm.so.6 )"), None);
        assert_eq!(elf_info(b"\x7fELF"), None);
        assert_eq!(search_ld_cache(b"nonsense", "m"), None);
        assert_eq!(
            search_ld_cache(b"glibc-ld.so.cache1.1\xff\xff\xff\xff", "m"),
            None
        );
    }
}
