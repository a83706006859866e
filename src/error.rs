//! The crate's one error type.
//!
//! Every variant carries what a user needs to find the mistake: the library and
//! the loader's own message, the symbol, the argument's index with the expected
//! and the given types, the field, the bit width, the overflowing value.

use std::fmt;
use std::sync::Arc;

/// The result type of every fallible operation in rctypes.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong before, around or after a foreign call.
///
/// Errors are raised *before* C runs whenever the mistake can be detected
/// there (a wrong argument count, a value that does not fit its C type, an
/// interior NUL in a string), and leave nothing half-done.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The dynamic loader refused to open a library.
    LibraryLoad {
        /// The name or path that was asked for.
        library: ErrorText,
        /// The loader's own message (`dlerror`); the loader's error is the
        /// `source()`.
        message: ErrorText,
    },

    /// A symbol is not exported by the library, or resolves to NULL.
    SymbolNotFound {
        /// The symbol that was looked up.
        symbol: ErrorText,
        /// The library it was looked up in.
        library: ErrorText,
        /// The loader's message, or why the symbol was rejected.
        message: ErrorText,
    },

    /// A call got a different number of arguments than its argtypes declare.
    ArgumentCount {
        /// The function's name.
        function: ErrorText,
        /// How many arguments the argtypes declare.
        expected: usize,
        /// How many were given.
        given: usize,
        /// Whether the function is variadic (then `expected` is a minimum).
        variadic: bool,
    },

    /// An argument cannot be converted to its declared C type.
    Argument {
        /// The function's name.
        function: ErrorText,
        /// The argument's position, counting from 0.
        index: usize,
        /// The declared C type.
        expected: ErrorText,
        /// What was given.
        given: ErrorText,
        /// Why the conversion failed.
        reason: ErrorText,
    },

    /// A value cannot be stored in a C type (outside a call: `CData::with_value`,
    /// `set_value`, `set`, `set_index`, a callback's result).
    Conversion {
        /// The C type the value was meant for.
        expected: ErrorText,
        /// What was given.
        given: ErrorText,
        /// Why the conversion failed.
        reason: ErrorText,
    },

    /// A [`Value`](crate::Value) accessor was used on a value of another kind
    /// (`as_i64` on a string, `as_str` on invalid UTF-8, ...).
    ValueType {
        /// What the accessor needs.
        expected: ErrorText,
        /// What the value is.
        given: ErrorText,
    },

    /// A structure or union declaration is invalid (bad pack/align, a bitfield
    /// of width 0 or wider than its type, duplicate names, ...).
    Definition {
        /// The type being declared.
        type_name: ErrorText,
        /// What is wrong with it.
        message: ErrorText,
    },

    /// A field name that the structure or union does not have.
    UnknownField {
        /// The structure or union.
        type_name: ErrorText,
        /// The name that was asked for.
        field: ErrorText,
    },

    /// An index outside an array.
    IndexOutOfRange {
        /// The array type.
        type_name: ErrorText,
        /// The index that was asked for.
        index: usize,
        /// The array's length.
        len: usize,
    },

    /// More initial values than an array has elements or a structure has
    /// fields ([`CData::from_values`](crate::CData::from_values)).
    TooManyValues {
        /// The type being initialised.
        type_name: ErrorText,
        /// How many values it takes.
        expected: usize,
        /// How many were given.
        given: usize,
        /// What the values fill: "elements" or "fields".
        what: ErrorText,
    },

    /// A NULL pointer where memory was needed (`contents` of a NULL pointer,
    /// calling a function at address 0).
    NullPointer {
        /// What was being done with it.
        what: ErrorText,
    },

    /// An operation that does not apply to this C type (the value of a
    /// structure, the contents of a non-pointer, a long double on a platform
    /// without an 80-bit format, ...).
    Unsupported {
        /// What was attempted.
        operation: ErrorText,
        /// The C type it was attempted on.
        type_name: ErrorText,
        /// Why it cannot be done.
        reason: ErrorText,
    },

    /// libffi refused a signature (`ffi_prep_cif` failed).
    Ffi {
        /// The function or callback prototype.
        function: ErrorText,
        /// libffi's status.
        message: ErrorText,
    },

    /// A Rust signature given to [`Function::typed`](crate::Function::typed)
    /// does not match the function's declaration (or it has none).
    Signature {
        /// The function's name.
        function: ErrorText,
        /// The first difference, or why there is no fixed signature.
        message: ErrorText,
    },

    /// A callback's closure returned an error or panicked while C was calling it.
    Callback {
        /// The callback's prototype.
        prototype: ErrorText,
        /// The error's message, or the panic's payload.
        message: ErrorText,
    },

    /// C declaration text that cannot be parsed ([`cdef`](crate::cdef),
    /// [`Declarations::cdef`](crate::Declarations::cdef), `str::parse::<CType>`,
    /// [`CDll::declare`](crate::CDll::declare)), or that conflicts with an
    /// earlier declaration.
    Declaration {
        /// The line of the text, counting from 1.
        line: usize,
        /// The column within the line, in characters, counting from 1.
        column: usize,
        /// What was expected and what was found, or what conflicts.
        message: ErrorText,
    },

    /// A name that a [`Declarations`](crate::Declarations) does not declare as
    /// the kind of thing asked for (or declared it, but could not express it:
    /// the reason is in the message).
    NotDeclared {
        /// What was asked for: "function", "variable", "type" or "constant".
        kind: ErrorText,
        /// The name that was asked for.
        name: ErrorText,
        /// Why, when there is more to say (it was skipped, it is another
        /// kind of declaration); may be empty.
        message: ErrorText,
    },

    /// A header could not be preprocessed
    /// ([`Declarations::from_header`](crate::Declarations::from_header)): no C
    /// compiler, or the compiler's own error.
    Header {
        /// The header that was asked for.
        header: ErrorText,
        /// Why: the compiler is missing, or its diagnostics.
        message: ErrorText,
    },

    /// A library file whose exported functions cannot be read
    /// ([`exported_functions`](crate::exported_functions)): it cannot be
    /// opened, or it is not a well-formed ELF shared object.
    LibraryFile {
        /// The file that was read.
        path: ErrorText,
        /// Why: the system's error, or what is malformed.
        message: ErrorText,
    },

    /// An error raised by user code, typically an `errcheck` hook
    /// ([`Error::custom`]): its message, which carries the error it came
    /// from, if any (the `source()`).
    Custom(ErrorText),

    /// An operating system error ([`Error::os`]): `errno` and `strerror`'s
    /// message; the `source()` is the [`std::io::Error`].
    Os {
        /// The error number.
        errno: i32,
        /// `strerror(errno)`.
        message: ErrorText,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::LibraryLoad {
                library, message, ..
            } => write!(f, "cannot load library `{library}`: {message}"),
            Error::SymbolNotFound {
                library,
                message,
                symbol,
                ..
            } => write!(f, "symbol `{symbol}` not found in `{library}`: {message}"),
            Error::ArgumentCount {
                function,
                expected,
                given,
                variadic,
            } => write!(
                f,
                "`{function}` takes {expected} argument{} ({}), {given} given",
                if *expected == 1 { "" } else { "s" },
                if *variadic {
                    "at least, variadic"
                } else {
                    "exactly"
                }
            ),
            Error::Argument {
                expected,
                function,
                given,
                index,
                reason,
                ..
            } => write!(
                f,
                "argument {index} of `{function}`: expected {expected}, got {given}: {reason}"
            ),
            Error::Conversion {
                expected,
                given,
                reason,
                ..
            } => write!(f, "cannot convert {given} to {expected}: {reason}"),
            Error::ValueType {
                expected, given, ..
            } => write!(f, "expected {expected}, got {given}"),
            Error::Definition {
                message, type_name, ..
            } => write!(f, "invalid type `{type_name}`: {message}"),
            Error::UnknownField {
                field, type_name, ..
            } => write!(f, "`{type_name}` has no field `{field}`"),
            Error::IndexOutOfRange {
                index,
                len,
                type_name,
                ..
            } => write!(
                f,
                "index {index} out of range for `{type_name}` of length {len}"
            ),
            Error::TooManyValues {
                expected,
                given,
                type_name,
                what,
                ..
            } => write!(
                f,
                "too many values for `{type_name}`: it takes at most {expected} ({what}), {given} given"
            ),
            Error::NullPointer { what, .. } => write!(f, "NULL pointer: {what}"),
            Error::Unsupported {
                operation,
                reason,
                type_name,
                ..
            } => write!(
                f,
                "{operation} is not supported for `{type_name}`: {reason}"
            ),
            Error::Ffi {
                function, message, ..
            } => write!(f, "libffi cannot prepare `{function}`: {message}"),
            Error::Signature {
                function, message, ..
            } => write!(
                f,
                "the typed signature of `{function}` does not match its declaration: {message}"
            ),
            Error::Callback {
                message, prototype, ..
            } => write!(f, "callback `{prototype}` failed: {message}"),
            Error::Declaration {
                column,
                line,
                message,
                ..
            } => write!(f, "line {line}, column {column}: {message}"),
            Error::NotDeclared {
                kind,
                name,
                message,
            } => {
                write!(f, "no {kind} `{name}` is declared")?;
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                Ok(())
            }
            Error::Header {
                header, message, ..
            } => write!(f, "cannot preprocess `{header}`: {message}"),
            Error::LibraryFile { path, message } => {
                write!(f, "cannot read the exports of `{path}`: {message}")
            }
            Error::Custom(message) => write!(f, "{message}"),
            Error::Os { errno, message, .. } => write!(f, "{message} (errno {errno})"),
        }
    }
}

