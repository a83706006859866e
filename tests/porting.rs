//! Porting from ctypes without friction: issue 13's items 1-8, each against
//! C — the fixtures of fixtures-c/porting.c, and zlib, sqlite3 and libc
//! through their installed headers — with exact values and every failure
//! path an `Error`, never a crash.

mod common;

use std::cell::RefCell;
use std::error::Error as _;
use std::rc::Rc;

use common::{call, func, point};
use rctypes::{
    CData, CDll, CType, Callback, Declarations, Error, HeaderOptions, Value, byref,
    create_string_buffer, create_string_buffer_sized, create_unicode_buffer_sized, find_library,
    get_errno, string_at,
};

type Result<T = ()> = rctypes::Result<T>;

fn int() -> CType {
    CType::c_int()
}

/// A system library and its header, or `None` (with the reason printed)
/// when either is missing here.
fn system(header: &str, short: &str) -> Option<(Declarations, CDll)> {
    let Some(path) = find_library(short) else {
        println!("skipping: lib{short} is not installed");
        return None;
    };
    // SAFETY: a system library with ordinary initialisers.
    let lib = match unsafe { CDll::open(&path) } {
        Ok(lib) => lib,
        Err(e) => {
            println!("skipping: {e}");
            return None;
        }
    };
    match Declarations::from_header(header, &HeaderOptions::new()) {
        Ok(d) => Some((d, lib)),
        Err(e) => {
            println!("skipping {header}: {e}");
            None
        }
    }
}

fn usize_of(v: &Value) -> Result<usize> {
    usize::try_from(v.as_u64()?).map_err(Error::custom)
}

// ---- 1. using what C hands back: as_data, read_many, iter, typed bulk reads ------------------------

#[test]
fn item1_pointers_and_arrays_c_hands_back() -> Result {
    let int_p = int().pointer();
    let squares = func("port_squares", [int()], int_p.clone());
    let r = call(&squares, &[10.into()])?;
    let p: &CData = r.as_data()?; // a borrow, no clone
    // SAFETY (every read below): port_squares returns its static array of 16 ints.
    let first: Vec<Value> = unsafe { p.read_many(5)? };
    assert_eq!(first, [0, 1, 4, 9, 16].map(Value::Int));
    let all: Vec<i32> = unsafe { p.read_many_as::<i32>(10)? };
    assert_eq!(all, (0..10).map(|i| i * i).collect::<Vec<i32>>());
    assert!(unsafe { p.read_many(0)? }.is_empty());
    let e = unsafe { p.read_many_as::<f64>(2) }.unwrap_err();
    assert!(matches!(e, Error::Conversion { .. }), "{e}");
    assert!(e.to_string().contains("f64"), "{e}");
    let e = unsafe { p.read_many_as::<u32>(2) }.unwrap_err();
    assert!(matches!(e, Error::Conversion { .. }), "{e}");

    let samples = func("port_samples", [], CType::c_double().pointer());
    let s = call(&samples, &[])?;
    // SAFETY: four static doubles.
    let got = unsafe { s.as_data()?.read_many_as::<f64>(4)? };
    assert_eq!(got, [0.5, -1.25, 3.0, 1e-3]);

    // structures behind a pointer, with an out-parameter count
    let n = CData::new(&int());
    let path = func("port_path", [int_p.clone()], point().pointer());
    let pts = call(&path, &[byref(&n)])?;
    let count = usize_of(&n.value()?)?;
    // SAFETY: port_path returns its static array of `n` points.
    let pts = unsafe { pts.as_data()?.read_many(count)? };
    let xy = pts
        .iter()
        .map(|v| {
            let d = v.as_data()?;
            Ok((d.get("x")?.as_i64()?, d.get("y")?.as_i64()?))
        })
        .collect::<Result<Vec<_>>>()?;
    assert_eq!(xy, [(1, 2), (3, 4), (5, 6)]);

    // arrays C filled: iter(), for over &arr, to_vec
    let arr = CData::new(&int().array(6));
    let fill = func("port_fill", [int_p.clone(), int()], CType::void());
    call(&fill, &[(&arr).into(), 6.into()])?;
    let mut seen = Vec::new();
    for v in arr.iter() {
        let v: Value = v?;
        seen.push(v.as_i64()?);
    }
    assert_eq!(seen, [-5, 5, 15, 25, 35, 45]);
    assert_eq!(arr.iter().len(), 6);
    let mut again = Vec::new();
    for v in &arr {
        again.push(v?);
    }
    assert_eq!(again.len(), 6);
    assert_eq!(arr.to_vec::<i32>()?, [-5, 5, 15, 25, 35, 45]);
    let e = arr.to_vec::<i64>().unwrap_err();
    assert!(matches!(e, Error::Conversion { .. }), "{e}");
    // the same load as every read: big-endian elements, C's _Bool bytes
    let wire = CType::structure("Wire")
        .field("words", CType::c_uint16().array(2))
        .big_endian()
        .build()?;
    let w = CData::from_bytes(&wire, &[0x12, 0x34, 0xab, 0xcd])?;
    assert_eq!(w.field("words")?.to_vec::<u16>()?, [0x1234, 0xabcd]);
    let flags = CData::from_bytes(&CType::c_bool().array(3), &[0, 1, 2])?;
    assert_eq!(flags.to_vec::<bool>()?, [false, true, true]);

    // a callback given a pointer and a count reads the elements in one go
    let proto = CType::function(CType::c_long(), [int_p.clone(), int()]);
    let sum = Callback::new(&proto, |args: &[Value]| {
        let n = usize_of(&args[1])?;
        // SAFETY: port_with_array passes `n` ints.
        let xs = unsafe { args[0].as_data()?.read_many_as::<i32>(n)? };
        Ok(Value::from(xs.iter().map(|&x| i64::from(x)).sum::<i64>()))
    })?;
    let with_array = func("port_with_array", [proto, int()], CType::c_long());
    assert_eq!(
        call(&with_array, &[(&sum).into(), 3.into()])?,
        Value::Int(303)
    );
    assert!(sum.take_error().is_none());
    Ok(())
}

