//! Instances (ctypes' C data objects): the "types" (records) and "instances"
//! parts of ../shared/API.md as written there, then each behaviour in depth:
//! views, keep-alive, pointers, buffers, raw memory, and every refusal.

mod common;
use common::{call, func, lib};
use rctypes::{
    CData, CType, Error, Value, alignment, byref, byref_at, create_string_buffer,
    create_unicode_buffer, memmove, memset, sizeof, string_at, wstring_at,
};

#[test]
fn api_md_types_and_instances_as_written() -> rctypes::Result<()> {
    // ---- types
    let int_ptr = CType::c_int().pointer();
    let four_ints = CType::c_int().array(4);
    let point = common::point();
    let flags = CType::structure("Flags")
        .bitfield("a", CType::c_int(), 3)
        .bitfield("b", CType::c_uint(), 5)
        .pack(1)
        .align(8)
        .build()?;
    let number = CType::union("Number")
        .field("i", CType::c_int())
        .field("d", CType::c_double())
        .build()?;
    let tagged = CType::structure("Tagged")
        .field("kind", CType::c_int())
        .field("u", number.clone())
        .anonymous("u")
        .build()?;
    let wire = CType::structure("Header")
        .field("kind", CType::c_uint16())
        .field("len", CType::c_uint32())
        .pack(1)
        .big_endian()
        .build()?;
    let node = CType::structure("Node").declare();
    node.define(|s| {
        s.field("value", CType::c_int())
            .field("next", node.pointer())
    })?;
    let binop = CType::function(CType::c_int(), [CType::c_int(), CType::c_int()]);
    assert_eq!((sizeof(&point), alignment(&point)), (8, 4));
    assert_eq!(point.field("y").unwrap().offset, 4);
    assert_eq!((sizeof(&flags), alignment(&flags)), (8, 8));
    assert_eq!((sizeof(&number), sizeof(&tagged)), (8, 16));
    assert_eq!((sizeof(&wire), alignment(&wire)), (6, 1));
    assert_eq!((sizeof(&node), alignment(&node)), (16, 8));
    assert_eq!(sizeof(&binop), 8);

    // ---- instances
    let n = CData::new(&CType::c_int());
    assert_eq!(n.value()?, Value::Int(0));
    let n = CData::with_value(&CType::c_int(), 42)?;
    n.set_value(100)?;
    assert_eq!(n.value()?.as_i64()?, 100);
    let p = CData::new(&point);
    p.set("x", 3)?;
    assert_eq!(p.get("x")?.as_i64()?, 3);
    let tl = p.field("x")?;
    tl.set_value(4)?;
    assert_eq!(p.get("x")?, Value::Int(4), "a field view shares memory");
    let arr = CData::from_values(&four_ints, [1, 2, 3, 4])?;
    assert_eq!(arr.get_index(3)?.as_i64()?, 4);
    arr.set_index(0, 9)?;
    assert_eq!(arr.len(), 4);
    let matrix = CData::from_values(
        &CType::c_int().array(2).array(2),
        [
            CData::from_values(&CType::c_int().array(2), [1, 2])?,
            CData::from_values(&CType::c_int().array(2), [3, 4])?,
        ],
    )?;
    let row = matrix.at(1)?;
    assert_eq!(row.get_index(0)?, Value::Int(3));
    row.set_index(1, 40)?;
    assert_eq!(matrix.at(1)?.get_index(1)?, Value::Int(40));
    let ty: &CType = p.ctype();
    assert_eq!(ty, &point);
    let bytes: Vec<u8> = p.to_bytes();
    assert_eq!(bytes, [4, 0, 0, 0, 0, 0, 0, 0]);
    let copy = CData::from_bytes(&point, &bytes)?;
    assert_eq!(copy.get("x")?, Value::Int(4));
    copy.set("x", 5)?;
    assert_eq!(p.get("x")?, Value::Int(4), "from_bytes copies");
    let q = p.pointer();
    let back = unsafe { q.contents()? };
    back.set("y", 8)?;
    assert_eq!(p.get("y")?, Value::Int(8));
    let int_ptr_value = arr.cast(&int_ptr)?;
    let third: Value = unsafe { int_ptr_value.read(2)? };
    assert_eq!(third, Value::Int(3));
    unsafe { int_ptr_value.write(2, 7)? };
    assert_eq!(arr.get_index(2)?, Value::Int(7));
    let raw = unsafe { CData::from_address(&point, p.address()) };
    assert_eq!(raw.get("y")?, Value::Int(8));
    let bytes_view = p.pointer().cast(&CType::c_ubyte().pointer())?;
    assert_eq!(unsafe { bytes_view.read(4)? }, Value::UInt(8));
    let counter = unsafe { lib().variable("counter", &CType::c_int())? };
    assert_eq!(counter.value()?, Value::Int(42));
    let out = CData::new(&CType::c_int());
    unsafe { lib().function("get")?.call(&[byref(&out)])? };
    assert_eq!(out.value()?, Value::Int(1234));
    let buf = create_string_buffer(b"hello");
    assert_eq!(sizeof(&buf), 6);
    let buf100 = create_string_buffer(100);
    assert_eq!(buf100.raw(), vec![0u8; 100]);
    assert_eq!(buf.value()?.as_bytes()?, b"hello");
    let raw: Vec<u8> = buf.raw();
    assert_eq!(raw, b"hello\0");
    let wbuf = create_unicode_buffer("héllo");
    assert_eq!(wbuf.value()?.as_str()?, "héllo");
    let s: Vec<u8> = unsafe { string_at(buf.address(), None) };
    assert_eq!(s, b"hello");
    let w: String = unsafe { wstring_at(wbuf.address(), None)? };
    assert_eq!(w, "héllo");
    let dst = create_string_buffer(8);
    unsafe {
        memmove(dst.address(), buf.address(), 5);
        memset(dst.address(), b'J', 1);
    }
    assert_eq!(dst.value()?.as_bytes()?, b"Jello");
    Ok(())
}

