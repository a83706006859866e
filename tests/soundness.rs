//! Regressions for what outside testing found: crashes, wrong values and
//! unsound paths in code the crate's own tests agreed with. Each test names
//! the finding it pins down; each failed (or crashed, or was reported by
//! valgrind) before its fix.

mod common;
use common::{call, func};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rctypes::{CData, CDll, CType, Callback, Error, Value, byref};

fn libc() -> CDll {
    CDll::this_process().expect("the running process")
}

// ---- 1. an argument declared as an array type is a pointer to its first element ----

#[test]
fn an_array_parameter_receives_the_arrays_address() {
    let bytes16 = CType::c_ubyte().array(16);
    let memset = libc()
        .function("memset")
        .unwrap()
        .argtypes([bytes16.clone(), CType::c_int(), CType::c_size_t()])
        .restype(CType::c_void_p());
    let buf = CData::new(&bytes16);
    // SAFETY: memset(void *, int, size_t); the array holds 16 bytes.
    let r = unsafe { memset.call(&[(&buf).into(), 0x5a.into(), 16usize.into()]) }.unwrap();
    assert_eq!(
        r,
        Value::Pointer(buf.address()),
        "memset returns its first argument"
    );
    assert_eq!(buf.to_bytes(), vec![0x5a; 16]);

    // An array of the same element type but another length is accepted too,
    // as C accepts any `unsigned char *` there.
    let longer = CData::new(&CType::c_ubyte().array(32));
    // SAFETY: as above, 16 of the 32 bytes are written.
    unsafe { memset.call(&[(&longer).into(), 1.into(), 16usize.into()]) }.unwrap();
    assert_eq!(
        &longer.to_bytes()[..17],
        &[[1u8; 16].as_slice(), &[0]].concat()
    );
}

#[test]
fn uuid_parse_fills_a_uuid_t_parameter() {
    let Some(path) = rctypes::find_library("uuid") else {
        eprintln!("libuuid is not installed: skipped");
        return;
    };
    // SAFETY: libuuid has no initialisers with requirements.
    let uuid = unsafe { CDll::open(&path) }.unwrap();
    let uuid_t = CType::c_ubyte().array(16);
    // int uuid_parse(const char *in, uuid_t uu)
    let parse = uuid
        .function("uuid_parse")
        .unwrap()
        .argtypes([CType::c_char_p(), uuid_t.clone()])
        .restype(CType::c_int());
    let out = CData::new(&uuid_t);
    let text = "00112233-4455-6677-8899-aabbccddeeff";
    // SAFETY: uuid_parse's real signature; `out` holds 16 bytes.
    let r = unsafe { parse.call(&[text.into(), (&out).into()]) }.unwrap();
    assert_eq!(r, Value::Int(0));
    assert_eq!(
        out.to_bytes(),
        [
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
            0xee, 0xff
        ]
    );
    // and back: void uuid_unparse(const uuid_t uu, char *out)
    let unparse = uuid
        .function("uuid_unparse")
        .unwrap()
        .argtypes([uuid_t, CType::c_char().array(37)])
        .restype(CType::void());
    let text_buf = CData::new(&CType::c_char().array(37));
    // SAFETY: uuid_unparse's real signature; the buffer holds 37 bytes.
    unsafe { unparse.call(&[(&out).into(), (&text_buf).into()]) }.unwrap();
    assert_eq!(
        text_buf.value().unwrap().as_bytes().unwrap(),
        text.as_bytes()
    );
}

// ---- 4 and 5. a kept buffer is followed only as what it is, wherever C moved it ----

fn char_or_wide() -> CType {
    CType::union("CharOrWide")
        .field("s", CType::c_char_p())
        .field("w", CType::c_wchar_p())
        .field("v", CType::c_void_p())
        .build()
        .unwrap()
}

