//! Compares rctypes records with the C compiler's: one generated C probe
//! prints each record's size and alignment, every member's offset (through
//! nested records and the first element of arrays of records), and the bytes
//! after setting each bitfield to all ones; rctypes must agree on all of it.

use std::fmt::Write as _;
use std::process::Command;

use rctypes::{CData, CType, Value};

/// A record to compare: the C spelling of its type and its rctypes type.
pub struct Record {
    /// A label for messages (the header it came from).
    pub origin: String,
    pub cname: String,
    pub ty: CType,
    /// The alignment C reports for `cname` (a typedef may add some).
    pub align: usize,
}

/// What was compared.
#[derive(Debug, Default)]
pub struct Counts {
    pub records: usize,
    pub offsets: usize,
    pub bitfields: usize,
}

/// One member reached from a record: its C designator (`a.b[0].c`), and
/// the path of rctypes member names and array indexes to it.
struct Member {
    designator: String,
    path: Vec<Step>,
    offset: usize,
    ty: CType,
    bits: Option<u32>,
}

#[derive(Clone)]
enum Step {
    Field(String),
    Index,
}

/// Every member, through nested records and the first element of arrays
/// of records (anonymous members are reached by their members' names).
fn members(
    ty: &CType,
    prefix: &str,
    path: &[Step],
    base: usize,
    depth: usize,
    out: &mut Vec<Member>,
) {
    if depth > 8 {
        return;
    }
    for f in ty.fields().unwrap_or(&[]) {
        let offset = base + f.offset;
        if f.anonymous {
            let mut p = path.to_vec();
            p.push(Step::Field(f.name.clone()));
            members(&f.ctype, prefix, &p, offset, depth + 1, out);
            continue;
        }
        if f.name.is_empty() {
            continue; // an unnamed bitfield has no designator
        }
        let designator = if prefix.is_empty() {
            f.name.clone()
        } else {
            format!("{prefix}.{}", f.name)
        };
        let mut p = path.to_vec();
        p.push(Step::Field(f.name.clone()));
        out.push(Member {
            designator: designator.clone(),
            path: p.clone(),
            offset,
            ty: f.ctype.clone(),
            bits: f.bits.map(|b| b.width),
        });
        if f.ctype.fields().is_some() {
            members(&f.ctype, &designator, &p, offset, depth + 1, out);
        } else if let Some(elem) = f.ctype.element()
            && elem.fields().is_some()
            && f.ctype.array_len().unwrap_or(0) > 0
        {
            let mut p = p.clone();
            p.push(Step::Index);
            members(
                elem,
                &format!("{designator}[0]"),
                &p,
                offset,
                depth + 1,
                out,
            );
        }
    }
}

/// The value that sets every bit of a bitfield (C's `= -1` for its type).
fn all_ones(ty: &CType, width: u32) -> Value {
    let name = ty.to_string();
    if name.starts_with("c_bool") {
        return Value::Bool(true);
    }
    let signed = matches!(
        name.as_str(),
        "c_byte" | "c_char" | "c_short" | "c_int" | "c_long" | "c_longlong" | "c_ssize_t"
    ) || name.starts_with("c_int");
    if signed {
        Value::Int(-1)
    } else if width >= 64 {
        Value::UInt(u64::MAX)
    } else {
        Value::UInt((1u64 << width) - 1)
    }
}

/// The bytes of a zeroed instance after setting one bitfield to all ones.
fn bitfield_bytes(ty: &CType, m: &Member) -> Result<String, String> {
    let data = CData::new(ty);
    let mut at = data.clone();
    let (last, inner) = m.path.split_last().ok_or("empty path")?;
    for s in inner {
        at = match s {
            Step::Field(n) => at.field(n).map_err(|e| e.to_string())?,
            Step::Index => at.at(0).map_err(|e| e.to_string())?,
        };
    }
    let Step::Field(name) = last else {
        return Err("a bitfield path ends in a field".into());
    };
    at.set(name, all_ones(&m.ty, m.bits.unwrap_or(0)))
        .map_err(|e| format!("{}: {e}", m.designator))?;
    Ok(data.to_bytes().iter().map(|b| format!("{b:02x}")).collect())
}

