//! A Point/Rect C API driven from Rust with types described at run time:
//! structures passed by value, by pointer, and returned; C writing into a
//! Rust-owned instance; an array of structures; a linked list.
//!
//! Run with `cargo run --example structs`.

use rctypes::{CData, CDll, CType, Value, byref};

fn main() -> rctypes::Result<()> {
    // SAFETY: the fixture library has no initialisers with requirements.
    let lib = unsafe { CDll::open(env!("RCTYPES_FIXTURE_LIB"))? };

    // typedef struct { int x, y; } Point;  typedef struct { Point min, max; } Rect;
    let point = CType::structure("Point")
        .field("x", CType::c_int())
        .field("y", CType::c_int())
        .build()?;
    let rect = CType::structure("Rect")
        .field("min", point.clone())
        .field("max", point.clone())
        .build()?;
    println!(
        "sizeof(Point) = {}, sizeof(Rect) = {}, Rect.max.offset = {}",
        rctypes::sizeof(&point),
        rctypes::sizeof(&rect),
        rect.field("max").map_or(0, |f| f.offset)
    );

    // Point point_make(int, int): a structure returned by value
    let point_make = lib
        .function("point_make")?
        .argtypes([CType::c_int(), CType::c_int()])
        .restype(point.clone());
    // Rect rect_make(Point, Point): structures passed by value
    let rect_make = lib
        .function("rect_make")?
        .argtypes([point.clone(), point.clone()])
        .restype(rect.clone());
    // long rect_area(Rect)
    let rect_area = lib
        .function("rect_area")?
        .argtypes([rect.clone()])
        .restype(CType::c_long());
    // void rect_move(Rect *, int, int): C writes through the pointer
    let rect_move = lib
        .function("rect_move")?
        .argtypes([rect.pointer(), CType::c_int(), CType::c_int()])
        .restype(CType::void());
    // int rect_center(const Rect *, Point *out)
    let rect_center = lib
        .function("rect_center")?
        .argtypes([rect.pointer(), point.pointer()])
        .restype(CType::c_int());

    // SAFETY (for every call below): each declared signature is the C one,
    // and every pointer passed points at a live instance of the right type.
    let a = unsafe { point_make.call(&[1.into(), 2.into()])? }.into_data()?;
    let b = CData::from_values(&point, [11, 7])?; // Point(11, 7), built in Rust
    println!("a = {a:?}"); // Point { x: 1, y: 2 }

    let r = unsafe { rect_make.call(&[(&b).into(), (&a).into()])? }.into_data()?;
    println!("rect_make(b, a) = {r:?}");
    println!(
        "rect_area = {}",
        unsafe { rect_area.call(&[(&r).into()])? }.as_i64()?
    );

    // A Rect instance where POINTER(Rect) is declared is passed by reference,
    // as in ctypes; byref(r) says the same explicitly.
    unsafe { rect_move.call(&[byref(&r), 10.into(), (-1).into()])? };
    println!("after rect_move(&r, 10, -1): {r:?}");
    let center = CData::new(&point);
    let perimeter = unsafe { rect_center.call(&[(&r).into(), byref(&center)])? };
    println!("rect_center: {center:?}, perimeter {perimeter}");

    // An array of structures where POINTER(Point) is declared.
    let points_sum_x = lib
        .function("points_sum_x")?
        .argtypes([point.pointer(), CType::c_int()])
        .restype(CType::c_long());
    let pts = CData::from_values(&point.array(3), [a, b, center])?;
    let total = unsafe { points_sum_x.call(&[(&pts).into(), 3.into()])? };
    println!("points_sum_x({pts:?}) = {total}");

    // A self-referential type, declared first and defined after.
    let node = CType::structure("Node").declare();
    node.define(|s| {
        s.field("value", CType::c_int())
            .field("next", node.pointer())
    })?;
    let mut head: Option<CData> = None;
    for v in [30, 20, 10] {
        let n = CData::new(&node);
        n.set("value", v)?;
        if let Some(next) = &head {
            n.set("next", next.pointer())?; // the list keeps its nodes alive
        }
        head = Some(n);
    }
    let list_sum = lib
        .function("list_sum")?
        .argtypes([node.pointer()])
        .restype(CType::c_int());
    let first = head.map_or(Value::Null, |h| h.pointer().into());
    println!(
        "list_sum(10 -> 20 -> 30) = {}",
        unsafe { list_sum.call(&[first])? }.as_i64()?
    );
    Ok(())
}