#[test]
fn a_byte_string_is_never_read_as_a_wide_string() {
    let u = CData::new(&char_or_wide());
    u.set("s", b"abcdefg").unwrap();
    assert_eq!(u.get("s").unwrap(), Value::Bytes(b"abcdefg".to_vec()));
    let addr = u.get("v").unwrap().as_address().unwrap();
    assert_eq!(
        u.get("w").unwrap(),
        Value::Pointer(addr),
        "bytes are not wchar_t units"
    );

    // through c_void_p set from bytes
    u.set("v", b"hijklmn".to_vec()).unwrap();
    let addr = u.get("v").unwrap().as_address().unwrap();
    assert_eq!(u.get("w").unwrap(), Value::Pointer(addr));
    assert_eq!(u.get("s").unwrap(), Value::Bytes(b"hijklmn".to_vec()));

    // c_char_p set from a Rust string is a byte (UTF-8) buffer
    u.set("s", "wide?").unwrap();
    let addr = u.get("v").unwrap().as_address().unwrap();
    assert_eq!(u.get("w").unwrap(), Value::Pointer(addr));

    // a wide string is not read as bytes either
    u.set("w", "ab").unwrap();
    let addr = u.get("v").unwrap().as_address().unwrap();
    assert_eq!(u.get("w").unwrap(), Value::Str("ab".into()));
    assert_eq!(u.get("s").unwrap(), Value::Pointer(addr));
}

#[test]
fn strings_rctypes_stored_read_as_strings_after_c_moves_them() {
    let words = ["pear", "apple", "fig", "kiwi", "banana"];
    let arr = CData::from_values(&CType::c_char_p().array(5), words).unwrap();
    let sort = func(
        "sort_strings",
        [CType::c_char_p().array(5), CType::c_size_t()],
        CType::void(),
    );
    call(&sort, &[(&arr).into(), 5usize.into()]).unwrap();
    let got: Vec<Value> = (0..5).map(|i| arr.get_index(i).unwrap()).collect();
    let mut sorted = words;
    sorted.sort_unstable();
    let want: Vec<Value> = sorted
        .iter()
        .map(|w| Value::Bytes(w.as_bytes().to_vec()))
        .collect();
    assert_eq!(got, want);

    // Within a structure too: C swaps two fields.
    let pair = CType::structure("Pair")
        .field("a", CType::c_char_p())
        .field("b", CType::c_char_p())
        .build()
        .unwrap();
    let p = CData::from_values(&pair, ["zz", "aa"]).unwrap();
    let as_array = p
        .pointer()
        .cast(&CType::c_char_p().array(2).pointer())
        .unwrap();
    // SAFETY: the pointer points at the live structure, two char * in a row.
    let view = unsafe { as_array.contents() }.unwrap();
    call(&sort, &[(&view).into(), 2usize.into()]).unwrap();
    assert_eq!(p.get("a").unwrap(), Value::Bytes(b"aa".to_vec()));
    assert_eq!(p.get("b").unwrap(), Value::Bytes(b"zz".to_vec()));
}

// ---- 9. byref with a public offset that overflows ----

#[test]
fn a_byref_offset_past_the_instance_is_an_error() {
    let n = CData::new(&CType::c_int());
    let bad = Value::ByRef {
        target: n.clone(),
        offset: usize::MAX,
    };
    assert!(bad.as_address().is_err());
    let vp = CData::new(&CType::c_void_p());
    assert!(vp.set_value(bad.clone()).is_err());
    assert_eq!(vp.value().unwrap(), Value::Null, "nothing was written");
    let ip = CData::new(&CType::c_int().pointer());
    assert!(ip.set_value(bad.clone()).is_err());
    let past = Value::ByRef {
        target: n.clone(),
        offset: 5,
    };
    assert!(ip.set_value(past).is_err(), "5 bytes past a 4-byte int");
    let get = func("get", [CType::c_int().pointer()], CType::void());
    match call(&get, &[bad]) {
        Err(Error::Argument { index: 0, .. }) => {}
        other => panic!("expected an argument error, got {other:?}"),
    }
    // the end of the instance is fine (byref_at allows it too)
    let end = Value::ByRef {
        target: n.clone(),
        offset: 4,
    };
    assert_eq!(end.as_address().unwrap(), n.address() + 4);
}

