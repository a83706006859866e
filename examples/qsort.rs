//! Sorts with libc's `qsort` and a Rust comparator: a closure made callable
//! from C with a `CFUNCTYPE`-style prototype described at run time. qsort
//! calls back on this thread, during the call, so the closure may keep its
//! state in an `Rc<Cell<..>>` (`Callback::new_local`).
//!
//! Run with `cargo run --example qsort`.

use std::cell::Cell;
use std::rc::Rc;

use rctypes::{CData, CDll, CType, Callback, Value};

fn main() -> rctypes::Result<()> {
    let libc = CDll::this_process()?;

    // int (*compar)(const int *, const int *)
    let int_p = CType::c_int().pointer();
    let compar = CType::function(CType::c_int(), [int_p.clone(), int_p]);

    let calls = Rc::new(Cell::new(0));
    let counter = Rc::clone(&calls);
    let by_last_digit_then_value = Callback::new_local(&compar, move |args: &[Value]| {
        counter.set(counter.get() + 1);
        // SAFETY: qsort passes pointers to two elements of the array it sorts.
        let (a, b) = unsafe { (args[0].as_data()?.read(0)?, args[1].as_data()?.read(0)?) };
        let key = |v: &Value| Ok::<_, rctypes::Error>((v.as_i64()?.rem_euclid(10), v.as_i64()?));
        Ok(Value::from(key(&a)?.cmp(&key(&b)?) as i32))
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
    let arr = CData::from_slice(&CType::c_int(), &values)?;
    println!("before: {arr:?}");
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
    let sorted: Vec<i32> = arr.to_vec()?;
    println!("sorted by last digit, then value: {sorted:?}");
    println!("the comparator ran {} times", calls.get());
    Ok(())
}
