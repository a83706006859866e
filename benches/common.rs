//! What both call benchmarks (`calls.rs`, criterion; `instructions.rs`,
//! callgrind) stand on: the fixture library, declared functions, the raw
//! libffi baseline and the `Point` of the fixtures. Each includes it with
//! `mod common;` and uses part of it, hence `dead_code` is allowed.
#![allow(dead_code)]

use std::ffi::{c_int, c_uint, c_void};

use libffi::raw::{self, ffi_cif, ffi_type};
use rctypes::{CDll, CType, Function};

/// The fixture library (`benches/build.rs` builds it).
pub fn lib() -> CDll {
    // SAFETY: the fixture library has no initialisers with requirements.
    unsafe { CDll::open(env!("RCTYPES_FIXTURE_LIB")) }.expect("the fixture library loads")
}

/// A fixture function declared and prepared.
pub fn declared(lib: &CDll, name: &str, args: Vec<CType>, ret: CType) -> Function {
    let f = lib
        .function(name)
        .expect("fixture symbol")
        .argtypes(args)
        .restype(ret);
    f.prepare().expect("a valid signature");
    f
}

/// A libffi call interface prepared once, as a careful user of raw libffi
/// would hold it: the baseline of both benchmarks.
pub struct RawCif {
    cif: Box<ffi_cif>,
    _types: Box<[*mut ffi_type]>,
}

impl RawCif {
    pub fn new(args: &[*mut ffi_type], ret: *mut ffi_type) -> RawCif {
        let mut types: Box<[*mut ffi_type]> = args.into();
        let mut cif: Box<ffi_cif> = Box::default();
        // SAFETY: a fresh cif; the type array lives as long as the RawCif.
        let status = unsafe {
            raw::ffi_prep_cif(
                &mut *cif,
                raw::ffi_abi_FFI_DEFAULT_ABI,
                types.len() as c_uint,
                ret,
                types.as_mut_ptr(),
            )
        };
        assert_eq!(status, raw::ffi_status_FFI_OK);
        RawCif { cif, _types: types }
    }

    /// The prepared interface, for `ffi_prep_closure_loc`.
    pub fn as_ptr(&self) -> *mut ffi_cif {
        std::ptr::from_ref(&*self.cif).cast_mut()
    }

    /// # Safety
    /// `code` has the prepared signature; `args` point at its arguments.
    #[inline(always)]
    pub unsafe fn call(&self, code: usize, ret: *mut c_void, args: &mut [*mut c_void]) {
        // SAFETY: forwarded from the caller.
        unsafe {
            let f: unsafe extern "C" fn() = std::mem::transmute(code);
            raw::ffi_call(self.as_ptr(), Some(f), ret, args.as_mut_ptr())
        }
    }
}

/// `typedef struct { int x, y; } Point;` of the fixtures, for direct calls.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Point {
    pub x: c_int,
    pub y: c_int,
}

/// The same `Point`, described for rctypes.
pub fn point_type() -> CType {
    CType::structure("Point")
        .field("x", CType::c_int())
        .field("y", CType::c_int())
        .build()
        .expect("Point")
}
