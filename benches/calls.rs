//! Call overhead, measured against the baselines of the same run: a direct
//! `extern "C"` call through a typed function pointer, and a raw libffi call
//! with a cif prepared once. `benches/compare.sh` adds Python's ctypes on the
//! same fixture library and prints the ratios.
//!
//! Run with `cargo bench -p rctypes-benches` (or one group: `cargo bench -p
//! rctypes-benches --bench calls -- add_int`).

use std::ffi::{c_int, c_void};
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use libffi::raw::{self, ffi_cif, ffi_type};
use rctypes::{CData, CType, Callback, Value};

mod common;
use common::{Point, RawCif, declared, lib, point_type};

fn t_int() -> *mut ffi_type {
    &raw mut raw::ffi_type_sint32
}
fn t_double() -> *mut ffi_type {
    &raw mut raw::ffi_type_double
}
fn t_void() -> *mut ffi_type {
    &raw mut raw::ffi_type_void
}
fn t_ptr() -> *mut ffi_type {
    &raw mut raw::ffi_type_pointer
}

fn calls(c: &mut Criterion) {
    let lib = lib();
    let sym = |name: &str| lib.symbol_address(name).unwrap();

    // ---- noop()
    {
        let mut g = c.benchmark_group("noop");
        let code = sym("noop");
        // SAFETY: void noop(void).
        let direct: extern "C" fn() = unsafe { std::mem::transmute(code) };
        g.bench_function("direct", |b| b.iter(|| direct()));
        let cif = RawCif::new(&[], t_void());
        g.bench_function("libffi", |b| {
            // SAFETY: the cif matches noop.
            b.iter(|| unsafe { cif.call(code, std::ptr::null_mut(), &mut []) })
        });
        let f = declared(&lib, "noop", vec![], CType::void());
        // SAFETY (rctypes calls in this file): the declared signatures are the C ones.
        g.bench_function("rctypes", |b| b.iter(|| unsafe { f.call(&[]) }.unwrap()));
        let typed = f.typed::<fn()>().unwrap();
        g.bench_function("typed", |b| b.iter(|| unsafe { typed.call() }));
        g.finish();
    }

    // ---- int add(int, int)
    {
        let mut g = c.benchmark_group("add_int");
        let code = sym("add");
        // SAFETY: int add(int, int).
        let direct: extern "C" fn(c_int, c_int) -> c_int = unsafe { std::mem::transmute(code) };
        g.bench_function("direct", |b| b.iter(|| direct(black_box(5), black_box(3))));
        let cif = RawCif::new(&[t_int(), t_int()], t_int());
        g.bench_function("libffi", |b| {
            b.iter(|| {
                let (mut x, mut y): (c_int, c_int) = (black_box(5), black_box(3));
                let mut ret: u64 = 0;
                let mut args = [(&raw mut x).cast(), (&raw mut y).cast()];
                // SAFETY: the cif matches add; the result buffer is an ffi_arg.
                unsafe { cif.call(code, (&raw mut ret).cast(), &mut args) };
                ret as c_int
            })
        });
        let f = declared(&lib, "add", vec![CType::c_int(); 2], CType::c_int());
        g.bench_function("rctypes", |b| {
            b.iter(|| unsafe { f.call(&[black_box(5).into(), black_box(3).into()]) }.unwrap())
        });
        let typed = f.typed::<fn(i32, i32) -> i32>().unwrap();
        g.bench_function("typed", |b| {
            b.iter(|| unsafe { typed.call(black_box(5), black_box(3)) })
        });
        g.finish();
    }

    // ---- double add_d(double, double)
    {
        let mut g = c.benchmark_group("add_double");
        let code = sym("add_d");
        // SAFETY: double add_d(double, double).
        let direct: extern "C" fn(f64, f64) -> f64 = unsafe { std::mem::transmute(code) };
        g.bench_function("direct", |b| {
            b.iter(|| direct(black_box(1.5), black_box(2.0)))
        });
        let cif = RawCif::new(&[t_double(), t_double()], t_double());
        g.bench_function("libffi", |b| {
            b.iter(|| {
                let (mut x, mut y) = (black_box(1.5f64), black_box(2.0f64));
                let mut ret = 0f64;
                let mut args = [(&raw mut x).cast(), (&raw mut y).cast()];
                // SAFETY: the cif matches add_d.
                unsafe { cif.call(code, (&raw mut ret).cast(), &mut args) };
                ret
            })
        });
        let f = declared(&lib, "add_d", vec![CType::c_double(); 2], CType::c_double());
        g.bench_function("rctypes", |b| {
            b.iter(|| unsafe { f.call(&[black_box(1.5).into(), black_box(2.0).into()]) }.unwrap())
        });
        let typed = f.typed::<fn(f64, f64) -> f64>().unwrap();
        g.bench_function("typed", |b| {
            b.iter(|| unsafe { typed.call(black_box(1.5), black_box(2.0)) })
        });
        g.finish();
    }

    // ---- double sum6_d(double x6)
    {
        let mut g = c.benchmark_group("sum6_double");
        let code = sym("sum6_d");
        type Six = extern "C" fn(f64, f64, f64, f64, f64, f64) -> f64;
        // SAFETY: double sum6_d(double, ..., double).
        let direct: Six = unsafe { std::mem::transmute(code) };
        g.bench_function("direct", |b| {
            b.iter(|| direct(black_box(1.0), 2.0, 3.0, 4.0, 5.0, black_box(6.0)))
        });
        let cif = RawCif::new(&[t_double(); 6], t_double());
        g.bench_function("libffi", |b| {
            b.iter(|| {
                let mut v = black_box([1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]);
                let mut ret = 0f64;
                let p = v.as_mut_ptr();
                // SAFETY: six pointers into `v`.
                let mut args: [*mut c_void; 6] =
                    std::array::from_fn(|i| unsafe { p.add(i) }.cast());
                // SAFETY: the cif matches sum6_d.
                unsafe { cif.call(code, (&raw mut ret).cast(), &mut args) };
                ret
            })
        });
        let f = declared(
            &lib,
            "sum6_d",
            vec![CType::c_double(); 6],
            CType::c_double(),
        );
        g.bench_function("rctypes", |b| {
            b.iter(|| {
                let args = [1.0, 2.0, 3.0, 4.0, 5.0, black_box(6.0)].map(Value::Float);
                unsafe { f.call(&args) }.unwrap()
            })
        });
        g.finish();
    }

    // ---- double mixed12(int, double, long, float, short, double, long long,
    //                     float, unsigned char, double, int, double)
    {
        let mut g = c.benchmark_group("mixed12");
        let code = sym("mixed12");
        type M12 =
            extern "C" fn(c_int, f64, i64, f32, i16, f64, i64, f32, u8, f64, c_int, f64) -> f64;
        // SAFETY: the signature of mixed12.
        let direct: M12 = unsafe { std::mem::transmute(code) };
        g.bench_function("direct", |b| {
            b.iter(|| {
                direct(
                    black_box(1),
                    2.0,
                    3,
                    4.0,
                    5,
                    6.0,
                    7,
                    8.0,
                    9,
                    10.0,
                    11,
                    black_box(12.0),
                )
            })
        });
        let types = [
            t_int(),
            t_double(),
            &raw mut raw::ffi_type_sint64,
            &raw mut raw::ffi_type_float,
            &raw mut raw::ffi_type_sint16,
            t_double(),
            &raw mut raw::ffi_type_sint64,
            &raw mut raw::ffi_type_float,
            &raw mut raw::ffi_type_uint8,
            t_double(),
            t_int(),
            t_double(),
        ];
        let cif = RawCif::new(&types, t_double());
        g.bench_function("libffi", |b| {
            b.iter(|| {
                let (mut a, mut bb, mut c3, mut d) = (black_box(1i32), 2.0f64, 3i64, 4.0f32);
                let (mut e, mut f6, mut g7, mut h) = (5i16, 6.0f64, 7i64, 8.0f32);
                let (mut i, mut j, mut k, mut l) = (9u8, 10.0f64, 11i32, black_box(12.0f64));
                let mut ret = 0f64;
                let mut args: [*mut c_void; 12] = [
                    (&raw mut a).cast(),
                    (&raw mut bb).cast(),
                    (&raw mut c3).cast(),
                    (&raw mut d).cast(),
                    (&raw mut e).cast(),
                    (&raw mut f6).cast(),
                    (&raw mut g7).cast(),
                    (&raw mut h).cast(),
                    (&raw mut i).cast(),
                    (&raw mut j).cast(),
                    (&raw mut k).cast(),
                    (&raw mut l).cast(),
                ];
                // SAFETY: the cif matches mixed12.
                unsafe { cif.call(code, (&raw mut ret).cast(), &mut args) };
                ret
            })
        });
        let f = declared(
            &lib,
            "mixed12",
            vec![
                CType::c_int(),
                CType::c_double(),
                CType::c_long(),
                CType::c_float(),
                CType::c_short(),
                CType::c_double(),
                CType::c_longlong(),
                CType::c_float(),
                CType::c_ubyte(),
                CType::c_double(),
                CType::c_int(),
                CType::c_double(),
            ],
            CType::c_double(),
        );
        g.bench_function("rctypes", |b| {
            b.iter(|| {
                let args = [
                    Value::Int(black_box(1)),
                    Value::Float(2.0),
                    Value::Int(3),
                    Value::Float(4.0),
                    Value::Int(5),
                    Value::Float(6.0),
                    Value::Int(7),
                    Value::Float(8.0),
                    Value::Int(9),
                    Value::Float(10.0),
                    Value::Int(11),
                    Value::Float(black_box(12.0)),
                ];
                unsafe { f.call(&args) }.unwrap()
            })
        });
        let typed = f
            .typed::<fn(i32, f64, i64, f32, i16, f64, i64, f32, u8, f64, i32, f64) -> f64>()
            .unwrap();
        g.bench_function("typed", |b| {
            b.iter(|| unsafe {
                typed.call(
                    black_box(1),
                    2.0,
                    3,
                    4.0,
                    5,
                    6.0,
                    7,
                    8.0,
                    9,
                    10.0,
                    11,
                    black_box(12.0),
                )
            })
        });
        g.finish();
    }

    // ---- Point point_add(Point, Point): a struct by value in and out
    {
        let mut g = c.benchmark_group("struct_by_value");
        let code = sym("point_add");
        // SAFETY: Point point_add(Point, Point) with the same layout.
        let direct: extern "C" fn(Point, Point) -> Point = unsafe { std::mem::transmute(code) };
        g.bench_function("direct", |b| {
            b.iter(|| {
                direct(
                    black_box(Point { x: 1, y: 2 }),
                    black_box(Point { x: 3, y: 4 }),
                )
            })
        });
        let mut elements = [t_int(), t_int(), std::ptr::null_mut()];
        let mut raw_point = ffi_type {
            size: 8,
            alignment: 4,
            type_: raw::FFI_TYPE_STRUCT,
            elements: elements.as_mut_ptr(),
        };
        let pt: *mut ffi_type = &raw mut raw_point;
        let cif = RawCif::new(&[pt, pt], pt);
        g.bench_function("libffi", |b| {
            b.iter(|| {
                let (mut p, mut q) = (
                    black_box(Point { x: 1, y: 2 }),
                    black_box(Point { x: 3, y: 4 }),
                );
                let mut ret = Point { x: 0, y: 0 };
                let mut args = [(&raw mut p).cast(), (&raw mut q).cast()];
                // SAFETY: the cif matches point_add.
                unsafe { cif.call(code, (&raw mut ret).cast(), &mut args) };
                ret.x
            })
        });
        let point = point_type();
        let f = declared(
            &lib,
            "point_add",
            vec![point.clone(), point.clone()],
            point.clone(),
        );
        let (p, q) = (
            CData::from_values(&point, [1, 2]).unwrap(),
            CData::from_values(&point, [3, 4]).unwrap(),
        );
        g.bench_function("rctypes", |b| {
            b.iter(|| unsafe { f.call(&[(&p).into(), (&q).into()]) }.unwrap())
        });
        g.finish();
    }

    // ---- size_t my_strlen(const char *)
    {
        let mut g = c.benchmark_group("char_p_arg");
        let code = sym("my_strlen");
        // SAFETY: size_t my_strlen(const char *).
        let direct: extern "C" fn(*const u8) -> usize = unsafe { std::mem::transmute(code) };
        let text = b"hello, world\0";
        g.bench_function("direct", |b| b.iter(|| direct(black_box(text.as_ptr()))));
        let cif = RawCif::new(&[t_ptr()], &raw mut raw::ffi_type_uint64);
        g.bench_function("libffi", |b| {
            b.iter(|| {
                let mut s = black_box(text.as_ptr());
                let mut ret = 0u64;
                let mut args = [(&raw mut s).cast()];
                // SAFETY: the cif matches my_strlen.
                unsafe { cif.call(code, (&raw mut ret).cast(), &mut args) };
                ret
            })
        });
        let f = declared(
            &lib,
            "my_strlen",
            vec![CType::c_char_p()],
            CType::c_size_t(),
        );
        g.bench_function("rctypes_bytes", |b| {
            // a Rust string: rctypes makes the NUL-terminated copy, as ctypes does
            b.iter(|| unsafe { f.call(&[Value::from(black_box("hello, world"))]) }.unwrap())
        });
        let buf = rctypes::create_string_buffer("hello, world");
        g.bench_function("rctypes_buffer", |b| {
            b.iter(|| unsafe { f.call(&[(&buf).into()]) }.unwrap())
        });
        g.finish();
    }
}

