//! Structures and unions beyond the layout oracles: checked arithmetic on
//! absurd declarations, fields of anonymous members found by the type,
//! `Layout::Ms`, unnamed and zero-width bitfields (declared, refused, and
//! passed by value to C), and records of 10,000 fields.
//!
//! Layouts themselves are compared with gcc in layout_oracle.rs (fixed
//! cases T71–T92 cover what is new here) and layout_random.rs; the exact
//! numbers below are gcc 12's on x86-64 for the same declarations.

mod common;
use common::{call, func};

use rctypes::{CData, CType, Error, Layout, Value, alignment, sizeof};

fn definition_message(r: rctypes::Result<CType>) -> String {
    match r {
        Err(e @ Error::Definition { .. }) => e.to_string(),
        other => panic!("expected a definition error, got {other:?}"),
    }
}

// ---- 1. checked arithmetic ------------------------------------------------------------------

/// `8 * align` overflowed (a panic in debug builds, a wrapped alignment in
/// release builds) for a field whose alignment has no 64-bit bit count.
#[test]
fn an_alignment_too_large_to_count_in_bits_is_an_error_not_a_panic() -> rctypes::Result<()> {
    let inner = CType::structure("I").align(1 << 61).build()?;
    assert_eq!((sizeof(&inner), alignment(&inner)), (0, 1 << 61));
    let text = definition_message(CType::structure("O").field("i", inner.clone()).build());
    assert!(text.starts_with("invalid type `O`"), "{text}");
    assert!(text.contains("field `i`"), "{text}");
    assert!(text.contains("too large"), "{text}");
    for (what, result) in [
        ("union", CType::union("U").field("i", inner.clone()).build()),
        (
            "ms",
            CType::structure("M")
                .field("c", CType::c_char())
                .field("i", inner.clone())
                .layout(Layout::Ms)
                .build(),
        ),
        (
            "packed",
            CType::structure("P")
                .field("i", inner.clone())
                .pack(1)
                .build(),
        ),
        (
            "array",
            CType::structure("A").field("i", inner.array(3)).build(),
        ),
    ] {
        let text = definition_message(result);
        assert!(text.contains("field `i`"), "{what}: {text}");
    }
    Ok(())
}

/// Bit positions past 2^64 (a record of 2^61 bytes or more), in every layout
/// and through anonymous members, are refused rather than wrapped.
#[test]
fn records_too_large_to_count_in_bits_are_errors() -> rctypes::Result<()> {
    let big = CType::c_char().array((1 << 61) - 1);
    for layout in [Layout::GccSysv, Layout::Ms] {
        let text = definition_message(
            CType::structure("S")
                .field("big", big.clone())
                .bitfield("x", CType::c_longlong(), 64)
                .layout(layout)
                .build(),
        );
        assert!(text.contains("overflows"), "{text}");
        let text = definition_message(
            CType::structure("S")
                .field("big", big.clone())
                .field("y", CType::c_longlong())
                .layout(layout)
                .build(),
        );
        assert!(text.contains("field `y`"), "{text}");
    }
    let text = definition_message(
        CType::structure("S")
            .field("big", CType::c_char().array(1 << 61))
            .build(),
    );
    assert!(text.contains("overflows"), "{text}");
    // an alignment that rounds the size past isize::MAX
    let text = definition_message(
        CType::structure("S")
            .field("c", CType::c_char())
            .align(1 << 63)
            .build(),
    );
    assert!(text.contains("overflows"), "{text}");
    Ok(())
}

// ---- 2. fields of anonymous members, by type ----------------------------------------------------

