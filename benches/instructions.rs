//! The instruction-count benchmark: one row of the table per run, under
//! valgrind's callgrind, which counts instructions deterministically.
//!
//! `benches/instructions.sh` runs this binary once per (row, variant) under
//! `valgrind --tool=callgrind --toggle-collect=*bench_measure*`, so only the
//! measured loop counts, and divides by the iterations. Run by hand:
//!
//! ```sh
//! cargo bench -p rctypes-benches --bench instructions --no-run
//! target/release/deps/instructions-* add values 100000
//! ```
//!
//! Variants: `direct` (an `extern "C"` call through a typed function
//! pointer, or C calling C), `libffi` (a raw libffi call with a cif
//! prepared once, as a careful user of libffi writes it), `values`
//! (`Function::call` with `Value`s; the same binary with
//! `RCTYPES_CALL_PLAN=off` gives the plan-off column), `typed`
//! (`Function::typed`, `Callback::typed`), `prepared` (a `PreparedCall`).

use std::ffi::{c_int, c_long, c_void};
use std::hint::black_box;
use std::process::ExitCode;

use libffi::raw::{self, ffi_cif, ffi_type};
use rctypes::{CData, CType, Callback, Value};

mod common;
use common::{Point, RawCif, declared, lib, point_type};

/// Runs `f` `n` times. Callgrind counts only inside this function.
#[inline(never)]
fn bench_measure<F: FnMut()>(n: u64, mut f: F) {
    for _ in 0..n {
        f();
    }
}

/// A libffi structure type with these elements, leaked for the run.
fn raw_struct(elements: &[*mut ffi_type]) -> *mut ffi_type {
    let elems: Vec<*mut ffi_type> = elements
        .iter()
        .copied()
        .chain([std::ptr::null_mut()])
        .collect();
    let elems = Box::leak(elems.into_boxed_slice());
    Box::leak(Box::new(ffi_type {
        size: 0,
        alignment: 0,
        type_: raw::FFI_TYPE_STRUCT,
        elements: elems.as_mut_ptr(),
    }))
}

macro_rules! t {
    (int) => {
        &raw mut raw::ffi_type_sint32
    };
    (long) => {
        &raw mut raw::ffi_type_sint64
    };
    (double) => {
        &raw mut raw::ffi_type_double
    };
    (void) => {
        &raw mut raw::ffi_type_void
    };
    (ptr) => {
        &raw mut raw::ffi_type_pointer
    };
}

#[repr(C)]
#[derive(Clone, Copy)]
struct S24 {
    a: c_long,
    b: c_long,
    c: c_long,
}
#[repr(C)]
#[derive(Clone, Copy)]
struct S64 {
    v: [f64; 8],
}