#[test]
fn instances_are_zeroed_and_aligned_even_over_aligned() -> rctypes::Result<()> {
    for align in [1usize, 2, 8, 16, 64, 256, 4096] {
        let ty = CType::structure("Aligned")
            .field("c", CType::c_char())
            .align(align)
            .build()?;
        for _ in 0..4 {
            let d = CData::new(&ty);
            assert_eq!(d.address() % align, 0, "align {align}");
            assert!(d.to_bytes().iter().all(|&b| b == 0));
            assert_eq!(d.to_bytes().len(), align.max(1));
        }
    }
    let ld = CData::new(&CType::c_longdouble().array(3));
    assert_eq!(ld.address() % 16, 0);
    Ok(())
}

#[test]
fn views_keep_their_parent_alive() -> rctypes::Result<()> {
    let inner = CType::structure("Inner")
        .field("v", CType::c_int().array(3))
        .build()?;
    let outer = CType::structure("Outer")
        .field("a", CType::c_char())
        .field("inner", inner)
        .build()?;
    let view = {
        let o = CData::new(&outer);
        o.field("inner")?.field("v")?.set_index(2, 77)?;
        o.field("inner")?.field("v")?
    };
    // the outer handle is gone; the view still owns the memory through it
    assert_eq!(view.get_index(2)?, Value::Int(77));
    assert_eq!(view.len(), 3);
    let elem = view.at(1)?;
    drop(view);
    elem.set_value(-5)?;
    assert_eq!(elem.value()?, Value::Int(-5));
    Ok(())
}

