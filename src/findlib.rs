//! `find_library`: ctypes.util's search for a library by its short name,
//! done by reading what the loader reads (no compiler or ldconfig spawned);
//! `find_library_path`, the file it found; and `exported_functions`, the
//! functions a library file exports (its `.dynsym`).
//!
//! The ELF and ld.so cache parsers are functions over byte slices (and, to
//! read only an ELF file's headers and the tables needed, a `Read + Seek`
//! source): every offset is computed with checked arithmetic, every read and
//! allocation is bounded, and a malformed file gives `None` (or, for the
//! exports, an error saying what is wrong), never a panic.

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

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
    if name.contains('/') {
        return None;
    }
    search(Wanted::Short(name)).map(|found| found.name)
}

/// The full path of the file [`find_library`] finds, for when the caller
/// needs the file itself (to read it: see [`exported_functions`]) rather
/// than the name to open it by.
///
/// `name` is a short name as `find_library` takes (`"z"`), or a library's
/// file name (`"libz.so.1"`, anything with `.so` in it), which is looked
/// for as the loader looks for a file name: in the directories of
/// `LD_LIBRARY_PATH`, then the ld.so cache, then the system directories. A
/// name with a `/` is a path already, and gives `None`, as does a file that
/// is not there (a stale cache entry).
///
/// ```
/// # #[cfg(all(target_os = "linux", target_env = "gnu"))] {
/// use rctypes::{find_library, find_library_path};
/// let path = find_library_path("m").expect("glibc has libm");
/// assert!(path.is_absolute() && path.is_file());
/// let soname = find_library("m").unwrap();
/// // The cache or the directories give the file of that soname.
/// assert_eq!(find_library_path(&soname.to_string_lossy()), Some(path));
/// assert_eq!(find_library_path("surely-not-a-library"), None);
/// # }
/// ```
pub fn find_library_path(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        return None;
    }
    let wanted = if name.contains(".so") {
        Wanted::File(name)
    } else {
        Wanted::Short(name)
    };
    search(wanted)
        .and_then(|found| found.path)
        .filter(|path| fs::metadata(path).is_ok_and(|m| m.is_file()))
}

/// What a search looks for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Wanted<'a> {
    /// `lib{name}.so` or `lib{name}.so.<anything>`: a short name, as `-l`
    /// and `find_library` take it.
    Short(&'a str),
    /// A file of exactly this name, as the loader looks for a file name.
    File(&'a str),
}

impl Wanted<'_> {
    /// Whether a file name (or an ld.so cache key) is what is looked for.
    fn matches(self, file: &str) -> bool {
        match self {
            Wanted::Short(name) => matches_name(file, name),
            Wanted::File(name) => file == name,
        }
    }
}

/// A library a search found.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Found {
    /// What [`find_library`] returns: the soname, or the path when no file
    /// of the soname sits beside the library.
    pub name: PathBuf,
    /// The file found (`None` for an ld.so cache entry whose path cannot be
    /// read).
    pub path: Option<PathBuf>,
}

