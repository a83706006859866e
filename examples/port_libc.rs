//! Classic ctypes snippets against libc, ported: `strtol`'s end pointer,
//! the ctypes tutorial's `qsort` with a Python comparator, and
//! `localtime_r` with the zone name `struct tm` points to.
//!
//! ```python
//! libc = CDLL(None)
//! end = c_char_p(); libc.strtol(b"42 apples", byref(end), 10); print(end.value)
//! CMPFUNC = CFUNCTYPE(c_int, POINTER(c_int), POINTER(c_int))
//! qsort(ia, len(ia), sizeof(c_int), CMPFUNC(lambda a, b: a[0] - b[0]))
//! ```
//!
//! Run with `cargo run --example port_libc`.

use std::cell::Cell;
use std::rc::Rc;

use rctypes::{CData, CDll, CType, Callback, Value, byref, cdef, create_string_buffer};

fn main() -> rctypes::Result<()> {
    let libc = CDll::this_process()?;
    let c = cdef(
        r#"
        struct tm { int tm_sec, tm_min, tm_hour, tm_mday, tm_mon, tm_year, tm_wday, tm_yday, tm_isdst;
                    long tm_gmtoff; const char *tm_zone; };
        long strtol(const char *nptr, char **endptr, int base);
        void qsort(void *base, size_t nmemb, size_t size, int (*compar)(const int *, const int *));
        long time(long *t);
        struct tm *localtime_r(const long *t, struct tm *result);
        size_t strftime(char *s, size_t max, const char *format, const struct tm *tm);
        "#,
    )?;
    let f = |name: &str| c.function(&libc, name);

    // strtol: the number, and where parsing stopped (a char * into our text)
    let text = create_string_buffer("42 apples");
    let end = CData::new(&CType::c_char_p());
    // SAFETY (every call below): the declarations are libc's, and every
    // pointer passed is to a live instance of the declared type.
    let n = unsafe { f("strtol")?.call(&[(&text).into(), byref(&end), 10.into()])? };
    // SAFETY: end points into `text`, which is NUL-terminated.
    println!("strtol: {n}, then {:?}", unsafe { end.follow()? }.as_str()?);

    // qsort with a comparator that counts its calls in an Rc<Cell>
    let ia = CData::from_values(&CType::c_int().array(5), [5, 1, 7, 33, 99])?;
    let calls = Rc::new(Cell::new(0));
    let counter = Rc::clone(&calls);
    let compar_t = c.type_of("int (*)(const int *, const int *)")?;
    let cmp = Callback::new_local(&compar_t, move |args: &[Value]| {
        counter.set(counter.get() + 1);
        // SAFETY: qsort passes pointers to two elements of the array.
        let (a, b) = unsafe { (args[0].as_data()?.read(0)?, args[1].as_data()?.read(0)?) };
        Ok(Value::from(a.as_i64()? - b.as_i64()?))
    })?;
    unsafe { f("qsort")?.call(&[(&ia).into(), 5usize.into(), 4usize.into(), (&cmp).into()])? };
    println!(
        "qsort: {:?} after {} comparisons",
        ia.to_vec::<i32>()?,
        calls.get()
    );

    // time + localtime_r + strftime, and the zone name tm_zone points to
    let now = CData::with_value(&CType::c_long(), unsafe {
        f("time")?.call(&[Value::Null])?
    })?;
    let tm = CData::new(&c.type_of("struct tm")?);
    unsafe { f("localtime_r")?.call(&[byref(&now), byref(&tm)])? };
    let out = create_string_buffer(64);
    unsafe {
        f("strftime")?.call(&[
            (&out).into(),
            64usize.into(),
            "%Y-%m-%d %H:%M".into(),
            byref(&tm),
        ])?
    };
    // SAFETY: tm_zone points to one of libc's static zone names.
    let zone = unsafe { tm.field("tm_zone")?.follow()? };
    println!("now: {} {}", out.value()?.as_str()?, zone.as_str()?);
    println!("{tm:#?}");
    Ok(())
}
