//! The classic ctypes sqlite3 recipe, ported: `sqlite3_exec` with a Python
//! function as the row callback, appending to a list; the error message
//! sqlite allocates through `char **errmsg`.
//!
//! ```python
//! CALLBACK = CFUNCTYPE(c_int, c_void_p, c_int, POINTER(c_char_p), POINTER(c_char_p))
//! rows = []
//! def on_row(_, argc, argv, names):
//!     rows.append(argv[:argc]); return 0
//! sqlite.sqlite3_exec(db, sql, CALLBACK(on_row), None, byref(errmsg))
//! ```
//!
//! The closure keeps its rows in an `Rc<RefCell<..>>`: sqlite calls it on
//! this thread, during the call, so `Callback::new_local` is enough.
//!
//! Run with `cargo run --example port_sqlite`.

use std::cell::RefCell;
use std::rc::Rc;

use rctypes::{CData, CDll, CType, Callback, Error, Value, byref, cdef, find_library};

fn main() -> rctypes::Result<()> {
    let path = find_library("sqlite3").ok_or_else(|| Error::custom("sqlite3 is not installed"))?;
    // SAFETY: sqlite's initialisers are safe to run.
    let lib = unsafe { CDll::open(&path)? };
    let s = cdef(
        r#"
        typedef struct sqlite3 sqlite3;
        typedef int (*sqlite3_callback)(void *, int, char **, char **);
        int sqlite3_open(const char *filename, sqlite3 **db);
        int sqlite3_exec(sqlite3 *db, const char *sql, sqlite3_callback cb, void *arg, char **errmsg);
        void sqlite3_free(void *p);
        int sqlite3_close(sqlite3 *db);
        "#,
    )?;
    let f = |name: &str| s.function(&lib, name);

    let db = CData::new(&s.type_of("sqlite3 *")?);
    // SAFETY (every call below): the declarations are sqlite's; db is the
    // connection sqlite3_open made; errmsg is freed once.
    unsafe { f("sqlite3_open")?.call(&[":memory:".into(), byref(&db)])? };

    let rows: Rc<RefCell<Vec<Vec<String>>>> = Rc::default();
    let sink = Rc::clone(&rows);
    let on_row = Callback::new_local(&s.type_of("sqlite3_callback")?, move |args: &[Value]| {
        let argc = args[1].as_u64()? as usize;
        // SAFETY: sqlite passes argc column values (char *, NULL for SQL NULL).
        let argv = unsafe { args[2].as_data()?.read_many(argc)? };
        let row = argv
            .iter()
            .map(|v| Ok(if v.is_null() { "NULL" } else { v.as_str()? }.to_owned()));
        sink.borrow_mut().push(row.collect::<rctypes::Result<_>>()?);
        Ok(Value::Int(0))
    })?;
    let errmsg = CData::new(&CType::c_char_p());
    let sql = "CREATE TABLE langs(name TEXT, year INT);
               INSERT INTO langs VALUES ('C', 1972), ('Python', 1991), ('Rust', 2015);
               SELECT name, year FROM langs WHERE year > 1980 ORDER BY year;";
    let exec = f("sqlite3_exec")?;
    unsafe {
        exec.call(&[
            (&db).into(),
            sql.into(),
            (&on_row).into(),
            Value::Null,
            byref(&errmsg),
        ])?
    };
    for row in rows.borrow().iter() {
        println!("row: {}", row.join(" | "));
    }

    let rc = unsafe {
        exec.call(&[
            (&db).into(),
            "SELECT nope FROM langs".into(),
            Value::Null,
            Value::Null,
            byref(&errmsg),
        ])?
    };
    // SAFETY: sqlite stored a NUL-terminated message it allocated.
    println!("error {rc}: {}", unsafe { errmsg.follow()? }.as_str()?);
    unsafe { f("sqlite3_free")?.call(&[(&errmsg).into()])? };
    unsafe { f("sqlite3_close")?.call(&[(&db).into()])? };
    Ok(())
}
