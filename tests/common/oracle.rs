//! Compares an rctypes record with the C compiler's, through the probe
//! functions that fixtures-c/layouts.c (and the random-struct generator)
//! export for each type T: T_size, T_align, T_offset(i), T_set(p, i, v).

use rctypes::{CData, CDll, CType, Function, Value, byref};

/// A field the C probe knows by index: the record's own named fields, with
/// the fields of anonymous members in place of the member (unnamed
/// bitfields have no name for C or rctypes to reach, so no probe).
pub struct Probe {
    pub name: String,
    pub ty: CType,
    pub offset: usize,
    /// Bit width, for bitfields.
    pub bits: Option<u32>,
}

impl Probe {
    /// Whether the C probe can assign a value to it (scalars and bitfields;
    /// not pointers, wchar_t, arrays or records).
    pub fn settable(&self) -> bool {
        self.bits.is_some()
            || (self.ty.fields().is_none()
                && self.ty.array_len().is_none()
                && self.ty.pointee().is_none()
                && !["c_wchar", "c_void_p", "c_char_p", "c_wchar_p"]
                    .contains(&base_name(&self.ty).as_str()))
    }
}

fn base_name(ty: &CType) -> String {
    let n = ty.to_string();
    n.strip_suffix("_be")
        .or_else(|| n.strip_suffix("_le"))
        .unwrap_or(&n)
        .to_owned()
}

/// The probe fields of a record, in the order C lists them.
pub fn probes(ty: &CType) -> Vec<Probe> {
    let mut out = Vec::new();
    collect(ty, 0, &mut out);
    out
}

fn collect(ty: &CType, base: usize, out: &mut Vec<Probe>) {
    for f in ty.fields().unwrap_or(&[]) {
        if f.name.is_empty() {
            continue;
        }
        if f.anonymous {
            collect(&f.ctype, base + f.offset, out);
        } else {
            out.push(Probe {
                name: f.name.clone(),
                ty: f.ctype.clone(),
                offset: base + f.offset,
                bits: f.bits.map(|b| b.width),
            });
        }
    }
}

/// The value rctypes must store to get the bits C gets from `field = v`
/// (C converts -1 to all ones for unsigned fields and wraps 1 into a
/// signed 1-bit field as -1; rctypes refuses both conversions, so the test
/// asks for the same bits explicitly).
pub fn rust_value(p: &Probe, v: i64) -> Value {
    let name = base_name(&p.ty);
    match name.as_str() {
        "c_bool" => Value::Bool(v != 0),
        "c_float" | "c_double" | "c_longdouble" => Value::Float(v as f64),
        _ => {
            let width = p.bits.unwrap_or(8 * p.ty.size() as u32);
            let signed = matches!(
                name.as_str(),
                "c_byte"
                    | "c_char"
                    | "c_short"
                    | "c_int"
                    | "c_long"
                    | "c_longlong"
                    | "c_int8"
                    | "c_int16"
                    | "c_int32"
                    | "c_int64"
                    | "c_ssize_t"
            );
            if signed {
                if width == 1 && v == 1 {
                    Value::Int(-1)
                } else {
                    Value::Int(v)
                }
            } else if v < 0 {
                Value::UInt(if width == 64 {
                    u64::MAX
                } else {
                    (1u64 << width) - 1
                })
            } else {
                Value::UInt(v as u64)
            }
        }
    }
}

fn probe_fn(lib: &CDll, name: &str, args: Vec<CType>, ret: CType) -> Result<Function, String> {
    Ok(lib
        .function(name)
        .map_err(|e| e.to_string())?
        .argtypes(args)
        .restype(ret))
}

