//! Loading shared libraries (ctypes `CDLL`) and looking up their symbols.

use std::ffi::{OsStr, c_void};
use std::fmt;
use std::sync::Arc;

use crate::call::Function;
use crate::ctype::CType;
use crate::error::{Error, ErrorText, Result};
use crate::memory::CData;

#[cfg(unix)]
use libloading::os::unix::Library as RawLibrary;
#[cfg(windows)]
use libloading::os::windows::Library as RawLibrary;

/// How [`CDll::open_with`] loads a library (ctypes' `mode` and `use_errno`).
///
/// ```
/// use rctypes::OpenOptions;
/// let opts = OpenOptions::new().global(true).lazy(false).use_errno(true);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenOptions {
    global: bool,
    lazy: bool,
    use_errno: bool,
}

impl OpenOptions {
    /// The defaults of ctypes on Linux: `RTLD_LOCAL | RTLD_NOW`, no errno capture.
    pub fn new() -> OpenOptions {
        OpenOptions::default()
    }

    /// `RTLD_GLOBAL` (true) or `RTLD_LOCAL` (false, the default): whether the
    /// library's symbols resolve references in libraries loaded later.
    pub fn global(mut self, yes: bool) -> OpenOptions {
        self.global = yes;
        self
    }

    /// `RTLD_LAZY` (true) or `RTLD_NOW` (false, the default): whether function
    /// references are resolved at first call rather than at load time.
    pub fn lazy(mut self, yes: bool) -> OpenOptions {
        self.lazy = yes;
        self
    }

    /// Whether functions taken from the library swap `errno` with rctypes'
    /// private copy around each call (ctypes `use_errno=True`); see
    /// [`get_errno`](crate::get_errno). A [`Function`] can override it.
    pub fn use_errno(mut self, yes: bool) -> OpenOptions {
        self.use_errno = yes;
        self
    }

    #[cfg(unix)]
    fn flags(&self) -> std::ffi::c_int {
        use libloading::os::unix::{RTLD_GLOBAL, RTLD_LAZY, RTLD_LOCAL, RTLD_NOW};
        (if self.global { RTLD_GLOBAL } else { RTLD_LOCAL })
            | (if self.lazy { RTLD_LAZY } else { RTLD_NOW })
    }
}

/// A loaded shared library (ctypes `CDLL`).
///
/// `CDll` is a cheap handle (an `Arc`); it is `Send + Sync`. The library stays
/// loaded while any clone, any [`Function`] taken from it, or any instance
/// from [`CDll::variable`] is alive; dropping the last one unloads it.
///
/// ```
/// # fn main() -> rctypes::Result<()> {
/// use rctypes::{CDll, CType};
/// let libc = CDll::this_process()?;
/// let abs = libc.function("abs")?.argtypes([CType::c_int()]).restype(CType::c_int());
/// // SAFETY: abs has the declared signature.
/// assert_eq!(unsafe { abs.call(&[(-7).into()])? }.as_i64()?, 7);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct CDll {
    inner: Arc<LibInner>,
}

struct LibInner {
    /// Closed (`dlclose`) when the last handle goes away.
    raw: RawLibrary,
    /// What the user asked for, for messages.
    name: String,
    use_errno: bool,
}

impl CDll {
    /// Loads a library by path, or by a bare name that the loader searches
    /// (`LD_LIBRARY_PATH`, the ld.so cache, the system directories), with the
    /// default [`OpenOptions`].
    ///
    /// # Safety
    /// Loading runs the library's initialisers, and unloading (when the last
    /// handle is dropped) its finalisers: arbitrary code, which must be sound
    /// to run here.
    ///
    /// # Errors
    /// [`Error::LibraryLoad`] with the loader's message (missing file, not a
    /// shared object, unresolved dependency, ...).
    pub unsafe fn open(path: impl AsRef<OsStr>) -> Result<CDll> {
        // SAFETY: forwarded from the caller.
        unsafe { CDll::open_with(path, &OpenOptions::new()) }
    }