// ---- 10. contents() of a pointer that C moved before the view it came from ----

#[test]
fn contents_of_a_pointer_moved_back_into_the_same_block() {
    let arr = CData::from_values(&CType::c_int().array(4), [10, 20, 30, 40]).unwrap();
    let p = arr.at(3).unwrap().pointer();
    let step_back = func(
        "step_back",
        [CType::c_int().pointer().pointer(), CType::c_int()],
        CType::void(),
    );
    call(&step_back, &[byref(&p), 2.into()]).unwrap();
    // SAFETY: the pointer points at arr[1], inside the array p keeps alive.
    let back = unsafe { p.contents() }.unwrap();
    assert_eq!(back.value().unwrap(), Value::Int(20));
    assert_eq!(back.address(), arr.address() + 4);
    // SAFETY: arr[1..4] are inside the array.
    assert_eq!(unsafe { p.read(2) }.unwrap(), Value::Int(40));
    call(&step_back, &[byref(&p), 1.into()]).unwrap();
    // SAFETY: arr[0].
    assert_eq!(unsafe { p.read(0) }.unwrap(), Value::Int(10));
}

// ---- 6. a callback never hands C a pointer to memory freed on return ----

#[test]
fn a_callback_cannot_return_a_string_only_it_owns() {
    let proto = CType::function(CType::c_char_p(), []);
    let length_of = func("length_of_returned", [proto.clone()], CType::c_size_t());
    let fresh = Callback::new(&proto, |_| {
        Ok(Value::Data(CData::with_value(
            &CType::c_char_p(),
            b"hello".to_vec(),
        )?))
    })
    .unwrap();
    let r = call(&length_of, &[(&fresh).into()]).unwrap();
    assert_eq!(r, Value::UInt(u64::MAX), "C received NULL");
    let e = fresh.take_error().expect("the refusal is recorded");
    assert!(e.to_string().contains("outlive"), "{e}");

    // a string something else keeps alive is fine
    let kept = CData::with_value(&CType::c_char_p(), b"kept!!".to_vec()).unwrap();
    let held = Mutex::new(SendValue(Value::Data(kept.clone())));
    let long_lived = Callback::new(&proto, move |_| Ok(held.lock().unwrap().0.clone())).unwrap();
    let r = call(&length_of, &[(&long_lived).into()]).unwrap();
    assert_eq!(r, Value::UInt(6));
    assert!(long_lived.take_error().is_none());
    drop(kept);
}

/// A value handed to a closure that only this test's thread calls.
struct SendValue(Value);
// SAFETY: the callbacks in these tests are called by C on the test's own
// thread only (the fixture functions call them synchronously).
unsafe impl Send for SendValue {}

#[test]
fn a_callback_cannot_return_a_pointer_to_an_instance_only_it_owns() {
    let int_p = CType::c_int().pointer();
    let proto = CType::function(int_p.clone(), []);
    let read = func("read_returned_int", [proto.clone()], CType::c_int());
    let fresh = Callback::new(&proto, |_| {
        let n = CData::with_value(&CType::c_int(), 1234)?;
        Ok(Value::Data(n.pointer()))
    })
    .unwrap();
    assert_eq!(call(&read, &[(&fresh).into()]).unwrap(), Value::Int(-1));
    assert!(fresh.take_error().is_some());

    let fresh_target = Callback::new(&proto, |_| {
        Ok(Value::Data(CData::with_value(&CType::c_int(), 99)?))
    })
    .unwrap();
    assert_eq!(
        call(&read, &[(&fresh_target).into()]).unwrap(),
        Value::Int(-1)
    );
    assert!(fresh_target.take_error().is_some());

    let n = CData::with_value(&CType::c_int(), 4321).unwrap();
    let held = Mutex::new(SendValue(Value::Data(n.clone())));
    let kept = Callback::new(&proto, move |_| Ok(held.lock().unwrap().0.clone())).unwrap();
    assert_eq!(call(&read, &[(&kept).into()]).unwrap(), Value::Int(4321));
    assert!(kept.take_error().is_none());
}