#[test]
fn item1_failures_are_errors() -> Result {
    let arr = CData::from_values(&int().array(3), [1, 2, 3])?;
    // read_many on what is not a POINTER(T)
    // SAFETY (every unsafe call below): each is refused before memory is read.
    for not_a_pointer in [
        arr.clone(),
        CData::new(&int()),
        CData::new(&CType::c_void_p()),
        CData::new(&CType::c_char_p()),
    ] {
        let e = unsafe { not_a_pointer.read_many(1) }.unwrap_err();
        assert!(matches!(e, Error::Unsupported { .. }), "{e}");
        assert!(e.to_string().contains("POINTER(T)"), "{e}");
        let e = unsafe { not_a_pointer.read_many(0) }.unwrap_err();
        assert!(matches!(e, Error::Unsupported { .. }), "{e}");
    }
    let e = unsafe { arr.read_many(1) }.unwrap_err();
    assert!(
        e.to_string().contains("iter()"),
        "the hint names iter(): {e}"
    );
    // NULL: an error for n > 0, nothing to read for n == 0
    let null = CData::new(&int().pointer());
    let e = unsafe { null.read_many(1) }.unwrap_err();
    assert!(matches!(e, Error::NullPointer { .. }), "{e}");
    assert!(unsafe { null.read_many(0) }?.is_empty());
    let e = unsafe { null.read_many_as::<i32>(3) }.unwrap_err();
    assert!(matches!(e, Error::NullPointer { .. }), "{e}");
    // a count whose size overflows, or runs past the address space
    let p = arr.cast(&int().pointer())?;
    assert!(unsafe { p.read_many(usize::MAX) }.is_err());
    assert!(unsafe { p.read_many(usize::MAX / 4) }.is_err());
    // into an instance the pointer keeps, the count is checked
    assert_eq!(unsafe { p.read_many_as::<i32>(3)? }, [1, 2, 3]);
    let e = unsafe { p.read_many(4) }.unwrap_err();
    assert!(
        matches!(
            e,
            Error::IndexOutOfRange {
                index: 4,
                len: 3,
                ..
            }
        ),
        "{e}"
    );
    // an incomplete pointee
    let node = CType::structure("Opaque").declare();
    let e = unsafe { CData::new(&node.pointer()).read_many(1) }.unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e}");

    // iter() over what is not an array: one error, then the end
    let n = CData::new(&int());
    let items: Vec<_> = n.iter().collect();
    assert_eq!(items.len(), 1);
    assert!(matches!(&items[0], Err(Error::Unsupported { .. })));
    // an array over address 0: one error, then the end
    // SAFETY: address 0 is never read.
    let nowhere = unsafe { CData::from_address(&int().array(3), 0) };
    let items: Vec<_> = nowhere.iter().collect();
    assert!(matches!(items[..], [Err(Error::NullPointer { .. })]));
    assert!(matches!(
        nowhere.to_vec::<i32>(),
        Err(Error::NullPointer { .. })
    ));
    let e = n.to_vec::<i32>().unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e}");
    // as_data of what is not an instance
    assert!(matches!(
        Value::Int(1).as_data(),
        Err(Error::ValueType { .. })
    ));
    Ok(())
}

// ---- 2. addresses to typed instances in one step: CData::pointer_at ---------------------------------

#[test]
fn item2_addresses_to_typed_pointers() -> Result {
    let point = point();
    let handle =
        |name: &str| -> Result<usize> { usize_of(&call(&func(name, [], CType::c_size_t()), &[])?) };
    let origin_addr = handle("port_point_handle")?;

    // cast(addr, POINTER(Point))
    // SAFETY: the address of a static Point.
    let pp = unsafe { CData::pointer_at(&point.pointer(), origin_addr)? };
    assert_eq!(pp.ctype(), &point.pointer());
    // SAFETY: as above.
    let origin = unsafe { pp.contents()? };
    assert_eq!(origin.address(), origin_addr);
    assert_eq!(format!("{origin:?}"), "Point { x: 7, y: -7 }");
    // passed where POINTER(Point) is declared
    let sum = func("port_sum_points", [point.pointer(), int()], int());
    assert_eq!(call(&sum, &[(&pp).into(), 1.into()])?, Value::Int(0));
    // the bare address is refused, and the message says how
    let e = call(&sum, &[Value::Pointer(origin_addr), 1.into()]).unwrap_err();
    assert!(matches!(e, Error::Argument { index: 0, .. }), "{e}");
    assert!(e.to_string().contains("CData::pointer_at"), "{e}");
    assert!(e.to_string().contains("POINTER(Point)"), "{e}");

    // c_char_p(addr): value() does not follow it, follow() does
    let name_addr = handle("port_name_handle")?;
    // SAFETY: the address of a static NUL-terminated string.
    let name = unsafe { CData::pointer_at(&CType::c_char_p(), name_addr)? };
    assert_eq!(name.value()?, Value::Pointer(name_addr));
    // SAFETY: as above.
    assert_eq!(
        unsafe { name.follow()? },
        Value::Bytes(b"handle #1".to_vec())
    );
    // SAFETY: as above, as POINTER(c_char).
    let chars = unsafe { CData::pointer_at(&CType::c_char().pointer(), name_addr)? };
    // SAFETY: as above.
    assert_eq!(unsafe { chars.read_many_as::<u8>(6)? }, b"handle");

    // c_void_p(addr), then cast
    // SAFETY: nothing is read through a c_void_p.
    let v = unsafe { CData::pointer_at(&CType::c_void_p(), origin_addr)? };
    assert_eq!(v.value()?, Value::Pointer(origin_addr));
    let as_point = v.cast(&point.pointer())?;
    // SAFETY: the static Point.
    assert_eq!(unsafe { as_point.contents()? }.get("x")?, Value::Int(7));

    // PROTO(addr)
    let add3_t = CType::function(int(), [int(), int(), int()]);
    // SAFETY: the address of `int port_add3(int, int, int)`.
    let add3 = unsafe { CData::pointer_at(&add3_t, handle("port_add3_handle")?)? };
    // SAFETY: as above.
    let add3 = unsafe { add3.as_function()? };
    // SAFETY: the prototype is port_add3's.
    let r = unsafe { add3.call(&[1.into(), 2.into(), 3.into()])? };
    assert_eq!(r, Value::Int(6));

    // NULL is a pointer too; reading through it is an error
    // SAFETY: NULL is never read.
    let null = unsafe { CData::pointer_at(&point.pointer(), 0)? };
    assert!(Value::from(&null).is_null());
    // SAFETY: refused before reading.
    assert!(matches!(
        unsafe { null.contents() },
        Err(Error::NullPointer { .. })
    ));

    // not a pointer type: a clear error naming the type
    for ty in [int(), point.clone(), int().array(2), CType::void()] {
        // SAFETY: refused before anything is made.
        let e = unsafe { CData::pointer_at(&ty, origin_addr) }.unwrap_err();
        assert!(matches!(e, Error::Unsupported { .. }), "{e}");
        assert!(e.to_string().contains(&ty.to_string()), "{e}");
        assert!(e.to_string().contains("from_address"), "{e}");
    }
    Ok(())
}

