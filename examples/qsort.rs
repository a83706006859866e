//! Sorts with libc's `qsort` and a Rust comparator: a closure made callable
//! from C with a `CFUNCTYPE`-style prototype described at run time.
//!
//! Run with `cargo run --example qsort`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rctypes::{CData, CDll, CType, Callback, Value};

fn main() -> rctypes::Result<()> {
    let libc = CDll::this_process()?;

    // int (*compar)(const int *, const int *)
    let int_p = CType::c_int().pointer();
    let compar = CType::function(CType::c_int(), [int_p.clone(), int_p]);

    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let by_last_digit_then_value = Callback::new(&compar, move |args: &[Value]| {
        counter.fetch_add(1, Ordering::Relaxed);
        // SAFETY: qsort passes pointers to two elements of the array it sorts.
        let (a, b) = unsafe {
            (
                args[0].clone().into_data()?.read(0)?.as_i64()?,
                args[1].clone().into_data()?.read(0)?.as_i64()?,
            )
        };
        let key = |v: i64| (v.rem_euclid(10), v);
        Ok(Value::from(key(a).cmp(&key(b)) as i32))
    })?;

    // void qsort(void *base, size_t nmemb, size_t size, int (*compar)(...))
    let qsort = libc
        .function("qsort")?
        .argtypes([
            CType::c_void_p(),
            CType::c_size_t(),
            CType::c_size_t(),
            compar,
        ])
        .restype(CType::void());

    let values = [42, 7, 19, 3, 88, 61, 20, 15, 99, 4];
    let arr = CData::from_values(&CType::c_int().array(values.len()), values)?;
    println!("before: {values:?}");
    // SAFETY: qsort's real signature; `arr` holds 10 ints of 4 bytes each,
    // and the callback outlives the call.
    unsafe {
        qsort.call(&[
            (&arr).into(),
            values.len().into(),
            rctypes::sizeof(&CType::c_int()).into(),
            (&by_last_digit_then_value).into(),
        ])?
    };
    let sorted: Vec<i64> = (0..arr.len())
        .map(|i| arr.get_index(i)?.as_i64())
        .collect::<rctypes::Result<_>>()?;
    println!("sorted by last digit, then value: {sorted:?}");
    println!("the comparator ran {} times", calls.load(Ordering::Relaxed));
    Ok(())
}