#[test]
fn the_type_finds_fields_of_anonymous_members() -> rctypes::Result<()> {
    // API.md's Tagged: struct { int kind; union { int i; double d; }; } (gcc: i and d at 8)
    let number = CType::union("Number")
        .field("i", CType::c_int())
        .field("d", CType::c_double())
        .build()?;
    let tagged = CType::structure("Tagged")
        .field("kind", CType::c_int())
        .field("u", number.clone())
        .anonymous("u")
        .build()?;
    let i = tagged.field("i").expect("Tagged.i");
    assert_eq!((i.offset, i.size, &i.ctype), (8, 4, &CType::c_int()));
    let d = tagged.field("d").expect("Tagged.d");
    assert_eq!((d.offset, d.size, &d.ctype), (8, 8, &CType::c_double()));
    assert_eq!(tagged.field("u").map(|f| f.offset), Some(8));
    assert!(tagged.field("u").unwrap().anonymous);
    // fields() stays the declared fields
    let declared: Vec<&str> = tagged
        .fields()
        .unwrap()
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(declared, ["kind", "u"]);
    assert!(tagged.field("nope").is_none());
    // the instance and the type agree
    let t = CData::new(&tagged);
    t.set("d", 2.5)?;
    assert_eq!(t.to_bytes()[8..16], 2.5f64.to_ne_bytes());

    // nested anonymity: struct { char a; union { struct { char b; short c:5; short e:9; }; long d; }; }
    let bc = CType::structure("BC")
        .field("b", CType::c_char())
        .bitfield("c", CType::c_short(), 5)
        .bitfield("e", CType::c_short(), 9)
        .build()?;
    let bcd = CType::union("BCD")
        .field("bc", bc)
        .field("d", CType::c_long())
        .anonymous("bc")
        .build()?;
    let outer = CType::structure("Outer")
        .field("a", CType::c_char())
        .field("u", bcd)
        .anonymous("u")
        .build()?;
    let offsets: Vec<(usize, Option<(u32, u32)>)> = ["a", "u", "bc", "b", "c", "e", "d"]
        .iter()
        .map(|n| {
            let f = outer.field(n).unwrap_or_else(|| panic!("Outer.{n}"));
            (f.offset, f.bits.map(|b| (b.offset, b.width)))
        })
        .collect();
    // c is bits 8-12 of BC's first short; e would straddle it, so it takes
    // the next short (BC bytes 2-3): Outer bytes 10-11, as gcc writes it
    assert_eq!(
        offsets,
        [
            (0, None),
            (8, None),
            (8, None),
            (8, None),
            (8, Some((8, 5))),
            (10, Some((0, 9))),
            (8, None)
        ]
    );
    let o = CData::new(&outer);
    o.set("e", -1)?;
    assert_eq!(o.get("e")?, Value::Int(-1));
    let mut expected = [0u8; 16];
    expected[10..12].copy_from_slice(&[0xff, 0x01]);
    assert_eq!(o.to_bytes(), expected);
    Ok(())
}

// ---- 3. Layout::Ms ---------------------------------------------------------------------------

#[test]
fn ms_layout_as_api_md_writes_it() -> rctypes::Result<()> {
    let ms = CType::structure("M")
        .bitfield("a", CType::c_char(), 3)
        .bitfield("b", CType::c_int(), 5)
        .layout(Layout::Ms)
        .build()?;
    // gcc: struct __attribute__((ms_struct)) { char a:3; int b:5; } is 8 bytes, b in the second int
    assert_eq!((sizeof(&ms), alignment(&ms)), (8, 4));
    let b = ms.field("b").unwrap();
    assert_eq!(
        (b.offset, b.bits.map(|b| (b.offset, b.width))),
        (4, Some((0, 5)))
    );
    let sysv = CType::structure("S")
        .bitfield("a", CType::c_char(), 3)
        .bitfield("b", CType::c_int(), 5)
        .layout(Layout::GccSysv)
        .build()?;
    assert_eq!(
        (sizeof(&sysv), sysv.field("b").unwrap().bits.unwrap().offset),
        (4, 3)
    );
    assert_eq!(Layout::default(), Layout::GccSysv);
    // declare/define keeps the layout given before declare
    let later = CType::structure("Later").layout(Layout::Ms).declare();
    later.define(|s| {
        s.bitfield("a", CType::c_char(), 3)
            .bitfield("b", CType::c_int(), 5)
    })?;
    assert_eq!(sizeof(&later), 8);
    Ok(())
}