// ---- 3. strings C stored: follow() --------------------------------------------------------------------

fn stream_type() -> Result<CType> {
    CType::structure("PortStream")
        .field("code", int())
        .field("msg", CType::c_char_p())
        .field("wmsg", CType::c_wchar_p())
        .field("last", CType::c_char_p())
        .build()
}

#[test]
fn item3_strings_c_stored() -> Result {
    let stream = stream_type()?;
    let s = CData::new(&stream);
    let fail = func("port_stream_fail", [stream.pointer(), int()], int());
    // SAFETY (every follow below): the fixture stores NULL or static strings,
    // or moves a pointer within a string s keeps.
    assert_eq!(unsafe { s.field("msg")?.follow()? }, Value::Null);
    assert_eq!(call(&fail, &[byref(&s), 1.into()])?, Value::Int(-3));
    // value() does not follow what rctypes cannot vouch for; follow() does
    assert!(matches!(s.get("msg")?, Value::Pointer(_)));
    assert_eq!(
        unsafe { s.field("msg")?.follow()? },
        Value::Bytes(b"invalid block type".to_vec())
    );
    assert_eq!(
        unsafe { s.field("wmsg")?.follow()? },
        Value::Str("ungültiger Blocktyp".into())
    );
    call(&fail, &[byref(&s), 2.into()])?;
    assert_eq!(
        unsafe { s.field("wmsg")?.follow()? }.to_string(),
        "header ✗"
    );
    call(&fail, &[byref(&s), 0.into()])?;
    assert_eq!(unsafe { s.field("msg")?.follow()? }, Value::Null);
    assert_eq!(unsafe { s.field("wmsg")?.follow()? }, Value::Null);

    // whatever set it: Rust stores a string, C moves the pointer into it
    s.set("msg", "set from Rust")?;
    assert_eq!(s.get("msg")?, Value::Bytes(b"set from Rust".to_vec()));
    let shift = func(
        "port_stream_shift",
        [stream.pointer(), int()],
        CType::void(),
    );
    call(&shift, &[byref(&s), 9.into()])?;
    assert!(
        matches!(s.get("msg")?, Value::Pointer(_)),
        "inside the buffer, not at its start: not vouched for"
    );
    assert_eq!(
        unsafe { s.field("msg")?.follow()? },
        Value::Bytes(b"Rust".to_vec())
    );
    assert_eq!(
        unsafe { s.field("last")?.follow()? },
        Value::Bytes(b"set from Rust".to_vec())
    );
    // a plain c_char_p instance
    let cp = CData::with_value(&CType::c_char_p(), "instance")?;
    assert_eq!(unsafe { cp.follow()? }.as_str()?, "instance");

    // follow() on what is not a char * / wchar_t *
    for ty in [
        int(),
        CType::c_void_p(),
        int().pointer(),
        CType::c_char().array(4),
        stream.clone(),
    ] {
        let d = CData::new(&ty);
        // SAFETY: refused before anything is read.
        let e = unsafe { d.follow() }.unwrap_err();
        assert!(matches!(e, Error::Unsupported { .. }), "{ty}: {e}");
        assert!(e.to_string().contains("follow()"), "{e}");
    }
    // an instance over address 0 has no pointer to read
    // SAFETY: address 0 is never read.
    let nowhere = unsafe { CData::from_address(&CType::c_char_p(), 0) };
    // SAFETY: as above.
    assert!(matches!(
        unsafe { nowhere.follow() },
        Err(Error::NullPointer { .. })
    ));
    Ok(())
}

// ---- 4. function pointers C stored: as_function() --------------------------------------------------