// ---- 7. a callback that drops its own last handle while it runs ----

#[test]
fn a_callback_dropping_its_own_last_handle_lives_until_it_returns() {
    struct Alive(Arc<AtomicBool>);
    impl Drop for Alive {
        fn drop(&mut self) {
            self.0.store(false, Ordering::SeqCst);
        }
    }
    let int = CType::c_int();
    let long = CType::c_long();
    let cases = [
        // register-only: a thunk
        (
            CType::function(int.clone(), [int.clone(), int.clone()]),
            "apply",
            vec![2.into(), 3.into()],
            Value::Int(5),
        ),
        // a stack argument
        (
            CType::function(long.clone(), vec![long.clone(); 7]),
            "apply7",
            vec![],
            Value::Int(28),
        ),
    ];
    for (prototype, caller, extra, want) in cases {
        let alive = Arc::new(AtomicBool::new(true));
        let slot: Arc<Mutex<Option<Callback>>> = Arc::new(Mutex::new(None));
        let (flag, me) = (Alive(Arc::clone(&alive)), Arc::clone(&slot));
        let observed = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&observed);
        let cb = Callback::new(&prototype, move |args| {
            let _keep = &flag;
            // drop the last handle from inside the call
            let last = me.lock().unwrap().take();
            drop(last);
            // the closure (and its captures) must still be alive
            seen.store(flag.0.load(Ordering::SeqCst), Ordering::SeqCst);
            let mut sum = 0;
            for a in args {
                sum += a.as_i64()?;
            }
            Ok(Value::from(sum))
        })
        .unwrap();
        let code = cb.address();
        *slot.lock().unwrap() = Some(cb);
        let mut argtypes = vec![CType::c_void_p()];
        argtypes.extend(extra.iter().map(|_| int.clone()));
        let f = func(caller, argtypes, prototype.prototype().unwrap().0.clone());
        let mut args = vec![Value::Pointer(code)];
        args.extend(extra);
        // the callback is alive when C calls it (the closure drops the last
        // handle itself, during the call)
        assert_eq!(call(&f, &args).unwrap(), want, "{caller}");
        assert!(
            observed.load(Ordering::SeqCst),
            "{caller}: alive while running"
        );
        assert!(
            !alive.load(Ordering::SeqCst),
            "{caller}: freed once the call returned"
        );
    }
}

// ---- 12. a panic payload whose Drop panics ----

/// The child half of `a_panic_payload_that_panics_on_drop_is_contained`.
#[test]
#[ignore = "run in a child process by a_panic_payload_that_panics_on_drop_is_contained"]
fn bomb_payload_child() {
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("the payload's drop panics too");
        }
    }
    let binop = CType::function(CType::c_int(), [CType::c_int(), CType::c_int()]);
    let cb = Callback::new(&binop, |_| std::panic::panic_any(Bomb)).unwrap();
    let apply = func(
        "apply",
        [binop.clone(), CType::c_int(), CType::c_int()],
        CType::c_int(),
    );
    let r = call(&apply, &[(&cb).into(), 1.into(), 2.into()]).unwrap();
    assert_eq!(r, Value::Int(0));
    assert_eq!(cb.failures(), 1);
    println!("survived the bomb");
}