#[test]
fn pointers_keep_their_targets_alive_like_ctypes_objects() -> rctypes::Result<()> {
    // pointer(x): x lives as long as the pointer
    let p = {
        let x = CData::with_value(&CType::c_double(), 2.5)?;
        x.pointer()
    };
    assert_eq!(unsafe { p.read(0)? }, Value::Float(2.5));

    // a POINTER field set from an instance keeps it alive; so does a string
    // stored in a char * field
    let series = CType::structure("Series")
        .field("name", CType::c_char_p())
        .field("values", CType::c_int().pointer())
        .field("count", CType::c_int())
        .build()?;
    let s = CData::new(&series);
    {
        let values = CData::from_values(&CType::c_int().array(3), [10, 20, 30])?;
        s.set("values", &values)?;
        s.set("name", "abc")?;
        s.set("count", 3)?;
    }
    assert_eq!(s.get("name")?, Value::Bytes(b"abc".to_vec()));
    let total = func("series_total", [series.pointer()], CType::c_long());
    assert_eq!(call(&total, &[byref(&s)])?, Value::Int(3 + 60));

    // replacing the pointer releases the old target and keeps the new one
    {
        let fewer = CData::from_values(&CType::c_int().array(1), [5])?;
        s.set("values", fewer)?;
        s.set("count", 1)?;
    }
    assert_eq!(call(&total, &[s.pointer().into()])?, Value::Int(3 + 5));

    // a copy of the structure carries what it keeps (ctypes copies _objects)
    let copy = CData::new(&series);
    copy.set_value(&s)?;
    drop(s);
    assert_eq!(call(&total, &[byref(&copy)])?, Value::Int(3 + 5));
    Ok(())
}

#[test]
fn a_linked_list_built_in_rust_and_one_built_in_c() -> rctypes::Result<()> {
    let node = CType::structure("Node").declare();
    assert!(node.is_incomplete());
    assert!(
        CData::try_new(&node).is_err(),
        "incomplete types have no instances"
    );
    node.define(|s| {
        s.field("value", CType::c_int())
            .field("next", node.pointer())
    })?;
    assert!(!node.is_incomplete());

    // 1 -> 2 -> 3, each node kept alive by the previous one's `next`
    let head = {
        let mut next: Option<CData> = None;
        for v in (1..=3).rev() {
            let n = CData::new(&node);
            n.set("value", v)?;
            if let Some(tail) = &next {
                n.set("next", tail.pointer())?;
            }
            next = Some(n);
        }
        next.unwrap()
    };
    let sum = func("list_sum", [node.pointer()], CType::c_int());
    assert_eq!(call(&sum, &[head.pointer().into()])?, Value::Int(6));
    assert_eq!(call(&sum, &[Value::Null])?, Value::Int(0));
    let second = unsafe { head.get("next")?.into_data()?.contents()? };
    assert_eq!(second.get("value")?, Value::Int(2));

    // a list C allocated, walked through POINTER(Node) results
    let build = func("list_build", [CType::c_int()], node.pointer());
    let free = func("list_free", [node.pointer()], CType::void());
    let list = call(&build, &[4.into()])?.into_data()?;
    let mut values = Vec::new();
    let mut cur = list.clone();
    while !Value::from(&cur).is_null() {
        let n = unsafe { cur.contents()? };
        values.push(n.get("value")?.as_i64()?);
        cur = n.get("next")?.into_data()?;
    }
    assert_eq!(values, [1, 2, 3, 4]);
    // the last `next` is NULL: reading through it is an error, not a crash
    assert!(matches!(
        unsafe { cur.contents() },
        Err(Error::NullPointer { .. })
    ));
    assert!(matches!(
        unsafe { cur.read(0) },
        Err(Error::NullPointer { .. })
    ));
    assert!(matches!(
        unsafe { cur.write(0, CData::new(&node)) },
        Err(Error::NullPointer { .. })
    ));
    call(&free, &[list.into()])?;

    // defining twice is refused
    let again = node.define(|s| s.field("x", CType::c_int()));
    assert!(matches!(again, Err(Error::Definition { .. })));
    Ok(())
}