/// The loader's search: `LD_LIBRARY_PATH`, the ld.so cache, the system
/// directories, in that order; `None` for an empty name or one with a NUL.
fn search(wanted: Wanted) -> Option<Found> {
    let (Wanted::Short(name) | Wanted::File(name)) = wanted;
    if name.is_empty() || name.contains('\0') {
        return None;
    }
    let env_dirs: Vec<PathBuf> = std::env::var_os("LD_LIBRARY_PATH")
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    if let Some(found) = find_in_dirs(wanted, &env_dirs) {
        return Some(found);
    }
    if let Ok(cache) = fs::read("/etc/ld.so.cache")
        && let Some(entry) = search_ld_cache(&cache, wanted)
    {
        return Some(Found {
            name: PathBuf::from(entry.key),
            path: entry.path.map(PathBuf::from),
        });
    }
    let system: Vec<PathBuf> = SYSTEM_DIRS.iter().map(PathBuf::from).collect();
    find_in_dirs(wanted, &system)
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

/// Searches directories in order for the library `wanted` names: the
/// soname of the library the loader would use (or its path when no file
/// carries the soname beside it), and the file.
///
/// Only regular files (or links to them) are opened, so a FIFO or a device
/// named like a library cannot block or feed the search forever; each
/// candidate is read through [`read_elf_info`], which reads its headers only.
pub(crate) fn find_in_dirs(wanted: Wanted, dirs: &[PathBuf]) -> Option<Found> {
    for dir in dirs {
        let Ok(entries) = fs::read_dir(dir) else {
            continue;
        };
        let mut candidates: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|f| wanted.matches(f))
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
            let name = match info.soname {
                Some(soname) if is_plain_file_name(&soname) && dir.join(&soname).is_file() => {
                    PathBuf::from(soname)
                }
                _ => path.clone(),
            };
            return Some(Found {
                name,
                path: Some(path),
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

    /// Size of a section header (`Elf*_Shdr`).
    pub(crate) fn shdr_size(self) -> usize {
        if self.is64 { 64 } else { 40 }
    }

    /// Size of a symbol (`Elf*_Sym`).
    pub(crate) fn sym_size(self) -> usize {
        if self.is64 { 24 } else { 16 }
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

/// The fields of the ELF header that `find_library` and
/// [`exported_functions`] use.
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
    /// `e_shoff`: file offset of the section header table.
    pub shoff: u64,
    /// `e_shentsize`: size of a section header (checked by its reader only:
    /// `find_library` reads no section).
    pub shentsize: u16,
    /// `e_shnum`: number of section headers (0 when there are none, or
    /// 0xff00 or more).
    pub shnum: u16,
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
    // Offsets of e_phoff, e_shoff and e_phentsize (e_phnum, e_shentsize and
    // e_shnum follow it, two bytes apart).
    let (phoff_at, shoff_at, phentsize_at) = if class.is64 {
        (32, 40, 54)
    } else {
        (28, 32, 42)
    };
    let phentsize = class.u16_at(head, phentsize_at)?;
    let phnum = class.u16_at(head, phentsize_at + 2)?;
    if phnum != 0 && usize::from(phentsize) != class.phdr_size() {
        return None;
    }
    Some(ElfHeader {
        class,
        machine,
        phoff: class.word_at(head, phoff_at)?,
        phnum,
        shoff: class.word_at(head, shoff_at)?,
        shentsize: class.u16_at(head, phentsize_at + 4)?,
        shnum: class.u16_at(head, phentsize_at + 6)?,
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

/// Largest section header table read, in bytes: 64 KiB holds 1024 64-bit
/// section headers, where real libraries have about thirty.
pub(crate) const MAX_SECTION_TABLE: usize = 64 * 1024;
/// Largest dynamic symbol table read, in bytes: 16 MiB holds about 700,000
/// 64-bit symbols (libLLVM's has about 46,000, in 1.1 MB).
pub(crate) const MAX_SYMBOL_TABLE: u64 = 16 * 1024 * 1024;
/// Largest dynamic string table read, in bytes (libLLVM's is 3.2 MB).
pub(crate) const MAX_SYMBOL_NAMES: u64 = 16 * 1024 * 1024;
/// Most bytes of exported names returned: names may share their tails in
/// the string table, so that many symbols could otherwise name megabytes
/// each.
pub(crate) const MAX_EXPORTED_BYTES: usize = 64 * 1024 * 1024;

/// Section type of the dynamic symbol table.
const SHT_DYNSYM: u32 = 11;
/// Section type of a string table.
const SHT_STRTAB: u32 = 3;
/// Symbol section index of an undefined symbol.
const SHN_UNDEF: u16 = 0;
/// Symbol bindings that are visible outside the library.
const STB_GLOBAL: u8 = 1;
/// A weak global symbol.
const STB_WEAK: u8 = 2;
/// Symbol type of a function.
const STT_FUNC: u8 = 2;
/// Symbol type of an indirect function (resolved at load time, called as a function).
const STT_GNU_IFUNC: u8 = 10;

/// A section header's fields that [`read_exports`] uses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Section {
    /// `sh_type`.
    pub kind: u32,
    /// `sh_offset`.
    pub offset: u64,
    /// `sh_size`.
    pub size: u64,
    /// `sh_link`: for a symbol table, the index of its string table.
    pub link: u32,
    /// `sh_entsize`.
    pub entsize: u64,
}

/// Parses a section header table (`table` holds whole entries of the
/// class's size; a partial last entry is ignored).
pub(crate) fn parse_shdrs(class: ElfClass, table: &[u8]) -> Option<Vec<Section>> {
    // Field offsets of sh_offset, sh_size, sh_link and sh_entsize.
    let (offset_at, size_at, link_at, entsize_at) = if class.is64 {
        (24, 32, 40, 56)
    } else {
        (16, 20, 24, 36)
    };
    table
        .chunks_exact(class.shdr_size())
        .map(|sh| {
            Some(Section {
                kind: class.u32_at(sh, 4)?,
                offset: class.word_at(sh, offset_at)?,
                size: class.word_at(sh, size_at)?,
                link: class.u32_at(sh, link_at)?,
                entsize: class.word_at(sh, entsize_at)?,
            })
        })
        .collect()
}

/// Reads exactly `len` bytes at `offset`; an error when the file ends first.
fn read_exactly<R: Read + Seek>(
    file: &mut R,
    offset: u64,
    len: u64,
) -> Result<Vec<u8>, &'static str> {
    let bytes = read_up_to(file, offset, len).ok_or("the file cannot be read")?;
    if u64::try_from(bytes.len()).ok() != Some(len) {
        return Err("a table runs past the end of the file");
    }
    Ok(bytes)
}

/// Reads a section's bytes, when it is at most `max` bytes.
fn read_section<R: Read + Seek>(
    file: &mut R,
    section: &Section,
    max: u64,
) -> Result<Vec<u8>, &'static str> {
    if section.size > max {
        return Err("a symbol or string table is larger than rctypes reads");
    }
    read_exactly(file, section.offset, section.size)
}

/// The names of the functions an ELF shared object defines and exports,
/// sorted: see [`exported_functions`]. Reads the ELF header, the section
/// header table, the dynamic symbol table and its string table only, each
/// with a bounded read ([`MAX_SECTION_TABLE`], [`MAX_SYMBOL_TABLE`],
/// [`MAX_SYMBOL_NAMES`]); an error says what is malformed.
pub(crate) fn read_exports<R: Read + Seek>(file: &mut R) -> Result<Vec<String>, &'static str> {
    let head = read_up_to(file, 0, MAX_HEADER).ok_or("the file cannot be read")?;
    let header = parse_header(&head).ok_or("not an ELF file, or a malformed ELF header")?;
    let class = header.class;
    if header.shnum == 0 {
        return Err("no section headers");
    }
    if usize::from(header.shentsize) != class.shdr_size() {
        return Err("a section header size other than the ELF class's");
    }
    let table_len = usize::from(header.shnum)
        .checked_mul(class.shdr_size())
        .filter(|&len| len <= MAX_SECTION_TABLE)
        .ok_or("the section header table is larger than rctypes reads")?;
    let table = read_exactly(
        file,
        header.shoff,
        u64::try_from(table_len).map_err(|_| "the section header table is too large")?,
    )?;
    let sections = parse_shdrs(class, &table).ok_or("a malformed section header")?;
    let dynsym = sections
        .iter()
        .find(|s| s.kind == SHT_DYNSYM)
        .ok_or("no dynamic symbol table")?;
    let entsize = class.sym_size();
    if dynsym.entsize != 0 && usize::try_from(dynsym.entsize).ok() != Some(entsize) {
        return Err("a symbol size other than the ELF class's");
    }
    let strtab = usize::try_from(dynsym.link)
        .ok()
        .and_then(|i| sections.get(i))
        .filter(|s| s.kind == SHT_STRTAB)
        .ok_or("the dynamic symbol table links to no string table")?;
    let symbols = read_section(file, dynsym, MAX_SYMBOL_TABLE)?;
    let strings = read_section(file, strtab, MAX_SYMBOL_NAMES)?;
    // The name offsets of the defined global or weak functions.
    let (info_at, shndx_at) = if class.is64 { (4, 6) } else { (12, 14) };
    let mut offsets = Vec::new();
    for sym in symbols.chunks_exact(entsize) {
        let info = sym.get(info_at).copied().ok_or("a malformed symbol")?;
        let shndx = class.u16_at(sym, shndx_at).ok_or("a malformed symbol")?;
        let (bind, kind) = (info >> 4, info & 0xf);
        if shndx != SHN_UNDEF
            && matches!(bind, STB_GLOBAL | STB_WEAK)
            && matches!(kind, STT_FUNC | STT_GNU_IFUNC)
        {
            offsets.push(class.u32_at(sym, 0).ok_or("a malformed symbol")?);
        }
    }
    offsets.sort_unstable();
    offsets.dedup();
    // One sweep through the string table: `end` is the first NUL at or
    // after the current offset (offsets ascend), so no byte is scanned twice.
    let mut names = Vec::with_capacity(offsets.len());
    let mut end: Option<usize> = None;
    let mut total = 0usize;
    for offset in offsets {
        let start = usize::try_from(offset).map_err(|_| "a symbol name offset is too large")?;
        let rest = strings
            .get(start..)
            .filter(|rest| !rest.is_empty())
            .ok_or("a symbol name lies outside the string table")?;
        let stop = match end {
            Some(e) if e >= start => e,
            _ => {
                let nul = rest
                    .iter()
                    .position(|&b| b == 0)
                    .ok_or("a symbol name runs past the string table")?;
                start + nul // below strings.len(): no overflow
            }
        };
        end = Some(stop);
        let name = strings.get(start..stop).unwrap_or_default();
        total = total.saturating_add(name.len());
        if total > MAX_EXPORTED_BYTES {
            return Err("the exported names are larger than rctypes returns");
        }
        if !name.is_empty() {
            names.push(String::from_utf8_lossy(name).into_owned());
        }
    }
    names.sort_unstable();
    names.dedup();
    Ok(names)
}

/// The functions a shared library exports: the names of the defined,
/// global or weak, function (`STT_FUNC` or `STT_GNU_IFUNC`) symbols of its
/// dynamic symbol table (`.dynsym`), sorted, as `nm -D --defined-only`
/// lists them. A symbol's version (`@GLIBC_2.2.5`) is not part of its name.
///
/// Only the ELF header, the section header table, the dynamic symbol
/// table and its string table are read, each with a bounded read; every
/// offset and size is checked against the file, so a malformed or hostile
/// file is an error, never a panic or an unbounded allocation. Pass a path
/// from [`find_library_path`] to start from a library's short name.
///
/// ```
/// # fn main() -> rctypes::Result<()> {
/// # #[cfg(all(target_os = "linux", target_env = "gnu"))] {
/// use rctypes::{exported_functions, find_library_path};
/// let libm = find_library_path("m").expect("glibc has libm");
/// let names = exported_functions(&libm)?;
/// assert!(names.binary_search(&"cos".to_string()).is_ok());
/// assert!(exported_functions("/etc/passwd").is_err());
/// # }
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Error::LibraryFile`](crate::Error::LibraryFile) when the file cannot be
/// opened, is not a regular file, or is not a well-formed ELF file with a
/// dynamic symbol table (the message says what is wrong).
pub fn exported_functions(path: impl AsRef<Path>) -> crate::Result<Vec<String>> {
    let path = path.as_ref();
    let fail = |message: String| crate::Error::LibraryFile {
        path: path.display().to_string().into(),
        message: message.into(),
    };
    // A FIFO or a device would block or never end: only regular files are opened.
    let meta = fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if !meta.is_file() {
        return Err(fail("not a regular file".into()));
    }
    let mut file = File::open(path).map_err(|e| fail(e.to_string()))?;
    read_exports(&mut file).map_err(|m| fail(m.into()))
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

/// An ld.so cache entry: the soname and the path of the file.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CacheEntry {
    /// The key: the library's soname.
    pub key: String,
    /// The value: the file's path (`None` when it is not within the cache,
    /// not NUL-terminated within [`MAX_NAME`] bytes, or not UTF-8).
    pub path: Option<String>,
}

/// Looks the library `wanted` names up in the bytes of an ld.so cache
/// (glibc's "glibc-ld.so.cache1.1" format, optionally after the old
/// "ld.so-1.7.0" table), keeping entries for this architecture, and returns
/// the first match in cache order, as `ldconfig -p` lists them.
///
/// Offsets are checked against the cache's length, at most `nlibs` entries
/// that lie wholly in the cache are read, and a key must end within
/// [`MAX_NAME`] bytes; `None` for a cache that is malformed before a match.
pub(crate) fn search_ld_cache(cache: &[u8], wanted: Wanted) -> Option<CacheEntry> {
    // String offsets count from the start of the new-format header.
    let new = cache.get(cache_new_start(cache)?..)?;
    if !new.starts_with(CACHE_NEW_MAGIC) {
        return None;
    }
    let nlibs = usize::try_from(ne_u32(new, 20)?).ok()?;
    // flags: FLAG_ELF_LIBC6 in the low byte, the required architecture in the high one.
    let wanted_flags: Option<u32> = if cfg!(target_arch = "x86_64") {
        Some(0x0303)
    } else if cfg!(target_arch = "aarch64") {
        Some(0x0a03)
    } else {
        None
    };
    // The NUL-terminated UTF-8 string at a string offset.
    let string_at = |offset: u32| -> Option<Result<&str, std::str::Utf8Error>> {
        let at = usize::try_from(offset).ok()?;
        Some(std::str::from_utf8(c_string(new.get(at..)?)?))
    };
    let entries = new.get(CACHE_NEW_HEADER..)?.chunks_exact(CACHE_NEW_ENTRY);
    for entry in entries.take(nlibs) {
        let flags = ne_u32(entry, 0)?;
        let this_arch = match wanted_flags {
            Some(w) => flags & 0xffff == w,
            None => flags & 0xff == 3,
        };
        if !this_arch {
            continue;
        }
        let Ok(soname) = string_at(ne_u32(entry, 4)?)? else {
            continue;
        };
        if wanted.matches(soname) {
            let path = ne_u32(entry, 8)
                .and_then(string_at)
                .and_then(Result::ok)
                .map(str::to_owned);
            return Some(CacheEntry {
                key: soname.to_owned(),
                path,
            });
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

    /// `find_library`'s answer from these directories.
    fn soname_in(name: &str, dirs: &[PathBuf]) -> Option<PathBuf> {
        find_in_dirs(Wanted::Short(name), dirs).map(|found| found.name)
    }

    /// The key of the cache entry for a short name.
    fn cache_key(cache: &[u8], name: &str) -> Option<String> {
        search_ld_cache(cache, Wanted::Short(name)).map(|entry| entry.key)
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
        assert_eq!(soname_in("m", &dirs), Some(PathBuf::from("libm.so.6")));
        let found = find_in_dirs(Wanted::File("libm.so.6"), &dirs).unwrap();
        assert_eq!(found.path, Some(dirs[0].join("libm.so.6")));
        let bytes = fs::read("/usr/lib/x86_64-linux-gnu/libm.so.6").unwrap();
        let info = elf_info(&bytes).unwrap();
        assert_eq!(
            (info.machine, info.soname.as_deref()),
            (62, Some("libm.so.6"))
        );
        let cache = fs::read("/etc/ld.so.cache").unwrap();
        let entry = search_ld_cache(&cache, Wanted::Short("m")).unwrap();
        assert_eq!(entry.key, "libm.so.6");
        let path = PathBuf::from(entry.path.unwrap());
        assert!(
            path.ends_with("libm.so.6") && path.is_absolute(),
            "{path:?}"
        );
        assert_eq!(
            search_ld_cache(&cache, Wanted::File("libm.so.6")).map(|e| e.key),
            Some("libm.so.6".to_owned())
        );
        assert_eq!(cache_key(&cache, "no-such-lib-here"), None);
    }

    #[test]
    fn a_library_without_soname_is_found_by_path() {
        let Some(dir) = option_env!("RCTYPES_FIXTURE_DIR") else {
            return; // built without the fixtures
        };
        let dirs = [PathBuf::from(dir)];
        let file = PathBuf::from(dir).join("libfixtures.so");
        let found = Some(Found {
            name: file.clone(),
            path: Some(file),
        });
        assert_eq!(find_in_dirs(Wanted::Short("fixtures"), &dirs), found);
        assert_eq!(find_in_dirs(Wanted::File("libfixtures.so"), &dirs), found);
        assert_eq!(find_in_dirs(Wanted::Short("fixture"), &dirs), None);
        assert_eq!(find_in_dirs(Wanted::File("libfixtures"), &dirs), None);
    }

    #[test]
    fn garbage_is_not_elf_or_cache() {
        assert_eq!(elf_info(b"GROUP ( /lib/libm.so.6 )"), None);
        assert_eq!(elf_info(b"\x7fELF"), None);
        assert_eq!(cache_key(b"nonsense", "m"), None);
        assert_eq!(
            cache_key(b"glibc-ld.so.cache1.1\xff\xff\xff\xff", "m"),
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
        /// `e_shentsize`.
        shentsize: usize,
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
                shentsize: 58,
                shnum: 60,
            }
        } else {
            HeaderFields {
                phoff: 28,
                shoff: 32,
                phentsize: 42,
                phnum: 44,
                shentsize: 46,
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

    /// The symbols of the synthetic exporting files: (name, binding,
    /// type, section index). "fn" is the tail of "weak_fn", and "add" is
    /// there twice, as a versioned symbol can be.
    const SYN_SYMBOLS: [(&str, u8, u8, u16); 9] = [
        ("add", STB_GLOBAL, STT_FUNC, 1),
        ("weak_fn", STB_WEAK, STT_FUNC, 1),
        ("fn", STB_GLOBAL, STT_FUNC, 1),
        ("undef_fn", STB_GLOBAL, STT_FUNC, SHN_UNDEF),
        ("local_fn", 0, STT_FUNC, 1),
        ("data_obj", STB_GLOBAL, 1, 1),
        ("ifunc_fn", STB_GLOBAL, STT_GNU_IFUNC, 1),
        ("abs_fn", STB_WEAK, STT_FUNC, 0xfff1),
        ("add", STB_GLOBAL, STT_FUNC, 1),
    ];

    /// What the synthetic exporting files export.
    const SYN_EXPORTS: [&str; 5] = ["abs_fn", "add", "fn", "ifunc_fn", "weak_fn"];

    /// Where a synthetic exporting file keeps its tables.
    struct ExportLayout {
        /// File offset of the section header table (null, `.dynsym`, `.dynstr`).
        shoff: usize,
        /// File offset of `.dynsym` (its first entry is the null symbol).
        dynsym: usize,
        /// File offset of `.dynstr`.
        dynstr: usize,
        /// Size of `.dynstr`.
        dynstr_len: usize,
    }

    /// `synthetic_elf` with a section header table, a `.dynsym` holding
    /// [`SYN_SYMBOLS`] after the null symbol and its `.dynstr`, appended.
    fn synthetic_exports(class: ElfClass) -> (Vec<u8>, ExportLayout) {
        let le = class.le;
        let w = class.word_size();
        let mut f = synthetic_elf(class, HOST_MACHINE, SYN_SONAME);
        f.resize(f.len().next_multiple_of(8), 0);
        // .dynstr: a NUL, then each name once ("fn" points into "weak_fn").
        let mut strings = vec![0u8];
        let mut name_at = Vec::new();
        for (name, ..) in SYN_SYMBOLS {
            let needle = [name.as_bytes(), b"\0"].concat();
            let at = match strings.windows(needle.len()).position(|x| x == needle) {
                Some(at) => at,
                None => {
                    strings.extend_from_slice(&needle);
                    strings.len() - needle.len()
                }
            };
            name_at.push(at);
        }
        let dynstr = f.len();
        let dynstr_len = strings.len();
        f.extend_from_slice(&strings);
        f.resize(f.len().next_multiple_of(8), 0);
        let dynsym = f.len();
        f.resize(dynsym + (SYN_SYMBOLS.len() + 1) * class.sym_size(), 0);
        // st_name, st_info and st_shndx.
        let (info_at, shndx_at) = if class.is64 { (4, 6) } else { (12, 14) };
        for (i, (_, bind, kind, shndx)) in SYN_SYMBOLS.into_iter().enumerate() {
            let at = dynsym + (i + 1) * class.sym_size();
            put(&mut f, at, 4, name_at[i] as u64, le);
            f[at + info_at] = bind << 4 | kind;
            put(&mut f, at + shndx_at, 2, shndx.into(), le);
        }
        let shoff = f.len();
        f.resize(shoff + 3 * class.shdr_size(), 0);
        let [offset_at, size_at, link_at, entsize_at] = shdr_fields(class);
        let sections = [
            (
                SHT_DYNSYM,
                dynsym,
                (SYN_SYMBOLS.len() + 1) * class.sym_size(),
                2,
                class.sym_size(),
            ),
            (SHT_STRTAB, dynstr, dynstr_len, 0, 0),
        ];
        for (i, (kind, offset, size, link, entsize)) in sections.into_iter().enumerate() {
            let at = shoff + (i + 1) * class.shdr_size();
            put(&mut f, at + 4, 4, kind.into(), le);
            put(&mut f, at + offset_at, w, offset as u64, le);
            put(&mut f, at + size_at, w, size as u64, le);
            put(&mut f, at + link_at, 4, link, le);
            put(&mut f, at + entsize_at, w, entsize as u64, le);
        }
        let h = header_fields(class);
        put(&mut f, h.shoff, w, shoff as u64, le);
        put(&mut f, h.shentsize, 2, class.shdr_size() as u64, le);
        put(&mut f, h.shnum, 2, 3, le);
        let layout = ExportLayout {
            shoff,
            dynsym,
            dynstr,
            dynstr_len,
        };
        (f, layout)
    }

    /// Offsets of `sh_offset`, `sh_size`, `sh_link` and `sh_entsize` in a
    /// section header.
    fn shdr_fields(class: ElfClass) -> [usize; 4] {
        if class.is64 {
            [24, 32, 40, 56]
        } else {
            [16, 20, 24, 36]
        }
    }

    /// [`read_exports`] over a slice.
    fn exports(bytes: &[u8]) -> Result<Vec<String>, &'static str> {
        read_exports(&mut Cursor::new(bytes))
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
    /// The strings are the keys in order, then the paths ([`syn_path`]).
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
        let mut offsets = Vec::new();
        for text in entries
            .iter()
            .map(|&(_, key)| key.to_owned())
            .chain(entries.iter().map(|&(_, key)| syn_path(key)))
        {
            offsets.push(u32::try_from(strings_at + strings.len()).unwrap());
            strings.extend_from_slice(text.as_bytes());
            strings.push(0);
        }
        let mut table = Vec::new();
        for (i, &(flags, _)) in entries.iter().enumerate() {
            table.extend_from_slice(&flags.to_ne_bytes());
            table.extend_from_slice(&offsets[i].to_ne_bytes()); // key
            table.extend_from_slice(&offsets[entries.len() + i].to_ne_bytes()); // value
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

    /// The path a synthetic cache gives for `key`.
    fn syn_path(key: &str) -> String {
        format!("/syn/{key}")
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

    /// Synthetic exporting files of every class and byte order: exactly the
    /// defined global and weak functions, and the soname still read.
    #[test]
    fn synthetic_exports_of_every_class_and_byte_order() {
        for class in CLASSES {
            let (f, _) = synthetic_exports(class);
            assert_eq!(exports(&f).unwrap(), SYN_EXPORTS, "{class:?}");
            assert_eq!(elf_info(&f), syn_info(), "{class:?}");
            // Without section headers, there is nothing to list.
            let plain = synthetic_elf(class, HOST_MACHINE, SYN_SONAME);
            assert_eq!(exports(&plain), Err("no section headers"), "{class:?}");
        }
    }

    /// Extreme section header and symbol values: exact answers.
    #[test]
    fn lying_export_fields_are_rejected_or_ignored() {
        let ok = Ok(SYN_EXPORTS.map(str::to_owned).to_vec());
        for class in CLASSES {
            let (good, at) = synthetic_exports(class);
            let len = good.len() as u64;
            let w = class.word_size();
            let h = header_fields(class);
            let [offset_at, size_at, link_at, entsize_at] = shdr_fields(class);
            let sh = |i: usize, field: usize| at.shoff + i * class.shdr_size() + field;
            let sym = |i: usize| at.dynsym + (i + 1) * class.sym_size();
            let shndx_at = if class.is64 { 6 } else { 14 };
            let past = Err("a table runs past the end of the file");
            let too_large = Err("a symbol or string table is larger than rctypes reads");
            let no_strtab = Err("the dynamic symbol table links to no string table");
            // (what, offset, width, value, answer); values are cut to the width.
            let cases = [
                ("e_shnum 0", h.shnum, 2, 0, Err("no section headers")),
                ("e_shnum 2 (no .dynstr)", h.shnum, 2, 2, no_strtab.clone()),
                (
                    "e_shnum 0xffff",
                    h.shnum,
                    2,
                    0xffff,
                    Err("the section header table is larger than rctypes reads"),
                ),
                (
                    "e_shentsize 0",
                    h.shentsize,
                    2,
                    0,
                    Err("a section header size other than the ELF class's"),
                ),
                ("e_shoff at the top", h.shoff, w, u64::MAX - 3, past.clone()),
                ("e_shoff past the end", h.shoff, w, len, past.clone()),
                ("e_phnum 0 (not read)", h.phnum, 2, 0, ok.clone()),
                (
                    ".dynsym demoted",
                    sh(1, 4),
                    4,
                    0,
                    Err("no dynamic symbol table"),
                ),
                (
                    ".dynsym linked to itself",
                    sh(1, link_at),
                    4,
                    1,
                    no_strtab.clone(),
                ),
                (
                    ".dynsym linked past the table",
                    sh(1, link_at),
                    4,
                    u64::from(u32::MAX),
                    no_strtab,
                ),
                (
                    ".dynsym size at the top",
                    sh(1, size_at),
                    w,
                    u64::MAX,
                    too_large.clone(),
                ),
                (
                    ".dynsym size past the end",
                    sh(1, size_at),
                    w,
                    len,
                    past.clone(),
                ),
                (
                    ".dynsym offset at the top",
                    sh(1, offset_at),
                    w,
                    u64::MAX,
                    past.clone(),
                ),
                (".dynsym entsize 0", sh(1, entsize_at), w, 0, ok.clone()),
                (
                    ".dynsym entsize 1",
                    sh(1, entsize_at),
                    w,
                    1,
                    Err("a symbol size other than the ELF class's"),
                ),
                // A partial last symbol is ignored: the last "add" goes.
                (
                    ".dynsym one byte short",
                    sh(1, size_at),
                    w,
                    (10 * class.sym_size() - 1) as u64,
                    ok.clone(),
                ),
                (
                    ".dynstr size at the top",
                    sh(2, size_at),
                    w,
                    u64::MAX,
                    too_large,
                ),
                (
                    ".dynstr offset past the end",
                    sh(2, offset_at),
                    w,
                    len,
                    past,
                ),
                (
                    ".dynstr without its last NUL",
                    sh(2, size_at),
                    w,
                    (at.dynstr_len - 1) as u64,
                    Err("a symbol name runs past the string table"),
                ),
                (
                    "a name outside .dynstr",
                    sym(0),
                    4,
                    at.dynstr_len as u64,
                    Err("a symbol name lies outside the string table"),
                ),
                (
                    "a name at the top",
                    sym(0),
                    4,
                    u64::from(u32::MAX),
                    Err("a symbol name lies outside the string table"),
                ),
                (
                    "an undefined name outside .dynstr (not read)",
                    sym(3),
                    4,
                    u64::from(u32::MAX),
                    ok.clone(),
                ),
                (
                    "an empty name (skipped)",
                    sym(7),
                    4,
                    0,
                    Ok(["add", "fn", "ifunc_fn", "weak_fn"]
                        .map(str::to_owned)
                        .to_vec()),
                ),
                (
                    "add undefined (its twin stays)",
                    sym(0) + shndx_at,
                    2,
                    0,
                    ok.clone(),
                ),
            ];
            for (what, offset, width, value, answer) in cases {
                let mut bad = good.clone();
                put(&mut bad, offset, width, value, class.le);
                assert_eq!(exports(&bad), answer, "{class:?}: {what}");
            }
            // Cut anywhere in the tables, the file is rejected.
            for n in [at.dynstr, at.dynsym + 1, at.shoff, good.len() - 1] {
                assert!(exports(&good[..n]).is_err(), "{class:?} cut at {n}");
            }
        }
    }

    /// The tables of a real library are read, not the whole file.
    #[test]
    #[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
    fn only_the_tables_of_a_real_library_are_read() {
        let path = "/usr/lib/x86_64-linux-gnu/libm.so.6";
        let size = fs::metadata(path).unwrap().len();
        let mut file = Counting::new(File::open(path).unwrap());
        let names = read_exports(&mut file).unwrap();
        assert!(names.binary_search(&"cos".to_owned()).is_ok());
        assert!(names.binary_search(&"sincos".to_owned()).is_ok());
        // The header, the section headers, .dynsym and .dynstr.
        let read = file.bytes_read as u64;
        assert!(read * 4 < size, "read {read} of {size} bytes");
    }

    /// Real libraries: the names `nm -D --defined-only` lists as global,
    /// weak or indirect functions (when nm is installed), and known ones.
    #[test]
    fn real_exports_match_nm() {
        let mut files: Vec<(PathBuf, &str)> = Vec::new();
        if let Some(z) = find_library_path("z") {
            files.push((z, "compress2"));
        }
        if let Some(m) = find_library_path("m") {
            files.push((m, "cos"));
        }
        if let Some(lib) = option_env!("RCTYPES_FIXTURE_LIB") {
            files.push((PathBuf::from(lib), "add"));
        }
        for (path, known) in files {
            let names = exported_functions(&path).unwrap();
            assert!(
                names.binary_search(&known.to_owned()).is_ok(),
                "{path:?}: {known}"
            );
            assert!(
                names.windows(2).all(|w| w[0] < w[1]),
                "{path:?}: sorted, unique"
            );
            let Ok(out) = std::process::Command::new("nm")
                .args(["-D", "--defined-only"])
                .arg(&path)
                .output()
            else {
                continue; // no nm here
            };
            let text = String::from_utf8_lossy(&out.stdout);
            let mut expected: Vec<String> = text
                .lines()
                .filter_map(|l| {
                    let mut words = l.split_whitespace().skip(1);
                    let kind = words.next()?;
                    let name = words.next()?;
                    ["T", "W", "i"]
                        .contains(&kind)
                        .then(|| name.split('@').next().unwrap_or(name).to_owned())
                })
                .collect();
            expected.sort();
            expected.dedup();
            assert_eq!(names, expected, "{path:?}");
        }
    }

    /// `find_library_path` gives the file `find_library` names, by short
    /// name or by file name; `exported_functions` says what is wrong.
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn library_paths_and_their_exports() {
        let path = find_library_path("z").expect("zlib is installed");
        assert!(path.is_absolute() && path.is_file(), "{path:?}");
        let soname = find_library("z").unwrap();
        assert_eq!(soname, PathBuf::from("libz.so.1"));
        assert_eq!(find_library_path("libz.so.1"), Some(path.clone()));
        let names = exported_functions(&path).unwrap();
        assert!(names.binary_search(&"compress2".to_owned()).is_ok());
        assert!(names.binary_search(&"zlibVersion".to_owned()).is_ok());
        assert_eq!(find_library_path(&path.to_string_lossy()), None);
        assert_eq!(find_library_path(""), None);
        assert_eq!(find_library_path("libz.so.1\0"), None);
        assert_eq!(find_library_path("libsurely-not-here.so.1"), None);
        let e = exported_functions("/etc/passwd").unwrap_err();
        assert_eq!(
            e,
            crate::Error::LibraryFile {
                path: "/etc/passwd".into(),
                message: "not an ELF file, or a malformed ELF header".into(),
            }
        );
        let e = exported_functions("/surely/not/here.so").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("cannot read the exports of `/surely/not/here.so`: "),
            "{e}"
        );
        let e = exported_functions("/dev/null").unwrap_err();
        assert!(e.to_string().ends_with("not a regular file"), "{e}");
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
            let search = |name| cache_key(&cache, name);
            // The first entry for this architecture in cache order.
            assert_eq!(search("m").as_deref(), Some("libm.so.6"), "{old:?}");
            assert_eq!(search("z").as_deref(), Some("libz.so.1"), "{old:?}");
            assert_eq!(search("syn").as_deref(), Some(SYN_SONAME), "{old:?}");
            assert_eq!(search("q"), None, "{old:?}");
            // The path, and the search by file name.
            let m6 = Some(CacheEntry {
                key: "libm.so.6".to_owned(),
                path: Some(syn_path("libm.so.6")),
            });
            assert_eq!(search_ld_cache(&cache, Wanted::Short("m")), m6);
            assert_eq!(search_ld_cache(&cache, Wanted::File("libm.so.6")), m6);
            let so = search_ld_cache(&cache, Wanted::File("libm.so")).unwrap();
            assert_eq!(so.path, Some(syn_path("libm.so")), "{old:?}");
            assert_eq!(search_ld_cache(&cache, Wanted::File("libm.so.5")), None);
            assert_eq!(search_ld_cache(&cache, Wanted::File("libm")), None);
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
            assert_eq!(cache_key(&bad, "m"), answer, "{what}");
        }
        // A key that is not UTF-8 is passed over; one without a NUL ends the search.
        let mut bad = cache.clone();
        let z_key = entry(5);
        assert_eq!(&bad[z_key..z_key + 9], b"libz.so.1");
        bad[z_key] = 0xff;
        assert_eq!(cache_key(&bad, "m"), m6);
        // A path without its NUL: the entry is found, without its path.
        let no_nul = &cache[..cache.len() - 1];
        let syn = search_ld_cache(no_nul, Wanted::Short("syn")).unwrap();
        assert_eq!((syn.key.as_str(), syn.path), (SYN_SONAME, None));
        // A path offset outside the cache: likewise.
        let mut bad = cache.clone();
        bad[entry(4) + 8..entry(4) + 12].copy_from_slice(&u32::MAX.to_ne_bytes());
        let syn = search_ld_cache(&bad, Wanted::Short("syn")).unwrap();
        assert_eq!((syn.key.as_str(), syn.path), (SYN_SONAME, None));
        // A key without its NUL ends the search.
        let paths_at = cache.windows(5).position(|w| w == b"/syn/").unwrap();
        let key_cut = &cache[..paths_at - 1];
        assert_eq!(cache_key(key_cut, "syn"), None);
        assert_eq!(cache_key(key_cut, "m"), m6);
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
                soname_in("syn", std::slice::from_ref(&dir)),
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
            assert_eq!(soname_in("syn", std::slice::from_ref(&dir)), None);
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
        fields.extend(section_fields(bytes, &h));
        fields
    }

    /// The fields `read_exports` reads, when the file has section headers:
    /// `e_shentsize`, the first 64 section headers' type, offset, size,
    /// link and entry size, and the first 64 symbols' name, info and
    /// section index.
    fn section_fields(bytes: &[u8], h: &ElfHeader) -> Vec<(usize, usize)> {
        let class = h.class;
        let w = class.word_size();
        let Ok(shoff) = usize::try_from(h.shoff) else {
            return Vec::new();
        };
        let Some(table) = bytes.get(shoff..shoff + usize::from(h.shnum) * class.shdr_size()) else {
            return Vec::new();
        };
        let mut fields = vec![(header_fields(class).shentsize, 2)];
        let [offset_at, size_at, link_at, entsize_at] = shdr_fields(class);
        for i in 0..usize::from(h.shnum).min(64) {
            let at = shoff + i * class.shdr_size();
            fields.extend([
                (at + 4, 4),
                (at + offset_at, w),
                (at + size_at, w),
                (at + link_at, 4),
                (at + entsize_at, w),
            ]);
        }
        let sections = parse_shdrs(class, table).unwrap();
        if let Some(dynsym) = sections.iter().find(|s| s.kind == SHT_DYNSYM) {
            let start = usize::try_from(dynsym.offset).unwrap();
            let (info_at, shndx_at) = if class.is64 { (4, 6) } else { (12, 14) };
            for i in 0..64 {
                let at = start + i * class.sym_size();
                fields.extend([(at, 4), (at + info_at, 1), (at + shndx_at, 2)]);
            }
        }
        fields
    }

    /// The ELF files to corrupt: synthetic ones of every class and byte
    /// order (without and with exports), and, where this system has them,
    /// libz.so.1, libm.so.6 and the test fixture library.
    static ELF_CORPUS: LazyLock<Vec<Sample>> = LazyLock::new(|| {
        let mut files: Vec<(String, Vec<u8>)> = CLASSES
            .iter()
            .map(|&c| (format!("{c:?}"), synthetic_elf(c, HOST_MACHINE, SYN_SONAME)))
            .collect();
        files.extend(
            CLASSES
                .iter()
                .map(|&c| (format!("{c:?} exporting"), synthetic_exports(c).0)),
        );
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
            if let Ok(bytes) = fs::read(&path)
                && (elf_info(&bytes).is_some_and(|i| i.soname.is_some())
                    || path.ends_with("libfixtures.so"))
            {
                files.push((path.display().to_string(), bytes));
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
        if let Ok(bytes) = fs::read("/etc/ld.so.cache")
            && cache_new_start(&bytes).is_some()
        {
            caches.push(("/etc/ld.so.cache".to_owned(), bytes));
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

    /// Most bytes one `read_exports` may read, whatever the file says.
    const EXPORT_BUDGET: usize = MAX_HEADER as usize
        + MAX_SECTION_TABLE
        + MAX_SYMBOL_TABLE as usize
        + MAX_SYMBOL_NAMES as usize;

    /// Checks an answer of `read_exports` for `bytes`, a corruption of a
    /// file whose answer is `original`: an error, or sorted, unique,
    /// non-empty names, each the original's or one the file holds (checked
    /// for the first eight others: the scan is slow on a big library),
    /// found within the read budget.
    fn check_exports(bytes: &[u8], original: &[String]) -> Result<(), TestCaseError> {
        let mut reader = Counting::new(Cursor::new(bytes));
        let got = read_exports(&mut reader);
        prop_assert!(
            reader.bytes_read <= EXPORT_BUDGET,
            "read {}",
            reader.bytes_read
        );
        let Ok(names) = got else {
            return Ok(());
        };
        prop_assert!(names.windows(2).all(|w| w[0] < w[1]), "{names:?}");
        prop_assert!(names.iter().all(|n| !n.is_empty()));
        let new = names
            .iter()
            .filter(|n| original.binary_search(n).is_err() && !n.contains('\u{fffd}'));
        for name in new.take(8) {
            prop_assert!(holds_c_string(bytes, name), "{name:?}");
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

        /// Corrupted ELF files: no panic, bounded reads, and answers of
        /// `read_elf_info` and `read_exports` that are `None` or an error,
        /// or ones the file's bytes support.
        #[test]
        fn corrupted_elf_files(which in any::<Index>(), muts in mutations()) {
            let sample = &ELF_CORPUS[which.index(ELF_CORPUS.len())];
            let original = elf_info(&sample.bytes);
            prop_assert!(original.is_some(), "{}", sample.label);
            let bad = mutate(sample, &muts);
            check_elf(&bad, &original)?;
            check_exports(&bad, &exports(&sample.bytes).unwrap_or_default())?;
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
            if let Some(CacheEntry { key, path }) = search_ld_cache(&bad, Wanted::Short(name)) {
                prop_assert!(matches_name(&key, name), "{key:?}");
                for s in std::iter::once(&key).chain(&path) {
                    prop_assert!(s.len() <= MAX_NAME);
                    prop_assert!(holds_c_string(&bad, s), "{s:?}");
                }
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
            let cut = &sample.bytes[..cut.index(sample.bytes.len())];
            let got = elf_info(cut);
            prop_assert!(got.is_none() || got == original, "{}: {got:?}", sample.label);
            let exported = exports(cut);
            prop_assert!(
                exported.is_err() || exported == exports(&sample.bytes),
                "{}: {exported:?}",
                sample.label
            );
        }

        /// A truncated cache gives the whole cache's answer or none.
        #[test]
        fn truncated_caches(
            which in any::<Index>(),
            cut in any::<Index>(),
            name in prop::sample::select(&["m", "c", "z", "syn", "ssl"][..]),
        ) {
            let sample = &CACHE_CORPUS[which.index(CACHE_CORPUS.len())];
            let original = search_ld_cache(&sample.bytes, Wanted::Short(name));
            let got = search_ld_cache(&sample.bytes[..cut.index(sample.bytes.len())], Wanted::Short(name));
            // A cut through the paths loses the path only.
            let same = |got: &CacheEntry| {
                original.as_ref().is_some_and(|o| {
                    o.key == got.key && (got.path.is_none() || got.path == o.path)
                })
            };
            prop_assert!(got.as_ref().is_none_or(same), "{}: {got:?}", sample.label);
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
            let got = soname_in("syn", std::slice::from_ref(&dir));
            let exported = exported_functions(&path).ok();
            fs::remove_dir_all(&dir).unwrap();
            prop_assert_eq!(got, expected);
            prop_assert_eq!(exported, exports(&bad).ok());
        }
    }
}