#[test]
fn ms_records_pass_by_value_both_ways() -> rctypes::Result<()> {
    // typedef struct MS { char a:3; int b:5; short c; } MsByValue; (12 bytes: c at 8)
    let ty = CType::structure("MsByValue")
        .bitfield("a", CType::c_char(), 3)
        .bitfield("b", CType::c_int(), 5)
        .field("c", CType::c_short())
        .layout(Layout::Ms)
        .build()?;
    assert_eq!((sizeof(&ty), ty.field("c").unwrap().offset), (12, 8));
    let sum = func("ms_by_value_sum", [ty.clone()], CType::c_long());
    let make = func(
        "ms_by_value_make",
        [CType::c_int(), CType::c_int(), CType::c_int()],
        ty.clone(),
    );
    let s = CData::new(&ty);
    s.set("a", -3)?;
    s.set("b", 15)?;
    s.set("c", 1234)?;
    assert_eq!(call(&sum, &[(&s).into()])?, Value::Int(-300 + 150 + 1234));
    let back = call(&make, &[(-4).into(), 11.into(), (-7).into()])?.into_data()?;
    assert_eq!(
        (back.get("a")?, back.get("b")?, back.get("c")?),
        (Value::Int(-4), Value::Int(11), Value::Int(-7))
    );
    Ok(())
}

// ---- 4. unnamed and zero-width bitfields ---------------------------------------------------------

#[test]
fn unnamed_bitfields_as_api_md_writes_them() -> rctypes::Result<()> {
    let pad = CType::structure("P")
        .bitfield("a", CType::c_int(), 4)
        .bitfield("", CType::c_int(), 0)
        .bitfield("b", CType::c_int(), 4)
        .build()?;
    // gcc: struct { int a:4; int :0; int b:4; } is 8 bytes, b in the second int
    assert_eq!((sizeof(&pad), alignment(&pad)), (8, 4));
    assert_eq!(pad.field("b").unwrap().offset, 4);
    let declared = pad.fields().unwrap();
    assert_eq!(declared.len(), 3);
    assert_eq!(declared[1].name, "");
    assert_eq!(
        (
            declared[1].offset,
            declared[1].bits.map(|b| (b.offset, b.width))
        ),
        (4, Some((0, 0)))
    );
    // not reachable by name, by type or by instance
    assert!(pad.field("").is_none());
    let p = CData::new(&pad);
    assert!(matches!(p.get(""), Err(Error::UnknownField { .. })));
    assert!(matches!(p.set("", 1), Err(Error::UnknownField { .. })));
    p.set("b", -1)?;
    assert_eq!(p.to_bytes(), [0, 0, 0, 0, 0x0f, 0, 0, 0]);

    // several unnamed fields are not duplicates; unnamed bits take space, not alignment
    let gaps = CType::structure("G")
        .field("c", CType::c_char())
        .bitfield("", CType::c_longlong(), 3)
        .bitfield("", CType::c_longlong(), 3)
        .bitfield("", CType::c_int(), 0)
        .field("d", CType::c_char())
        .build()?;
    // gcc: struct { char c; long long :3; long long :3; int :0; char d; }: d at 4, size 5, align 1
    assert_eq!((sizeof(&gaps), alignment(&gaps)), (5, 1));
    assert_eq!(gaps.field("d").unwrap().offset, 4);
    // the same under ms_struct: every bitfield aligns the record, the unit is padded out
    let gaps_ms = CType::structure("G")
        .field("c", CType::c_char())
        .bitfield("", CType::c_longlong(), 3)
        .bitfield("", CType::c_longlong(), 3)
        .bitfield("", CType::c_int(), 0)
        .field("d", CType::c_char())
        .layout(Layout::Ms)
        .build()?;
    assert_eq!((sizeof(&gaps_ms), alignment(&gaps_ms)), (24, 8));
    assert_eq!(gaps_ms.field("d").unwrap().offset, 16);
    Ok(())
}