/// Compiles `prelude` (C that defines or includes the records) with a
/// probe for `records`, runs it, and compares. Returns the counts, or every
/// mismatch.
pub fn compare(prelude: &str, records: &[Record]) -> Result<Counts, Vec<String>> {
    let mut c = String::from("#include <stdio.h>\n#include <stddef.h>\n#include <string.h>\n");
    c.push_str(prelude);
    c.push_str("\nstatic void dump(int r, int m, const void *p, size_t n) {\n  const unsigned char *b = p;\n  printf(\"B %d %d \", r, m);\n  for (size_t i = 0; i < n; i++) printf(\"%02x\", b[i]);\n  printf(\"\\n\");\n}\nint main(void) {\n");
    let mut all_members = Vec::new();
    for (ri, r) in records.iter().enumerate() {
        let t = &r.cname;
        let _ = writeln!(
            c,
            "  printf(\"S {ri} %zu %zu\\n\", sizeof({t}), _Alignof({t}));"
        );
        let mut ms = Vec::new();
        members(&r.ty, "", &[], 0, 0, &mut ms);
        for (mi, m) in ms.iter().enumerate() {
            match m.bits {
                None => {
                    let _ = writeln!(
                        c,
                        "  printf(\"F {ri} {mi} %zu\\n\", offsetof({t}, {}));",
                        m.designator
                    );
                }
                Some(_) => {
                    let _ = writeln!(
                        c,
                        "  {{ {t} v; memset(&v, 0, sizeof v); v.{} = -1; dump({ri}, {mi}, &v, sizeof v); }}",
                        m.designator
                    );
                }
            }
        }
        all_members.push(ms);
    }
    c.push_str("  return 0;\n}\n");

    let dir = std::env::temp_dir().join(format!(
        "rctypes-cprobe-{}-{}",
        std::process::id(),
        records.len()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| vec![e.to_string()])?;
    let src = dir.join("probe.c");
    let exe = dir.join("probe");
    std::fs::write(&src, &c).map_err(|e| vec![e.to_string()])?;
    let out = Command::new("cc")
        .args(["-w", "-o"])
        .arg(&exe)
        .arg(&src)
        .output()
        .map_err(|e| vec![format!("cc: {e}")])?;
    if !out.status.success() {
        return Err(vec![format!(
            "the probe does not compile:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )]);
    }
    let run = Command::new(&exe)
        .output()
        .map_err(|e| vec![e.to_string()])?;
    let _ = std::fs::remove_dir_all(&dir);
    if !run.status.success() {
        return Err(vec!["the probe failed".into()]);
    }

    let mut failures = Vec::new();
    let mut counts = Counts {
        records: records.len(),
        ..Counts::default()
    };
    for line in String::from_utf8_lossy(&run.stdout).lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        let idx = |i: usize| {
            w.get(i)
                .and_then(|s| s.parse::<usize>().ok())
                .unwrap_or(usize::MAX)
        };
        match w.first().copied() {
            Some("S") => {
                let r = &records[idx(1)];
                let (size, align) = (idx(2), idx(3));
                if (size, align) != (r.ty.size(), r.align) {
                    failures.push(format!(
                        "{}: {}: C says size {size} align {align}, rctypes {} {}",
                        r.origin,
                        r.cname,
                        r.ty.size(),
                        r.align
                    ));
                }
            }
            Some("F") => {
                let (r, m) = (&records[idx(1)], &all_members[idx(1)][idx(2)]);
                counts.offsets += 1;
                if idx(3) != m.offset {
                    failures.push(format!(
                        "{}: offsetof({}, {}): C says {}, rctypes {}",
                        r.origin, r.cname, m.designator, w[3], m.offset
                    ));
                }
            }
            Some("B") => {
                let (r, m) = (&records[idx(1)], &all_members[idx(1)][idx(2)]);
                counts.bitfields += 1;
                let c_bytes = w.get(3).copied().unwrap_or("");
                match bitfield_bytes(&r.ty, m) {
                    Ok(ours) if ours == c_bytes => {}
                    Ok(ours) => failures.push(format!(
                        "{}: {}.{} = -1: C gives {c_bytes}, rctypes {ours}",
                        r.origin, r.cname, m.designator
                    )),
                    Err(e) => failures.push(format!("{}: {}: {e}", r.origin, r.cname)),
                }
            }
            _ => failures.push(format!("unexpected probe output {line}")),
        }
    }
    if failures.is_empty() {
        Ok(counts)
    } else {
        Err(failures)
    }
}
