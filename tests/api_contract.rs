//! The "loading", "functions", "types" (fundamental, pointer, array,
//! function), "results" and "errno" parts of ../shared/API.md, as written
//! there, against the fixture library.

mod common;
use rctypes::{
    CData, CDll, CType, Error, Function, OpenOptions, Value, alignment, byref, find_library,
    get_errno, set_errno, sizeof,
};

#[test]
fn loading_and_functions() -> rctypes::Result<()> {
    // ---- loading
    let lib = unsafe { CDll::open(common::FIXTURE)? };
    let libm = unsafe {
        CDll::open_with(
            "libm.so.6",
            &OpenOptions::new().global(true).use_errno(true),
        )?
    };
    let me = CDll::this_process()?;
    let path = find_library("m");
    assert_eq!(path.as_deref(), Some(std::path::Path::new("libm.so.6")));
    assert_eq!(libm.name(), "libm.so.6");

    // ---- functions
    let add = lib
        .function("add")?
        .argtypes([CType::c_int(), CType::c_int()])
        .restype(CType::c_int());
    let r: Value = unsafe { add.call(&[5.into(), 3.into()])? };
    assert_eq!(r.as_i64()?, 8);
    let free = lib
        .function("free_buffer")?
        .argtypes([CType::c_void_p()])
        .restype(CType::void());
    assert_eq!(unsafe { free.call(&[Value::Null])? }, Value::Void);
    let f = lib
        .function("checked")?
        .use_errno(true)
        .errcheck(|result, _args| {
            if result.as_i64()? < 0 {
                Err(Error::custom("failed"))
            } else {
                Ok(result)
            }
        });
    assert_eq!(unsafe { f.call(&[4.into()])? }.as_i64()?, 8);
    assert_eq!(
        unsafe { f.call(&[(-4).into()]) },
        Err(Error::custom("failed"))
    );
    let addr: usize = add.address();
    let same = unsafe { Function::from_address(addr) }
        .argtypes([CType::c_int(), CType::c_int()])
        .restype(CType::c_int());
    assert_eq!(unsafe { same.call(&[2.into(), 2.into()])? }, Value::Int(4));
    let printf = me
        .function("printf")?
        .argtypes([CType::c_char_p()])
        .variadic();
    assert_eq!(
        unsafe { printf.call(&["%s".into(), "".into()])? },
        Value::Int(0)
    );

    // Without argtypes: Int -> c_int, Bytes/Str -> char*, Null -> NULL,
    // Float -> double, CData -> by its type.
    let strlen = lib.function("my_strlen")?.restype(CType::c_size_t());
    assert_eq!(unsafe { strlen.call(&[b"abc".into()])? }, Value::UInt(3));
    assert_eq!(unsafe { strlen.call(&["abcd".into()])? }, Value::UInt(4));
    assert_eq!(
        unsafe { strlen.call(&[Value::Null])? },
        Value::UInt(u64::MAX)
    );
    let add_d = lib.function("add_d")?.restype(CType::c_double());
    assert_eq!(
        unsafe { add_d.call(&[1.5.into(), 2.0.into()])? },
        Value::Float(3.5)
    );
    let ld = CData::with_value(&CType::c_longdouble(), 0.25)?;
    let ld_to_double = lib.function("ld_to_double")?.restype(CType::c_double());
    assert_eq!(
        unsafe { ld_to_double.call(&[ld.into()])? },
        Value::Float(0.25)
    );
    Ok(())
}

#[test]
fn fundamental_pointer_array_and_function_types() {
    let expected: [(CType, usize); 30] = [
        (CType::c_bool(), 1),
        (CType::c_char(), 1),
        (CType::c_wchar(), 4),
        (CType::c_byte(), 1),
        (CType::c_ubyte(), 1),
        (CType::c_short(), 2),
        (CType::c_ushort(), 2),
        (CType::c_int(), 4),
        (CType::c_uint(), 4),
        (CType::c_long(), 8),
        (CType::c_ulong(), 8),
        (CType::c_longlong(), 8),
        (CType::c_ulonglong(), 8),
        (CType::c_size_t(), 8),
        (CType::c_ssize_t(), 8),
        (CType::c_int8(), 1),
        (CType::c_uint8(), 1),
        (CType::c_int16(), 2),
        (CType::c_uint16(), 2),
        (CType::c_int32(), 4),
        (CType::c_uint32(), 4),
        (CType::c_int64(), 8),
        (CType::c_uint64(), 8),
        (CType::c_float(), 4),
        (CType::c_double(), 8),
        (CType::c_longdouble(), 16),
        (CType::c_char_p(), 8),
        (CType::c_wchar_p(), 8),
        (CType::c_void_p(), 8),
        (CType::void(), 0),
    ];
    for (ty, size) in &expected {
        assert_eq!(sizeof(ty), *size, "sizeof({ty})");
        let align = if ty.is_void() { 1 } else { *size };
        assert_eq!(alignment(ty), align, "alignment({ty})");
    }
    let int_ptr = CType::c_int().pointer();
    let four_ints = CType::c_int().array(4);
    let binop = CType::function(CType::c_int(), [CType::c_int(), CType::c_int()]);
    assert_eq!((sizeof(&int_ptr), alignment(&int_ptr)), (8, 8));
    assert_eq!((sizeof(&four_ints), alignment(&four_ints)), (16, 4));
    assert_eq!((sizeof(&binop), alignment(&binop)), (8, 8));
    assert_eq!(int_ptr, CType::c_int32().pointer());
    assert_ne!(int_ptr, CType::c_uint().pointer());
    assert_ne!(four_ints, CType::c_int().array(5));
    assert_eq!(
        format!("{binop:?}"),
        "CType(CFUNCTYPE(c_int, c_int, c_int))"
    );
    assert_eq!(
        CType::c_int().array(3).array(2).to_string(),
        "c_int * 3 * 2"
    );
}