#[test]
fn unnamed_field_mistakes_are_definition_errors() {
    let int = CType::c_int;
    let cases: Vec<(&str, rctypes::Result<CType>, &str)> = vec![
        (
            "named width 0",
            CType::structure("S").bitfield("a", int(), 0).build(),
            "field `a`: a bitfield must be at least 1 bit wide (only an unnamed bitfield",
        ),
        (
            "unnamed ordinary field",
            CType::structure("S")
                .field("a", int())
                .field("", int())
                .build(),
            "unnamed field 1: an unnamed field must be a bitfield",
        ),
        (
            "unnamed too wide",
            CType::structure("S").bitfield("", int(), 33).build(),
            "unnamed field 0: a bitfield of 33 bits is wider than its 32-bit type",
        ),
        (
            "unnamed float",
            CType::structure("S")
                .bitfield("", CType::c_float(), 0)
                .build(),
            "unnamed field 0: a bitfield must have an integer type, not c_float",
        ),
        (
            "unnamed anonymous",
            CType::structure("S")
                .bitfield("", int(), 3)
                .anonymous("")
                .build(),
            "listed as anonymous but not a field",
        ),
    ];
    for (what, result, message) in cases {
        let text = definition_message(result);
        assert!(text.starts_with("invalid type `S`"), "{what}: {text}");
        assert!(text.contains(message), "{what}: {text}");
    }
}

/// gcc 12 leaves zero-width bitfields out of the x86-64 classification and
/// counts an unnamed bitfield's bits as INTEGER; passing these through C
/// checks the by-value path sees the same (a `:0` used to be read as
/// covering the bit before it, or underflow at bit 0).
#[test]
fn zero_width_and_unnamed_bitfields_by_value() -> rctypes::Result<()> {
    let zw = CType::structure("ZeroWidth")
        .field("f", CType::c_float())
        .bitfield("", CType::c_int(), 0)
        .field("g", CType::c_float())
        .build()?;
    assert_eq!(sizeof(&zw), 8);
    let s = CData::new(&zw);
    s.set("f", 1.5)?;
    s.set("g", -2.25)?;
    let g = func("zero_width_g", [zw.clone()], CType::c_float());
    assert_eq!(call(&g, &[(&s).into()])?, Value::Float(-2.25));
    let make = func(
        "zero_width_make",
        [CType::c_float(), CType::c_float()],
        zw.clone(),
    );
    let back = call(&make, &[3.5.into(), 0.75.into()])?.into_data()?;
    assert_eq!(
        (back.get("f")?, back.get("g")?),
        (Value::Float(3.5), Value::Float(0.75))
    );
    // a `:0` first, at bit 0: the same bytes as ZeroWidth, so C's
    // zero_width_g reads `h`
    let first = CType::structure("Z0")
        .bitfield("", CType::c_int(), 0)
        .field("g", CType::c_float())
        .field("h", CType::c_float())
        .build()?;
    let s = CData::new(&first);
    s.set("h", 4.5)?;
    let g = func("zero_width_g", [first.clone()], CType::c_float());
    assert_eq!(call(&g, &[(&s).into()])?, Value::Float(4.5));

    let ub = CType::structure("UnnamedBits")
        .field("f", CType::c_float())
        .bitfield("", CType::c_int(), 8)
        .build()?;
    let f = func("unnamed_bits_f", [ub.clone()], CType::c_float());
    let s = CData::new(&ub);
    s.set("f", 6.5)?;
    assert_eq!(call(&f, &[(&s).into()])?, Value::Float(6.5));
    Ok(())
}

// ---- 5. large records --------------------------------------------------------------------------