/// The raw libffi closure baseline: what a hand-written libffi callback costs.
unsafe extern "C" fn raw_binop(
    _cif: *mut ffi_cif,
    ret: *mut c_void,
    args: *mut *mut c_void,
    _data: *mut c_void,
) {
    // SAFETY: libffi passes two int arguments and an ffi_arg result buffer.
    unsafe {
        let a = *(*args).cast::<c_int>();
        let b = *(*args.add(1)).cast::<c_int>();
        *ret.cast::<u64>() = i64::from(a * 2 + b) as u64;
    }
}

extern "C" fn native_binop(a: c_int, b: c_int) -> c_int {
    a * 2 + b
}

fn callbacks(c: &mut Criterion) {
    let lib = lib();
    const N: i32 = 1000;
    let binop = CType::function(CType::c_int(), [CType::c_int(), CType::c_int()]);
    let call_loop = declared(
        &lib,
        "call_loop",
        vec![binop.clone(), CType::c_int()],
        CType::c_longlong(),
    );
    let code = lib.symbol_address("call_loop").unwrap();
    // SAFETY: long long call_loop(int (*)(int, int), int).
    let direct_loop: extern "C" fn(extern "C" fn(c_int, c_int) -> c_int, c_int) -> i64 =
        unsafe { std::mem::transmute(code) };

    let mut g = c.benchmark_group("callback_from_c");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("direct", |b| {
        b.iter(|| direct_loop(native_binop, black_box(N)))
    });

    let cif = RawCif::new(&[t_int(), t_int()], t_int());
    let mut code_ptr: *mut c_void = std::ptr::null_mut();
    // SAFETY: a closure allocation, prepared over the cif that outlives it.
    let closure = unsafe {
        let closure = raw::ffi_closure_alloc(size_of::<raw::ffi_closure>(), &mut code_ptr);
        let status = raw::ffi_prep_closure_loc(
            closure.cast(),
            cif.as_ptr(),
            Some(raw_binop),
            std::ptr::null_mut(),
            code_ptr,
        );
        assert_eq!(status, raw::ffi_status_FFI_OK);
        closure
    };
    // SAFETY: the closure's code has the binop signature.
    let raw_fn: extern "C" fn(c_int, c_int) -> c_int = unsafe { std::mem::transmute(code_ptr) };
    g.bench_function("libffi", |b| b.iter(|| direct_loop(raw_fn, black_box(N))));

    let cb = Callback::new(&binop, |a| {
        Ok(Value::from(a[0].as_i64()? * 2 + a[1].as_i64()?))
    })
    .unwrap();
    g.bench_function("rctypes", |b| {
        b.iter(|| unsafe { call_loop.call(&[(&cb).into(), black_box(N).into()]) }.unwrap())
    });
    let typed = Callback::typed::<fn(i32, i32) -> i32>(&binop, |a: i32, b: i32| a * 2 + b).unwrap();
    g.bench_function("typed", |b| {
        b.iter(|| unsafe { call_loop.call(&[(&typed).into(), black_box(N).into()]) }.unwrap())
    });
    g.finish();
    // SAFETY: allocated above, no longer called.
    unsafe { raw::ffi_closure_free(closure) };
}