#[test]
fn item4_function_pointers_c_stored() -> Result {
    let binop = CType::function(int(), [int(), int()]);
    let ops_t = CType::structure("PortOps")
        .field("add", binop.clone())
        .field("mul", binop.clone())
        .field("name", CType::function(CType::c_char_p(), []))
        .field("unused", CType::function(CType::void(), []))
        .build()?;
    let ops = call(&func("port_ops", [], ops_t.pointer()), &[])?;
    // SAFETY: port_ops returns its static table.
    let ops = unsafe { ops.as_data()?.contents()? };
    // SAFETY (as_function and call below): the table holds functions of
    // these prototypes.
    let add = unsafe { ops.field("add")?.as_function()? };
    let mul = unsafe { ops.field("mul")?.as_function()? };
    assert_eq!(unsafe { add.call(&[2.into(), 3.into()])? }, Value::Int(5));
    assert_eq!(unsafe { mul.call(&[2.into(), 3.into()])? }, Value::Int(6));
    assert_eq!(add.declared_argtypes(), Some(&[int(), int()][..]));
    assert_eq!(add.declared_restype(), &int());
    let name = unsafe { ops.field("name")?.as_function()?.call(&[])? };
    assert_eq!(name, Value::Bytes(b"integer ops".to_vec()));
    // checked before C runs, as any Function
    assert!(matches!(
        unsafe { add.call(&[1.into()]) },
        Err(Error::ArgumentCount { .. })
    ));
    // NULL, and what is not a function pointer
    let e = unsafe { ops.field("unused")?.as_function() }.unwrap_err();
    assert!(matches!(e, Error::NullPointer { .. }), "{e}");
    assert!(e.to_string().contains("CFUNCTYPE(void)"), "{e}");
    for d in [
        CData::new(&CType::c_void_p()),
        CData::new(&int().pointer()),
        ops.clone(),
    ] {
        // SAFETY: refused before anything is read.
        let e = unsafe { d.as_function() }.unwrap_err();
        assert!(matches!(e, Error::Unsupported { .. }), "{e}");
    }

    // an allocator pair C fills in (z_stream.zalloc/zfree), called from Rust
    let alloc_t = CType::function(
        CType::c_void_p(),
        [CType::c_void_p(), CType::c_uint(), CType::c_uint()],
    );
    let release_t = CType::function(CType::void(), [CType::c_void_p(), CType::c_void_p()]);
    let allocator_t = CType::structure("PortAllocator")
        .field("alloc", alloc_t.clone())
        .field("release", release_t.clone())
        .field("opaque", CType::c_void_p())
        .build()?;
    let init = func(
        "port_allocator_init",
        [allocator_t.pointer()],
        CType::void(),
    );
    let live = func("port_live_allocations", [], int());
    let a = CData::new(&allocator_t);
    call(&init, &[byref(&a)])?;
    let before = call(&live, &[])?.as_i64()?;
    // SAFETY: C stored its calloc/free wrappers of these prototypes.
    let (zalloc, zfree) = unsafe {
        (
            a.field("alloc")?.as_function()?,
            a.field("release")?.as_function()?,
        )
    };
    // SAFETY: the prototypes are the wrappers'; the block is freed once.
    let block = unsafe { zalloc.call(&[a.get("opaque")?, 4u32.into(), 8u32.into()])? };
    assert!(matches!(block, Value::Pointer(_)));
    assert_eq!(call(&live, &[])?.as_i64()?, before + 1);
    // SAFETY: calloc'd, 32 bytes.
    assert_eq!(unsafe { string_at(block.as_address()?, Some(32)) }, [0; 32]);
    assert_eq!(unsafe { zfree.call(&[Value::Null, block])? }, Value::Void);
    assert_eq!(call(&live, &[])?.as_i64()?, before);

    // a Rust callback stored in the field: C calls it, and as_function keeps it alive
    let arena = create_string_buffer(64);
    let log = Rc::new(RefCell::new(Vec::new()));
    let (alloc_log, release_log) = (Rc::clone(&log), Rc::clone(&log));
    let arena_addr = arena.address();
    let my_alloc = Callback::new_local(&alloc_t, move |args: &[Value]| {
        let bytes = args[1].as_u64()? * args[2].as_u64()?;
        alloc_log.borrow_mut().push(format!("alloc {bytes}"));
        let _keep = &arena; // the closure owns the arena it hands out
        Ok(Value::Pointer(arena_addr))
    })?;
    let my_release = Callback::new_local(&release_t, move |args: &[Value]| {
        let at = args[1].as_address()? - arena_addr;
        release_log.borrow_mut().push(format!("release +{at}"));
        Ok(Value::Void)
    })?;
    let mine = CData::new(&allocator_t);
    mine.set("alloc", &my_alloc)?;
    mine.set("release", &my_release)?;
    let use_it = func(
        "port_allocator_use",
        [allocator_t.pointer(), CType::c_uint()],
        int(),
    );
    assert_eq!(call(&use_it, &[byref(&mine), 4.into()])?, Value::Int(6));
    assert_eq!(*log.borrow(), ["alloc 16", "release +0"]);
    // SAFETY: the field holds my_alloc's code.
    let f = unsafe { mine.field("alloc")?.as_function()? };
    drop((my_alloc, mine));
    // SAFETY: f keeps the callback alive; the prototype is its own.
    let r = unsafe { f.call(&[Value::Null, 2u32.into(), 3u32.into()])? };
    assert_eq!(r, Value::Pointer(arena_addr));
    assert_eq!(log.borrow().last().map(String::as_str), Some("alloc 6"));
    Ok(())
}

// ---- 5. callbacks that are not Send + Sync: Callback::new_local ------------------------------------