#[test]
fn a_ten_thousand_field_structure_builds_and_answers_by_name() -> rctypes::Result<()> {
    const N: usize = 10_000;
    let mut b = CType::structure("Wide");
    for i in 0..N {
        b = match i % 4 {
            0 => b.field(format!("f{i}"), CType::c_char()),
            1 => b.field(format!("f{i}"), CType::c_int()),
            2 => b.bitfield(format!("f{i}"), CType::c_uint(), 3),
            _ => b.field(format!("f{i}"), CType::c_double()),
        };
    }
    let wide = b.build()?;
    // each group of four: char at 0, int at 4, 3 bits at 8, double at 16: 24 bytes
    assert_eq!((sizeof(&wide), alignment(&wide)), (24 * N / 4, 8));
    for k in [0, 1, 1234, N / 4 - 1] {
        let base = 24 * k;
        assert_eq!(wide.field(&format!("f{}", 4 * k)).unwrap().offset, base);
        assert_eq!(
            wide.field(&format!("f{}", 4 * k + 1)).unwrap().offset,
            base + 4
        );
        let bits = wide.field(&format!("f{}", 4 * k + 2)).unwrap();
        assert_eq!((bits.offset, bits.bits.unwrap().offset), (base + 8, 0));
        assert_eq!(
            wide.field(&format!("f{}", 4 * k + 3)).unwrap().offset,
            base + 16
        );
    }
    assert!(wide.field("f10000").is_none());
    assert!(wide.field("f").is_none());
    let w = CData::new(&wide);
    w.set("f9999", 0.5)?;
    w.set("f9998", 7)?;
    w.set("f1", -9)?;
    assert_eq!(
        (w.get("f9999")?, w.get("f9998")?, w.get("f1")?),
        (Value::Float(0.5), Value::UInt(7), Value::Int(-9))
    );
    assert!(matches!(w.get("f10000"), Err(Error::UnknownField { .. })));

    // through an anonymous member, and with a repeat at the very end
    let outer = CType::structure("Outer")
        .field("tag", CType::c_int())
        .field("w", wide.clone())
        .anonymous("w")
        .build()?;
    assert_eq!(
        outer.field("f9999").unwrap().offset,
        8 + 24 * (N / 4 - 1) + 16
    );
    let o = CData::new(&outer);
    o.set("f9999", 1.25)?;
    assert_eq!(o.get("f9999")?, Value::Float(1.25));
    let text = definition_message(
        CType::structure("Outer")
            .field("w", wide.clone())
            .field("f5000", CType::c_int())
            .anonymous("w")
            .build(),
    );
    assert!(
        text.contains("field `f5000`: the anonymous member `w` repeats this name"),
        "{text}"
    );
    let mut b = CType::structure("Dup");
    for i in 0..N {
        b = b.field(format!("f{i}"), CType::c_int());
    }
    let text = definition_message(b.field("f0", CType::c_int()).build());
    assert!(text.contains("field `f0`: duplicate field name"), "{text}");
    Ok(())
}

/// Many unnamed fields and many anonymous members: still linear, and the
/// unnamed ones never collide with each other.
#[test]
fn many_unnamed_fields_and_anonymous_members() -> rctypes::Result<()> {
    let mut b = CType::structure("Padded");
    for i in 0..2_000 {
        b = b
            .bitfield(format!("a{i}"), CType::c_uint(), 5)
            .bitfield("", CType::c_uint(), 3)
            .bitfield("", CType::c_uint(), 0);
    }
    let padded = b.build()?;
    assert_eq!(sizeof(&padded), 4 * 2_000);
    assert_eq!(padded.fields().unwrap().len(), 6_000);
    assert_eq!(padded.field("a1999").unwrap().offset, 4 * 1_999);

    let mut b = CType::structure("Many");
    for i in 0..500 {
        let inner = CType::structure(&format!("In{i}"))
            .field(format!("x{i}"), CType::c_short())
            .field(format!("y{i}"), CType::c_short())
            .build()?;
        b = b.field(format!("in{i}"), inner).anonymous(format!("in{i}"));
    }
    let many = b.build()?;
    assert_eq!(many.field("y499").unwrap().offset, 4 * 499 + 2);
    let m = CData::new(&many);
    m.set("y499", -2)?;
    assert_eq!(m.field("in499")?.get("y499")?, Value::Int(-2));
    Ok(())
}