#[test]
fn big_endian_structure_matches_c_bytes() -> rctypes::Result<()> {
    let wire = CType::structure("Header")
        .field("kind", CType::c_uint16())
        .field("len", CType::c_uint32())
        .pack(1)
        .big_endian()
        .build()?;
    let make = func("header_make", vec![CType::c_uint(); 2], wire.clone());
    let h = call(&make, &[0x0102u32.into(), 0x0a0b0c0du32.into()])?.into_data()?;
    assert_eq!(h.to_bytes(), [1, 2, 0x0a, 0x0b, 0x0c, 0x0d]);
    assert_eq!(h.get("kind")?, Value::UInt(0x0102));
    assert_eq!(h.get("len")?, Value::UInt(0x0a0b0c0d));
    let mine = CData::new(&wire);
    mine.set("len", 0x11223344u32)?;
    assert_eq!(mine.to_bytes(), [0, 0, 0x11, 0x22, 0x33, 0x44]);
    let len = func("header_len", [wire.pointer()], CType::c_uint());
    assert_eq!(call(&len, &[byref(&mine)])?, Value::UInt(0x11223344));
    // a pointer cannot be stored big-endian
    let err = CType::structure("Bad")
        .field("p", CType::c_void_p())
        .big_endian()
        .build();
    assert!(matches!(err, Err(Error::Definition { .. })), "{err:?}");
    Ok(())
}

#[test]
fn globals_read_and_written_in_place() -> rctypes::Result<()> {
    let counter = unsafe { lib().variable("counter", &CType::c_int())? };
    let read = func("read_counter", [], CType::c_int());
    let before = counter.value()?.as_i64()?;
    counter.set_value(before + 1000)?;
    assert_eq!(call(&read, &[])?, Value::Int(before + 1000));
    counter.set_value(before)?;
    let at = unsafe { CData::from_address(&CType::c_int(), counter.address()) };
    assert_eq!(at.value()?, Value::Int(before));
    let err = unsafe { lib().variable("no_such_global", &CType::c_int()) }.unwrap_err();
    assert!(
        matches!(&err, Error::SymbolNotFound { symbol, .. } if symbol == "no_such_global"),
        "{err:?}"
    );
    Ok(())
}