#[test]
fn item5_local_callbacks() -> Result {
    let each_t = CType::function(int(), [CType::c_void_p(), int(), int()]);
    let seen: Rc<RefCell<Vec<(i64, i64)>>> = Rc::default();
    let sink = Rc::clone(&seen);
    let visit = Callback::new_local(&each_t, move |args: &[Value]| {
        let (i, x) = (args[1].as_i64()?, args[2].as_i64()?);
        sink.borrow_mut().push((i, x));
        Ok(Value::from(i32::from(x < 0))) // stop at the first negative value
    })?;
    let each = func(
        "port_each",
        [int().pointer(), int(), each_t, CType::c_void_p()],
        int(),
    );
    let xs = CData::from_slice(&int(), &[4, 8, -1, 16])?;
    let r = call(
        &each,
        &[(&xs).into(), 4.into(), (&visit).into(), Value::Null],
    )?;
    assert_eq!(r, Value::Int(2));
    assert_eq!(*seen.borrow(), [(0, 4), (1, 8), (2, -1)]);
    assert!(visit.take_error().is_none());

    // called from a thread C made: the closure does not run, C gets 0
    let unary = CType::function(int(), [int()]);
    let ran = Rc::new(RefCell::new(false));
    let flag = Rc::clone(&ran);
    let local = Callback::new_local(&unary, move |args: &[Value]| {
        *flag.borrow_mut() = true;
        Ok(Value::from(args[0].as_i64()? + 1))
    })?;
    let on_thread = func("port_call_on_thread", [unary, int()], int());
    assert_eq!(
        call(&on_thread, &[(&local).into(), 41.into()])?,
        Value::Int(0)
    );
    assert!(!*ran.borrow());
    assert_eq!(local.failures(), 1);
    let e = local.take_error().expect("the failure is recorded");
    assert!(matches!(e, Error::Callback { .. }), "{e}");
    assert!(e.to_string().contains("another thread"), "{e}");
    Ok(())
}

// ---- 6. binary data where void * or POINTER(c_char/c_ubyte) is declared ---------------------------

#[test]
fn item6_binary_data() -> Result {
    let data: &[u8] = b"a\0b\0";
    let digest = 1000 * (97 + 98) + 2;
    for ty in [
        CType::c_void_p(),
        CType::c_ubyte().pointer(),
        CType::c_char().pointer(),
        CType::c_byte().pointer(),
    ] {
        let f = func(
            "port_bytes_digest",
            [ty.clone(), CType::c_size_t()],
            CType::c_long(),
        );
        assert_eq!(
            call(&f, &[data.into(), data.len().into()])?,
            Value::Int(digest),
            "{ty}"
        );
    }
    // not for other pointers, nor for a char * (a string: interior NULs refused)
    for ty in [int().pointer(), CType::c_char_p()] {
        let f = func(
            "port_bytes_digest",
            [ty.clone(), CType::c_size_t()],
            CType::c_long(),
        );
        let e = call(&f, &[data.into(), 4.into()]).unwrap_err();
        assert!(matches!(e, Error::Argument { index: 0, .. }), "{ty}: {e}");
    }
    Ok(())
}

// ---- 7. errors users can build on -------------------------------------------------------------------

#[test]
fn item7_errors_with_sources() -> Result {
    let f = func("port_fail_with_errno", [int()], int())
        .use_errno(true)
        .errcheck(|r, _| {
            if r.as_i64()? < 0 {
                Err(Error::os(get_errno()))
            } else {
                Ok(r)
            }
        });
    assert_eq!(call(&f, &[0.into()])?, Value::Int(0));
    let e = call(&f, &[2.into()]).unwrap_err();
    assert!(matches!(e, Error::Os { errno: 2, .. }), "{e}");
    assert_eq!(e.to_string(), "No such file or directory (errno 2)");
    let io = e.source().and_then(|s| s.downcast_ref::<std::io::Error>());
    assert_eq!(io.and_then(std::io::Error::raw_os_error), Some(2));

    let parse = "x".parse::<i32>().unwrap_err();
    let e = Error::custom(parse.clone());
    assert_eq!(e.to_string(), parse.to_string());
    assert!(e.source().is_some());

    // SAFETY: the library does not exist; nothing is loaded.
    let e = unsafe { CDll::open("/nonexistent/libporting-nope.so") }.unwrap_err();
    assert!(matches!(e, Error::LibraryLoad { .. }), "{e}");
    assert!(e.source().is_some(), "the loader's error is the source");

    let e = CData::from_values(&point(), [1, 2, 3]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::TooManyValues {
                expected: 2,
                given: 3,
                ..
            }
        ),
        "{e}"
    );
    Ok(())
}

// ---- 8. seeing instances; buffers with a size; .raw = ----------------------------------------------