/// Runs one row in one variant `n` times; `false` when the pair does not
/// exist.
fn run(row: &str, variant: &str, n: u64) -> bool {
    let lib = lib();
    let sym = |name: &str| lib.symbol_address(name).expect("fixture symbol");
    let (int, long, dbl) = (CType::c_int(), CType::c_long(), CType::c_double());
    match (row, variant) {
        // ---- noop() ----
        ("noop", "direct") => {
            // SAFETY: void noop(void).
            let f: unsafe extern "C" fn() = unsafe { std::mem::transmute(sym("noop")) };
            // SAFETY: as declared.
            bench_measure(n, || unsafe { f() });
        }
        ("noop", "libffi") => {
            let cif = RawCif::new(&[], t!(void));
            let code = sym("noop");
            // SAFETY: the cif matches noop; no arguments.
            bench_measure(n, || unsafe {
                cif.call(code, std::ptr::null_mut(), &mut [])
            });
        }
        ("noop", "values") => {
            let f = declared(&lib, "noop", vec![], CType::void());
            // SAFETY: void noop(void).
            bench_measure(n, || drop(black_box(unsafe { f.call(&[]) })));
        }
        ("noop", "typed") => {
            let f = declared(&lib, "noop", vec![], CType::void());
            let f = f.typed::<fn()>().expect("matches");
            // SAFETY: as declared.
            bench_measure(n, || unsafe { f.call() });
        }
        ("noop", "prepared") => {
            let f = declared(&lib, "noop", vec![], CType::void());
            let mut call = f.prepared().expect("prepared");
            // SAFETY: void noop(void).
            bench_measure(n, || drop(black_box(unsafe { call.call() })));
        }
        // ---- add(int, int) ----
        ("add", "direct") => {
            // SAFETY: int add(int, int).
            let f: unsafe extern "C" fn(c_int, c_int) -> c_int =
                unsafe { std::mem::transmute(sym("add")) };
            // SAFETY: as declared.
            bench_measure(n, || {
                black_box(unsafe { f(black_box(5), black_box(3)) });
            });
        }
        ("add", "libffi") => {
            let cif = RawCif::new(&[t!(int), t!(int)], t!(int));
            let code = sym("add");
            bench_measure(n, || {
                let (mut a, mut b): (c_int, c_int) = (black_box(5), black_box(3));
                let mut r: u64 = 0;
                let mut args = [(&raw mut a).cast(), (&raw mut b).cast()];
                // SAFETY: the cif matches add; the arguments are live.
                unsafe { cif.call(code, (&raw mut r).cast(), &mut args) };
                black_box(r);
            });
        }
        ("add", "values") => {
            let f = declared(&lib, "add", vec![int.clone(); 2], int);
            let args = [Value::Int(5), Value::Int(3)];
            // SAFETY: int add(int, int).
            bench_measure(n, || drop(black_box(unsafe { f.call(black_box(&args)) })));
        }
        ("add", "typed") => {
            let f = declared(&lib, "add", vec![int.clone(); 2], int);
            let f = f.typed::<fn(i32, i32) -> i32>().expect("matches");
            // SAFETY: as declared.
            bench_measure(n, || {
                black_box(unsafe { f.call(black_box(5), black_box(3)) });
            });
        }
        ("add", "prepared") => {
            let f = declared(&lib, "add", vec![int.clone(); 2], int);
            let mut call = f.prepared().expect("prepared");
            bench_measure(n, || {
                call.set_i64(0, black_box(5));
                call.set_i64(1, black_box(3));
                // SAFETY: int add(int, int).
                black_box(unsafe { call.call_i64() }.ok());
            });
        }
        // ---- eight longs, two on the stack ----
        ("long8", "direct") => {
            type F = unsafe extern "C" fn(
                c_long,
                c_long,
                c_long,
                c_long,
                c_long,
                c_long,
                c_long,
                c_long,
            ) -> c_long;
            // SAFETY: long sum8_long(long x 8).
            let f: F = unsafe { std::mem::transmute(sym("sum8_long")) };
            bench_measure(n, || {
                let a = black_box(1);
                // SAFETY: as declared.
                black_box(unsafe { f(a, a, a, a, a, a, a, a) });
            });
        }
        ("long8", "libffi") => {
            let cif = RawCif::new(&[t!(long); 8], t!(long));
            let code = sym("sum8_long");
            bench_measure(n, || {
                let mut v: [c_long; 8] = black_box([1; 8]);
                let mut args: [*mut c_void; 8] = [std::ptr::null_mut(); 8];
                for (a, x) in args.iter_mut().zip(v.iter_mut()) {
                    *a = (x as *mut c_long).cast();
                }
                let mut r: c_long = 0;
                // SAFETY: the cif matches; the arguments are live.
                unsafe { cif.call(code, (&raw mut r).cast(), &mut args) };
                black_box(r);
            });
        }
        ("long8", "values") => {
            let f = declared(&lib, "sum8_long", vec![long.clone(); 8], long);
            let args = vec![Value::Int(1); 8];
            // SAFETY: long sum8_long(long x 8).
            bench_measure(n, || drop(black_box(unsafe { f.call(black_box(&args)) })));
        }
        ("long8", "typed") => {
            let f = declared(&lib, "sum8_long", vec![long.clone(); 8], long);
            let f = f
                .typed::<fn(i64, i64, i64, i64, i64, i64, i64, i64) -> i64>()
                .expect("matches");
            bench_measure(n, || {
                let a = black_box(1);
                // SAFETY: as declared.
                black_box(unsafe { f.call(a, a, a, a, a, a, a, a) });
            });
        }
        ("long8", "prepared") => {
            let f = declared(&lib, "sum8_long", vec![long.clone(); 8], long);
            let mut call = f.prepared().expect("prepared");
            bench_measure(n, || {
                for i in 0..8 {
                    call.set_i64(i, black_box(1));
                }
                // SAFETY: long sum8_long(long x 8).
                black_box(unsafe { call.call_i64() }.ok());
            });
        }
        // ---- sixteen doubles, eight on the stack ----
        ("double16", "direct") => {
            type F = unsafe extern "C" fn(
                f64,
                f64,
                f64,
                f64,
                f64,
                f64,
                f64,
                f64,
                f64,
                f64,
                f64,
                f64,
                f64,
                f64,
                f64,
                f64,
            ) -> f64;
            // SAFETY: double sum16_double(double x 16).
            let f: F = unsafe { std::mem::transmute(sym("sum16_double")) };
            bench_measure(n, || {
                let a = black_box(0.5);
                // SAFETY: as declared.
                black_box(unsafe { f(a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a) });
            });
        }
        ("double16", "libffi") => {
            let cif = RawCif::new(&[t!(double); 16], t!(double));
            let code = sym("sum16_double");
            bench_measure(n, || {
                let mut v: [f64; 16] = black_box([0.5; 16]);
                let mut args: [*mut c_void; 16] = [std::ptr::null_mut(); 16];
                for (a, x) in args.iter_mut().zip(v.iter_mut()) {
                    *a = (x as *mut f64).cast();
                }
                let mut r: f64 = 0.0;
                // SAFETY: the cif matches; the arguments are live.
                unsafe { cif.call(code, (&raw mut r).cast(), &mut args) };
                black_box(r);
            });
        }
        ("double16", "values") => {
            let f = declared(&lib, "sum16_double", vec![dbl.clone(); 16], dbl);
            let args = vec![Value::Float(0.5); 16];
            // SAFETY: double sum16_double(double x 16).
            bench_measure(n, || drop(black_box(unsafe { f.call(black_box(&args)) })));
        }
        ("double16", "prepared") => {
            let f = declared(&lib, "sum16_double", vec![dbl.clone(); 16], dbl);
            let mut call = f.prepared().expect("prepared");
            bench_measure(n, || {
                for i in 0..16 {
                    call.set_f64(i, black_box(0.5));
                }
                // SAFETY: double sum16_double(double x 16).
                black_box(unsafe { call.call_f64() }.ok());
            });
        }
        // ---- Point point_add(Point, Point) ----
        ("point", "direct") => {
            // SAFETY: Point point_add(Point, Point).
            let f: unsafe extern "C" fn(Point, Point) -> Point =
                unsafe { std::mem::transmute(sym("point_add")) };
            bench_measure(n, || {
                let p = black_box(Point { x: 1, y: 2 });
                // SAFETY: as declared.
                black_box(unsafe { f(p, p) });
            });
        }
        ("point", "libffi") => {
            let point = raw_struct(&[t!(int), t!(int)]);
            let cif = RawCif::new(&[point, point], point);
            let code = sym("point_add");
            bench_measure(n, || {
                let (mut a, mut b) = black_box((Point { x: 1, y: 2 }, Point { x: 1, y: 2 }));
                let mut r = Point { x: 0, y: 0 };
                let mut args = [(&raw mut a).cast(), (&raw mut b).cast()];
                // SAFETY: the cif matches; the arguments are live.
                unsafe { cif.call(code, (&raw mut r).cast(), &mut args) };
                black_box(r);
            });
        }
        ("point", "values") | ("point", "into") => {
            let point = point_type();
            let f = declared(&lib, "point_add", vec![point.clone(); 2], point.clone());
            let p = CData::from_values(&point, [1, 2]).expect("a Point");
            let args = [Value::Data(p.clone()), Value::Data(p)];
            if variant == "into" {
                let out = CData::new(&point);
                // SAFETY: Point point_add(Point, Point).
                bench_measure(n, || {
                    drop(black_box(unsafe { f.call_into(black_box(&args), &out) }));
                });
            } else {
                // SAFETY: as above.
                bench_measure(n, || drop(black_box(unsafe { f.call(black_box(&args)) })));
            }
        }
        // ---- a 24-byte structure in and out ----
        ("s24", "direct") => {
            // SAFETY: S24 s24_next(S24).
            let f: unsafe extern "C" fn(S24) -> S24 =
                unsafe { std::mem::transmute(sym("s24_next")) };
            bench_measure(n, || {
                let s = black_box(S24 { a: 1, b: 2, c: 3 });
                // SAFETY: as declared.
                black_box(unsafe { f(s) });
            });
        }
        ("s24", "libffi") => {
            let s24 = raw_struct(&[t!(long); 3]);
            let cif = RawCif::new(&[s24], s24);
            let code = sym("s24_next");
            bench_measure(n, || {
                let mut a = black_box(S24 { a: 1, b: 2, c: 3 });
                let mut r = S24 { a: 0, b: 0, c: 0 };
                let mut args = [(&raw mut a).cast()];
                // SAFETY: the cif matches; the argument is live.
                unsafe { cif.call(code, (&raw mut r).cast(), &mut args) };
                black_box(r);
            });
        }
        ("s24", "values") | ("s24", "into") => {
            let ty = CType::structure("S24")
                .field("a", long.clone())
                .field("b", long.clone())
                .field("c", long)
                .build()
                .expect("S24");
            let f = declared(&lib, "s24_next", vec![ty.clone()], ty.clone());
            let s = CData::from_values(&ty, [1, 2, 3]).expect("an S24");
            let args = [Value::Data(s)];
            if variant == "into" {
                let out = CData::new(&ty);
                // SAFETY: S24 s24_next(S24).
                bench_measure(n, || {
                    drop(black_box(unsafe { f.call_into(black_box(&args), &out) }));
                });
            } else {
                // SAFETY: as above.
                bench_measure(n, || drop(black_box(unsafe { f.call(black_box(&args)) })));
            }
        }
        // ---- a 64-byte structure in ----
        ("s64", "direct") => {
            // SAFETY: double s64_sum(S64).
            let f: unsafe extern "C" fn(S64) -> f64 =
                unsafe { std::mem::transmute(sym("s64_sum")) };
            bench_measure(n, || {
                let s = black_box(S64 { v: [0.5; 8] });
                // SAFETY: as declared.
                black_box(unsafe { f(s) });
            });
        }
        ("s64", "libffi") => {
            let s64 = raw_struct(&[t!(double); 8]);
            let cif = RawCif::new(&[s64], t!(double));
            let code = sym("s64_sum");
            bench_measure(n, || {
                let mut a = black_box(S64 { v: [0.5; 8] });
                let mut r = 0.0f64;
                let mut args = [(&raw mut a).cast()];
                // SAFETY: the cif matches; the argument is live.
                unsafe { cif.call(code, (&raw mut r).cast(), &mut args) };
                black_box(r);
            });
        }
        ("s64", "values") => {
            let ty = CType::structure("S64")
                .field("v", dbl.array(8))
                .build()
                .expect("S64");
            let f = declared(&lib, "s64_sum", vec![ty.clone()], dbl);
            let s = CData::new(&ty);
            let args = [Value::Data(s)];
            // SAFETY: double s64_sum(S64).
            bench_measure(n, || drop(black_box(unsafe { f.call(black_box(&args)) })));
        }
        // ---- strlen of a Rust string ----
        ("strlen", "direct") => {
            // SAFETY: size_t my_strlen(const char *).
            let f: unsafe extern "C" fn(*const u8) -> usize =
                unsafe { std::mem::transmute(sym("my_strlen")) };
            let s = b"hello, world\0";
            // SAFETY: a NUL-terminated string.
            bench_measure(n, || {
                black_box(unsafe { f(black_box(s.as_ptr())) });
            });
        }
        ("strlen", "libffi") => {
            let cif = RawCif::new(&[t!(ptr)], t!(long));
            let code = sym("my_strlen");
            let s = b"hello, world\0";
            bench_measure(n, || {
                let mut p = black_box(s.as_ptr());
                let mut r: usize = 0;
                let mut args = [(&raw mut p).cast()];
                // SAFETY: the cif matches; the string is live and terminated.
                unsafe { cif.call(code, (&raw mut r).cast(), &mut args) };
                black_box(r);
            });
        }
        ("strlen", "values") => {
            let f = declared(
                &lib,
                "my_strlen",
                vec![CType::c_char_p()],
                CType::c_size_t(),
            );
            let args = [Value::from("hello, world")];
            // SAFETY: size_t my_strlen(const char *).
            bench_measure(n, || drop(black_box(unsafe { f.call(black_box(&args)) })));
        }
        // ---- a callback called from C ----
        ("callback", _) => {
            let binop = CType::function(int.clone(), [int.clone(), int.clone()]);
            let code = sym("call_loop");
            let n_c = c_int::try_from(n).expect("n fits in a C int");
            let c_loop = |f: usize| {
                // SAFETY: long long call_loop(binop_fn, int).
                let call_loop: unsafe extern "C" fn(usize, c_int) -> i64 =
                    unsafe { std::mem::transmute(code) };
                // n calls inside one measured C loop
                // SAFETY: `f` is a live binop function pointer.
                bench_measure(1, || {
                    black_box(unsafe { call_loop(f, n_c) });
                });
            };
            match variant {
                "direct" => {
                    // SAFETY: binop_fn get_op(int): c_add for 0.
                    let get_op: unsafe extern "C" fn(c_int) -> usize =
                        unsafe { std::mem::transmute(sym("get_op")) };
                    // SAFETY: as declared.
                    c_loop(unsafe { get_op(0) });
                }
                "libffi" => {
                    let cb = RawClosure::new();
                    c_loop(cb.code);
                }
                "values" => {
                    let cb = Callback::new(&binop, |args: &[Value]| {
                        Ok(Value::Int(args[0].as_i64()? + args[1].as_i64()?))
                    })
                    .expect("a callback");
                    c_loop(cb.address());
                }
                "typed" => {
                    let cb = Callback::typed::<fn(i32, i32) -> i32>(&binop, |a: i32, b: i32| {
                        a.wrapping_add(b)
                    })
                    .expect("a callback");
                    c_loop(cb.address());
                }
                _ => return false,
            }
        }
        // ---- a field get and set ----
        ("field", "direct") => {
            let mut p = Point { x: 1, y: 2 };
            bench_measure(n, || {
                let x = black_box(&p).x;
                black_box(&mut p).y = x;
            });
        }
        ("field", "values") => {
            let p = CData::from_values(&point_type(), [1, 2]).expect("a Point");
            bench_measure(n, || {
                let x = black_box(&p).get("x").expect("x");
                black_box(&p).set("y", x).expect("y");
            });
        }
        ("field", "handle") => {
            let ty = point_type();
            let p = CData::from_values(&ty, [1, 2]).expect("a Point");
            let (x, y) = (
                ty.field_handle("x").expect("x"),
                ty.field_handle("y").expect("y"),
            );
            bench_measure(n, || {
                let v = x.get(black_box(&p)).expect("x");
                y.set(black_box(&p), v).expect("y");
            });
        }
        // ---- 1,000 doubles into an array ----
        ("array", "direct") => {
            let src: Vec<f64> = (0..1000).map(f64::from).collect();
            bench_measure(n, || {
                black_box(black_box(&src).clone().into_boxed_slice());
            });
        }
        ("array", "values") => {
            let ty = dbl.array(1000);
            let src: Vec<Value> = (0..1000).map(|i| Value::Float(f64::from(i))).collect();
            bench_measure(n, || {
                black_box(CData::from_values(&ty, black_box(&src).iter().cloned()).expect("fits"));
            });
        }
        ("array", "numbers") => {
            let ty = dbl.array(1000);
            let src: Vec<f64> = (0..1000).map(f64::from).collect();
            bench_measure(n, || {
                black_box(CData::from_values(&ty, black_box(&src).iter().copied()).expect("fits"));
            });
        }
        ("array", "slice") => {
            let src: Vec<f64> = (0..1000).map(f64::from).collect();
            bench_measure(n, || {
                black_box(CData::from_slice(&dbl, black_box(&src)).expect("fits"));
            });
        }
        _ => return false,
    }
    true
}

