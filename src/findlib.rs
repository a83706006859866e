//! `find_library`: ctypes.util's search for a library by its short name,
//! done by reading what the loader reads (no compiler or ldconfig spawned).
//!
//! The ELF and ld.so cache parsers are functions over byte slices (and, to
//! read an ELF file's headers only, a `Read + Seek` source): every offset is
//! computed with checked arithmetic, every read and allocation is bounded,
//! and a malformed file gives `None`, never a panic.

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
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
///
/// Only regular files (or links to them) are opened, so a FIFO or a device
/// named like a library cannot block or feed the search forever; each
/// candidate is read through [`read_elf_info`], which reads its headers only.
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
            if !fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                continue; // a directory, FIFO, device or dangling (or looping) link
            }
            let Ok(mut opened) = File::open(&path) else {
                continue;
            };
            let Some(info) = read_elf_info(&mut opened) else {
                continue; // a linker script or something else that is not a library
            };
            if ELF_MACHINE.is_some_and(|m| m != info.machine) {
                continue;
            }
            return Some(match info.soname {
                Some(soname) if is_plain_file_name(&soname) && dir.join(&soname).is_file() => {
                    PathBuf::from(soname)
                }
                _ => path,
            });
        }
    }
    None
}

/// Whether a soname can stand for a file beside the library: a non-empty
/// name without `/` that is not `.` or `..` (a corrupt or hostile `DT_SONAME`
/// must not name the directory itself or a file elsewhere).
fn is_plain_file_name(soname: &str) -> bool {
    !soname.is_empty() && soname != "." && soname != ".." && !soname.contains('/')
}

/// What `find_library` needs from an ELF shared object.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ElfInfo {
    /// `e_machine`: the architecture the library was built for.
    pub machine: u16,
    /// The `DT_SONAME` string, when the library has one.
    pub soname: Option<String>,
}

/// Largest program header table read, in bytes: 64 KiB holds over a thousand
/// 64-bit program headers, where real libraries have about ten.
pub(crate) const MAX_PHDR_TABLE: usize = 64 * 1024;
/// Most bytes of the dynamic segment read: 64 KiB holds 4096 64-bit entries,
/// where real libraries have well under a hundred before `DT_NULL`.
pub(crate) const MAX_DYNAMIC: u64 = 64 * 1024;
/// Longest soname or ld.so cache key accepted, in bytes without its NUL
/// (`PATH_MAX`; a file name is at most 255).
pub(crate) const MAX_NAME: usize = 4096;
/// Bytes read for a NUL-terminated name: [`MAX_NAME`] and the NUL.
const MAX_NAME_READ: u64 = MAX_NAME as u64 + 1;
/// Bytes read for the ELF header: the 64-bit header's size (a 32-bit one is
/// 52 bytes, and a file that ends after those is still read whole).
const MAX_HEADER: u64 = 64;

/// ELF program header type of a loadable segment.
const PT_LOAD: u32 = 1;
/// ELF program header type of the dynamic segment.
const PT_DYNAMIC: u32 = 2;
/// Dynamic entry tag ending the dynamic array.
const DT_NULL: u64 = 0;
/// Dynamic entry tag of the string table's address.
const DT_STRTAB: u64 = 5;
/// Dynamic entry tag of the soname's offset in the string table.
const DT_SONAME: u64 = 14;

/// An ELF file's class (32- or 64-bit) and byte order, from `e_ident`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ElfClass {
    /// `ELFCLASS64` (else `ELFCLASS32`).
    pub is64: bool,
    /// `ELFDATA2LSB` (else `ELFDATA2MSB`).
    pub le: bool,
}

impl ElfClass {
    /// Size of the ELF header (`Elf*_Ehdr`).
    pub(crate) fn header_size(self) -> usize {
        if self.is64 { 64 } else { 52 }
    }

    /// Size of a program header (`Elf*_Phdr`), the only `e_phentsize` the
    /// loader accepts.
    pub(crate) fn phdr_size(self) -> usize {
        if self.is64 { 56 } else { 32 }
    }

    /// Size of a dynamic entry (`Elf*_Dyn`).
    pub(crate) fn dyn_size(self) -> usize {
        if self.is64 { 16 } else { 8 }
    }

    /// Size of an address, offset or size word.
    pub(crate) fn word_size(self) -> usize {
        if self.is64 { 8 } else { 4 }
    }

    /// The `u16` at `off` in `b`, when all its bytes are there.
    pub(crate) fn u16_at(self, b: &[u8], off: usize) -> Option<u16> {
        let a = bytes_at(b, off)?;
        Some(if self.le {
            u16::from_le_bytes(a)
        } else {
            u16::from_be_bytes(a)
        })
    }

    /// The `u32` at `off` in `b`, when all its bytes are there.
    pub(crate) fn u32_at(self, b: &[u8], off: usize) -> Option<u32> {
        let a = bytes_at(b, off)?;
        Some(if self.le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }

    /// The word (4 or 8 bytes by class) at `off` in `b`, widened to `u64`.
    pub(crate) fn word_at(self, b: &[u8], off: usize) -> Option<u64> {
        if self.is64 {
            let a = bytes_at(b, off)?;
            Some(if self.le {
                u64::from_le_bytes(a)
            } else {
                u64::from_be_bytes(a)
            })
        } else {
            self.u32_at(b, off).map(u64::from)
        }
    }
}

/// The `N` bytes at `off` in `b`, or `None` when they are not all there.
fn bytes_at<const N: usize>(b: &[u8], off: usize) -> Option<[u8; N]> {
    b.get(off..off.checked_add(N)?)?.try_into().ok()
}

/// The class and byte order from the start of an ELF file (`e_ident`), or
/// `None` when the bytes are not ELF or name an unknown class or order.
pub(crate) fn parse_ident(ident: &[u8]) -> Option<ElfClass> {
    if ident.get(..4)? != b"\x7fELF" {
        return None;
    }
    let is64 = match ident.get(4)? {
        1 => false,
        2 => true,
        _ => return None,
    };
    let le = match ident.get(5)? {
        1 => true,
        2 => false,
        _ => return None,
    };
    Some(ElfClass { is64, le })
}

/// The fields of the ELF header that `find_library` uses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ElfHeader {
    /// Class and byte order.
    pub class: ElfClass,
    /// `e_machine`.
    pub machine: u16,
    /// `e_phoff`: file offset of the program header table.
    pub phoff: u64,
    /// `e_phnum`: number of program headers.
    pub phnum: u16,
}