#[test]
fn item8_debug_display_and_buffers() -> Result {
    let point = point();
    let rect = CType::structure("PortRect")
        .field("a", point.clone())
        .field("b", point.clone())
        .build()?;
    let r = CData::new(&rect);
    call(
        &func("port_rect", [rect.pointer(), int(), int()], CType::void()),
        &[byref(&r), 3.into(), 4.into()],
    )?;
    assert_eq!(
        format!("{r:?}"),
        "PortRect { a: Point { x: 0, y: 0 }, b: Point { x: 3, y: 4 } }"
    );
    assert_eq!(
        format!("{r:#?}"),
        "PortRect {\n    a: Point {\n        x: 0,\n        y: 0,\n    },\n    b: Point {\n        x: 3,\n        y: 4,\n    },\n}"
    );
    assert_eq!(Value::from(&r).to_string(), format!("{r:?}"));
    assert_eq!(
        format!("{:?}", r.field("b")?),
        "Point { x: 3, y: 4 }",
        "a view shows its own fields"
    );

    let number = CType::union("Number")
        .field("i", int())
        .field("d", CType::c_double())
        .build()?;
    let u = CData::new(&number);
    u.set("i", 1)?;
    assert_eq!(format!("{u:?}"), "Number { i: 1, d: 5e-324 }");

    let tagged = CType::structure("Tagged")
        .field("kind", int())
        .field("u", number.clone())
        .anonymous("u")
        .bitfield("small", CType::c_uint(), 3)
        .build()?;
    let t = CData::new(&tagged);
    t.set("i", 9)?; // through the anonymous member
    t.set("small", 5)?;
    assert_eq!(
        format!("{t:?}"),
        "Tagged { kind: 0, u: Number { i: 9, d: 4.4e-323 }, small: 5 }"
    );

    let named = CType::structure("Named")
        .field("name", CType::c_char_p())
        .field("tag", CType::c_char().array(4))
        .field("flags", CType::c_uint())
        .bitfield("", CType::c_uint(), 0)
        .build()?;
    let n = CData::new(&named);
    n.set("name", "bob")?;
    n.set("tag", b"ab")?;
    assert_eq!(
        format!("{n:?}"),
        r#"Named { name: b"bob", tag: b"ab", flags: 0 }"#
    );

    let many = CData::from_values(&int().array(20), 0..20)?;
    assert_eq!(
        format!("{many:?}"),
        "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, ... 4 more]"
    );
    let x = CData::with_value(&int(), 42)?;
    assert_eq!(format!("{x:?}"), "c_int(42)");
    let px = x.pointer();
    assert_eq!(
        format!("{px:?}"),
        format!("POINTER(c_int)({:#x})", x.address())
    );
    assert_eq!(
        format!("{:?}", CData::new(&int().pointer())),
        "POINTER(c_int)(NULL)"
    );
    assert_eq!(
        format!("{:?}", CData::with_value(&CType::c_char_p(), "hi")?),
        r#"c_char_p(b"hi")"#
    );
    assert_eq!(format!("{:?}", create_string_buffer(b"hi")), r#"b"hi\x00""#);
    let big = format!("{:?}", create_string_buffer(100));
    assert_eq!(big, format!("b\"{}\"... (100 bytes)", r"\x00".repeat(64)));
    assert_eq!(
        format!("{:?}", rctypes::create_unicode_buffer("héllo")),
        r#""héllo""#
    );
    // SAFETY: address 0 is never read.
    let nowhere = unsafe { CData::from_address(&point, 0) };
    assert!(format!("{nowhere:?}").starts_with("Point(<NULL pointer"));

    // Display for Value
    assert_eq!(Value::Int(-7).to_string(), "-7");
    assert_eq!(Value::UInt(7).to_string(), "7");
    assert_eq!(Value::Float(0.5).to_string(), "0.5");
    assert_eq!(format!("{:>6.2}", Value::Float(0.125)), "  0.12");
    assert_eq!(Value::Bool(true).to_string(), "true");
    assert_eq!(Value::Bytes(b"a\n".to_vec()).to_string(), r#"b"a\n""#);
    assert_eq!(Value::from("text").to_string(), "text");
    assert_eq!(Value::Null.to_string(), "NULL");
    assert_eq!(Value::Void.to_string(), "void");
    assert_eq!(Value::Pointer(0xff).to_string(), "0xff");
    assert_eq!(Value::Complex(1.0, 2.5).to_string(), "(1.0+2.5i)");

    // create_string_buffer(init, size), filled further by C
    let buf = create_string_buffer_sized(b"n", 16)?;
    assert_eq!(buf.len(), 16);
    let append = func(
        "port_append_value",
        [CType::c_char_p(), CType::c_size_t(), int()],
        int(),
    );
    assert_eq!(
        call(&append, &[(&buf).into(), 16usize.into(), 42.into()])?,
        Value::Int(3)
    );
    assert_eq!(buf.value()?.as_bytes()?, b"n=42");
    assert_eq!(&buf.raw()[..6], b"n=42\0\0");
    assert_eq!(create_string_buffer_sized(b"full", 4)?.raw(), b"full");
    let e = create_string_buffer_sized(b"abc", 2).unwrap_err();
    assert!(matches!(e, Error::Conversion { .. }), "{e}");
    assert_eq!(
        create_unicode_buffer_sized("né", 4)?.value()?,
        Value::Str("né".into())
    );
    assert!(create_unicode_buffer_sized("long", 3).is_err());

    // .raw = bytes: as they are, NULs included; too long changes nothing
    buf.set_raw(b"xy\0z")?;
    assert_eq!(&buf.raw()[..6], b"xy\0z\0\0");
    assert_eq!(buf.value()?.as_bytes()?, b"xy");
    let before = buf.raw();
    let e = buf.set_raw(&[b'!'; 17]).unwrap_err();
    assert!(matches!(e, Error::Conversion { .. }), "{e}");
    assert!(e.to_string().contains("17 bytes"), "{e}");
    assert_eq!(buf.raw(), before);
    buf.set_raw(&[b'!'; 16])?;
    assert_eq!(buf.raw(), [b'!'; 16]);
    let e = CData::new(&int().array(4)).set_raw(b"ab").unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e}");
    Ok(())
}

// ---- real libraries -------------------------------------------------------------------------------

/// zlib: `z_stream.msg` after a deliberate inflate error (follow), the
/// `zalloc`/`zfree` pointers zlib stored (as_function).
#[test]
fn zlib_stream_message_and_allocators() -> Result {
    let Some((z, lib)) = system("zlib.h", "z") else {
        return Ok(());
    };
    let z_stream = z.type_of("z_stream")?;
    let strm = CData::new(&z_stream);
    let init = z.function(&lib, "inflateInit_")?;
    let inflate = z.function(&lib, "inflate")?;
    let end = z.function(&lib, "inflateEnd")?;
    let z_ok = z.constant("Z_OK")?;
    // SAFETY (every zlib call below): the signatures are zlib.h's, and every
    // buffer is as large as the length given with it.
    let rc = unsafe {
        init.call(&[
            byref(&strm),
            z.constant("ZLIB_VERSION")?,
            i32::try_from(rctypes::sizeof(&z_stream))
                .map_err(Error::custom)?
                .into(),
        ])?
    };
    assert_eq!(rc, z_ok);
    // SAFETY (follow): msg is NULL or one of zlib's static messages.
    assert_eq!(unsafe { strm.field("msg")?.follow()? }, Value::Null);

    let input = CData::from_bytes(&CType::c_ubyte().array(13), b"not zlib data")?;
    let out = CData::new(&CType::c_ubyte().array(64));
    strm.set("next_in", &input)?;
    strm.set("avail_in", 13)?;
    strm.set("next_out", &out)?;
    strm.set("avail_out", 64)?;
    let rc = unsafe { inflate.call(&[byref(&strm), z.constant("Z_NO_FLUSH")?])? };
    assert_eq!(rc, z.constant("Z_DATA_ERROR")?);
    assert!(matches!(strm.get("msg")?, Value::Pointer(_)));
    // SAFETY: as above.
    let msg = unsafe { strm.field("msg")?.follow()? };
    assert_eq!(msg, Value::Bytes(b"incorrect header check".to_vec()));

    // the allocators zlib filled in for Z_NULL
    // SAFETY: zalloc/zfree hold zlib's zcalloc/zcfree, of these prototypes.
    let (zalloc, zfree) = unsafe {
        (
            strm.field("zalloc")?.as_function()?,
            strm.field("zfree")?.as_function()?,
        )
    };
    assert_eq!(zalloc.declared_argtypes().map(<[CType]>::len), Some(3));
    let opaque = strm.get("opaque")?;
    // SAFETY: zcalloc(opaque, items, size) allocates; zcfree frees it once.
    let block = unsafe { zalloc.call(&[opaque.clone(), 3u32.into(), 5u32.into()])? };
    assert!(matches!(block, Value::Pointer(_)), "{block}");
    // SAFETY: as above.
    assert_eq!(unsafe { zfree.call(&[opaque, block])? }, Value::Void);

    assert_eq!(unsafe { end.call(&[byref(&strm)])? }, z_ok);
    Ok(())
}

/// sqlite3: `sqlite3_exec` with a local callback collecting rows into an
/// `Rc<RefCell<..>>`; the error message through `char **errmsg` (follow)
/// and `sqlite3_errmsg`.
#[test]
fn sqlite_exec_with_a_local_callback() -> Result {
    let Some((s, lib)) = system("sqlite3.h", "sqlite3") else {
        return Ok(());
    };
    let open = s.function(&lib, "sqlite3_open")?;
    let exec = s.function(&lib, "sqlite3_exec")?;
    let errmsg_of = s.function(&lib, "sqlite3_errmsg")?;
    let free = s.function(&lib, "sqlite3_free")?;
    let close = s.function(&lib, "sqlite3_close")?;
    let ok = s.constant("SQLITE_OK")?;

    let db = CData::new(&s.type_of("sqlite3 *")?);
    // SAFETY (every sqlite call below): the signatures are sqlite3.h's; db
    // is the connection sqlite3_open made; errmsg is freed once.
    assert_eq!(unsafe { open.call(&[":memory:".into(), byref(&db)])? }, ok);
    let callback_t = exec.declared_argtypes().expect("declared")[2].clone();
    type Row = Vec<Option<String>>;
    let rows: Rc<RefCell<Vec<Row>>> = Rc::default();
    let columns: Rc<RefCell<Vec<String>>> = Rc::default();
    let (sink, names) = (Rc::clone(&rows), Rc::clone(&columns));
    let collect = Callback::new_local(&callback_t, move |args: &[Value]| {
        let n = usize_of(&args[1])?;
        // SAFETY: sqlite passes `n` column values and names (char *, NULL for SQL NULL).
        let (values, heads) = unsafe {
            (
                args[2].as_data()?.read_many(n)?,
                args[3].as_data()?.read_many(n)?,
            )
        };
        let row = values
            .iter()
            .map(|v| match v {
                Value::Null => Ok(None),
                v => Ok(Some(v.as_str()?.to_owned())),
            })
            .collect::<Result<Row>>()?;
        sink.borrow_mut().push(row);
        if names.borrow().is_empty() {
            *names.borrow_mut() = heads
                .iter()
                .map(|h| Ok(h.as_str()?.to_owned()))
                .collect::<Result<_>>()?;
        }
        Ok(Value::Int(0))
    })?;
    let errmsg = CData::new(&CType::c_char_p());
    let sql = "CREATE TABLE t(a INTEGER, b TEXT);
               INSERT INTO t VALUES (1, 'one'), (2, NULL), (3, 'three');
               SELECT a, b FROM t ORDER BY a;";
    let rc = unsafe {
        exec.call(&[
            (&db).into(),
            sql.into(),
            (&collect).into(),
            Value::Null,
            byref(&errmsg),
        ])?
    };
    assert_eq!(rc, ok);
    assert!(collect.take_error().is_none());
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(
        *rows.borrow(),
        [
            vec![some("1"), some("one")],
            vec![some("2"), None],
            vec![some("3"), some("three")],
        ]
    );
    assert_eq!(*columns.borrow(), ["a", "b"]);

    // an error: the message sqlite allocated, through char **errmsg
    let rc = unsafe {
        exec.call(&[
            (&db).into(),
            "SELECT * FROM nope".into(),
            Value::Null,
            Value::Null,
            byref(&errmsg),
        ])?
    };
    assert_eq!(rc, s.constant("SQLITE_ERROR")?);
    assert!(matches!(errmsg.value()?, Value::Pointer(_)));
    // SAFETY: sqlite stored a NUL-terminated message there.
    let msg = unsafe { errmsg.follow()? };
    assert_eq!(msg, Value::Bytes(b"no such table: nope".to_vec()));
    unsafe { free.call(&[(&errmsg).into()])? };
    let again = unsafe { errmsg_of.call(&[(&db).into()])? };
    assert_eq!(again.as_str()?, "no such table: nope");
    assert_eq!(unsafe { close.call(&[(&db).into()])? }, ok);
    Ok(())
}

/// libc: strtol's end pointer (pointer_at, follow), struct tm's tm_zone
/// (follow), qsort with a local comparator over `void *` arguments.
#[test]
fn libc_end_pointers_time_zones_and_qsort() -> Result {
    let libc = CDll::this_process()?;

    // strtol: where parsing stopped
    let strtol = libc.declare("long strtol(const char *nptr, char **endptr, int base)")?;
    let text = create_string_buffer("  123abc");
    let end = CData::new(&CType::c_char_p());
    // SAFETY: strtol's signature; text is NUL-terminated and kept alive.
    let n = unsafe { strtol.call(&[(&text).into(), byref(&end), 10.into()])? };
    assert_eq!(n, Value::Int(123));
    let end_addr = end.value()?.as_address()?; // inside text: an address, not a string
    assert_eq!(end_addr - text.address(), 5);
    // SAFETY: end points into text, NUL-terminated.
    assert_eq!(unsafe { end.follow()? }, Value::Bytes(b"abc".to_vec()));
    // SAFETY: as above.
    let rest = unsafe { CData::pointer_at(&CType::c_char().pointer(), end_addr)? };
    // SAFETY: as above: three chars and the NUL.
    assert_eq!(unsafe { rest.read_many_as::<u8>(4)? }, b"abc\0");

    // struct tm's tm_zone, from time.h
    let Ok(time_h) = Declarations::from_header("time.h", &HeaderOptions::new()) else {
        println!("skipping time.h: no preprocessor");
        return Ok(());
    };
    let tm_t = time_h.type_of("struct tm")?;
    let gmtime_r = time_h.function(&libc, "gmtime_r")?;
    let localtime_r = time_h.function(&libc, "localtime_r")?;
    let t = CData::with_value(&time_h.type_of("time_t")?, 86_400 * 365)?;
    let tm = CData::new(&tm_t);
    // SAFETY: gmtime_r(const time_t *, struct tm *) fills tm and returns its address.
    let r = unsafe { gmtime_r.call(&[byref(&t), byref(&tm)])? };
    assert_eq!(r.as_address()?, tm.address());
    assert_eq!(
        (tm.get("tm_year")?, tm.get("tm_yday")?, tm.get("tm_wday")?),
        (Value::Int(71), Value::Int(0), Value::Int(5))
    );
    // SAFETY: tm_zone points to one of libc's static zone names.
    assert_eq!(unsafe { tm.field("tm_zone")?.follow()? }.as_str()?, "GMT");
    // value() and Debug show an address they cannot vouch for as such
    let zone_addr = tm.get("tm_zone")?.as_address()?;
    assert_eq!(
        format!("{tm:?}"),
        format!(
            "struct tm {{ tm_sec: 0, tm_min: 0, tm_hour: 0, tm_mday: 1, tm_mon: 0, tm_year: 71, \
             tm_wday: 5, tm_yday: 0, tm_isdst: 0, tm_gmtoff: 0, tm_zone: {zone_addr:#x} }}"
        )
    );
    // SAFETY: as for gmtime_r.
    unsafe { localtime_r.call(&[byref(&t), byref(&tm)])? };
    // SAFETY: tzname is libc's `char *tzname[2]`.
    let tzname = unsafe { time_h.variable(&libc, "tzname")? };
    let isdst = usize::from(tm.get("tm_isdst")?.as_i64()? > 0);
    // SAFETY: as for gmtime_r.
    let zone = unsafe { tm.field("tm_zone")?.follow()? };
    assert_eq!(zone, tzname.get_index(isdst)?);
    assert!(!zone.as_bytes()?.is_empty());

    // qsort with a comparator that is not Send + Sync, over void * arguments
    let qsort = libc.declare(
        "void qsort(void *base, size_t nmemb, size_t size, int (*compar)(const void *, const void *))",
    )?;
    let compar_t = qsort.declared_argtypes().expect("declared")[3].clone();
    let compared = Rc::new(RefCell::new(0usize));
    let count = Rc::clone(&compared);
    let str_p = CType::c_char_p().pointer();
    let by_text = Callback::new_local(&compar_t, move |args: &[Value]| {
        *count.borrow_mut() += 1;
        // SAFETY: qsort passes the addresses of two elements, char *s to
        // NUL-terminated strings the array keeps.
        let (a, b) = unsafe {
            (
                CData::pointer_at(&str_p, args[0].as_address()?)?
                    .contents()?
                    .follow()?,
                CData::pointer_at(&str_p, args[1].as_address()?)?
                    .contents()?
                    .follow()?,
            )
        };
        Ok(Value::from(a.as_bytes()?.cmp(b.as_bytes()?) as i32))
    })?;
    let fruit = CData::from_values(
        &CType::c_char_p().array(4),
        ["pear", "apple", "fig", "banana"],
    )?;
    // SAFETY: qsort's signature; 4 elements of pointer size.
    unsafe {
        qsort.call(&[
            (&fruit).into(),
            4usize.into(),
            rctypes::sizeof(&CType::c_char_p()).into(),
            (&by_text).into(),
        ])?
    };
    assert!(by_text.take_error().is_none());
    assert!(*compared.borrow() >= 3);
    let sorted: Vec<String> = fruit
        .iter()
        .map(|v| Ok(v?.as_str()?.to_owned()))
        .collect::<Result<_>>()?;
    assert_eq!(sorted, ["apple", "banana", "fig", "pear"]);
    assert_eq!(
        format!("{fruit:?}"),
        r#"[b"apple", b"banana", b"fig", b"pear"]"#
    );
    Ok(())
}