/// A raw libffi closure for `int (*)(int, int)` adding its arguments.
struct RawClosure {
    closure: *mut raw::ffi_closure,
    code: usize,
    _cif: RawCif,
}

unsafe extern "C" fn raw_add(
    _cif: *mut ffi_cif,
    ret: *mut c_void,
    args: *mut *mut c_void,
    _data: *mut c_void,
) {
    // SAFETY: libffi passes two pointers at ints and an ffi_arg result.
    unsafe {
        let a = *(*args).cast::<c_int>();
        let b = *(*args.add(1)).cast::<c_int>();
        *ret.cast::<u64>() = i64::from(a.wrapping_add(b)) as u64;
    }
}

impl RawClosure {
    fn new() -> RawClosure {
        let cif = RawCif::new(&[t!(int), t!(int)], t!(int));
        let mut code: *mut c_void = std::ptr::null_mut();
        // SAFETY: a closure of the right size; `code` gets its address.
        let closure = unsafe { raw::ffi_closure_alloc(size_of::<raw::ffi_closure>(), &mut code) }
            .cast::<raw::ffi_closure>();
        assert!(!closure.is_null());
        // SAFETY: a fresh closure over a cif that lives as long as it.
        let status = unsafe {
            raw::ffi_prep_closure_loc(
                closure,
                cif.as_ptr(),
                Some(raw_add),
                std::ptr::null_mut(),
                code,
            )
        };
        assert_eq!(status, raw::ffi_status_FFI_OK);
        RawClosure {
            closure,
            code: code as usize,
            _cif: cif,
        }
    }
}

impl Drop for RawClosure {
    fn drop(&mut self) {
        // SAFETY: allocated by ffi_closure_alloc, freed once.
        unsafe { raw::ffi_closure_free(self.closure.cast()) };
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(row), Some(variant), Some(n)) = (
        args.get(1),
        args.get(2),
        args.get(3).and_then(|n| n.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: instructions ROW VARIANT ITERATIONS");
        return ExitCode::from(2);
    };
    if run(row, variant, n) {
        ExitCode::SUCCESS
    } else {
        eprintln!("no variant {variant} for row {row}");
        ExitCode::from(3)
    }
}