impl ElfHeader {
    /// Length in bytes of the program header table, or `None` when it is
    /// over [`MAX_PHDR_TABLE`].
    pub(crate) fn phdr_table_len(&self) -> Option<usize> {
        usize::from(self.phnum)
            .checked_mul(self.class.phdr_size())
            .filter(|&len| len <= MAX_PHDR_TABLE)
    }
}

/// Parses an ELF header from the first bytes of a file; `None` when they are
/// not a whole ELF header, or when there are program headers of a size other
/// than the class's (which the loader rejects too).
pub(crate) fn parse_header(head: &[u8]) -> Option<ElfHeader> {
    let class = parse_ident(head)?;
    if head.len() < class.header_size() {
        return None;
    }
    let machine = class.u16_at(head, 18)?;
    let (phoff, phentsize, phnum) = if class.is64 {
        (
            class.word_at(head, 32)?,
            class.u16_at(head, 54)?,
            class.u16_at(head, 56)?,
        )
    } else {
        (
            class.word_at(head, 28)?,
            class.u16_at(head, 42)?,
            class.u16_at(head, 44)?,
        )
    };
    if phnum != 0 && usize::from(phentsize) != class.phdr_size() {
        return None;
    }
    Some(ElfHeader {
        class,
        machine,
        phoff,
        phnum,
    })
}

/// A `PT_LOAD` segment: where its file bytes sit in the file and in memory.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Load {
    /// `p_offset`.
    pub offset: u64,
    /// `p_vaddr`.
    pub vaddr: u64,
    /// `p_filesz`.
    pub filesz: u64,
}

impl Load {
    /// The file offset of virtual address `addr`, when it lies in this
    /// segment's file bytes (and the offset fits in a `u64`).
    pub(crate) fn file_offset(&self, addr: u64) -> Option<u64> {
        let delta = addr.checked_sub(self.vaddr)?;
        if delta < self.filesz {
            self.offset.checked_add(delta)
        } else {
            None
        }
    }
}

/// What the program headers say: the loadable segments, and the file offset
/// and size of the (last) dynamic segment.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Segments {
    /// The `PT_LOAD` segments in table order.
    pub loads: Vec<Load>,
    /// `(p_offset, p_filesz)` of the `PT_DYNAMIC` segment.
    pub dynamic: Option<(u64, u64)>,
}

/// Parses a program header table (`table` holds whole entries of the class's
/// size; a partial last entry is ignored).
pub(crate) fn parse_phdrs(class: ElfClass, table: &[u8]) -> Option<Segments> {
    let mut segments = Segments::default();
    // Field offsets of p_offset, p_vaddr and p_filesz.
    let (offset_at, vaddr_at, filesz_at) = if class.is64 { (8, 16, 32) } else { (4, 8, 16) };
    for ph in table.chunks_exact(class.phdr_size()) {
        let p_type = class.u32_at(ph, 0)?;
        let offset = class.word_at(ph, offset_at)?;
        let filesz = class.word_at(ph, filesz_at)?;
        match p_type {
            PT_LOAD => segments.loads.push(Load {
                offset,
                vaddr: class.word_at(ph, vaddr_at)?,
                filesz,
            }),
            PT_DYNAMIC => segments.dynamic = Some((offset, filesz)),
            _ => {}
        }
    }
    Some(segments)
}

/// The values of the dynamic entries `find_library` uses.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct DynamicInfo {
    /// `DT_STRTAB`: the string table's virtual address.
    pub strtab: Option<u64>,
    /// `DT_SONAME`: the soname's offset in the string table.
    pub soname: Option<u64>,
}

/// Scans the dynamic entries in `data` (the start of the dynamic segment, as
/// much as was read of it) up to `DT_NULL` or the segment's declared size
/// `filesz`. `None` when `data` ends first: the file is truncated, or the
/// segment is longer than [`MAX_DYNAMIC`] without a `DT_NULL` in that much.
pub(crate) fn scan_dynamic(class: ElfClass, data: &[u8], filesz: u64) -> Option<DynamicInfo> {
    let entsize = class.dyn_size();
    let declared = filesz / u64::try_from(entsize).ok()?;
    let mut entries = data.chunks_exact(entsize);
    let mut info = DynamicInfo::default();
    for _ in 0..declared {
        let entry = entries.next()?;
        let value = class.word_at(entry, class.word_size())?;
        match class.word_at(entry, 0)? {
            DT_NULL => break,
            DT_STRTAB => info.strtab = Some(value),
            DT_SONAME => info.soname = Some(value),
            _ => {}
        }
    }
    Some(info)
}

/// The bytes before the first NUL in `bytes`, when there is one within
/// [`MAX_NAME`] bytes.
pub(crate) fn c_string(bytes: &[u8]) -> Option<&[u8]> {
    let end = bytes.iter().take(MAX_NAME + 1).position(|&b| b == 0)?;
    bytes.get(..end)
}

/// Reads up to `max` bytes at `offset` (fewer where the file ends), so no
/// read is larger than the caller's bound.
fn read_up_to<R: Read + Seek>(file: &mut R, offset: u64, max: u64) -> Option<Vec<u8>> {
    file.seek(SeekFrom::Start(offset)).ok()?;
    let mut buf = Vec::new();
    file.by_ref().take(max).read_to_end(&mut buf).ok()?;
    Some(buf)
}

/// Reads `e_machine` and `DT_SONAME` from an ELF file, reading only the ELF
/// header, the program header table, the dynamic segment and the soname,
/// each with a bounded read ([`MAX_PHDR_TABLE`], [`MAX_DYNAMIC`],
/// [`MAX_NAME`]); `None` when the file is not a well-formed ELF shared object
/// (or cannot be read).
pub(crate) fn read_elf_info<R: Read + Seek>(file: &mut R) -> Option<ElfInfo> {
    let header = parse_header(&read_up_to(file, 0, MAX_HEADER)?)?;
    let table_len = header.phdr_table_len()?;
    let segments = if table_len == 0 {
        Segments::default()
    } else {
        let table = read_up_to(file, header.phoff, u64::try_from(table_len).ok()?)?;
        if table.len() != table_len {
            return None; // the table runs past the end of the file
        }
        parse_phdrs(header.class, &table)?
    };
    let mut soname = None;
    if let Some((offset, filesz)) = segments.dynamic {
        let data = read_up_to(file, offset, filesz.min(MAX_DYNAMIC))?;
        let dynamic = scan_dynamic(header.class, &data, filesz)?;
        if let (Some(strtab), Some(name_off)) = (dynamic.strtab, dynamic.soname) {
            // The string table is named by address: find it in the file.
            let table = segments
                .loads
                .iter()
                .find_map(|load| load.file_offset(strtab))?;
            let bytes = read_up_to(file, table.checked_add(name_off)?, MAX_NAME_READ)?;
            let name = std::str::from_utf8(c_string(&bytes)?).ok()?;
            soname = Some(name.to_owned());
        }
    }
    Some(ElfInfo {
        machine: header.machine,
        soname,
    })
}