#[test]
fn a_panic_payload_that_panics_on_drop_is_contained() {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args(["--ignored", "--exact", "bomb_payload_child", "--nocapture"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed: {stdout}\n{stderr}");
    assert!(stdout.contains("survived the bomb"), "{stdout}\n{stderr}");
}

// ---- 2. callbacks with a padding-only eightbyte ----

fn pad_int() -> CType {
    CType::structure("PadInt")
        .field("c", CType::c_char())
        .align(16)
        .build()
        .unwrap()
}

fn pad_double() -> CType {
    CType::structure("PadDouble")
        .field("d", CType::c_double())
        .align(16)
        .build()
        .unwrap()
}

#[test]
fn structures_with_a_padding_eightbyte_pass_both_ways() {
    let (pi, pd, int, long, dbl) = (
        pad_int(),
        pad_double(),
        CType::c_int(),
        CType::c_long(),
        CType::c_double(),
    );
    // calls
    let a = CData::new(&pi);
    a.set("c", 9).unwrap();
    let f = func("pad_int_value", [pi.clone(), int.clone()], int.clone());
    assert_eq!(
        call(&f, &[(&a).into(), 7.into()]).unwrap(),
        Value::Int(9007)
    );
    let d = CData::new(&pd);
    d.set("d", 2.5).unwrap();
    let f = func("pad_double_value", [pd.clone(), int.clone()], int.clone());
    assert_eq!(
        call(&f, &[(&d).into(), 7.into()]).unwrap(),
        Value::Int(2507)
    );
    let make = func("make_pad_int", [CType::c_char()], pi.clone());
    let made = call(&make, &[5.into()]).unwrap().into_data().unwrap();
    assert_eq!(made.get("c").unwrap(), Value::Bytes(vec![5]));

    // callbacks, in registers (C passes x + 1); libffi's closures would
    // misread these prototypes, so a build without the call plan refuses them
    let proto = CType::function(int.clone(), [pi.clone(), int.clone()]);
    if !cfg!(feature = "call-plan") {
        common::assert_refused_without_plan(Callback::new(&proto, |_| Ok(Value::Int(0))));
        return;
    }
    let cb = Callback::new(&proto, |args| {
        let a = args[0].clone().into_data()?;
        Ok(Value::from(
            i64::from(a.get("c")?.as_bytes()?[0]) * 1000 + args[1].as_i64()?,
        ))
    })
    .unwrap();
    let f = func(
        "call_pad_int",
        [proto.clone(), CType::c_char(), int.clone()],
        int.clone(),
    );
    assert_eq!(
        call(&f, &[(&cb).into(), 3.into(), 7.into()]).unwrap(),
        Value::Int(3008)
    );

    let proto = CType::function(int.clone(), [pd.clone(), int.clone()]);
    let cb = Callback::new(&proto, |args| {
        let a = args[0].clone().into_data()?;
        Ok(Value::from(
            (a.get("d")?.as_f64()? * 1000.0) as i64 + args[1].as_i64()?,
        ))
    })
    .unwrap();
    let f = func(
        "call_pad_double",
        [proto.clone(), dbl.clone(), int.clone()],
        int.clone(),
    );
    assert_eq!(
        call(&f, &[(&cb).into(), 1.5.into(), 7.into()]).unwrap(),
        Value::Int(1508)
    );

    // callbacks whose signature also needs the stack
    let mut args = vec![pi.clone(), int.clone()];
    args.extend(vec![long.clone(); 6]);
    let proto = CType::function(long.clone(), args);
    let cb = Callback::new(&proto, |args| {
        let a = args[0].clone().into_data()?;
        let c = i64::from(a.get("c")?.as_bytes()?[0]);
        let longs: Vec<i64> = args[2..].iter().map(|v| v.as_i64().unwrap()).collect();
        assert_eq!(longs, [30, 40, 50, 60, 70, 80]);
        Ok(Value::from(c * 1000 + args[1].as_i64()?))
    })
    .unwrap();
    let f = func(
        "call_pad_int_late",
        [proto.clone(), CType::c_char(), int.clone()],
        long.clone(),
    );
    assert_eq!(
        call(&f, &[(&cb).into(), 4.into(), 7.into()]).unwrap(),
        Value::Int(4008)
    );

    let mut args = vec![pd.clone(), int.clone(), long.clone()];
    args.extend(vec![dbl.clone(); 8]);
    let proto = CType::function(long.clone(), args);
    let cb = Callback::new(&proto, |args| {
        let a = args[0].clone().into_data()?;
        let d = a.get("d")?.as_f64()?;
        let doubles: Vec<f64> = args[3..].iter().map(|v| v.as_f64().unwrap()).collect();
        assert_eq!(doubles, [0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5]);
        Ok(Value::from(
            (d * 10.0) as i64 * 10_000 + args[1].as_i64()? * 10 + args[2].as_i64()?,
        ))
    })
    .unwrap();
    let f = func(
        "call_pad_double_many",
        [proto.clone(), dbl.clone(), int.clone()],
        long.clone(),
    );
    // d = 2.5, x + 1 = 8, the long is 1000
    assert_eq!(
        call(&f, &[(&cb).into(), 2.5.into(), 7.into()]).unwrap(),
        Value::Int(25 * 10_000 + 80 + 1000)
    );
    assert_eq!(cb.failures(), 0);
}

// ---- 3. empty structures are passed as gcc passes them: as nothing ----

fn empty() -> CType {
    CType::structure("Empty").build().unwrap()
}

#[test]
fn empty_structures_pass_as_nothing() {
    let (e, int) = (empty(), CType::c_int());
    assert_eq!(rctypes::sizeof(&e), 0);
    let f = func(
        "empty_between",
        [int.clone(), e.clone(), int.clone()],
        int.clone(),
    );
    let nothing = CData::new(&e);
    assert_eq!(
        call(&f, &[1.into(), (&nothing).into(), 2.into()]).unwrap(),
        Value::Int(12)
    );
    let make = func("make_empty", [], e.clone());
    let made = call(&make, &[]).unwrap().into_data().unwrap();
    assert_eq!(made.ctype(), &e);
    assert!(made.to_bytes().is_empty());

    let proto = CType::function(int.clone(), [int.clone(), e.clone(), int.clone()]);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let cb = Callback::new(&proto, move |args| {
        log.lock().unwrap().push(args.len());
        let e = args[1].clone().into_data()?;
        assert_eq!(rctypes::sizeof(&e), 0);
        Ok(Value::from(args[0].as_i64()? * 100 + args[2].as_i64()?))
    })
    .unwrap();
    let f = func(
        "call_empty_cb",
        [proto.clone(), int.clone(), int.clone()],
        int.clone(),
    );
    assert_eq!(
        call(&f, &[(&cb).into(), 4.into(), 5.into()]).unwrap(),
        Value::Int(405)
    );
    assert_eq!(*seen.lock().unwrap(), [3]);
}

/// Preparing an empty structure's signature from many threads at once: the
/// shared description is never written (this raced inside libffi before).
#[test]
fn empty_structures_prepare_from_many_threads() {
    let e = empty();
    let int = CType::c_int();
    std::thread::scope(|s| {
        for _ in 0..8 {
            let (e, int) = (e.clone(), int.clone());
            s.spawn(move || {
                for _ in 0..50 {
                    let f = func(
                        "empty_between",
                        [int.clone(), e.clone(), int.clone()],
                        int.clone(),
                    );
                    f.prepare().unwrap();
                }
            });
        }
    });
}

/// An array of `void` (which C forbids) or of an incomplete structure can
/// be named, but has no size: instantiating it, using it as a field or
/// passing it is refused, saying why (the fuzzer found `void * 3`
/// instances whose elements `try_new` then refused).
#[test]
fn arrays_of_void_or_incomplete_elements_have_no_size() {
    let v3 = CType::void().array(3);
    let err = CData::try_new(&v3).unwrap_err();
    assert!(
        err.to_string().contains("an array of void has no size"),
        "{err}"
    );
    let err = CType::structure("S")
        .field("v", CType::void().array(2))
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("an array of void has no size"),
        "{err}"
    );

    let fwd = CType::structure("Fwd").declare();
    let err = CData::try_new(&fwd.array(2)).unwrap_err();
    assert!(err.to_string().contains("incomplete"), "{err}");
    // a pointer to one is fine: the pointer has a size
    assert_eq!(
        CData::try_new(&v3.pointer()).unwrap().to_bytes().len(),
        size_of::<usize>()
    );
}