#[test]
fn results_and_errno() -> rctypes::Result<()> {
    let lib = common::lib();
    let call =
        |name: &str, args: Vec<CType>, ret: CType, values: &[Value]| -> rctypes::Result<Value> {
            let f = lib.function(name)?.argtypes(args).restype(ret);
            unsafe { f.call(values) }
        };
    assert_eq!(call("noop", vec![], CType::void(), &[])?, Value::Void);
    assert_eq!(
        call("null_string", vec![], CType::c_char_p(), &[])?,
        Value::Null
    );
    assert_eq!(
        call(
            "is_even",
            vec![CType::c_int()],
            CType::c_bool(),
            &[2.into()]
        )?,
        Value::Bool(true)
    );
    assert_eq!(
        call(
            "echo_i64",
            vec![CType::c_int64()],
            CType::c_int64(),
            &[(-5).into()]
        )?,
        Value::Int(-5)
    );
    assert_eq!(
        call(
            "echo_u64",
            vec![CType::c_uint64()],
            CType::c_uint64(),
            &[5u64.into()]
        )?,
        Value::UInt(5)
    );
    assert_eq!(
        call(
            "add_d",
            vec![CType::c_double(); 2],
            CType::c_double(),
            &[1.into(), 1.into()]
        )?,
        Value::Float(2.0)
    );
    assert_eq!(
        call("greeting", vec![], CType::c_char_p(), &[])?.as_bytes()?,
        b"hello from C"
    );
    assert_eq!(
        call("wide_greeting", vec![], CType::c_wchar_p(), &[])?.as_str()?,
        "héllo wörld 😀"
    );
    let p = call("greeting", vec![], CType::c_void_p(), &[])?;
    assert!(matches!(p, Value::Pointer(a) if a != 0));
    assert_eq!(
        call("null_string", vec![], CType::c_void_p(), &[])?,
        Value::Null
    );
    // POINTER(T) restype -> Value::Data(pointer instance pointing at C's memory)
    let cp = call("greeting", vec![], CType::c_char().pointer(), &[])?;
    assert_eq!(cp.as_address()?, p.as_address()?);
    let data = cp.into_data()?;
    assert_eq!(data.ctype(), &CType::c_char().pointer());

    // accessors
    assert_eq!(Value::Int(3).as_u64()?, 3);
    assert_eq!(Value::UInt(3).as_i64()?, 3);
    assert_eq!(Value::Int(3).as_f64()?, 3.0);
    assert!(Value::Bool(true).as_bool()?);
    assert_eq!(Value::from("s").as_str()?, "s");
    assert!(Value::Null.is_null());
    let n = CData::with_value(&CType::c_int(), 42)?;
    assert_eq!(
        Value::from(&n).as_i64()?,
        42,
        "accessors see through scalar instances"
    );
    let out = CData::new(&CType::c_int());
    assert_eq!(byref(&out).as_address()?, out.address());

    // errno
    let old: i32 = set_errno(0);
    let e: i32 = get_errno();
    assert_eq!(e, 0);
    set_errno(old);
    Ok(())
}