impl std::error::Error for Error {
    /// The error this one came from: the loader's error for a library that
    /// cannot be loaded, the `std::io::Error` of [`Error::os`], the error
    /// given to [`Error::custom`].
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let text = match self {
            Error::LibraryLoad { message, .. } | Error::Os { message, .. } => message,
            Error::Custom(message) => message,
            _ => return None,
        };
        text.source()
    }
}

impl Error {
    /// An error of the caller's choosing, for `errcheck` hooks and
    /// callbacks: a message (`&str`, `String`), or any
    /// [`std::error::Error`], which is kept as the new error's `source()`.
    ///
    /// ```
    /// use std::error::Error as _;
    /// let e = rctypes::Error::custom("open failed");
    /// assert_eq!(e.to_string(), "open failed");
    /// assert!(e.source().is_none());
    /// let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
    /// let e = rctypes::Error::custom(io);
    /// assert_eq!(e.to_string(), "no such file");
    /// let source = e.source().unwrap().downcast_ref::<std::io::Error>().unwrap();
    /// assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
    /// ```
    pub fn custom(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        let error = error.into();
        let message = error.to_string();
        // A plain message (a &str or a String that std made into an error)
        // is no source of its own: its Debug is just the quoted text.
        let plain = error.source().is_none() && format!("{error:?}") == format!("{message:?}");
        let text = ErrorText::from(message);
        Error::Custom(if plain {
            text
        } else {
            text.with_source(Arc::from(error))
        })
    }