fn fields(c: &mut Criterion) {
    #[repr(C)]
    struct Native {
        a: u8,
        x: c_int,
        d: f64,
    }
    let ty = CType::structure("Native")
        .field("a", CType::c_ubyte())
        .field("x", CType::c_int())
        .field("d", CType::c_double())
        .build()
        .unwrap();
    let s = CData::new(&ty);
    let mut g = c.benchmark_group("field_get_set");
    let mut native = Native { a: 1, x: 2, d: 3.0 };
    g.bench_function("native", |b| {
        b.iter(|| {
            let n = black_box(&mut native);
            n.x = n.x.wrapping_add(1);
            n.x
        })
    });
    g.bench_function("rctypes", |b| {
        b.iter(|| {
            let x = s.get(black_box("x")).unwrap().as_i64().unwrap();
            s.set(black_box("x"), (x + 1) % 1000).unwrap();
            x
        })
    });
    g.finish();
    black_box((native.a, native.d));
}

fn arrays(c: &mut Criterion) {
    let values: Vec<f64> = (0..1000).map(f64::from).collect();
    let ty = CType::c_double().array(1000);
    let mut g = c.benchmark_group("array_1000_doubles");
    g.bench_function("vec_copy", |b| b.iter(|| black_box(&values).to_vec()));
    g.bench_function("rctypes_from_values", |b| {
        b.iter(|| CData::from_values(&ty, black_box(&values).iter().copied()).unwrap())
    });
    let elem = CType::c_double();
    g.bench_function("rctypes_from_slice", |b| {
        b.iter(|| CData::from_slice(&elem, black_box(&values)).unwrap())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(40);
    targets = calls, callbacks, fields, arrays
}
criterion_main!(benches);
