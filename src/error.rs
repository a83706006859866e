//! The crate's one error type.
//!
//! Every variant carries what a user needs to find the mistake: the library and
//! the loader's own message, the symbol, the argument's index with the expected
//! and the given types, the field, the bit width, the overflowing value.

use std::fmt;

/// The result type of every fallible operation in rctypes.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong before, around or after a foreign call.
///
/// Errors are raised *before* C runs whenever the mistake can be detected
/// there (a wrong argument count, a value that does not fit its C type, an
/// interior NUL in a string), and leave nothing half-done.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The dynamic loader refused to open a library.
    #[error("cannot load library `{library}`: {message}")]
    LibraryLoad {
        /// The name or path that was asked for.
        library: String,
        /// The loader's own message (`dlerror`).
        message: String,
    },

    /// A symbol is not exported by the library, or resolves to NULL.
    #[error("symbol `{symbol}` not found in `{library}`: {message}")]
    SymbolNotFound {
        /// The symbol that was looked up.
        symbol: String,
        /// The library it was looked up in.
        library: String,
        /// The loader's message, or why the symbol was rejected.
        message: String,
    },

    /// A call got a different number of arguments than its argtypes declare.
    #[error("`{function}` takes {expected} argument{} ({}), {given} given",
        if *.expected == 1 { "" } else { "s" },
        if *.variadic { "at least, variadic" } else { "exactly" })]
    ArgumentCount {
        /// The function's name.
        function: String,
        /// How many arguments the argtypes declare.
        expected: usize,
        /// How many were given.
        given: usize,
        /// Whether the function is variadic (then `expected` is a minimum).
        variadic: bool,
    },

    /// An argument cannot be converted to its declared C type.
    #[error("argument {index} of `{function}`: expected {expected}, got {given}: {reason}")]
    Argument {
        /// The function's name.
        function: String,
        /// The argument's position, counting from 0.
        index: usize,
        /// The declared C type.
        expected: String,
        /// What was given.
        given: String,
        /// Why the conversion failed.
        reason: String,
    },

    /// A value cannot be stored in a C type (outside a call: `CData::with_value`,
    /// `set_value`, `set`, `set_index`, a callback's result).
    #[error("cannot convert {given} to {expected}: {reason}")]
    Conversion {
        /// The C type the value was meant for.
        expected: String,
        /// What was given.
        given: String,
        /// Why the conversion failed.
        reason: String,
    },

    /// A [`Value`](crate::Value) accessor was used on a value of another kind
    /// (`as_i64` on a string, `as_str` on invalid UTF-8, ...).
    #[error("expected {expected}, got {given}")]
    ValueType {
        /// What the accessor needs.
        expected: String,
        /// What the value is.
        given: String,
    },

    /// A structure or union declaration is invalid (bad pack/align, a bitfield
    /// of width 0 or wider than its type, duplicate names, ...).
    #[error("invalid type `{type_name}`: {message}")]
    Definition {
        /// The type being declared.
        type_name: String,
        /// What is wrong with it.
        message: String,
    },

    /// A field name that the structure or union does not have.
    #[error("`{type_name}` has no field `{field}`")]
    UnknownField {
        /// The structure or union.
        type_name: String,
        /// The name that was asked for.
        field: String,
    },

    /// An index outside an array.
    #[error("index {index} out of range for `{type_name}` of length {len}")]
    IndexOutOfRange {
        /// The array type.
        type_name: String,
        /// The index that was asked for.
        index: usize,
        /// The array's length.
        len: usize,
    },

    /// More initial values than an array has elements or a structure has
    /// fields ([`CData::from_values`](crate::CData::from_values)).
    #[error(
        "too many values for `{type_name}`: it takes at most {expected} ({what}), {given} given"
    )]
    TooManyValues {
        /// The type being initialised.
        type_name: String,
        /// How many values it takes.
        expected: usize,
        /// How many were given.
        given: usize,
        /// What the values fill: "elements" or "fields".
        what: String,
    },

    /// A NULL pointer where memory was needed (`contents` of a NULL pointer,
    /// calling a function at address 0).
    #[error("NULL pointer: {what}")]
    NullPointer {
        /// What was being done with it.
        what: String,
    },

    /// An operation that does not apply to this C type (the value of a
    /// structure, the contents of a non-pointer, a long double on a platform
    /// without an 80-bit format, ...).
    #[error("{operation} is not supported for `{type_name}`: {reason}")]
    Unsupported {
        /// What was attempted.
        operation: String,
        /// The C type it was attempted on.
        type_name: String,
        /// Why it cannot be done.
        reason: String,
    },

    /// libffi refused a signature (`ffi_prep_cif` failed).
    #[error("libffi cannot prepare `{function}`: {message}")]
    Ffi {
        /// The function or callback prototype.
        function: String,
        /// libffi's status.
        message: String,
    },

    /// A Rust signature given to [`Function::typed`](crate::Function::typed)
    /// does not match the function's declaration (or it has none).
    #[error("the typed signature of `{function}` does not match its declaration: {message}")]
    Signature {
        /// The function's name.
        function: String,
        /// The first difference, or why there is no fixed signature.
        message: String,
    },

    /// A callback's closure returned an error or panicked while C was calling it.
    #[error("callback `{prototype}` failed: {message}")]
    Callback {
        /// The callback's prototype.
        prototype: String,
        /// The error's message, or the panic's payload.
        message: String,
    },

    /// C declaration text that cannot be parsed ([`cdef`](crate::cdef),
    /// [`Declarations::cdef`](crate::Declarations::cdef), `str::parse::<CType>`,
    /// [`CDll::declare`](crate::CDll::declare)), or that conflicts with an
    /// earlier declaration.
    #[error("line {line}, column {column}: {message}")]
    Declaration {
        /// The line of the text, counting from 1.
        line: usize,
        /// The column within the line, in characters, counting from 1.
        column: usize,
        /// What was expected and what was found, or what conflicts.
        message: String,
    },

    /// A name that a [`Declarations`](crate::Declarations) does not declare as
    /// the kind of thing asked for (or declared it, but could not express it:
    /// the reason is in the message).
    #[error("no {kind} `{name}` is declared{}", if .message.is_empty() { String::new() } else { format!(": {}", .message) })]
    NotDeclared {
        /// What was asked for: "function", "variable", "type" or "constant".
        kind: String,
        /// The name that was asked for.
        name: String,
        /// Why, when there is more to say (it was skipped, it is another
        /// kind of declaration); may be empty.
        message: String,
    },

    /// A header could not be preprocessed
    /// ([`Declarations::from_header`](crate::Declarations::from_header)): no C
    /// compiler, or the compiler's own error.
    #[error("cannot preprocess `{header}`: {message}")]
    Header {
        /// The header that was asked for.
        header: String,
        /// Why: the compiler is missing, or its diagnostics.
        message: String,
    },

    /// An error raised by user code, typically an `errcheck` hook.
    #[error("{0}")]
    Custom(String),
}

impl Error {
    /// An error with a message of the caller's choosing, for `errcheck` hooks
    /// and callbacks.
    ///
    /// ```
    /// let e = rctypes::Error::custom("open failed");
    /// assert_eq!(e.to_string(), "open failed");
    /// ```
    pub fn custom(message: impl fmt::Display) -> Self {
        Error::Custom(message.to_string())
    }
}

/// A conversion failure before the caller's context (argument index,
/// function name) is known: turned into [`Error::Argument`] or
/// [`Error::Conversion`] by whoever knows the context.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConvError {
    pub expected: String,
    pub given: String,
    pub reason: String,
}

impl ConvError {
    pub(crate) fn new(
        expected: impl Into<String>,
        given: impl Into<String>,
        reason: impl Into<String>,
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
            function: function.to_owned(),
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
