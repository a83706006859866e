//! Command-line text to `Value`s (by the declared parameter type, as ctypes
//! converts Python objects), results to Python's `repr`, and layouts.

use std::fmt::Write as _;

use rctypes::{CType, Value};

/// An integer as written on a command line: decimal, 0x, 0o, 0b, signed.
fn parse_int(s: &str) -> Option<Value> {
    let t = s.trim().replace('_', "");
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t.strip_prefix('+').unwrap_or(&t)),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() {
        return None;
    }
    let v = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if v <= i64::MAX as u64 {
            Some(Value::Int(-(v as i64)))
        } else if v == i64::MAX as u64 + 1 {
            Some(Value::Int(i64::MIN))
        } else {
            None
        }
    } else if v <= i64::MAX as u64 {
        Some(Value::Int(v as i64))
    } else {
        Some(Value::UInt(v))
    }
}

fn parse_float(s: &str) -> Option<f64> {
    let t = s.trim();
    match t.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        "nan" => Some(f64::NAN),
        _ => t.parse::<f64>().ok().filter(|x| x.is_finite()),
    }
}

/// A complex number as Python writes one: `1.5`, `2j`, `1+2j`, `(1-2j)`.
fn parse_complex(s: &str) -> Option<Value> {
    let t = s.trim();
    let t = t
        .strip_prefix('(')
        .and_then(|x| x.strip_suffix(')'))
        .unwrap_or(t);
    let Some(body) = t.strip_suffix('j') else {
        return parse_float(t).map(|re| Value::Complex(re, 0.0));
    };
    // The split between the parts: the last sign that is not an exponent's.
    let bytes = body.as_bytes();
    let split = (1..bytes.len())
        .rev()
        .find(|&i| matches!(bytes[i], b'+' | b'-') && !matches!(bytes[i - 1], b'e' | b'E'));
    let (re, im) = match split {
        Some(i) => (parse_float(&body[..i])?, &body[i..]),
        None => (0.0, body),
    };
    let im = match im {
        "" | "+" => 1.0,
        "-" => -1.0,
        x => parse_float(x)?,
    };
    Some(Value::Complex(re, im))
}

fn is_null(s: &str) -> bool {
    matches!(s, "NULL" | "null" | "None" | "nullptr")
}

/// Converts one argument for a parameter of type `ty` (`None`: a variadic
/// or unprototyped argument, guessed as ctypes guesses Python objects:
/// integers, then floats, then NULL, then strings).
pub fn parse_arg(s: &str, ty: Option<&CType>) -> Result<Value, String> {
    let Some(ty) = ty else {
        if let Some(v) = parse_int(s) {
            return Ok(v);
        }
        if let Some(x) = parse_float(s) {
            return Ok(Value::Float(x));
        }
        if is_null(s) {
            return Ok(Value::Null);
        }
        return Ok(Value::Bytes(s.as_bytes().to_vec()));
    };
    let name = ty.to_string();
    let expect = |what: &str| format!("expected {what} for a {name} parameter");
    match name.as_str() {
        "c_char_p" => Ok(if is_null(s) {
            Value::Null
        } else {
            Value::Bytes(s.as_bytes().to_vec())
        }),
        "c_wchar_p" => Ok(if is_null(s) {
            Value::Null
        } else {
            Value::Str(s.to_string())
        }),
        "c_char" => match s.as_bytes() {
            [b] => Ok(Value::Bytes(vec![*b])),
            _ => parse_int(s).ok_or_else(|| expect("one character or an integer")),
        },
        "c_wchar" => {
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Ok(Value::Str(c.to_string())),
                _ => Err(expect("one character")),
            }
        }
        "c_bool" => match s {
            "true" | "True" | "1" => Ok(Value::Bool(true)),
            "false" | "False" | "0" => Ok(Value::Bool(false)),
            _ => Err(expect("true or false")),
        },
        "c_float_complex" | "c_double_complex" | "c_longdouble_complex" => {
            parse_complex(s).ok_or_else(|| expect("a complex number (1.5, 2j, 1+2j)"))
        }
        "c_float" | "c_double" | "c_longdouble" => parse_float(s)
            .or_else(|| parse_int(s).and_then(|v| v.as_i64().ok()).map(|i| i as f64))
            .map(Value::Float)
            .ok_or_else(|| expect("a number")),
        _ if ty.fields().is_some() => Err(format!(
            "a {name} is passed by value: it cannot be given on the command line"
        )),
        _ if ty.prototype().is_some() || ty.pointee().is_some() || name == "c_void_p" => {
            if is_null(s) {
                Ok(Value::Null)
            } else if let Some(v) = parse_int(s) {
                let addr = v.as_u64().map_err(|e| e.to_string())?;
                Ok(Value::Pointer(
                    usize::try_from(addr).map_err(|e| e.to_string())?,
                ))
            } else {
                Err(expect("NULL or an address"))
            }
        }
        _ => parse_int(s).ok_or_else(|| expect("an integer")),
    }
}