    /// An operating-system error from an `errno` value, with `strerror`'s
    /// message; its `source()` is the matching [`std::io::Error`] (so
    /// `raw_os_error()` gives `errno` back).
    ///
    /// ```
    /// use std::error::Error as _;
    /// let e = rctypes::Error::os(2);
    /// assert!(e.to_string().contains("No such file"), "{e}");
    /// assert!(matches!(e, rctypes::Error::Os { errno: 2, .. }));
    /// let io = e.source().unwrap().downcast_ref::<std::io::Error>().unwrap();
    /// assert_eq!(io.raw_os_error(), Some(2));
    /// ```
    pub fn os(errno: i32) -> Self {
        let io = std::io::Error::from_raw_os_error(errno);
        // io::Error displays "strerror text (os error N)": keep the text
        let full = io.to_string();
        let message = match full.rfind(" (os error") {
            Some(cut) => full[..cut].to_owned(),
            None => full,
        };
        Error::Os {
            errno,
            message: ErrorText::from(message).with_source(Arc::new(io)),
        }
    }
}

/// The text of an error's field (a name, a type, a message): one word, so
/// that [`Error`], and every `Result` holding one, stays small. It reads as
/// a `&str` ([`Deref`](std::ops::Deref), [`as_str`](ErrorText::as_str)),
/// compares with strings, and converts from and into `String`. A message
/// may carry the error it came from, which the [`Error`]'s `source()`
/// returns.
///
/// ```
/// let e = rctypes::Error::custom("no");
/// if let rctypes::Error::Custom(message) = &e {
///     assert_eq!(message, "no");
///     assert!(message.starts_with('n'));
///     let owned: String = message.to_string();
///     assert_eq!(owned, "no");
/// }
/// ```
#[derive(Clone, Default)]
pub struct ErrorText(Box<TextInner>);