/// Positional initial values fill the named fields, as C's initialisers
/// skip unnamed bitfields; one value too many says so.
#[test]
fn positional_values_skip_unnamed_bitfields() -> rctypes::Result<()> {
    let pad = CType::structure("P")
        .bitfield("a", CType::c_int(), 4)
        .bitfield("", CType::c_int(), 0)
        .bitfield("b", CType::c_int(), 4)
        .build()?;
    let p = CData::from_values(&pad, [-3, 5])?;
    assert_eq!(p.get("a")?, Value::Int(-3));
    assert_eq!(p.get("b")?, Value::Int(5));
    let err = CData::from_values(&pad, [1, 2, 3]).unwrap_err();
    assert!(
        matches!(
            err,
            rctypes::Error::TooManyValues {
                expected: 2,
                given: 3,
                ..
            }
        ),
        "{err:?}"
    );
    Ok(())
}

#[test]
fn field_handles_read_and_write_like_names() -> rctypes::Result<()> {
    let number = CType::union("Number")
        .field("i", CType::c_int())
        .field("d", CType::c_double())
        .build()?;
    let tagged = CType::structure("Tagged")
        .field("kind", CType::c_short())
        .bitfield("flags", CType::c_uint(), 3)
        .field("u", number)
        .anonymous("u")
        .field("name", CType::c_char().array(8))
        .build()?;
    let t = CData::new(&tagged);
    let kind = tagged.field_handle("kind")?;
    let flags = tagged.field_handle("flags")?;
    let d = tagged.field_handle("d")?; // through the anonymous union
    let name = tagged.field_handle("name")?;
    kind.set(&t, -7)?;
    flags.set(&t, 5)?;
    d.set(&t, 2.5)?;
    name.set(&t, b"abc".as_slice())?;
    assert_eq!(t.get("kind")?, Value::Int(-7));
    assert_eq!(flags.get(&t)?, Value::UInt(5));
    assert_eq!(t.get("d")?, Value::Float(2.5));
    assert_eq!(name.get(&t)?.as_bytes()?, b"abc");
    assert_eq!(d.field().offset, tagged.field("d").unwrap().offset);
    assert_eq!(d.record(), &tagged);

    // the same checks as by name, naming the field
    let err = flags.set(&t, 8).unwrap_err();
    assert!(err.to_string().contains("flags"), "{err}");
    let err = kind.set(&t, 40_000).unwrap_err();
    assert!(err.to_string().contains("field `kind`"), "{err}");
    assert_eq!(kind.get(&t)?, Value::Int(-7), "nothing written");
    // an instance of another type is refused
    let other = CType::structure("Other")
        .field("kind", CType::c_short())
        .build()?;
    let err = kind.get(&CData::new(&other)).unwrap_err();
    assert!(
        err.to_string()
            .contains("a field handle reads and writes instances of its own record type"),
        "{err}"
    );
    // handles are made only for names and records that exist
    assert!(matches!(
        tagged.field_handle("nope"),
        Err(Error::UnknownField { .. })
    ));
    assert!(CType::c_int().field_handle("x").is_err());
    assert!(CType::structure("Fwd").declare().field_handle("x").is_err());
    Ok(())
}

#[test]
fn numeric_arrays_from_values_zero_the_rest_and_refuse_whole() -> rctypes::Result<()> {
    let ty = CType::c_short().array(5);
    let a = CData::from_values(&ty, [1, -2, 3])?;
    assert_eq!(a.to_bytes(), [1, 0, 254, 255, 3, 0, 0, 0, 0, 0]);
    let err = CData::from_values(&ty, [1, 2, 70_000]).unwrap_err();
    assert!(err.to_string().contains("70000"), "{err}");
    let err = CData::from_values(&ty, [0; 7]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooManyValues {
                expected: 5,
                given: 7,
                ..
            }
        ),
        "{err:?}"
    );
    // instances and other integer Values stand for their value
    let five = CData::with_value(&CType::c_short(), 5)?;
    let b = CData::from_values(&ty, [Value::from(&five), Value::UInt(6), Value::Bool(true)])?;
    assert_eq!(b.to_bytes(), [5, 0, 6, 0, 1, 0, 0, 0, 0, 0]);
    let f = CData::from_values(&CType::c_float().array(2), [0.5, -1.0])?;
    assert_eq!(f.get_index(1)?, Value::Float(-1.0));
    Ok(())
}