/// Reads `e_machine` and `DT_SONAME` from an ELF file's bytes: [`read_elf_info`]
/// over a slice.
#[cfg(test)]
pub(crate) fn elf_info(bytes: &[u8]) -> Option<ElfInfo> {
    read_elf_info(&mut std::io::Cursor::new(bytes))
}

/// Magic of glibc's ld.so cache format (and of its part after an old table).
const CACHE_NEW_MAGIC: &[u8] = b"glibc-ld.so.cache1.1";
/// Magic of the old libc5 ld.so cache format.
const CACHE_OLD_MAGIC: &[u8] = b"ld.so-1.7.0";
/// Size of the old format's header (magic, padding, `nlibs`).
const CACHE_OLD_HEADER: usize = 16;
/// Size of an old-format entry (flags, key, value).
const CACHE_OLD_ENTRY: usize = 12;
/// Size of the new format's header (magic, `nlibs`, `len_strings`, flags,
/// extension offset, unused words).
const CACHE_NEW_HEADER: usize = 48;
/// Size of a new-format entry (flags, key, value, osversion, hwcap).
const CACHE_NEW_ENTRY: usize = 24;

/// The native-endian `u32` at `off` in `b`, when all its bytes are there.
fn ne_u32(b: &[u8], off: usize) -> Option<u32> {
    bytes_at(b, off).map(u32::from_ne_bytes)
}

/// Where the new-format part of an ld.so cache starts: at 0, or after the old
/// format's table aligned to 8 bytes; `None` for neither magic or an offset
/// that does not fit a `usize`.
pub(crate) fn cache_new_start(cache: &[u8]) -> Option<usize> {
    if cache.starts_with(CACHE_NEW_MAGIC) {
        Some(0)
    } else if cache.starts_with(CACHE_OLD_MAGIC) {
        let nlibs = usize::try_from(ne_u32(cache, 12)?).ok()?;
        let after_old = nlibs
            .checked_mul(CACHE_OLD_ENTRY)?
            .checked_add(CACHE_OLD_HEADER)?;
        Some(after_old.checked_add(7)? & !7)
    } else {
        None
    }
}