    /// Loads a library with explicit [`OpenOptions`].
    ///
    /// # Safety
    /// As [`CDll::open`].
    ///
    /// # Errors
    /// [`Error::LibraryLoad`] with the loader's message.
    pub unsafe fn open_with(path: impl AsRef<OsStr>, options: &OpenOptions) -> Result<CDll> {
        let path = path.as_ref();
        let name = path.to_string_lossy().into_owned();
        #[cfg(unix)]
        // SAFETY: the caller accepts running the library's initialisers.
        let raw = unsafe { RawLibrary::open(Some(path), options.flags()) };
        #[cfg(windows)]
        // SAFETY: the caller accepts running the library's initialisers.
        let raw = unsafe { RawLibrary::new(path) };
        let raw = raw.map_err(|e| Error::LibraryLoad {
            library: name.clone().into(),
            message: ErrorText::from(loader_message(&e)).with_source(Arc::new(e)),
        })?;
        Ok(CDll {
            inner: Arc::new(LibInner {
                raw,
                name,
                use_errno: options.use_errno,
            }),
        })
    }

    /// The running program and every library it has loaded, libc included
    /// (ctypes `CDLL(None)`).
    ///
    /// # Errors
    /// Never on Unix; on Windows when the process handle cannot be obtained.
    pub fn this_process() -> Result<CDll> {
        #[cfg(unix)]
        let raw = RawLibrary::this();
        #[cfg(windows)]
        let raw = RawLibrary::this().map_err(|e| Error::LibraryLoad {
            library: "<this process>".into(),
            message: ErrorText::from(loader_message(&e)).with_source(Arc::new(e)),
        })?;
        Ok(CDll {
            inner: Arc::new(LibInner {
                raw,
                name: "<this process>".into(),
                use_errno: false,
            }),
        })
    }

    /// The name or path the library was opened with.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The address a symbol resolves to.
    ///
    /// # Errors
    /// [`Error::SymbolNotFound`] naming the symbol and the library, when the
    /// library does not export it, when it resolves to NULL, or when the name
    /// holds a NUL byte.
    pub fn symbol_address(&self, symbol: &str) -> Result<usize> {
        let not_found = |message: String| Error::SymbolNotFound {
            symbol: symbol.to_owned().into(),
            library: self.inner.name.clone().into(),
            message: message.into(),
        };
        if symbol.contains('\0') {
            return Err(not_found("the name contains a NUL byte".into()));
        }
        // SAFETY: the symbol is read as an untyped address and never
        // dereferenced here; what is done with it later is the caller's
        // responsibility under the unsafe call or `variable`.
        let sym = unsafe { self.inner.raw.get::<*mut c_void>(symbol.as_bytes()) }
            .map_err(|e| not_found(loader_message(&e)))?;
        let addr = sym.into_raw() as usize;
        if addr == 0 {
            return Err(not_found("the symbol resolves to NULL".into()));
        }
        Ok(addr)
    }

    /// A foreign function exported by the library (ctypes `lib.name`), with
    /// ctypes' defaults: no argtypes, restype `c_int`, and the library's
    /// `use_errno` setting. Declare its signature with
    /// [`argtypes`](Function::argtypes) and [`restype`](Function::restype).
    ///
    /// # Errors
    /// [`Error::SymbolNotFound`] naming the symbol and the library.
    pub fn function(&self, symbol: &str) -> Result<Function> {
        let addr = self.symbol_address(symbol)?;
        Ok(Function::bound(
            addr,
            symbol.to_owned(),
            Some(self.clone()),
            self.inner.use_errno,
        ))
    }

    /// A global variable exported by the library, as an instance of `ty` over
    /// the library's own memory (ctypes `T.in_dll(lib, name)`). The instance
    /// keeps the library loaded.
    ///
    /// # Safety
    /// The symbol must be a variable of type `ty` (at least `sizeof(ty)`
    /// readable and, if you write, writable bytes), and `char *`/`wchar_t *`
    /// stored in it must be NULL or point to NUL-terminated strings, as
    /// [`CData::from_address`] requires.
    ///
    /// # Errors
    /// [`Error::SymbolNotFound`] naming the symbol and the library.
    pub unsafe fn variable(&self, symbol: &str, ty: &CType) -> Result<CData> {
        let addr = self.symbol_address(symbol)?;
        // SAFETY: the caller guarantees the symbol is a `ty` variable; the
        // library it lives in is kept loaded by the instance.
        Ok(unsafe { CData::foreign(ty, addr, Some(self.clone())) })
    }
}

impl fmt::Debug for CDll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CDll({:?})", self.inner.name)
    }
}

/// The loader's own message inside a libloading error.
fn loader_message(e: &libloading::Error) -> String {
    use std::error::Error as _;
    match e.source() {
        Some(src) => src.to_string(),
        None => e.to_string(),
    }
}

pub use crate::findlib::find_library;