/// Checks one record against C: size, alignment, every probe field's
/// offset, and the bytes after setting each field to -1, 1 and 0 (one at a
/// time from zero, and all of them in turn).
pub fn check(lib: &CDll, cname: &str, ty: &CType) -> Result<(), String> {
    let call = |f: &Function, args: &[Value]| -> Result<Value, String> {
        // SAFETY: the probe functions have exactly the declared signatures.
        unsafe { f.call(args) }.map_err(|e| e.to_string())
    };
    let size_f = probe_fn(lib, &format!("{cname}_size"), vec![], CType::c_size_t())?;
    let align_f = probe_fn(lib, &format!("{cname}_align"), vec![], CType::c_size_t())?;
    let off_f = probe_fn(
        lib,
        &format!("{cname}_offset"),
        vec![CType::c_int()],
        CType::c_long(),
    )?;
    let set_f = probe_fn(
        lib,
        &format!("{cname}_set"),
        vec![CType::c_void_p(), CType::c_int(), CType::c_longlong()],
        CType::void(),
    )?;
    let c_size = call(&size_f, &[])?.as_u64().map_err(|e| e.to_string())? as usize;
    let c_align = call(&align_f, &[])?.as_u64().map_err(|e| e.to_string())? as usize;
    if (c_size, c_align) != (ty.size(), ty.align()) {
        return Err(format!(
            "{cname}: C says size {c_size} align {c_align}, rctypes says size {} align {}",
            ty.size(),
            ty.align()
        ));
    }
    let probes = probes(ty);
    for p in &probes {
        // the type finds every probe field by name, anonymous members'
        // fields included, at the offset C has for it
        let by_name = ty
            .field(&p.name)
            .ok_or_else(|| format!("{cname}: `{}` not found by CType::field", p.name))?;
        let by_name_offset = by_name.offset;
        let same = by_name.ctype == p.ty
            && by_name.bits.map(|b| b.width) == p.bits
            && by_name_offset == p.offset;
        if !same {
            return Err(format!(
                "{cname}.{}: CType::field gives {by_name:?}, the declared fields say offset {}",
                p.name, p.offset
            ));
        }
    }
    for (i, p) in probes.iter().enumerate() {
        let c_off = call(&off_f, &[(i as i32).into()])?
            .as_i64()
            .map_err(|e| e.to_string())?;
        let expected = if p.bits.is_some() {
            -1
        } else {
            p.offset as i64
        };
        if c_off != expected {
            return Err(format!(
                "{cname}.{}: C offset {c_off}, rctypes {expected}",
                p.name
            ));
        }
    }
    let c_set =
        |buf: &CData, i: usize, v: i64| call(&set_f, &[byref(buf), (i as i32).into(), v.into()]);
    let settable: Vec<(usize, &Probe)> = probes
        .iter()
        .enumerate()
        .filter(|(_, p)| p.settable())
        .collect();
    for &(i, p) in &settable {
        for v in [-1i64, 1, 0] {
            let c_buf = CData::new(ty);
            c_set(&c_buf, i, v)?;
            let r_buf = CData::new(ty);
            r_buf
                .set(&p.name, rust_value(p, v))
                .map_err(|e| format!("{cname}.{} = {v}: {e}", p.name))?;
            if c_buf.to_bytes() != r_buf.to_bytes() {
                return Err(format!(
                    "{cname}.{} = {v}: C bytes {:02x?}, rctypes bytes {:02x?}",
                    p.name,
                    c_buf.to_bytes(),
                    r_buf.to_bytes()
                ));
            }
            // and reading back gives the value stored
            let back = r_buf.get(&p.name).map_err(|e| e.to_string())?;
            let expected = match rust_value(p, v) {
                // a c_char field reads as one byte
                Value::Int(i) if p.bits.is_none() && base_name(&p.ty) == "c_char" => {
                    Value::Bytes(vec![i as u8])
                }
                other => other,
            };
            if back != expected {
                return Err(format!("{cname}.{} = {v}: read back {back:?}", p.name));
            }
        }
    }
    let (c_all, r_all) = (CData::new(ty), CData::new(ty));
    for v in [-1i64, 1, 0] {
        for &(i, p) in &settable {
            c_set(&c_all, i, v)?;
            r_all
                .set(&p.name, rust_value(p, v))
                .map_err(|e| e.to_string())?;
        }
        if c_all.to_bytes() != r_all.to_bytes() {
            return Err(format!(
                "{cname}: after setting every field to {v}: C {:02x?}, rctypes {:02x?}",
                c_all.to_bytes(),
                r_all.to_bytes()
            ));
        }
    }
    Ok(())
}