/// The block "what C hands back, without ceremony" of ../shared/API.md (and
/// the lines after it), as written there, against the fixtures of
/// fixtures-c/porting.c.
#[test]
fn what_c_hands_back_without_ceremony() -> rctypes::Result<()> {
    use rctypes::{Callback, Layout};
    use std::cell::RefCell;
    use std::rc::Rc;

    let point = common::point();
    let value = common::call(
        &common::func("port_squares", [CType::c_int()], CType::c_int().pointer()),
        &[4.into()],
    )?;
    let ptr = value.as_data()?.clone();
    let n = 4;
    let arr = CData::from_values(&CType::c_int().array(3), [1, 2, 3])?;
    let addr = common::call(
        &common::func("port_point_handle", [], CType::c_size_t()),
        &[],
    )?
    .as_u64()? as usize;
    let stream = CType::structure("PortStream")
        .field("code", CType::c_int())
        .field("msg", CType::c_char_p())
        .field("wmsg", CType::c_wchar_p())
        .field("last", CType::c_char_p())
        .build()?;
    let strm = CData::new(&stream);
    common::call(
        &common::func(
            "port_stream_fail",
            [stream.pointer(), CType::c_int()],
            CType::c_int(),
        ),
        &[byref(&strm), 1.into()],
    )?;
    let binop = CType::function(CType::c_int(), [CType::c_int(), CType::c_int()]);
    let ops = CType::structure("PortOps")
        .field("add", binop.clone())
        .field("mul", binop)
        .build()?;
    let table = common::call(&common::func("port_ops", [], ops.pointer()), &[])?;
    let fp_field = unsafe { table.as_data()?.contents()? }.field("mul")?;
    let proto = CType::function(CType::void(), [CType::c_int()]);
    let state = Rc::new(RefCell::new(Vec::new()));
    let seen = Rc::clone(&state);

    // ---- what C hands back, without ceremony
    let data: &CData = value.as_data()?; // borrow the instance inside a Value (no clone)
    let first_n: Vec<Value> = unsafe { ptr.read_many(n)? }; // ptr[0:n] through a POINTER(T) instance
    for v in arr.iter() {
        let v: Value = v?;
        assert!(v.as_i64()? > 0);
    } // array elements
    let p = unsafe { CData::pointer_at(&point.pointer(), addr)? }; // cast(addr, POINTER(Point)); also c_char_p(addr),
    // c_void_p, CFUNCTYPE(..)(addr): the caller vouches for addr
    let msg: Value = unsafe { strm.field("msg")?.follow()? }; // a char*/wchar_t* C stored: read the string (Bytes/Str, or Null)
    let f: Function = unsafe { fp_field.as_function()? }; // a function-pointer instance, callable with its prototype
    let cb = Callback::new_local(&proto, move |args| {
        state.borrow_mut().push(args[0].as_i64()?);
        Ok(Value::Void)
    })?;
    // a closure that is not Send + Sync (Rc, RefCell): C may call it
    // only on the creating thread; elsewhere it is a recorded failure
    let ms = CType::structure("M")
        .bitfield("a", CType::c_char(), 3)
        .bitfield("b", CType::c_int(), 5)
        .layout(Layout::Ms)
        .build()?; // ctypes 3.14 `_layout_ = "ms"` (gcc's ms_struct rules)
    let pad = CType::structure("P")
        .bitfield("a", CType::c_int(), 4)
        .bitfield("", CType::c_int(), 0)
        .bitfield("b", CType::c_int(), 4)
        .build()?; // unnamed bitfields; width 0 (C's `int :0`) only unnamed
    let z = CType::c_double_complex(); // also c_float_complex(); Value::Complex(re, im)

    // ... and each behaves as its comment says
    assert_eq!(data.address(), ptr.address());
    assert_eq!(first_n, [0, 1, 4, 9].map(Value::Int));
    assert_eq!(unsafe { p.contents()? }.get("y")?, Value::Int(-7));
    assert_eq!(msg, Value::Bytes(b"invalid block type".to_vec()));
    assert_eq!(unsafe { f.call(&[6.into(), 7.into()])? }, Value::Int(42));
    let count_to = common::func(
        "port_count_to",
        [proto.clone(), CType::c_int()],
        CType::void(),
    );
    common::call(&count_to, &[(&cb).into(), 3.into()])?;
    assert_eq!(*seen.borrow(), [0, 1, 2]);
    assert_eq!((sizeof(&ms), sizeof(&pad)), (8, 8));
    assert_eq!(sizeof(&z), 16);
    // Bytes where c_void_p or POINTER(c_char/c_byte/c_ubyte) is declared: a copy for the call
    let digest = common::func(
        "port_bytes_digest",
        [CType::c_void_p(), CType::c_size_t()],
        CType::c_long(),
    );
    let bytes: &[u8] = b"\0\x01";
    assert_eq!(
        common::call(&digest, &[bytes.into(), 2usize.into()])?,
        Value::Int(1001)
    );
    // Error::os(errno) and Error::custom(any std::error::Error) carry a source()
    use std::error::Error as _;
    assert!(Error::os(2).source().is_some());
    assert!(Error::custom(std::fmt::Error).source().is_some());
    Ok(())
}
