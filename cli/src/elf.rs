//! The functions a shared library exports: its ELF dynamic symbol table
//! (`.dynsym`), read with bounds-checked arithmetic (a malformed file is an
//! error, never a panic).

use std::path::{Path, PathBuf};

/// The file of a library the user named: a path as is; a file name or a
/// short name (through `find_library`'s answer) searched for in the
/// loader's directories.
pub fn library_file(name: &str, opened: &str) -> Option<PathBuf> {
    for candidate in [name, opened] {
        if candidate.contains('/') && Path::new(candidate).is_file() {
            return Some(PathBuf::from(candidate));
        }
    }
    let file = if opened.contains(".so") { opened } else { name };
    let mut dirs: Vec<PathBuf> = std::env::var_os("LD_LIBRARY_PATH")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    for d in [
        "/lib/x86_64-linux-gnu",
        "/usr/lib/x86_64-linux-gnu",
        "/lib/aarch64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/lib64",
        "/usr/lib64",
        "/lib",
        "/usr/lib",
        "/usr/local/lib",
    ] {
        dirs.push(PathBuf::from(d));
    }
    dirs.into_iter().map(|d| d.join(file)).find(|p| p.is_file())
}

fn slice(b: &[u8], at: usize, len: usize) -> Result<&[u8], String> {
    at.checked_add(len)
        .and_then(|end| b.get(at..end))
        .ok_or_else(|| "truncated ELF file".to_string())
}

fn u16_at(b: &[u8], at: usize, le: bool) -> Result<u16, String> {
    let s = slice(b, at, 2)?;
    let a = [s[0], s[1]];
    Ok(if le {
        u16::from_le_bytes(a)
    } else {
        u16::from_be_bytes(a)
    })
}

fn u32_at(b: &[u8], at: usize, le: bool) -> Result<u32, String> {
    let s = slice(b, at, 4)?;
    let a = [s[0], s[1], s[2], s[3]];
    Ok(if le {
        u32::from_le_bytes(a)
    } else {
        u32::from_be_bytes(a)
    })
}

fn u64_at(b: &[u8], at: usize, le: bool) -> Result<u64, String> {
    let s = slice(b, at, 8)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Ok(if le {
        u64::from_le_bytes(a)
    } else {
        u64::from_be_bytes(a)
    })
}

fn usize_of(v: u64) -> Result<usize, String> {
    usize::try_from(v).map_err(|_| "an offset does not fit in memory".to_string())
}

/// The names of the functions the library defines and exports (global or
/// weak, `STT_FUNC` or `STT_GNU_IFUNC`), sorted.
pub fn exported_functions(path: &Path) -> Result<Vec<String>, String> {
    let b = std::fs::read(path).map_err(|e| e.to_string())?;
    if b.get(..4) != Some(b"\x7fELF") {
        return Err("not an ELF file".into());
    }
    let is64 = match b.get(4) {
        Some(2) => true,
        Some(1) => false,
        _ => return Err("unknown ELF class".into()),
    };
    let le = match b.get(5) {
        Some(1) => true,
        Some(2) => false,
        _ => return Err("unknown ELF byte order".into()),
    };
    let (shoff, shentsize, shnum) = if is64 {
        (
            usize_of(u64_at(&b, 0x28, le)?)?,
            usize::from(u16_at(&b, 0x3a, le)?),
            usize::from(u16_at(&b, 0x3c, le)?),
        )
    } else {
        (
            usize_of(u64::from(u32_at(&b, 0x20, le)?))?,
            usize::from(u16_at(&b, 0x2e, le)?),
            usize::from(u16_at(&b, 0x30, le)?),
        )
    };
    // Each section: (type, offset, size, link, entsize).
    let mut sections = Vec::with_capacity(shnum);
    for i in 0..shnum {
        let at = i
            .checked_mul(shentsize)
            .and_then(|o| o.checked_add(shoff))
            .ok_or("bad section table")?;
        if at > b.len() {
            return Err("truncated ELF file".into());
        }
        let s = if is64 {
            (
                u32_at(&b, at + 4, le)?,
                usize_of(u64_at(&b, at + 0x18, le)?)?,
                usize_of(u64_at(&b, at + 0x20, le)?)?,
                u32_at(&b, at + 0x28, le)?,
                usize_of(u64_at(&b, at + 0x38, le)?)?,
            )
        } else {
            (
                u32_at(&b, at + 4, le)?,
                usize_of(u64::from(u32_at(&b, at + 0x10, le)?))?,
                usize_of(u64::from(u32_at(&b, at + 0x14, le)?))?,
                u32_at(&b, at + 0x18, le)?,
                usize_of(u64::from(u32_at(&b, at + 0x24, le)?))?,
            )
        };
        sections.push(s);
    }
    const SHT_DYNSYM: u32 = 11;
    let (_, off, size, link, entsize) = *sections
        .iter()
        .find(|s| s.0 == SHT_DYNSYM)
        .ok_or("no dynamic symbol table")?;
    let strtab = sections
        .get(usize_of(u64::from(link))?)
        .ok_or("bad string table link")?;
    let strings = slice(&b, strtab.1, strtab.2)?;
    let syms = slice(&b, off, size)?;
    let entsize = if entsize == 0 {
        if is64 { 24 } else { 16 }
    } else {
        entsize
    };
    let mut names = Vec::new();
    for sym in syms.chunks_exact(entsize) {
        let (name_off, info, shndx) = if is64 {
            (
                u32_at(sym, 0, le)?,
                sym.get(4).copied().unwrap_or(0),
                u16_at(sym, 6, le)?,
            )
        } else {
            (
                u32_at(sym, 0, le)?,
                sym.get(12).copied().unwrap_or(0),
                u16_at(sym, 14, le)?,
            )
        };
        let (bind, kind) = (info >> 4, info & 0xf);
        // Defined (section index not UNDEF), global or weak, a function or an ifunc.
        if shndx == 0 || !(bind == 1 || bind == 2) || !(kind == 2 || kind == 10) {
            continue;
        }
        let start = usize_of(u64::from(name_off))?;
        let rest = strings.get(start..).ok_or("bad symbol name")?;
        let end = rest
            .iter()
            .position(|&c| c == 0)
            .ok_or("unterminated symbol name")?;
        let name = String::from_utf8_lossy(&rest[..end]).into_owned();
        if !name.is_empty() {
            names.push(name);
        }
    }
    names.sort();
    names.dedup();
    Ok(names)
}