#[test]
fn string_buffers_have_ctypes_value_and_raw() -> rctypes::Result<()> {
    let buf = create_string_buffer(b"hello");
    buf.set_value(b"hi")?;
    assert_eq!(buf.value()?, Value::Bytes(b"hi".to_vec()));
    assert_eq!(buf.raw(), b"hi\0lo\0");
    buf.set_value(b"world!")?; // exactly the size: no room for a NUL, none added
    assert_eq!(buf.raw(), b"world!");
    assert_eq!(buf.value()?, Value::Bytes(b"world!".to_vec()));
    let err = buf.set_value(b"toolong").unwrap_err();
    assert!(matches!(err, Error::Conversion { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("7 bytes do not fit in a buffer of 6"),
        "{err}"
    );
    assert_eq!(buf.raw(), b"world!", "a refused write changes nothing");

    // C writes into a mutable buffer; an immutable string is a copy
    let upcase = func("upcase", [CType::c_char_p()], CType::c_size_t());
    let b = create_string_buffer("mixed Case");
    assert_eq!(call(&upcase, &[(&b).into()])?, Value::UInt(10));
    assert_eq!(b.value()?.as_bytes()?, b"MIXED CASE");
    let upcase_p = func("upcase", [CType::c_char().pointer()], CType::c_size_t());
    let b2 = create_string_buffer("abc");
    call(&upcase_p, &[(&b2).into()])?;
    assert_eq!(b2.value()?.as_bytes()?, b"ABC");
    let s = Value::from("abc");
    call(&upcase, std::slice::from_ref(&s))?;
    assert_eq!(s.as_bytes()?, b"abc");

    let point = common::point();
    let fmt = func(
        "format_point",
        [CType::c_char_p(), CType::c_size_t(), point.clone()],
        CType::c_int(),
    );
    let out = create_string_buffer(32);
    let pt = CData::from_values(&point, [3, -4])?;
    assert_eq!(
        call(&fmt, &[(&out).into(), 32usize.into(), pt.into()])?,
        Value::Int(7)
    );
    assert_eq!(out.value()?.as_bytes()?, b"(3, -4)");

    // wide buffers
    let w = create_unicode_buffer("héllo wörld");
    let wide_len = func("wide_len", [CType::c_wchar_p()], CType::c_size_t());
    assert_eq!(call(&wide_len, &[(&w).into()])?, Value::UInt(11));
    let w10 = create_unicode_buffer(10);
    assert_eq!(w10.len(), 10);
    w10.set_value("ab")?;
    assert_eq!(w10.value()?, Value::Str("ab".into()));
    assert!(w10.set_value("x".repeat(11)).is_err());
    Ok(())
}

#[test]
fn char_array_fields_take_bytes_with_a_nul_when_it_fits() -> rctypes::Result<()> {
    let rec = CType::structure("Rec")
        .field("name", CType::c_char().array(4))
        .field("tail", CType::c_ubyte())
        .build()?;
    let r = CData::new(&rec);
    r.set("tail", 0xaa)?;
    r.set("name", b"ab")?;
    assert_eq!(r.to_bytes(), [b'a', b'b', 0, 0, 0xaa]);
    r.set("name", "wxyz")?;
    assert_eq!(
        r.to_bytes(),
        [b'w', b'x', b'y', b'z', 0xaa],
        "no NUL, no overrun"
    );
    assert_eq!(r.get("name")?, Value::Bytes(b"wxyz".to_vec()));
    let err = r.set("name", b"vwxyz").unwrap_err();
    assert!(err.to_string().contains("field `name`"), "{err}");
    assert_eq!(r.get("tail")?, Value::UInt(0xaa));
    Ok(())
}

#[test]
fn arrays_and_pointers_where_pointer_parameters_are_declared() -> rctypes::Result<()> {
    let sum = func(
        "sum_ints_array",
        [CType::c_int().pointer(), CType::c_int()],
        CType::c_long(),
    );
    let arr = CData::from_values(&CType::c_int().array(5), [1, 2, 3, 4, 5])?;
    assert_eq!(call(&sum, &[(&arr).into(), 5.into()])?, Value::Int(15));
    assert_eq!(call(&sum, &[byref(&arr), 5.into()])?, Value::Int(15));
    assert_eq!(call(&sum, &[byref_at(&arr, 8)?, 3.into()])?, Value::Int(12));
    let p = arr.cast(&CType::c_int().pointer())?;
    assert_eq!(call(&sum, &[(&p).into(), 2.into()])?, Value::Int(3));
    // a single c_int instance is passed by reference too
    let one = CData::with_value(&CType::c_int(), 9)?;
    assert_eq!(call(&sum, &[(&one).into(), 1.into()])?, Value::Int(9));
    // ... but not an array of another element type, nor a raw address
    let wrong = CData::new(&CType::c_uint().array(5));
    let err = call(&sum, &[wrong.into(), 5.into()]).unwrap_err();
    assert!(matches!(err, Error::Argument { index: 0, .. }), "{err:?}");
    let err = call(&sum, &[Value::Pointer(arr.address()), 5.into()]).unwrap_err();
    assert!(err.to_string().contains("CData::pointer_at"), "{err}");

    // c_void_p takes any instance's address
    let sum_d = func(
        "sum_doubles",
        [CType::c_void_p(), CType::c_size_t()],
        CType::c_double(),
    );
    let values: Vec<f64> = (0..1000).map(|i| i as f64 * 0.5).collect();
    let big = CData::from_values(&CType::c_double().array(1000), values.iter().copied())?;
    assert_eq!(
        call(&sum_d, &[(&big).into(), 1000usize.into()])?,
        Value::Float(values.iter().sum())
    );
    assert_eq!(
        call(&sum_d, &[Value::Pointer(big.address()), 2usize.into()])?,
        Value::Float(0.5)
    );
    Ok(())
}

#[test]
fn cast_reinterprets_and_keeps_the_source_alive() -> rctypes::Result<()> {
    let as_bytes = {
        let n = CData::with_value(&CType::c_uint32(), 0x0403_0201u32)?;
        n.pointer().cast(&CType::c_ubyte().pointer())?
    };
    let bytes: Vec<Value> = (0..4)
        .map(|i| unsafe { as_bytes.read(i) })
        .collect::<Result<_, _>>()?;
    assert_eq!(bytes, [1u8, 2, 3, 4].map(|b| Value::UInt(u64::from(b))));
    let v = as_bytes.cast(&CType::c_void_p())?;
    assert_eq!(v.value()?, Value::Pointer(as_bytes.value()?.as_address()?));
    let err = as_bytes.cast(&CType::c_int()).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    let err = CData::new(&CType::c_int())
        .cast(&CType::c_void_p())
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    Ok(())
}

#[test]
fn instance_errors_name_what_was_wrong() -> rctypes::Result<()> {
    let point = CType::structure("Point")
        .field("x", CType::c_int())
        .field("y", CType::c_int())
        .build()?;
    let p = CData::new(&point);
    let err = p.get("z").unwrap_err();
    assert_eq!(err.to_string(), "`Point` has no field `z`");
    assert!(matches!(p.set("z", 1), Err(Error::UnknownField { .. })));
    assert!(matches!(
        CData::new(&CType::c_int()).get("x"),
        Err(Error::Unsupported { .. })
    ));
    let arr = CData::new(&CType::c_short().array(3));
    let err = arr.get_index(3).unwrap_err();
    assert!(
        matches!(
            err,
            Error::IndexOutOfRange {
                index: 3,
                len: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(arr.set_index(7, 1).is_err());
    assert!(arr.at(3).is_err());
    assert!(matches!(p.get_index(0), Err(Error::Unsupported { .. })));
    let err = CData::from_bytes(&point, &[1, 2, 3]).unwrap_err();
    assert!(err.to_string().contains("at least 8 bytes"), "{err}");
    let err = CData::from_values(&point, [1, 2, 3]).unwrap_err();
    assert!(
        err.to_string().contains("too many values for `Point`"),
        "{err}"
    );
    assert!(matches!(
        unsafe { CData::new(&CType::c_int()).contents() },
        Err(Error::Unsupported { .. })
    ));
    let null_ptr = CData::new(&point.pointer());
    assert!(matches!(
        unsafe { null_ptr.contents() },
        Err(Error::NullPointer { .. })
    ));
    // an instance over address 0 refuses to read, never dereferences
    let at_zero = unsafe { CData::from_address(&point, 0) };
    assert!(matches!(at_zero.get("x"), Err(Error::NullPointer { .. })));
    assert!(at_zero.to_bytes().is_empty());
    Ok(())
}

#[test]
fn bad_declarations_are_definition_errors() {
    let int = CType::c_int;
    let cases: Vec<(&str, rctypes::Result<CType>, &str)> = vec![
        (
            "pack 3",
            CType::structure("S").field("a", int()).pack(3).build(),
            "pack(3) is not a power of two",
        ),
        (
            "align 12",
            CType::structure("S").field("a", int()).align(12).build(),
            "align(12) is not a power of two",
        ),
        (
            "width 0",
            CType::structure("S").bitfield("a", int(), 0).build(),
            "field `a`: a bitfield must be at least 1 bit wide",
        ),
        (
            "width 33",
            CType::structure("S").bitfield("b", int(), 33).build(),
            "field `b`: a bitfield of 33 bits is wider than its 32-bit type",
        ),
        (
            "float bitfield",
            CType::structure("S")
                .bitfield("f", CType::c_float(), 3)
                .build(),
            "field `f`: a bitfield must have an integer type, not c_float",
        ),
        (
            "bool width",
            CType::structure("S")
                .bitfield("b", CType::c_bool(), 2)
                .build(),
            "field `b`: a c_bool bitfield is 1 bit wide, not 2",
        ),
        (
            "duplicate",
            CType::structure("S")
                .field("a", int())
                .field("a", int())
                .build(),
            "field `a`: duplicate field name",
        ),
        (
            "anonymous scalar",
            CType::structure("S")
                .field("a", int())
                .anonymous("a")
                .build(),
            "an anonymous member must be a structure or union",
        ),
        (
            "anonymous missing",
            CType::structure("S")
                .field("a", int())
                .anonymous("zz")
                .build(),
            "field `zz`: listed as anonymous but not a field",
        ),
        (
            "void field",
            CType::structure("S").field("v", CType::void()).build(),
            "void is not a field type",
        ),
        (
            "incomplete field",
            CType::structure("S")
                .field("n", CType::structure("Later").declare())
                .build(),
            "`Later` is incomplete",
        ),
        (
            "huge",
            CType::structure("S")
                .field("a", CType::c_char().array(usize::MAX / 2))
                .field("b", CType::c_char().array(usize::MAX / 2))
                .build(),
            "overflows",
        ),
    ];
    for (what, result, message) in cases {
        let err = result.expect_err(what);
        assert!(matches!(err, Error::Definition { .. }), "{what}: {err:?}");
        let text = err.to_string();
        assert!(text.starts_with("invalid type `S`"), "{what}: {text}");
        assert!(text.contains(message), "{what}: {text}");
    }
    // a name repeated through an anonymous member
    let inner = CType::structure("Inner").field("a", int()).build().unwrap();
    let err = CType::structure("S")
        .field("a", int())
        .field("in", inner)
        .anonymous("in")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("repeats this name"), "{err}");
}

#[test]
fn bitfield_writes_are_checked_against_the_width() -> rctypes::Result<()> {
    let ty = CType::structure("B")
        .bitfield("s", CType::c_int(), 4)
        .bitfield("u", CType::c_uint(), 4)
        .bitfield("flag", CType::c_bool(), 1)
        .build()?;
    let b = CData::new(&ty);
    b.set("s", -8)?;
    b.set("u", 15)?;
    b.set("flag", true)?;
    assert_eq!(
        (b.get("s")?, b.get("u")?, b.get("flag")?),
        (Value::Int(-8), Value::UInt(15), Value::Bool(true))
    );
    for (name, bad) in [("s", 8i64), ("s", -9), ("u", 16), ("u", -1)] {
        let err = b.set(name, bad).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(&format!("4-bit bitfield `{name}`")), "{text}");
        assert!(text.contains(&bad.to_string()), "{text}");
    }
    assert!(b.set("s", 1.5).is_err());
    assert!(matches!(b.field("s"), Err(Error::Unsupported { .. })));
    assert_eq!(b.get("s")?, Value::Int(-8), "refused writes change nothing");
    Ok(())
}

#[test]
fn arrays_from_rust_slices_and_value_lists() -> rctypes::Result<()> {
    let values: Vec<f64> = (0..1000).map(|i| f64::from(i) * 0.25).collect();
    let a = CData::from_slice(&CType::c_double(), &values)?;
    let b = CData::from_values(&CType::c_double().array(1000), values.iter().copied())?;
    assert_eq!(a.ctype(), b.ctype());
    assert_eq!(a.to_bytes(), b.to_bytes());
    assert_eq!(a.get_index(999)?, Value::Float(249.75));
    let sum = func(
        "sum_doubles",
        [CType::c_double().pointer(), CType::c_size_t()],
        CType::c_double(),
    );
    assert_eq!(
        call(&sum, &[(&a).into(), 1000usize.into()])?,
        Value::Float(values.iter().sum())
    );
    let ints = CData::from_slice(&CType::c_int16(), &[-1i16, 7, i16::MAX])?;
    assert_eq!(ints.get_index(0)?, Value::Int(-1));
    assert_eq!(ints.get_index(2)?, Value::Int(32767));
    // the element types must agree, and value lists are still checked
    for err in [
        CData::from_slice(&CType::c_int(), &[1.0f64]).unwrap_err(),
        CData::from_slice(&CType::c_uint(), &[1i32]).unwrap_err(),
        CData::from_values(&CType::c_ubyte().array(2), [1, 256]).unwrap_err(),
        CData::from_values(&CType::c_float().array(1), [1e300]).unwrap_err(),
    ] {
        assert!(matches!(err, Error::Conversion { .. }), "{err:?}");
    }
    let err = CData::from_values(&CType::c_int().array(2), [1, 2, 3]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooManyValues {
                expected: 2,
                given: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "too many values for `c_int * 2`: it takes at most 2 (elements), 3 given"
    );
    Ok(())
}
