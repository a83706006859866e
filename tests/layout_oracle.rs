//! The fixed layout oracle: the 92 types of fixtures-c/layouts.c, declared
//! again here with rctypes, compared with the C compiler's layout (sizeof,
//! _Alignof, offsetof) and, field by field, with the bytes C writes.

mod common;
use common::{call, lib, oracle};
use rctypes::{CData, CType, Error, Layout, RecordBuilder, Value};

fn s(name: &str) -> RecordBuilder {
    CType::structure(name)
}
fn u(name: &str) -> RecordBuilder {
    CType::union(name)
}
/// A structure declared `__attribute__((ms_struct))`.
fn ms(name: &str) -> RecordBuilder {
    CType::structure(name).layout(Layout::Ms)
}

/// Every type of layouts.c, by name.
fn fixed_set() -> rctypes::Result<Vec<(&'static str, CType)>> {
    let (c, sc, uc, b) = (
        CType::c_char(),
        CType::c_byte(),
        CType::c_ubyte(),
        CType::c_bool(),
    );
    let (sh, ush, i, ui) = (
        CType::c_short(),
        CType::c_ushort(),
        CType::c_int(),
        CType::c_uint(),
    );
    let (l, ll, ull) = (CType::c_long(), CType::c_longlong(), CType::c_ulonglong());
    let (f, d, ld) = (CType::c_float(), CType::c_double(), CType::c_longdouble());
    let (u8t, u16t, u32t, i32t) = (
        CType::c_uint8(),
        CType::c_uint16(),
        CType::c_uint32(),
        CType::c_int32(),
    );

    let t01 = s("T01")
        .field("a", c.clone())
        .field("b", i.clone())
        .field("c", sh.clone())
        .build()?;
    let t02 = s("T02")
        .field("a", c.clone())
        .field("b", d.clone())
        .field("c", c.clone())
        .build()?;
    let t03 = s("T03")
        .field("a", sh.clone())
        .field("b", c.clone())
        .field("c", ll.clone())
        .field("d", i.clone())
        .build()?;
    let t04 = s("T04")
        .field("a", c.clone())
        .field("b", c.clone())
        .field("c", c.clone())
        .build()?;
    let t05 = s("T05")
        .field("a", i.clone())
        .field("b", c.clone())
        .build()?;
    let t06 = s("T06")
        .field("a", f.clone())
        .field("b", d.clone())
        .field("c", f.clone())
        .build()?;
    let t07 = s("T07")
        .field("a", ld.clone())
        .field("b", c.clone())
        .build()?;
    let t08 = s("T08")
        .field("p", CType::c_void_p())
        .field("c", c.clone())
        .field("q", i.pointer())
        .build()?;
    let t09 = s("T09")
        .field("name", c.array(5))
        .field("x", i.clone())
        .field("arr", sh.array(3))
        .build()?;
    let t10 = s("T10")
        .field("a", b.clone())
        .field("w", CType::c_wchar())
        .field("b", uc.clone())
        .field("l", l.clone())
        .build()?;
    let t11 = s("T11")
        .field("a", c.clone())
        .field("inner", t01.clone())
        .field("b", c.clone())
        .build()?;
    let t12 = s("T12")
        .field("x", t02.clone())
        .field("y", t04.clone())
        .field("z", d.clone())
        .build()?;
    let t13 = s("T13")
        .field("a", i.clone())
        .field("arr", t05.array(3))
        .field("c", c.clone())
        .build()?;
    let t14 = u("T14")
        .field("a", c.clone())
        .field("b", i.clone())
        .field("c", d.clone())
        .build()?;
    let t15 = u("T15")
        .field("buf", c.array(13))
        .field("s", sh.clone())
        .build()?;
    let t16u = u("T16u")
        .field("i", i.clone())
        .field("f", f.clone())
        .build()?;
    let t16 = s("T16").field("tag", c.clone()).field("u", t16u).build()?;
    let t17 = s("T17")
        .field("a", c.clone())
        .field("b", i.clone())
        .field("c", sh.clone())
        .pack(1)
        .build()?;
    let t18 = s("T18")
        .field("a", c.clone())
        .field("b", i.clone())
        .field("c", c.clone())
        .field("d", d.clone())
        .pack(2)
        .build()?;
    let t19 = s("T19")
        .field("a", c.clone())
        .field("b", d.clone())
        .field("c", c.clone())
        .pack(4)
        .build()?;
    let t20 = s("T20")
        .field("a", c.clone())
        .field("b", ld.clone())
        .pack(8)
        .build()?;
    let t21 = s("T21")
        .field("a", c.clone())
        .field("b", d.clone())
        .pack(16)
        .build()?;
    let t22 = s("T22")
        .field("a", c.clone())
        .field("inner", t01.clone())
        .field("b", c.clone())
        .pack(1)
        .build()?;
    let t23 = u("T23")
        .field("a", c.array(3))
        .field("b", i.clone())
        .pack(2)
        .build()?;
    let t24 = s("T24")
        .field("a", ll.clone())
        .field("b", c.clone())
        .field("c", ll.clone())
        .pack(1)
        .build()?;
    let t25 = s("T25").field("a", c.clone()).align(8).build()?;
    let t26 = s("T26")
        .field("a", i.clone())
        .field("b", c.clone())
        .align(16)
        .build()?;
    let t27 = s("T27").field("a", d.clone()).align(32).build()?;
    let t28 = s("T28").field("a", c.array(3)).align(64).build()?;
    let t29 = s("T29")
        .field("a", c.clone())
        .field("b", i.clone())
        .pack(1)
        .align(8)
        .build()?;
    let t30 = s("T30")
        .field("a", c.clone())
        .field("inner", t26.clone())
        .build()?;
    let famous = |name: &str| {
        s(name)
            .bitfield("a", i.clone(), 3)
            .bitfield("b", ui.clone(), 5)
            .bitfield("c", i.clone(), 24)
            .bitfield("d", uc.clone(), 4)
            .bitfield("e", ll.clone(), 40)
    };
    let t31 = famous("T31").build()?;
    let t32 = s("T32")
        .bitfield("a", ui.clone(), 1)
        .bitfield("b", ui.clone(), 1)
        .bitfield("c", ui.clone(), 30)
        .build()?;
    let t33 = s("T33")
        .bitfield("a", i.clone(), 31)
        .bitfield("b", i.clone(), 2)
        .build()?;
    let t34 = s("T34")
        .bitfield("a", c.clone(), 3)
        .bitfield("b", c.clone(), 6)
        .build()?;
    let t35 = s("T35")
        .bitfield("a", sh.clone(), 9)
        .bitfield("b", sh.clone(), 9)
        .bitfield("c", sh.clone(), 9)
        .build()?;
    let t36 = s("T36")
        .bitfield("a", ll.clone(), 33)
        .bitfield("b", ll.clone(), 33)
        .build()?;
    let t37 = s("T37")
        .bitfield("a", uc.clone(), 8)
        .bitfield("b", uc.clone(), 8)
        .build()?;
    let t38 = s("T38")
        .bitfield("a", i.clone(), 32)
        .bitfield("b", i.clone(), 1)
        .build()?;
    let t39 = s("T39")
        .field("c", c.clone())
        .bitfield("a", i.clone(), 20)
        .bitfield("b", i.clone(), 12)
        .build()?;
    let t40 = s("T40")
        .bitfield("a", i.clone(), 4)
        .field("c", c.clone())
        .bitfield("b", i.clone(), 4)
        .build()?;
    let t41 = s("T41")
        .bitfield("f1", b.clone(), 1)
        .bitfield("f2", b.clone(), 1)
        .field("x", i.clone())
        .build()?;
    let t42 = s("T42")
        .bitfield("a", ush.clone(), 3)
        .bitfield("b", ui.clone(), 20)
        .bitfield("c", ull.clone(), 41)
        .build()?;
    let t43 = s("T43").bitfield("a", i.clone(), 1).build()?;
    let t44 = s("T44")
        .bitfield("a", ll.clone(), 63)
        .bitfield("b", ull.clone(), 64)
        .build()?;
    let t45 = s("T45")
        .bitfield("a", ui.clone(), 7)
        .bitfield("b", ull.clone(), 60)
        .bitfield("c", ui.clone(), 5)
        .build()?;
    let t46 = s("T46")
        .bitfield("a", sc.clone(), 1)
        .bitfield("b", sc.clone(), 7)
        .bitfield("c", sh.clone(), 10)
        .build()?;
    let t47 = u("T47")
        .bitfield("a", i.clone(), 5)
        .bitfield("b", ui.clone(), 17)
        .field("c", c.clone())
        .build()?;
    let t48 = s("T48")
        .field("d", d.clone())
        .bitfield("a", ui.clone(), 3)
        .field("f", f.clone())
        .bitfield("b", ui.clone(), 29)
        .build()?;
    let t49 = s("T49")
        .field("x", c.clone())
        .bitfield("a", i.clone(), 20)
        .bitfield("b", i.clone(), 7)
        .bitfield("c", ll.clone(), 40)
        .pack(1)
        .build()?;
    let t50 = s("T50")
        .field("x", c.clone())
        .bitfield("a", i.clone(), 20)
        .bitfield("b", i.clone(), 15)
        .pack(2)
        .build()?;
    let t51 = s("T51")
        .field("x", c.clone())
        .bitfield("a", ll.clone(), 40)
        .bitfield("b", sh.clone(), 9)
        .pack(4)
        .build()?;
    let t52 = famous("T52").pack(1).build()?;
    let t53 = s("T53")
        .bitfield("a", uc.clone(), 7)
        .bitfield("b", ush.clone(), 13)
        .bitfield("c", ui.clone(), 3)
        .pack(2)
        .build()?;
    let t54 = s("T54")
        .bitfield("a", c.clone(), 4)
        .bitfield("b", sh.clone(), 12)
        .pack(1)
        .align(4)
        .build()?;
    let t55u = u("T55u")
        .field("i", i.clone())
        .field("d", d.clone())
        .build()?;
    let t55 = s("T55")
        .field("kind", i.clone())
        .field("u", t55u)
        .anonymous("u")
        .build()?;
    let t56s = s("T56s")
        .field("x", sh.clone())
        .field("y", sh.clone())
        .build()?;
    let t56 = s("T56")
        .field("tag", c.clone())
        .field("pt", t56s)
        .field("z", i.clone())
        .anonymous("pt")
        .build()?;
    let t57s = s("T57s")
        .field("b", c.clone())
        .field("c", c.clone())
        .build()?;
    let t57u = u("T57u")
        .field("bc", t57s)
        .field("d", i.clone())
        .anonymous("bc")
        .build()?;
    let t57 = s("T57")
        .field("a", i.clone())
        .field("u", t57u)
        .anonymous("u")
        .build()?;
    let t58s = s("T58s")
        .bitfield("a", i.clone(), 4)
        .bitfield("b", i.clone(), 4)
        .build()?;
    let t58 = s("T58")
        .field("ab", t58s)
        .field("c", c.clone())
        .anonymous("ab")
        .build()?;
    let t59 = s("T59")
        .field("kind", u16t.clone())
        .field("len", u32t.clone())
        .pack(1)
        .big_endian()
        .build()?;
    let t60 = s("T60")
        .field("a", i.clone())
        .field("b", sh.clone())
        .field("c", ll.clone())
        .field("f", f.clone())
        .field("d", d.clone())
        .big_endian()
        .build()?;
    let t61 = s("T61")
        .bitfield("a", ui.clone(), 3)
        .bitfield("b", ui.clone(), 5)
        .bitfield("c", ui.clone(), 12)
        .field("s", u16t.clone())
        .big_endian()
        .build()?;
    let t62 = s("T62")
        .field("x", u8t.clone())
        .bitfield("a", ui.clone(), 20)
        .bitfield("b", ui.clone(), 7)
        .big_endian()
        .build()?;
    let t63 = famous("T63").big_endian().build()?;
    let t64 = s("T64")
        .field("arr", sh.array(3))
        .field("x", i.clone())
        .big_endian()
        .build()?;
    let t65 = u("T65")
        .field("i", u32t.clone())
        .field("b", u8t.array(4))
        .big_endian()
        .build()?;
    let t66 = s("T66")
        .field("a", u16t.clone())
        .field("b", i32t.clone())
        .little_endian()
        .build()?;
    let t67 = s("T67").build()?;
    let t68 = s("T68")
        .field("a", c.clone())
        .field("hdr", t59.clone())
        .field("b", i.clone())
        .build()?;
    let t69 = s("T69")
        .bitfield("a", u8t.clone(), 3)
        .bitfield("b", u16t.clone(), 10)
        .bitfield("c", u32t.clone(), 19)
        .pack(1)
        .big_endian()
        .build()?;
    let t70 = s("T70")
        .field("c", c.clone())
        .field("ld", ld.clone())
        .field("s", sh.clone())
        .build()?;
    // ---- unnamed and zero-width bitfields (gcc-sysv)
    let t71 = s("T71")
        .bitfield("a", i.clone(), 4)
        .bitfield("", i.clone(), 0)
        .bitfield("b", i.clone(), 4)
        .build()?;
    let c_zero_c = |name: &str| {
        s(name)
            .field("c", c.clone())
            .bitfield("", i.clone(), 0)
            .field("d", c.clone())
    };
    let t72 = c_zero_c("T72").build()?;
    let t73 = c_zero_c("T73").pack(1).build()?;
    let t74 = s("T74")
        .field("c", c.clone())
        .bitfield("", ll.clone(), 3)
        .field("d", c.clone())
        .build()?;
    let t75 = s("T75")
        .field("c", c.clone())
        .bitfield("", i.clone(), 32)
        .field("d", c.clone())
        .build()?;
    let t76 = u("T76")
        .bitfield("a", c.clone(), 3)
        .bitfield("", i.clone(), 0)
        .bitfield("", ll.clone(), 5)
        .build()?;
    let t77 = s("T77")
        .bitfield("a", i.clone(), 3)
        .bitfield("", i.clone(), 5)
        .bitfield("b", i.clone(), 3)
        .bitfield("", ui.clone(), 0)
        .bitfield("", sh.clone(), 2)
        .bitfield("c", c.clone(), 7)
        .bitfield("", uc.clone(), 0)
        .build()?;
    let t78 = s("T78")
        .bitfield("", i.clone(), 0)
        .field("c", c.clone())
        .build()?;
    // ---- ms_struct (Layout::Ms)
    let t79 = famous("T79").layout(Layout::Ms).build()?;
    let t80 = ms("T80")
        .bitfield("a", c.clone(), 3)
        .bitfield("b", i.clone(), 5)
        .build()?;
    let t81 = ms("T81")
        .bitfield("a", i.clone(), 3)
        .field("b", c.clone())
        .bitfield("c", sh.clone(), 4)
        .build()?;
    let t82 = ms("T82")
        .field("c", c.clone())
        .bitfield("a", i.clone(), 20)
        .bitfield("b", ui.clone(), 20)
        .bitfield("s", sh.clone(), 3)
        .pack(1)
        .build()?;
    let t83 = ms("T83")
        .field("c", c.clone())
        .bitfield("a", ll.clone(), 5)
        .bitfield("b", i.clone(), 30)
        .bitfield("d", i.clone(), 3)
        .pack(2)
        .build()?;
    let t84 = ms("T84")
        .bitfield("a", sh.clone(), 9)
        .bitfield("b", sh.clone(), 9)
        .bitfield("c", sh.clone(), 9)
        .align(16)
        .build()?;
    let t85 = ms("T85")
        .field("x", u8t.clone())
        .bitfield("a", ui.clone(), 20)
        .bitfield("b", ui.clone(), 7)
        .bitfield("s", u16t.clone(), 12)
        .big_endian()
        .build()?;
    let t86 = u("T86")
        .bitfield("a", c.clone(), 3)
        .bitfield("", i.clone(), 0)
        .bitfield("", ll.clone(), 5)
        .layout(Layout::Ms)
        .build()?;
    let t87 = ms("T87")
        .bitfield("x", c.clone(), 2)
        .bitfield("", i.clone(), 0)
        .field("y", c.clone())
        .build()?;
    let t88 = ms("T88")
        .field("x", c.clone())
        .bitfield("", i.clone(), 0)
        .field("y", c.clone())
        .build()?;
    let t89 = ms("T89")
        .bitfield("a", i.clone(), 4)
        .bitfield("", c.clone(), 0)
        .bitfield("b", i.clone(), 4)
        .bitfield("", sh.clone(), 0)
        .bitfield("", sh.clone(), 0)
        .bitfield("c", c.clone(), 2)
        .build()?;
    let t90 = ms("T90")
        .bitfield("c", c.clone(), 1)
        .bitfield("", i.clone(), 0)
        .build()?;
    let t91pq = s("T91pq")
        .bitfield("p", i.clone(), 3)
        .bitfield("q", i.clone(), 30)
        .build()?;
    let t91 = ms("T91")
        .bitfield("t", c.clone(), 4)
        .field("inner", t80.clone())
        .field("pq", t91pq)
        .bitfield("", uc.clone(), 3)
        .anonymous("pq")
        .build()?;
    let t92 = s("T92")
        .field("c", c.clone())
        .field("ms", t84.clone())
        .bitfield("x", i.clone(), 3)
        .build()?;
    Ok(vec![
        ("T01", t01),
        ("T02", t02),
        ("T03", t03),
        ("T04", t04),
        ("T05", t05),
        ("T06", t06),
        ("T07", t07),
        ("T08", t08),
        ("T09", t09),
        ("T10", t10),
        ("T11", t11),
        ("T12", t12),
        ("T13", t13),
        ("T14", t14),
        ("T15", t15),
        ("T16", t16),
        ("T17", t17),
        ("T18", t18),
        ("T19", t19),
        ("T20", t20),
        ("T21", t21),
        ("T22", t22),
        ("T23", t23),
        ("T24", t24),
        ("T25", t25),
        ("T26", t26),
        ("T27", t27),
        ("T28", t28),
        ("T29", t29),
        ("T30", t30),
        ("T31", t31),
        ("T32", t32),
        ("T33", t33),
        ("T34", t34),
        ("T35", t35),
        ("T36", t36),
        ("T37", t37),
        ("T38", t38),
        ("T39", t39),
        ("T40", t40),
        ("T41", t41),
        ("T42", t42),
        ("T43", t43),
        ("T44", t44),
        ("T45", t45),
        ("T46", t46),
        ("T47", t47),
        ("T48", t48),
        ("T49", t49),
        ("T50", t50),
        ("T51", t51),
        ("T52", t52),
        ("T53", t53),
        ("T54", t54),
        ("T55", t55),
        ("T56", t56),
        ("T57", t57),
        ("T58", t58),
        ("T59", t59),
        ("T60", t60),
        ("T61", t61),
        ("T62", t62),
        ("T63", t63),
        ("T64", t64),
        ("T65", t65),
        ("T66", t66),
        ("T67", t67),
        ("T68", t68),
        ("T69", t69),
        ("T70", t70),
        ("T71", t71),
        ("T72", t72),
        ("T73", t73),
        ("T74", t74),
        ("T75", t75),
        ("T76", t76),
        ("T77", t77),
        ("T78", t78),
        ("T79", t79),
        ("T80", t80),
        ("T81", t81),
        ("T82", t82),
        ("T83", t83),
        ("T84", t84),
        ("T85", t85),
        ("T86", t86),
        ("T87", t87),
        ("T88", t88),
        ("T89", t89),
        ("T90", t90),
        ("T91", t91),
        ("T92", t92),
    ])
}