/// Python's `repr` of a float: `1.0`, `0.5`, `1e-05`, `1e+16`, `inf`, `nan`.
pub fn python_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let s = format!("{x:?}");
    match s.split_once('e') {
        Some((mant, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mant}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

fn python_bytes(b: &[u8]) -> String {
    let mut out = String::from("b'");
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\'' => out.push_str("\\'"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(char::from(c)),
            _ => {
                let _ = write!(out, "\\x{c:02x}");
            }
        }
    }
    out.push('\'');
    out
}

fn python_str(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// How Python prints a ctypes result.
pub fn python_repr(v: &Value) -> String {
    match v {
        Value::Void => String::new(),
        Value::Null => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(x) => python_float(*x),
        Value::Complex(re, im) => {
            // Python: 1j, (1+2j), (1.5-0.5j): parts without a trailing ".0".
            let part = |x: f64| {
                let s = python_float(x);
                s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
            };
            if *re == 0.0 && re.is_sign_positive() {
                format!("{}j", part(*im))
            } else {
                let sign = if *im < 0.0 || (*im == 0.0 && im.is_sign_negative()) {
                    "-"
                } else {
                    "+"
                };
                format!("({}{sign}{}j)", part(*re), part(im.abs()))
            }
        }
        Value::Bytes(b) => python_bytes(b),
        Value::Str(s) => python_str(s),
        Value::Pointer(p) => p.to_string(),
        Value::Data(d) => {
            let ty = d.ctype();
            match ty.fields() {
                Some(fields) => {
                    let parts: Vec<String> = fields
                        .iter()
                        .map(|f| {
                            let v = d
                                .get(&f.name)
                                .map(|v| python_repr(&v))
                                .unwrap_or_else(|_| "?".into());
                            format!("{}={v}", f.name)
                        })
                        .collect();
                    format!("{ty}({})", parts.join(", "))
                }
                None => format!("<{ty} object at {:#x}>", d.address()),
            }
        }
        other => format!("{other:?}"),
    }
}

/// A C declarator for a member, naming records instead of spelling them out.
fn short_decl(ty: &CType, inner: String) -> String {
    let join = |base: String, inner: &str| {
        if inner.is_empty() {
            base
        } else {
            format!("{base} {inner}")
        }
    };
    if ty.is_record() {
        return join(ty.to_string(), &inner);
    }
    if let Some(elem) = ty.element() {
        let inner = if inner.starts_with('*') {
            format!("({inner})")
        } else {
            inner
        };
        return short_decl(elem, format!("{inner}[{}]", ty.array_len().unwrap_or(0)));
    }
    if let Some(p) = ty.pointee() {
        return short_decl(&p, format!("*{inner}"));
    }
    if let Some((ret, args)) = ty.prototype() {
        let params = if args.is_empty() {
            "void".to_string()
        } else {
            args.iter()
                .map(|a| short_decl(a, String::new()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return short_decl(ret, format!("(*{inner})({params})"));
    }
    // A fundamental type (or a pointer to a record rctypes holds weakly).
    ty.c_decl(&inner)
}

/// "struct" or "union" (as the type's C text begins).
fn record_kind(ty: &CType) -> &'static str {
    if ty.c_decl("").starts_with("union") {
        "union"
    } else {
        "struct"
    }
}

/// A pahole-like listing of a type's layout.
pub fn layout(out: &mut String, name: &str, ty: &CType, typedef_align: Option<usize>) {
    let align = ty.align().max(typedef_align.unwrap_or(1));
    if ty.fields().is_none() {
        let _ = writeln!(
            out,
            "{name}: {} /* size: {}, align: {align} */",
            short_decl(ty, String::new()),
            ty.size()
        );
        return;
    }
    let kind = record_kind(ty);
    let shown = ty.to_string();
    let title = if shown.starts_with(kind) {
        shown
    } else {
        format!("{kind} {shown}")
    };
    let title = if title.ends_with(name) {
        title
    } else {
        format!("{title} /* {name} */")
    };
    let _ = writeln!(out, "{title} {{");
    let (members, holes) = members(out, ty, 0, 1);
    let _ = writeln!(
        out,
        "\t/* size: {}, align: {align}, members: {members}, holes: {holes} */",
        ty.size()
    );
    let _ = writeln!(out, "}};");
}

/// Lists the members of a record at `base`, indented; returns the number of
/// members and of holes.
fn members(out: &mut String, ty: &CType, base: usize, indent: usize) -> (usize, usize) {
    let tabs = "\t".repeat(indent);
    let Some(fields) = ty.fields() else {
        return (0, 0);
    };
    let is_union = record_kind(ty) == "union";
    let mut count = 0;
    let mut holes = 0;
    let mut end = 0usize;
    for f in fields {
        let offset = base + f.offset;
        if !is_union && f.bits.is_none() && offset > base + end && count > 0 {
            let _ = writeln!(out, "{tabs}/* XXX {} bytes hole */", offset - base - end);
            holes += 1;
        }
        count += 1;
        if f.anonymous {
            let kind = record_kind(&f.ctype);
            let _ = writeln!(out, "{tabs}{kind} {{");
            let (m, h) = members(out, &f.ctype, offset, indent + 1);
            count += m;
            holes += h;
            let _ = writeln!(
                out,
                "{tabs}}};{:>w$}/* {offset:>5} {:>5} */",
                "",
                f.size,
                w = 40usize.saturating_sub(tabs.len() * 8 + 2)
            );
        } else {
            let decl = match f.bits {
                Some(b) => format!("{} : {}", short_decl(&f.ctype, f.name.clone()), b.width),
                None => short_decl(&f.ctype, f.name.clone()),
            };
            let pos = match f.bits {
                Some(b) => format!("{offset:>5}:{:<2} {:>3}", b.offset, f.size),
                None => format!("{offset:>5} {:>5}", f.size),
            };
            let width = 40usize.saturating_sub(tabs.len() * 8);
            let _ = writeln!(out, "{tabs}{:<width$} /* {pos} */", format!("{decl};"));
        }
        end = end.max(f.offset + f.size);
    }
    if !is_union && ty.size() > end && indent == 1 {
        let _ = writeln!(out, "{tabs}/* padding: {} */", ty.size() - end);
    }
    (count, holes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_python() {
        assert_eq!(python_float(1.0), "1.0");
        assert_eq!(python_float(0.5403023058681398), "0.5403023058681398");
        assert_eq!(python_float(1e-5), "1e-05");
        assert_eq!(python_float(1.5e16), "1.5e+16");
        assert_eq!(python_float(1e15), "1000000000000000.0");
        assert_eq!(python_float(f64::NAN), "nan");
        assert_eq!(python_float(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn arguments() {
        assert_eq!(
            parse_arg("0x10", Some(&CType::c_int()))
                .unwrap()
                .as_i64()
                .unwrap(),
            16
        );
        assert_eq!(
            parse_arg("-5", Some(&CType::c_long()))
                .unwrap()
                .as_i64()
                .unwrap(),
            -5
        );
        assert!(parse_arg("abc", Some(&CType::c_int())).is_err());
        assert_eq!(
            parse_arg("2", Some(&CType::c_double()))
                .unwrap()
                .as_f64()
                .unwrap(),
            2.0
        );
        assert!(
            parse_arg("NULL", Some(&CType::c_char_p()))
                .unwrap()
                .is_null()
        );
        assert_eq!(parse_arg("hi", None).unwrap().as_bytes().unwrap(), b"hi");
        assert_eq!(parse_arg("1.5", None).unwrap().as_f64().unwrap(), 1.5);
        assert_eq!(
            python_repr(&Value::Bytes(b"a'\n\x01".to_vec())),
            "b'a\\'\\n\\x01'"
        );
        assert_eq!(python_repr(&Value::Str("hé".into())), "'hé'");
        assert_eq!(python_repr(&Value::Bool(true)), "True");
        assert_eq!(python_repr(&Value::Complex(1.0, 2.0)), "(1+2j)");
        assert_eq!(python_repr(&Value::Complex(0.0, -1.5)), "-1.5j");
        assert_eq!(python_repr(&Value::Complex(-1.0, -0.0)), "(-1-0j)");
        let c = CType::c_double_complex();
        for (text, re, im) in [
            ("1+2j", 1.0, 2.0),
            ("(1.5-2e-3j)", 1.5, -2e-3),
            ("2j", 0.0, 2.0),
            ("3", 3.0, 0.0),
            ("-j", 0.0, -1.0),
        ] {
            match parse_arg(text, Some(&c)).unwrap() {
                Value::Complex(a, b) => assert_eq!((a, b), (re, im), "{text}"),
                v => panic!("{text}: {v:?}"),
            }
        }
        assert!(parse_arg("1+2", Some(&c)).is_err());
    }
}