/// Looks `lib{name}.so*` up in the bytes of an ld.so cache
/// (glibc's "glibc-ld.so.cache1.1" format, optionally after the old
/// "ld.so-1.7.0" table), keeping entries for this architecture, and returns
/// the first key in cache order, as `ldconfig -p` lists them.
///
/// Offsets are checked against the cache's length, at most `nlibs` entries
/// that lie wholly in the cache are read, and a key must end within
/// [`MAX_NAME`] bytes; `None` for a cache that is malformed before a match.
pub(crate) fn search_ld_cache(cache: &[u8], name: &str) -> Option<String> {
    // String offsets count from the start of the new-format header.
    let new = cache.get(cache_new_start(cache)?..)?;
    if !new.starts_with(CACHE_NEW_MAGIC) {
        return None;
    }
    let nlibs = usize::try_from(ne_u32(new, 20)?).ok()?;
    // flags: FLAG_ELF_LIBC6 in the low byte, the required architecture in the high one.
    let wanted: Option<u32> = if cfg!(target_arch = "x86_64") {
        Some(0x0303)
    } else if cfg!(target_arch = "aarch64") {
        Some(0x0a03)
    } else {
        None
    };
    let entries = new.get(CACHE_NEW_HEADER..)?.chunks_exact(CACHE_NEW_ENTRY);
    for entry in entries.take(nlibs) {
        let flags = ne_u32(entry, 0)?;
        let key = usize::try_from(ne_u32(entry, 4)?).ok()?;
        let this_arch = match wanted {
            Some(w) => flags & 0xffff == w,
            None => flags & 0xff == 3,
        };
        if !this_arch {
            continue;
        }
        let Ok(soname) = std::str::from_utf8(c_string(new.get(key..)?)?) else {
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
    use proptest::prelude::*;
    use proptest::sample::Index;
    use std::io::Cursor;
    use std::path::Path;
    use std::sync::LazyLock;

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

    // ------------------------------------------- synthetic valid inputs ---

    /// The four ELF layouts: 64- and 32-bit, little- and big-endian.
    const CLASSES: [ElfClass; 4] = [
        ElfClass {
            is64: true,
            le: true,
        },
        ElfClass {
            is64: true,
            le: false,
        },
        ElfClass {
            is64: false,
            le: true,
        },
        ElfClass {
            is64: false,
            le: false,
        },
    ];

    /// The `e_machine` `find_in_dirs` accepts here (x86-64's where any is).
    const HOST_MACHINE: u16 = match ELF_MACHINE {
        Some(m) => m,
        None => 62,
    };

    /// The soname of the synthetic ELF files.
    const SYN_SONAME: &str = "libsyn.so.1";

    /// Virtual address of the synthetic files' one `PT_LOAD` segment.
    const BASE: u64 = 0x1_0000;

    /// The answer for a synthetic file with soname [`SYN_SONAME`].
    fn syn_info() -> Option<ElfInfo> {
        Some(ElfInfo {
            machine: HOST_MACHINE,
            soname: Some(SYN_SONAME.to_owned()),
        })
    }

    /// Writes the low `width` bytes of `value` at `at` in the given byte
    /// order; nothing when the field is not wholly inside `buf`.
    fn put(buf: &mut [u8], at: usize, width: usize, value: u64, le: bool) {
        let bytes = if le {
            value.to_le_bytes()
        } else {
            value.to_be_bytes()
        };
        let field = if le {
            &bytes[..width]
        } else {
            &bytes[8 - width..]
        };
        if let Some(dst) = buf.get_mut(at..at + width) {
            dst.copy_from_slice(field);
        }
    }

    /// Offsets of the ELF header fields the tests overwrite.
    struct HeaderFields {
        /// `e_phoff`.
        phoff: usize,
        /// `e_shoff`.
        shoff: usize,
        /// `e_phentsize`.
        phentsize: usize,
        /// `e_phnum`.
        phnum: usize,
        /// `e_shnum`.
        shnum: usize,
    }

    /// Where a class keeps the header fields the tests overwrite.
    fn header_fields(class: ElfClass) -> HeaderFields {
        if class.is64 {
            HeaderFields {
                phoff: 32,
                shoff: 40,
                phentsize: 54,
                phnum: 56,
                shnum: 60,
            }
        } else {
            HeaderFields {
                phoff: 28,
                shoff: 32,
                phentsize: 42,
                phnum: 44,
                shnum: 48,
            }
        }
    }

    /// Offsets of `p_offset`, `p_vaddr` and `p_filesz` in a program header.
    fn phdr_fields(class: ElfClass) -> [usize; 3] {
        if class.is64 { [8, 16, 32] } else { [4, 8, 16] }
    }

    /// File offsets of the synthetic file's dynamic segment and string table.
    fn synthetic_layout(class: ElfClass) -> (usize, usize) {
        let dynamic = class.header_size() + 2 * class.phdr_size();
        (dynamic, dynamic + 3 * class.dyn_size())
    }

    /// A minimal ELF shared object: the header, a `PT_LOAD` segment mapping
    /// the whole file at [`BASE`], a `PT_DYNAMIC` segment with `DT_SONAME`,
    /// `DT_STRTAB` and `DT_NULL`, and the string table holding `soname`.
    fn synthetic_elf(class: ElfClass, machine: u16, soname: &str) -> Vec<u8> {
        let le = class.le;
        let w = class.word_size();
        let (dynamic, strtab) = synthetic_layout(class);
        let len = strtab + soname.len() + 2;
        let mut f = vec![0u8; len];
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = if class.is64 { 2 } else { 1 };
        f[5] = if le { 1 } else { 2 };
        f[6] = 1; // EI_VERSION
        put(&mut f, 16, 2, 3, le); // e_type: ET_DYN
        put(&mut f, 18, 2, machine.into(), le);
        put(&mut f, 20, 4, 1, le); // e_version
        let h = header_fields(class);
        put(&mut f, h.phoff, w, class.header_size() as u64, le);
        put(&mut f, h.phentsize - 2, 2, class.header_size() as u64, le); // e_ehsize
        put(&mut f, h.phentsize, 2, class.phdr_size() as u64, le);
        put(&mut f, h.phnum, 2, 2, le);
        put(&mut f, h.phnum + 2, 2, if class.is64 { 64 } else { 40 }, le); // e_shentsize
        let [p_offset, p_vaddr, p_filesz] = phdr_fields(class);
        let segments = [
            (PT_LOAD, 0, len),
            (PT_DYNAMIC, dynamic, 3 * class.dyn_size()),
        ];
        for (i, (p_type, offset, size)) in segments.into_iter().enumerate() {
            let ph = class.header_size() + i * class.phdr_size();
            put(&mut f, ph, 4, p_type.into(), le);
            put(&mut f, ph + p_offset, w, offset as u64, le);
            put(&mut f, ph + p_vaddr, w, BASE + offset as u64, le);
            put(&mut f, ph + p_filesz, w, size as u64, le);
            put(&mut f, ph + p_filesz + w, w, size as u64, le); // p_memsz
        }
        let entries = [
            (DT_SONAME, 1),
            (DT_STRTAB, BASE + strtab as u64),
            (DT_NULL, 0),
        ];
        for (i, (tag, value)) in entries.into_iter().enumerate() {
            let at = dynamic + i * class.dyn_size();
            put(&mut f, at, w, tag, le);
            put(&mut f, at + w, w, value, le);
        }
        f[strtab + 1..strtab + 1 + soname.len()].copy_from_slice(soname.as_bytes());
        f
    }

    /// The ld.so cache flags of a library for this architecture.
    const HOST_CACHE_FLAGS: u32 = if cfg!(target_arch = "x86_64") {
        0x0303
    } else if cfg!(target_arch = "aarch64") {
        0x0a03
    } else {
        0x0003
    };

    /// ld.so cache flags of a library for another architecture (or libc5).
    const FOREIGN_CACHE_FLAGS: u32 = 0x0801;

    /// An ld.so cache listing `entries` (flags, key) in order, in the new
    /// format, after an old-format table of `old` entries when there is one.
    fn synthetic_cache(old: Option<u32>, entries: &[(u32, &str)]) -> Vec<u8> {
        let mut c = Vec::new();
        if let Some(n) = old {
            c.extend_from_slice(b"ld.so-1.7.0\0");
            c.extend_from_slice(&n.to_ne_bytes());
            for _ in 0..n {
                c.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            }
            c.resize(c.len().next_multiple_of(8), 0);
        }
        let strings_at = CACHE_NEW_HEADER + CACHE_NEW_ENTRY * entries.len();
        let mut strings = Vec::new();
        let mut table = Vec::new();
        for &(flags, key) in entries {
            let key_at = u32::try_from(strings_at + strings.len()).unwrap();
            strings.extend_from_slice(key.as_bytes());
            strings.push(0);
            table.extend_from_slice(&flags.to_ne_bytes());
            table.extend_from_slice(&key_at.to_ne_bytes());
            table.extend_from_slice(&key_at.to_ne_bytes()); // value: the path
            table.extend_from_slice(&[0; 12]); // osversion, hwcap
        }
        c.extend_from_slice(CACHE_NEW_MAGIC);
        c.extend_from_slice(&u32::try_from(entries.len()).unwrap().to_ne_bytes());
        c.extend_from_slice(&u32::try_from(strings.len()).unwrap().to_ne_bytes());
        c.extend_from_slice(&[0; 20]); // flags, padding, extension offset, unused
        c.extend_from_slice(&table);
        c.extend_from_slice(&strings);
        c
    }

    /// The entries of the synthetic caches.
    const SYN_CACHE: [(u32, &str); 5] = [
        (HOST_CACHE_FLAGS, "libz.so.1"),
        (FOREIGN_CACHE_FLAGS, "libm.so.5"),
        (HOST_CACHE_FLAGS, "libm.so.6"),
        (HOST_CACHE_FLAGS, "libm.so"),
        (HOST_CACHE_FLAGS, SYN_SONAME),
    ];

    // ----------------------------------------------- exact-value tests ---

    /// Valid synthetic files of every class and byte order give their machine and soname.
    #[test]
    fn synthetic_elf_of_every_class_and_byte_order() {
        for class in CLASSES {
            let f = synthetic_elf(class, HOST_MACHINE, SYN_SONAME);
            assert_eq!(elf_info(&f), syn_info(), "{class:?}");
            let other = synthetic_elf(class, 40, "libother.so.7");
            let expected = ElfInfo {
                machine: 40,
                soname: Some("libother.so.7".to_owned()),
            };
            assert_eq!(elf_info(&other), Some(expected), "{class:?}");
        }
    }

    /// A synthetic file cut anywhere is rejected.
    #[test]
    fn every_truncation_of_a_synthetic_elf_is_rejected() {
        // The string table is the file's last bytes, so every cut loses
        // something the answer needs.
        for class in CLASSES {
            let f = synthetic_elf(class, HOST_MACHINE, SYN_SONAME);
            for n in 0..f.len() {
                assert_eq!(elf_info(&f[..n]), None, "{class:?} cut at {n}");
            }
        }
    }

    /// Extreme header, program header and dynamic values: exact answers (the
    /// old parser overflowed on several of them).
    #[test]
    fn lying_elf_fields_are_rejected_or_ignored() {
        for class in CLASSES {
            let good = synthetic_elf(class, HOST_MACHINE, SYN_SONAME);
            let len = good.len() as u64;
            let w = class.word_size();
            let h = header_fields(class);
            let [p_offset, p_vaddr, p_filesz] = phdr_fields(class);
            let ph = |i: usize, field: usize| class.header_size() + i * class.phdr_size() + field;
            let (dynamic, _) = synthetic_layout(class);
            let dyn_value = |i: usize| dynamic + i * class.dyn_size() + w;
            let no_soname = Some(ElfInfo {
                machine: HOST_MACHINE,
                soname: None,
            });
            // (what, offset, width, value, answer); values are cut to the width.
            let cases = [
                ("e_phoff at the top", h.phoff, w, u64::MAX - 3, None),
                ("e_phoff past the end", h.phoff, w, len, None),
                ("e_phnum 0xffff", h.phnum, 2, 0xffff, None),
                ("e_phnum 0", h.phnum, 2, 0, no_soname.clone()),
                ("e_phentsize 55", h.phentsize, 2, 55, None),
                ("e_phentsize 0xffff", h.phentsize, 2, 0xffff, None),
                (
                    "e_shoff at the top (not read)",
                    h.shoff,
                    w,
                    u64::MAX,
                    syn_info(),
                ),
                ("e_shnum 0xffff (not read)", h.shnum, 2, 0xffff, syn_info()),
                (
                    "PT_LOAD p_offset at the top",
                    ph(0, p_offset),
                    w,
                    u64::MAX,
                    None,
                ),
                (
                    "PT_LOAD p_vaddr at the top",
                    ph(0, p_vaddr),
                    w,
                    u64::MAX,
                    None,
                ),
                (
                    "PT_LOAD p_filesz at the top",
                    ph(0, p_filesz),
                    w,
                    u64::MAX,
                    syn_info(),
                ),
                ("PT_LOAD p_filesz 0", ph(0, p_filesz), w, 0, None),
                (
                    "PT_DYNAMIC p_offset at the top",
                    ph(1, p_offset),
                    w,
                    u64::MAX,
                    None,
                ),
                (
                    "PT_DYNAMIC p_offset past the end",
                    ph(1, p_offset),
                    w,
                    len,
                    None,
                ),
                (
                    "PT_DYNAMIC p_filesz at the top",
                    ph(1, p_filesz),
                    w,
                    u64::MAX,
                    syn_info(),
                ),
                (
                    "PT_DYNAMIC p_filesz 0",
                    ph(1, p_filesz),
                    w,
                    0,
                    no_soname.clone(),
                ),
                ("PT_DYNAMIC demoted to PT_NULL", ph(1, 0), 4, 0, no_soname),
                ("DT_SONAME at the top", dyn_value(0), w, u64::MAX, None),
                ("DT_SONAME past the end", dyn_value(0), w, len, None),
                ("DT_STRTAB at the top", dyn_value(1), w, u64::MAX, None),
                (
                    "DT_STRTAB below the segment",
                    dyn_value(1),
                    w,
                    BASE - 1,
                    None,
                ),
                ("class 3", 4, 1, 3, None),
                ("byte order 0", 5, 1, 0, None),
            ];
            for (what, at, width, value, answer) in cases {
                let mut bad = good.clone();
                put(&mut bad, at, width, value, class.le);
                assert_eq!(elf_info(&bad), answer, "{class:?}: {what}");
            }
        }
    }

    /// A soname must end in a NUL within `MAX_NAME` bytes and be UTF-8.
    #[test]
    fn a_soname_without_nul_or_not_utf8_is_rejected() {
        for class in CLASSES {
            let (_, strtab) = synthetic_layout(class);
            let mut no_nul = synthetic_elf(class, HOST_MACHINE, SYN_SONAME);
            no_nul.pop();
            assert_eq!(elf_info(&no_nul), None, "{class:?}");
            let mut not_utf8 = synthetic_elf(class, HOST_MACHINE, SYN_SONAME);
            not_utf8[strtab + 1] = 0xff;
            assert_eq!(elf_info(&not_utf8), None, "{class:?}");
            let long = "x".repeat(MAX_NAME);
            let longest = synthetic_elf(class, HOST_MACHINE, &long);
            assert_eq!(
                elf_info(&longest).and_then(|i| i.soname),
                Some(long.clone())
            );
            let too_long = synthetic_elf(class, HOST_MACHINE, &format!("{long}x"));
            assert_eq!(elf_info(&too_long), None, "{class:?}");
        }
    }

    /// The 64-bit little-endian synthetic file with its three dynamic entries
    /// moved behind `filler` bytes of `DT_NEEDED` entries.
    fn padded_dynamic(filler: usize) -> Vec<u8> {
        let class = CLASSES[0];
        let (w, size) = (class.word_size(), class.dyn_size());
        let f = synthetic_elf(class, HOST_MACHINE, SYN_SONAME);
        let (dynamic, strtab) = synthetic_layout(class);
        let mut padded = f[..dynamic].to_vec();
        for _ in 0..filler / size {
            padded.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        }
        padded.extend_from_slice(&f[dynamic..]);
        let [_, _, p_filesz] = phdr_fields(class);
        let ph = |i: usize| class.header_size() + i * class.phdr_size();
        let len = padded.len() as u64;
        put(&mut padded, ph(0) + p_filesz, w, len, true);
        put(
            &mut padded,
            ph(1) + p_filesz,
            w,
            (filler + 3 * size) as u64,
            true,
        );
        let strtab_value = dynamic + filler + size + w;
        put(
            &mut padded,
            strtab_value,
            w,
            BASE + (strtab + filler) as u64,
            true,
        );
        padded
    }

    /// The dynamic segment is read up to `MAX_DYNAMIC` bytes, exactly.
    #[test]
    fn a_dynamic_segment_is_read_up_to_its_limit() {
        // All three entries within MAX_DYNAMIC bytes: found.
        let limit = usize::try_from(MAX_DYNAMIC).unwrap();
        assert_eq!(elf_info(&padded_dynamic(limit - 48)), syn_info());
        // DT_NULL one entry past MAX_DYNAMIC bytes: the segment is not read
        // that far, and is rejected.
        assert_eq!(elf_info(&padded_dynamic(limit - 32)), None);
        assert_eq!(elf_info(&padded_dynamic(limit)), None);
    }

    /// Reading the real libm.so.6 reads a few KiB of it, not the whole file.
    #[test]
    #[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
    fn only_the_headers_of_a_real_library_are_read() {
        let path = "/usr/lib/x86_64-linux-gnu/libm.so.6";
        let size = fs::metadata(path).unwrap().len();
        let mut file = Counting::new(File::open(path).unwrap());
        let info = read_elf_info(&mut file).unwrap();
        assert_eq!(
            (info.machine, info.soname.as_deref()),
            (62, Some("libm.so.6"))
        );
        // The header, about ten program headers, a dynamic segment of a few
        // hundred bytes, and at most MAX_NAME_READ bytes of the string table.
        assert!(file.bytes_read < 8 * 1024, "read {} bytes", file.bytes_read);
        assert!(size > 100 * 1024, "libm.so.6 is {size} bytes");
    }

    /// Synthetic caches, new layout alone or after old tables: exact answers.
    #[test]
    fn synthetic_caches_in_both_layouts() {
        for old in [None, Some(0), Some(3), Some(4)] {
            let cache = synthetic_cache(old, &SYN_CACHE);
            let search = |name| search_ld_cache(&cache, name);
            // The first entry for this architecture in cache order.
            assert_eq!(search("m").as_deref(), Some("libm.so.6"), "{old:?}");
            assert_eq!(search("z").as_deref(), Some("libz.so.1"), "{old:?}");
            assert_eq!(search("syn").as_deref(), Some(SYN_SONAME), "{old:?}");
            assert_eq!(search("q"), None, "{old:?}");
        }
    }

    /// Extreme counts and key offsets in a cache: exact answers.
    #[test]
    fn lying_cache_fields_are_rejected_or_ignored() {
        let cache = synthetic_cache(None, &SYN_CACHE);
        let old = synthetic_cache(Some(2), &SYN_CACHE);
        let new_start = cache_new_start(&old).unwrap();
        assert_eq!(new_start, 40);
        let entry = |i: usize| CACHE_NEW_HEADER + i * CACHE_NEW_ENTRY;
        // (what, cache, offset, value, answer for "m")
        let m6 = Some("libm.so.6".to_owned());
        let so = Some("libm.so".to_owned());
        let cases = [
            ("nlibs u32::MAX", &cache, 20, u32::MAX, m6.clone()),
            ("nlibs 2", &cache, 20, 2, None),
            ("nlibs 0", &cache, 20, 0, None),
            ("first key at the top", &cache, entry(0) + 4, u32::MAX, None),
            (
                "first key past the end",
                &cache,
                entry(0) + 4,
                100_000,
                None,
            ),
            (
                "foreign key at the top",
                &cache,
                entry(1) + 4,
                u32::MAX,
                m6.clone(),
            ),
            // A libm.so.6 entry keyed elsewhere: the next match is libm.so.
            ("m key on the z key", &cache, entry(2) + 4, 168, so.clone()),
            ("m key on the entries", &cache, entry(2) + 4, 48, so.clone()),
            ("old nlibs u32::MAX", &old, 12, u32::MAX, None),
            ("old nlibs 3", &old, 12, 3, None),
            (
                "new nlibs u32::MAX after old",
                &old,
                new_start + 20,
                u32::MAX,
                m6.clone(),
            ),
        ];
        for (what, base, at, value, answer) in cases {
            let mut bad = base.clone();
            bad[at..at + 4].copy_from_slice(&value.to_ne_bytes());
            assert_eq!(search_ld_cache(&bad, "m"), answer, "{what}");
        }
        // A key that is not UTF-8 is passed over; one without a NUL ends the search.
        let mut bad = cache.clone();
        let z_key = entry(5);
        assert_eq!(&bad[z_key..z_key + 9], b"libz.so.1");
        bad[z_key] = 0xff;
        assert_eq!(search_ld_cache(&bad, "m"), m6);
        let no_nul = &cache[..cache.len() - 1];
        assert_eq!(search_ld_cache(no_nul, "syn"), None);
        assert_eq!(search_ld_cache(no_nul, "m"), m6);
    }

    /// A soname is the answer only when it names a file beside the library.
    #[test]
    fn soname_names_the_library_only_when_it_is_a_file_beside_it() {
        let dir = temp_dir("soname");
        fs::create_dir_all(dir.join("subdir")).unwrap();
        fs::write(dir.join("elsewhere"), b"x").unwrap();
        let lib = dir.join(SYN_SONAME);
        let elsewhere = dir.join("elsewhere").to_string_lossy().into_owned();
        let by_path = Some(lib.clone());
        let cases = [
            (SYN_SONAME, Some(PathBuf::from(SYN_SONAME))),
            ("", by_path.clone()),
            (".", by_path.clone()),
            ("..", by_path.clone()),
            ("subdir", by_path.clone()),
            ("../libsyn.so.1", by_path.clone()),
            (elsewhere.as_str(), by_path.clone()),
            ("libnot-here.so.1", by_path.clone()),
        ];
        for (soname, answer) in cases {
            fs::write(&lib, synthetic_elf(CLASSES[0], HOST_MACHINE, soname)).unwrap();
            assert_eq!(
                find_in_dirs("syn", std::slice::from_ref(&dir)),
                answer,
                "{soname:?}"
            );
        }
        // A library for another architecture is passed over.
        if ELF_MACHINE.is_some() {
            fs::write(
                &lib,
                synthetic_elf(CLASSES[0], HOST_MACHINE ^ 1, SYN_SONAME),
            )
            .unwrap();
            assert_eq!(find_in_dirs("syn", std::slice::from_ref(&dir)), None);
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    // ------------------------------------------------------ test tools ---

    /// A fresh directory under the system's temporary directory.
    fn temp_dir(what: &str) -> PathBuf {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "rctypes-findlib-{what}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// A reader that counts the bytes it hands out.
    struct Counting<R> {
        /// The reader counted.
        inner: R,
        /// Bytes read so far.
        bytes_read: usize,
    }

    impl<R> Counting<R> {
        /// Counts the reads from `inner`.
        fn new(inner: R) -> Self {
            Counting {
                inner,
                bytes_read: 0,
            }
        }
    }

    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.bytes_read += n;
            Ok(n)
        }
    }

    impl<R: Seek> Seek for Counting<R> {
        fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
            self.inner.seek(pos)
        }
    }

    /// Most bytes one `read_elf_info` may read, whatever the file says.
    const READ_BUDGET: usize =
        MAX_HEADER as usize + MAX_PHDR_TABLE + MAX_DYNAMIC as usize + MAX_NAME_READ as usize;

    /// A valid input to corrupt, with the offsets and widths of the fields
    /// worth overwriting, its byte order and its answer.
    struct Sample {
        /// Where it comes from.
        label: String,
        /// The valid bytes.
        bytes: Vec<u8>,
        /// `(offset, width)` of the fields worth overwriting.
        fields: Vec<(usize, usize)>,
        /// Byte order of the fields.
        le: bool,
    }

    /// The fields `read_elf_info` reads in a valid ELF file: the ident bytes
    /// and header fields, every program header's type, offset, address and
    /// size, the dynamic entries, and the soname's bytes (plus `e_shoff` and
    /// `e_shnum`, which it must ignore).
    fn elf_fields(bytes: &[u8]) -> Vec<(usize, usize)> {
        let h = parse_header(bytes).unwrap();
        let class = h.class;
        let w = class.word_size();
        let f = header_fields(class);
        let mut fields = vec![
            (4, 1),
            (5, 1),
            (18, 2),
            (f.phoff, w),
            (f.shoff, w),
            (f.phentsize, 2),
            (f.phnum, 2),
            (f.shnum, 2),
        ];
        let phoff = usize::try_from(h.phoff).unwrap();
        let table = &bytes[phoff..phoff + h.phdr_table_len().unwrap()];
        for i in 0..usize::from(h.phnum) {
            let at = phoff + i * class.phdr_size();
            fields.push((at, 4));
            fields.extend(phdr_fields(class).map(|field| (at + field, w)));
        }
        let segments = parse_phdrs(class, table).unwrap();
        let (offset, size) = segments.dynamic.unwrap();
        let offset = usize::try_from(offset).unwrap();
        let count = usize::try_from(size).unwrap() / class.dyn_size();
        for i in 0..count.min(64) {
            let at = offset + i * class.dyn_size();
            fields.push((at, w));
            fields.push((at + w, w));
        }
        let data = &bytes[offset..offset + usize::try_from(size).unwrap()];
        let dynamic = scan_dynamic(class, data, size).unwrap();
        if let (Some(strtab), Some(name)) = (dynamic.strtab, dynamic.soname) {
            let table = segments.loads.iter().find_map(|l| l.file_offset(strtab));
            let at = usize::try_from(table.unwrap() + name).unwrap();
            let len = c_string(&bytes[at..]).unwrap().len();
            fields.extend((at..=at + len).map(|b| (b, 1)));
        }
        fields
    }

    /// The ELF files to corrupt: synthetic ones of every class and byte
    /// order, and, where this system has them, libz.so.1, libm.so.6 and the
    /// test fixture library.
    static ELF_CORPUS: LazyLock<Vec<Sample>> = LazyLock::new(|| {
        let mut files: Vec<(String, Vec<u8>)> = CLASSES
            .iter()
            .map(|&c| (format!("{c:?}"), synthetic_elf(c, HOST_MACHINE, SYN_SONAME)))
            .collect();
        let mut real: Vec<PathBuf> = ["libz.so.1", "libm.so.6"]
            .iter()
            .filter_map(|lib| {
                SYSTEM_DIRS
                    .iter()
                    .map(|dir| Path::new(dir).join(lib))
                    .find(|p| p.is_file())
            })
            .collect();
        real.extend(option_env!("RCTYPES_FIXTURE_LIB").map(PathBuf::from));
        for path in real {
            if let Ok(bytes) = fs::read(&path) {
                if elf_info(&bytes).is_some_and(|i| i.soname.is_some())
                    || path.ends_with("libfixtures.so")
                {
                    files.push((path.display().to_string(), bytes));
                }
            }
        }
        files
            .into_iter()
            .map(|(label, bytes)| Sample {
                fields: elf_fields(&bytes),
                le: parse_ident(&bytes).unwrap().le,
                label,
                bytes,
            })
            .collect()
    });

    /// The header word and entry fields of a valid ld.so cache.
    fn cache_fields(cache: &[u8]) -> Vec<(usize, usize)> {
        let mut fields = Vec::new();
        if cache.starts_with(CACHE_OLD_MAGIC) {
            fields.push((12, 4));
        }
        let start = cache_new_start(cache).unwrap();
        fields.extend([(start + 20, 4), (start + 24, 4)]);
        let nlibs = usize::try_from(ne_u32(cache, start + 20).unwrap()).unwrap();
        for i in 0..nlibs.min(1000) {
            let at = start + CACHE_NEW_HEADER + i * CACHE_NEW_ENTRY;
            fields.extend([(at, 4), (at + 4, 4), (at + 8, 4)]);
        }
        fields
    }

    /// The ld.so caches to corrupt: synthetic ones in both layouts, and this
    /// system's /etc/ld.so.cache when it is in a layout the parser reads.
    static CACHE_CORPUS: LazyLock<Vec<Sample>> = LazyLock::new(|| {
        let mut caches = vec![
            ("new layout".to_owned(), synthetic_cache(None, &SYN_CACHE)),
            (
                "old and new".to_owned(),
                synthetic_cache(Some(3), &SYN_CACHE),
            ),
        ];
        if let Ok(bytes) = fs::read("/etc/ld.so.cache") {
            if cache_new_start(&bytes).is_some() {
                caches.push(("/etc/ld.so.cache".to_owned(), bytes));
            }
        }
        caches
            .into_iter()
            .map(|(label, bytes)| Sample {
                fields: cache_fields(&bytes),
                le: cfg!(target_endian = "little"),
                label,
                bytes,
            })
            .collect()
    });

    /// A corruption of a valid input.
    #[derive(Clone, Debug)]
    enum Mutation {
        /// Sets the byte at an index.
        Byte(Index, u8),
        /// Overwrites a field worth overwriting (with the value cut to the
        /// field's width).
        Field(Index, u64),
        /// Cuts the file at an index.
        Truncate(Index),
    }

    /// Values that stress offsets, sizes and counts: the edges of every
    /// width, small offsets that land inside the file, and any value.
    fn extreme() -> impl Strategy<Value = u64> {
        prop_oneof![
            Just(0),
            Just(1),
            Just(u64::MAX),
            Just(u64::MAX - 1),
            Just(u64::MAX - 7),
            Just(1 << 63),
            Just(i64::MAX as u64),
            Just(u64::from(u32::MAX)),
            Just(u64::from(u32::MAX) - 3),
            Just(0x8000_0000),
            Just(u64::from(u16::MAX)),
            0..0x2_0000u64,
            any::<u64>(),
        ]
    }

    /// One to six corruptions.
    fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
        let one = prop_oneof![
            3 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Byte(i, b)),
            5 => (any::<Index>(), extreme()).prop_map(|(i, v)| Mutation::Field(i, v)),
            1 => any::<Index>().prop_map(Mutation::Truncate),
        ];
        proptest::collection::vec(one, 1..=6)
    }

    /// `sample`'s bytes with `mutations` applied in order.
    fn mutate(sample: &Sample, mutations: &[Mutation]) -> Vec<u8> {
        let mut out = sample.bytes.clone();
        for m in mutations {
            match m {
                Mutation::Byte(i, b) => {
                    if !out.is_empty() {
                        let at = i.index(out.len());
                        out[at] = *b;
                    }
                }
                Mutation::Field(i, value) => {
                    let (at, width) = sample.fields[i.index(sample.fields.len())];
                    put(&mut out, at, width, *value, sample.le);
                }
                Mutation::Truncate(i) => out.truncate(i.index(out.len() + 1)),
            }
        }
        out
    }

    /// Whether `name` followed by a NUL occurs in `bytes`.
    fn holds_c_string(bytes: &[u8], name: &str) -> bool {
        let needle = [name.as_bytes(), b"\0"].concat();
        bytes.windows(needle.len()).any(|w| w == needle)
    }

    /// Checks an answer of `read_elf_info` for `bytes`, a corruption of a
    /// file whose answer is `original`: `None`, or the file's own
    /// `e_machine` and a soname the file holds, found within the read budget.
    fn check_elf(bytes: &[u8], original: &Option<ElfInfo>) -> Result<(), TestCaseError> {
        let mut reader = Counting::new(Cursor::new(bytes));
        let got = read_elf_info(&mut reader);
        prop_assert!(
            reader.bytes_read <= READ_BUDGET,
            "read {}",
            reader.bytes_read
        );
        let Some(info) = got else {
            return Ok(());
        };
        let machine = parse_ident(bytes).and_then(|c| c.u16_at(bytes, 18));
        prop_assert_eq!(Some(info.machine), machine);
        if let Some(name) = &info.soname {
            prop_assert!(name.len() <= MAX_NAME);
            // The windows scan is slow on a big library: an unchanged name
            // was already found in the valid file.
            let unchanged = original.as_ref().is_some_and(|o| o.soname == info.soname);
            prop_assert!(unchanged || holds_c_string(bytes, name), "{name:?}");
        }
        Ok(())
    }

    /// Cases for a property test: RCTYPES_FINDLIB_CASES (default 2000)
    /// divided by `divisor`, at least 1.
    fn cases(divisor: u32) -> u32 {
        let total: u32 = std::env::var("RCTYPES_FINDLIB_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2000);
        (total / divisor).max(1)
    }

    /// Proptest settings with `cases` cases.
    fn config(cases: u32) -> ProptestConfig {
        ProptestConfig {
            cases,
            max_shrink_iters: 1000,
            ..ProptestConfig::default()
        }
    }

    proptest! {
        #![proptest_config(config(cases(1)))]

        /// Corrupted ELF files: no panic, a bounded read, and an answer
        /// that is `None` or one the file's bytes support.
        #[test]
        fn corrupted_elf_files(which in any::<Index>(), muts in mutations()) {
            let sample = &ELF_CORPUS[which.index(ELF_CORPUS.len())];
            let original = elf_info(&sample.bytes);
            prop_assert!(original.is_some(), "{}", sample.label);
            check_elf(&mutate(sample, &muts), &original)?;
        }

        /// Corrupted ld.so caches: no panic, and an answer that is `None`
        /// or a key the cache holds that matches the name.
        #[test]
        fn corrupted_caches(
            which in any::<Index>(),
            muts in mutations(),
            name in prop::sample::select(&["m", "c", "z", "syn", "ssl"][..]),
        ) {
            let sample = &CACHE_CORPUS[which.index(CACHE_CORPUS.len())];
            let bad = mutate(sample, &muts);
            if let Some(key) = search_ld_cache(&bad, name) {
                prop_assert!(matches_name(&key, name), "{key:?}");
                prop_assert!(key.len() <= MAX_NAME);
                prop_assert!(holds_c_string(&bad, &key), "{key:?}");
            }
        }
    }

    proptest! {
        #![proptest_config(config(cases(4)))]

        /// A truncated file gives the whole file's answer or none.
        #[test]
        fn truncated_elf_files(which in any::<Index>(), cut in any::<Index>()) {
            let sample = &ELF_CORPUS[which.index(ELF_CORPUS.len())];
            let original = elf_info(&sample.bytes);
            let got = elf_info(&sample.bytes[..cut.index(sample.bytes.len())]);
            prop_assert!(got.is_none() || got == original, "{}: {got:?}", sample.label);
        }

        /// A truncated cache gives the whole cache's answer or none.
        #[test]
        fn truncated_caches(
            which in any::<Index>(),
            cut in any::<Index>(),
            name in prop::sample::select(&["m", "c", "z", "syn", "ssl"][..]),
        ) {
            let sample = &CACHE_CORPUS[which.index(CACHE_CORPUS.len())];
            let original = search_ld_cache(&sample.bytes, name);
            let got = search_ld_cache(&sample.bytes[..cut.index(sample.bytes.len())], name);
            prop_assert!(got.is_none() || got == original, "{}: {got:?}", sample.label);
        }
    }

    proptest! {
        #![proptest_config(config(cases(20)))]

        /// Corrupted files on disk, read through `File`: `find_in_dirs`
        /// gives exactly what the file's parsed headers say.
        #[test]
        fn corrupted_files_in_a_directory(which in any::<Index>(), muts in mutations()) {
            let sample = &ELF_CORPUS[which.index(ELF_CORPUS.len())];
            let bad = mutate(sample, &muts);
            let dir = temp_dir("fuzz");
            let path = dir.join(SYN_SONAME);
            fs::write(&path, &bad).unwrap();
            let expected = elf_info(&bad)
                .filter(|i| ELF_MACHINE.is_none_or(|m| m == i.machine))
                .map(|i| match i.soname.as_deref() {
                    Some(SYN_SONAME) => PathBuf::from(SYN_SONAME),
                    _ => path.clone(),
                });
            let got = find_in_dirs("syn", std::slice::from_ref(&dir));
            fs::remove_dir_all(&dir).unwrap();
            prop_assert_eq!(got, expected);
        }
    }
}