#[test]
fn every_fixed_type_matches_the_c_compiler() {
    let set = fixed_set().unwrap();
    assert_eq!(set.len(), 92);
    let failures: Vec<String> = set
        .iter()
        .filter_map(|(name, ty)| oracle::check(&lib(), name, ty).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        set.len(),
        failures.join("\n")
    );
}

/// struct { int a:3; unsigned b:5; int c:24; unsigned char d:4; long long e:40; }:
/// 16 bytes, alignment 8, and every field survives a trip through C by value.
#[test]
fn the_famous_bitfield_struct_round_trips_through_c() {
    let set = fixed_set().unwrap();
    let famous = &set.iter().find(|(n, _)| *n == "T31").unwrap().1;
    assert_eq!(
        (rctypes::sizeof(famous), rctypes::alignment(famous)),
        (16, 8)
    );
    let make = common::func(
        "famous_make",
        [
            CType::c_int(),
            CType::c_uint(),
            CType::c_int(),
            CType::c_uint(),
            CType::c_longlong(),
        ],
        famous.clone(),
    );
    let field = common::func(
        "famous_field",
        [famous.clone(), CType::c_int()],
        CType::c_longlong(),
    );
    let cases: [(i64, u64, i64, u64, i64); 4] = [
        (-4, 31, -8_388_608, 15, -549_755_813_888),
        (3, 0, 8_388_607, 0, 549_755_813_887),
        (-1, 17, 12345, 9, -1),
        (0, 1, -1, 1, 1),
    ];
    for (a, b, c, d, e) in cases {
        // C builds it; rctypes reads every field
        let s = call(&make, &[a.into(), b.into(), c.into(), d.into(), e.into()])
            .unwrap()
            .into_data()
            .unwrap();
        assert_eq!(s.get("a").unwrap(), Value::Int(a));
        assert_eq!(s.get("b").unwrap(), Value::UInt(b));
        assert_eq!(s.get("c").unwrap(), Value::Int(c));
        assert_eq!(s.get("d").unwrap(), Value::UInt(d));
        assert_eq!(s.get("e").unwrap(), Value::Int(e));
        // rctypes builds it; C reads every field
        let mine = CData::new(famous);
        for (name, v) in [
            ("a", Value::Int(a)),
            ("b", Value::UInt(b)),
            ("c", Value::Int(c)),
            ("d", Value::UInt(d)),
            ("e", Value::Int(e)),
        ] {
            mine.set(name, v).unwrap();
        }
        assert_eq!(mine.to_bytes(), s.to_bytes());
        let got: Vec<i64> = (0..5)
            .map(|k| {
                call(&field, &[(&mine).into(), k.into()])
                    .unwrap()
                    .as_i64()
                    .unwrap()
            })
            .collect();
        assert_eq!(got, [a, b as i64, c, d as i64, e]);
    }
    // values that do not fit a bitfield are refused, naming field and width
    let s = CData::new(famous);
    let err = s.set("a", 4).unwrap_err();
    assert!(matches!(err, Error::Conversion { .. }), "{err:?}");
    assert!(err.to_string().contains("3-bit bitfield `a`"), "{err}");
    assert!(s.set("b", -1).is_err());
    assert!(s.set("e", 1i64 << 39).is_err());
    assert_eq!(
        s.to_bytes(),
        vec![0u8; 16],
        "refused writes leave the bytes alone"
    );
}