#[derive(Clone, Default)]
struct TextInner {
    text: String,
    /// What the error this text belongs to came from.
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl ErrorText {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0.text
    }

    /// The text as a `String`.
    pub fn into_string(self) -> String {
        self.0.text
    }

    /// The error this text's error came from, if any.
    pub fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.source {
            Some(e) => Some(&**e),
            None => None,
        }
    }

    /// The same text, remembering `source`.
    pub(crate) fn with_source(mut self, source: Arc<dyn std::error::Error + Send + Sync>) -> Self {
        self.0.source = Some(source);
        self
    }
}

impl std::ops::Deref for ErrorText {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for ErrorText {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for ErrorText {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for ErrorText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ErrorText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Texts compare by their text (not by their source).
impl PartialEq for ErrorText {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for ErrorText {}

impl std::hash::Hash for ErrorText {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl From<String> for ErrorText {
    fn from(text: String) -> Self {
        ErrorText(Box::new(TextInner { text, source: None }))
    }
}

impl From<&str> for ErrorText {
    fn from(s: &str) -> Self {
        ErrorText::from(s.to_owned())
    }
}

impl From<&String> for ErrorText {
    fn from(s: &String) -> Self {
        ErrorText::from(s.clone())
    }
}

impl From<ErrorText> for String {
    fn from(t: ErrorText) -> Self {
        t.into_string()
    }
}

impl PartialEq<str> for ErrorText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ErrorText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for ErrorText {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<ErrorText> for str {
    fn eq(&self, other: &ErrorText) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<ErrorText> for &str {
    fn eq(&self, other: &ErrorText) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<ErrorText> for String {
    fn eq(&self, other: &ErrorText) -> bool {
        self.as_str() == other.as_str()
    }
}

/// A conversion failure before the caller's context (argument index,
/// function name) is known: turned into [`Error::Argument`] or
/// [`Error::Conversion`] by whoever knows the context.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConvError {
    pub expected: ErrorText,
    pub given: ErrorText,
    pub reason: ErrorText,
}

impl ConvError {
    pub(crate) fn new(
        expected: impl Into<ErrorText>,
        given: impl Into<ErrorText>,
        reason: impl Into<ErrorText>,
    ) -> Self {
        ConvError {
            expected: expected.into(),
            given: given.into(),
            reason: reason.into(),
        }
    }

    /// The error for an argument of a call.
    pub(crate) fn at_argument(self, function: &str, index: usize) -> Error {
        Error::Argument {
            function: function.into(),
            index,
            expected: self.expected,
            given: self.given,
            reason: self.reason,
        }
    }
}

impl From<ConvError> for Error {
    fn from(e: ConvError) -> Self {
        Error::Conversion {
            expected: e.expected,
            given: e.given,
            reason: e.reason,
        }
    }
}
