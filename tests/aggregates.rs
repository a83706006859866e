//! Structures and unions by value, as arguments and results, in every
//! System V class: each type of fixtures-c/aggregates.c is declared again
//! here, filled, passed to C, transformed by C, returned, and checked field
//! by field. Five copies at once exhaust the registers so some go on the stack.

mod common;
use common::{call, func};
use rctypes::{CData, CType, Error, Value};

/// A field path: `a`, `p.a` (nested), `v[2]` (array element).
fn leaf_parent(d: &CData, path: &str) -> (CData, String) {
    let mut cur = d.clone();
    let parts: Vec<&str> = path.split('.').collect();
    for part in &parts[..parts.len() - 1] {
        cur = cur.field(part).unwrap();
    }
    (cur, parts[parts.len() - 1].to_owned())
}

fn get_leaf(d: &CData, path: &str) -> Value {
    let (parent, last) = leaf_parent(d, path);
    match last.split_once('[') {
        Some((name, idx)) => {
            let i: usize = idx.trim_end_matches(']').parse().unwrap();
            parent.field(name).unwrap().get_index(i).unwrap()
        }
        None => parent.get(&last).unwrap(),
    }
}

fn set_leaf(d: &CData, path: &str, v: Value) {
    let (parent, last) = leaf_parent(d, path);
    match last.split_once('[') {
        Some((name, idx)) => {
            let i: usize = idx.trim_end_matches(']').parse().unwrap();
            parent.field(name).unwrap().set_index(i, v).unwrap()
        }
        None => parent.set(&last, v).unwrap(),
    }
}

/// What kind of number a leaf holds, read off a zeroed instance, and for
/// bitfields their width.
#[derive(Clone, Copy, Debug)]
enum Leaf {
    Float,
    Signed(u32),
    Unsigned(u32),
    Char,
}

fn leaf_kind(ty: &CType, path: &str) -> Leaf {
    let zero = CData::new(ty);
    let (parent, last) = leaf_parent(&zero, path);
    let width = match last.split_once('[') {
        Some((name, _)) => parent
            .field(name)
            .ok()
            .and_then(|a| a.ctype().element().map(|e| 8 * e.size() as u32)),
        None => parent.ctype().field(&last).map(|f| match f.bits {
            Some(b) => b.width,
            None => 8 * f.size as u32,
        }),
    };
    match get_leaf(&zero, path) {
        Value::Float(_) => Leaf::Float,
        Value::Int(_) => Leaf::Signed(width.unwrap_or(16)),
        Value::UInt(_) => Leaf::Unsigned(width.unwrap_or(16)),
        Value::Bytes(_) => Leaf::Char,
        other => panic!("{path}: unexpected {other:?}"),
    }
}

/// A value for leaf `k` of copy `j`, small enough that C's `2 * v + 1` fits.
fn value_for(kind: Leaf, k: usize, j: usize) -> f64 {
    let raw = (k * 7 + j * 3) as i64 % 23 - 5;
    match kind {
        Leaf::Float => k as f64 * 0.5 + j as f64 * 0.25 - 1.0,
        Leaf::Signed(w) => {
            let hi = (1i64 << (w.min(12) - 2)) - 1;
            (raw.rem_euclid(2 * hi + 2) - hi - 1) as f64
        }
        Leaf::Unsigned(w) => raw.rem_euclid(1i64 << (w.min(12) - 1)) as f64,
        Leaf::Char => raw as f64,
    }
}

fn as_value(kind: Leaf, x: f64) -> Value {
    match kind {
        Leaf::Float => Value::Float(x),
        Leaf::Signed(_) | Leaf::Char => Value::Int(x as i64),
        Leaf::Unsigned(_) => Value::UInt(x as u64),
    }
}

fn read_number(kind: Leaf, v: &Value) -> f64 {
    match (kind, v) {
        (Leaf::Char, Value::Bytes(b)) => f64::from(b[0] as i8),
        _ => v.as_f64().unwrap(),
    }
}

/// Checks `T_twice`, `T_sum` and `T_five` for one type.
fn check_type(name: &str, ty: &CType, leaves: &[&str]) {
    let kinds: Vec<Leaf> = leaves.iter().map(|p| leaf_kind(ty, p)).collect();
    let make = |j: usize| {
        let d = CData::new(ty);
        for (k, (path, kind)) in leaves.iter().zip(&kinds).enumerate() {
            set_leaf(&d, path, as_value(*kind, value_for(*kind, k, j)));
        }
        d
    };
    let sum_of = |j: usize| -> f64 {
        kinds
            .iter()
            .enumerate()
            .map(|(k, kind)| value_for(*kind, k, j))
            .sum()
    };

    let twice = func(&format!("{name}_twice"), [ty.clone()], ty.clone());
    let input = make(0);
    let before = input.to_bytes();
    let out = call(&twice, &[(&input).into()])
        .unwrap_or_else(|e| panic!("{name}_twice: {e}"))
        .into_data()
        .unwrap();
    assert_eq!(input.to_bytes(), before, "{name}: the argument is a copy");
    assert_eq!(out.ctype(), ty);
    for (k, (path, kind)) in leaves.iter().zip(&kinds).enumerate() {
        let got = read_number(*kind, &get_leaf(&out, path));
        let want = 2.0 * value_for(*kind, k, 0) + 1.0;
        assert_eq!(got, want, "{name}_twice: field {path}");
    }

    let sum = func(&format!("{name}_sum"), [ty.clone()], CType::c_double());
    let got = call(&sum, &[input.into()]).unwrap().as_f64().unwrap();
    assert_eq!(got, sum_of(0), "{name}_sum");

    let five = func(
        &format!("{name}_five"),
        vec![ty.clone(); 5],
        CType::c_double(),
    );
    let args: Vec<Value> = (0..5).map(|j| make(j).into()).collect();
    let got = call(&five, &args).unwrap().as_f64().unwrap();
    let want: f64 = (0..5).map(|j| (j + 1) as f64 * sum_of(j)).sum();
    assert_eq!(got, want, "{name}_five");
}

fn st(name: &str, fields: &[(&str, CType)]) -> rctypes::RecordBuilder {
    fields
        .iter()
        .fold(CType::structure(name), |b, (n, t)| b.field(*n, t.clone()))
}
fn un(name: &str, fields: &[(&str, CType)]) -> rctypes::RecordBuilder {
    fields
        .iter()
        .fold(CType::union(name), |b, (n, t)| b.field(*n, t.clone()))
}

#[test]
fn every_class_by_value() -> rctypes::Result<()> {
    let (c, uc, sh, us) = (
        CType::c_char(),
        CType::c_ubyte(),
        CType::c_short(),
        CType::c_ushort(),
    );
    let (i, u, ll) = (CType::c_int(), CType::c_uint(), CType::c_longlong());
    let (f, d, ld) = (CType::c_float(), CType::c_double(), CType::c_longdouble());
    let s_ff = st("S_ff", &[("a", f.clone()), ("b", f.clone())]).build()?;

    let cases: Vec<(&str, CType, Vec<&str>)> = vec![
        ("S_f", st("S_f", &[("a", f.clone())]).build()?, vec!["a"]),
        ("S_ff", s_ff.clone(), vec!["a", "b"]),
        (
            "S_fff",
            st(
                "S_fff",
                &[("a", f.clone()), ("b", f.clone()), ("c", f.clone())],
            )
            .build()?,
            vec!["a", "b", "c"],
        ),
        (
            "S_f4",
            st("S_f4", &[("v", f.array(4))]).build()?,
            vec!["v[0]", "v[1]", "v[2]", "v[3]"],
        ),
        ("S_d", st("S_d", &[("a", d.clone())]).build()?, vec!["a"]),
        (
            "S_dd",
            st("S_dd", &[("a", d.clone()), ("b", d.clone())]).build()?,
            vec!["a", "b"],
        ),
        (
            "S_ddd",
            st(
                "S_ddd",
                &[("a", d.clone()), ("b", d.clone()), ("c", d.clone())],
            )
            .build()?,
            vec!["a", "b", "c"],
        ),
        (
            "S_di",
            st("S_di", &[("a", d.clone()), ("b", i.clone())]).build()?,
            vec!["a", "b"],
        ),
        (
            "S_id",
            st("S_id", &[("a", i.clone()), ("b", d.clone())]).build()?,
            vec!["a", "b"],
        ),
        (
            "S_fi",
            st("S_fi", &[("a", f.clone()), ("b", i.clone())]).build()?,
            vec!["a", "b"],
        ),
        (
            "S_cd",
            st("S_cd", &[("a", c.clone()), ("b", d.clone())]).build()?,
            vec!["a", "b"],
        ),
        (
            "S_f3i",
            st("S_f3i", &[("v", f.array(3)), ("i", i.clone())]).build()?,
            vec!["v[0]", "v[1]", "v[2]", "i"],
        ),
        (
            "S_nested",
            st("S_nested", &[("p", s_ff.clone()), ("z", d.clone())]).build()?,
            vec!["p.a", "p.b", "z"],
        ),
        (
            "S_sss",
            st(
                "S_sss",
                &[("a", sh.clone()), ("b", sh.clone()), ("c", sh.clone())],
            )
            .build()?,
            vec!["a", "b", "c"],
        ),
        (
            "S_iii",
            st(
                "S_iii",
                &[("a", i.clone()), ("b", i.clone()), ("c", i.clone())],
            )
            .build()?,
            vec!["a", "b", "c"],
        ),
        (
            "S_ll",
            st("S_ll", &[("a", ll.clone()), ("b", ll.clone())]).build()?,
            vec!["a", "b"],
        ),
        (
            "S_lll",
            st(
                "S_lll",
                &[("a", ll.clone()), ("b", ll.clone()), ("c", ll.clone())],
            )
            .build()?,
            vec!["a", "b", "c"],
        ),
        (
            "S_odd",
            st(
                "S_odd",
                &[
                    ("a", uc.clone()),
                    ("b", us.clone()),
                    ("c", uc.clone()),
                    ("d", f.clone()),
                ],
            )
            .build()?,
            vec!["a", "b", "c", "d"],
        ),
        (
            "P_cis",
            st(
                "P_cis",
                &[("a", c.clone()), ("b", i.clone()), ("c", sh.clone())],
            )
            .pack(1)
            .build()?,
            vec!["a", "b", "c"],
        ),
        (
            "P_cd",
            st("P_cd", &[("a", c.clone()), ("b", d.clone())])
                .pack(1)
                .build()?,
            vec!["a", "b"],
        ),
        (
            "P_ff",
            st("P_ff", &[("a", f.clone()), ("b", f.clone())])
                .pack(1)
                .build()?,
            vec!["a", "b"],
        ),
        (
            "P_sf",
            st("P_sf", &[("a", sh.clone()), ("b", f.clone())])
                .pack(2)
                .build()?,
            vec!["a", "b"],
        ),
        (
            "A_16",
            st("A_16", &[("a", i.clone())]).align(16).build()?,
            vec!["a"],
        ),
        (
            "A_16ff",
            st("A_16ff", &[("a", f.clone()), ("b", f.clone())])
                .align(16)
                .build()?,
            vec!["a", "b"],
        ),
        (
            "U_if",
            un("U_if", &[("i", i.clone()), ("f", f.clone())]).build()?,
            vec!["i"],
        ),
        (
            "U_fd",
            un("U_fd", &[("f", f.clone()), ("d", d.clone())]).build()?,
            vec!["d"],
        ),
        (
            "U_dl",
            un("U_dl", &[("d", d.clone()), ("l", ll.clone())]).build()?,
            vec!["l"],
        ),
        (
            "U_d2i",
            un("U_d2i", &[("d", d.array(2)), ("i", i.clone())]).build()?,
            vec!["d[0]", "d[1]"],
        ),
        (
            "U_f2d",
            un("U_f2d", &[("f", f.array(2)), ("d", d.clone())]).build()?,
            vec!["f[0]", "f[1]"],
        ),
        (
            "BF_uf",
            CType::structure("BF_uf")
                .bitfield("a", u.clone(), 4)
                .field("f", f.clone())
                .build()?,
            vec!["a", "f"],
        ),
        (
            "BF_id",
            CType::structure("BF_id")
                .bitfield("a", i.clone(), 3)
                .field("d", d.clone())
                .build()?,
            vec!["a", "d"],
        ),
        (
            "BF_3x20",
            CType::structure("BF_3x20")
                .bitfield("a", u.clone(), 20)
                .bitfield("b", u.clone(), 20)
                .bitfield("c", u.clone(), 20)
                .build()?,
            vec!["a", "b", "c"],
        ),
        (
            "LD_pair",
            st("LD_pair", &[("x", ld.clone()), ("y", d.clone())]).build()?,
            vec!["x", "y"],
        ),
    ];
    for (name, ty, leaves) in &cases {
        check_type(name, ty, leaves);
    }
    Ok(())
}

#[test]
fn byte_structs_of_every_size_from_1_to_40() -> rctypes::Result<()> {
    for n in 1..=40usize {
        let ty = CType::structure(&format!("B{n}"))
            .field("b", CType::c_ubyte().array(n))
            .build()?;
        let bytes: Vec<u8> = (0..n).map(|i| ((i * 37 + n) % 256) as u8).collect();
        let s = CData::from_bytes(&ty, &bytes)?;
        let twice = func(&format!("bytes{n}_twice"), [ty.clone()], ty.clone());
        let out = call(&twice, &[(&s).into()])?.into_data()?;
        let want: Vec<u8> = bytes
            .iter()
            .map(|b| b.wrapping_mul(2).wrapping_add(1))
            .collect();
        assert_eq!(out.to_bytes(), want, "bytes{n}_twice");

        let weighted: u64 = bytes
            .iter()
            .enumerate()
            .map(|(i, &b)| u64::from(b) * (i as u64 + 1))
            .sum();
        let sum = func(&format!("bytes{n}_sum"), [ty.clone()], CType::c_ulong());
        assert_eq!(
            call(&sum, &[(&s).into()])?,
            Value::UInt(weighted),
            "bytes{n}_sum"
        );

        let mut argtypes = vec![CType::c_long(); 5];
        argtypes.push(ty.clone());
        let after = func(&format!("bytes{n}_after"), argtypes, CType::c_ulong());
        let regs: [i64; 5] = [1000, 2000, 3000, 4000, 5000];
        let mut args: Vec<Value> = regs.iter().map(|&r| r.into()).collect();
        args.push(s.into());
        let reg_part: i64 = regs
            .iter()
            .enumerate()
            .map(|(k, r)| (k as i64 + 1) * r)
            .sum();
        assert_eq!(
            call(&after, &args)?,
            Value::UInt(weighted + reg_part as u64),
            "bytes{n}_after"
        );
    }
    Ok(())
}

/// An argument aligned to 32 bytes sits on a 32-aligned stack slot (libffi
/// aligns its area to 16 only, so the call plan makes such calls even with
/// `RCTYPES_CALL_PLAN=off`, and a build without it refuses them): by value both ways, and five at once so that
/// later ones land at higher aligned offsets, checked against gcc.
#[test]
fn over_aligned_arguments_sit_on_an_aligned_stack() -> rctypes::Result<()> {
    let a32 = st("A_32", &[("a", CType::c_double())]).align(32).build()?;
    assert_eq!((rctypes::sizeof(&a32), rctypes::alignment(&a32)), (32, 32));
    let twice = func("A_32_twice", [a32.clone()], a32.clone());
    let s = CData::new(&a32);
    s.set("a", 1.25)?;
    if !cfg!(feature = "call-plan") {
        common::assert_refused_without_plan(call(&twice, &[(&s).into()]));
        return Ok(());
    }
    let r = call(&twice, &[(&s).into()])?.into_data()?;
    assert_eq!(r.get("a")?, Value::Float(3.5), "2 * 1.25 + 1");
    let five = func("A_32_five", vec![a32.clone(); 5], CType::c_double());
    let args: Vec<Value> = (1..=5)
        .map(|i| {
            let d = CData::new(&a32);
            d.set("a", f64::from(i) * 0.5).unwrap();
            Value::Data(d)
        })
        .collect();
    // 1*0.5 + 2*1.0 + 3*1.5 + 4*2.0 + 5*2.5
    assert_eq!(call(&five, &args)?, Value::Float(27.5));
    Ok(())
}

/// A structure holding only a `long double` goes in memory as an argument
/// and comes back on the x87 stack (`st(0)`), which libffi has no way to
/// return: the call plan makes these calls (a build without it refuses
/// the one that returns it).
#[test]
fn lone_long_double_struct_both_ways() -> rctypes::Result<()> {
    let ty = CType::structure("LD_one")
        .field("x", CType::c_longdouble())
        .build()?;
    let value = func("LD_one_value", [ty.clone()], CType::c_double());
    let s = CData::new(&ty);
    s.set("x", 2.5)?;
    assert_eq!(call(&value, &[s.into()])?, Value::Float(2.5));

    let make = func("LD_one_make", [CType::c_double()], ty.clone());
    if !cfg!(feature = "call-plan") {
        common::assert_refused_without_plan(make.prepare());
        return Ok(());
    }
    make.prepare()?;
    let made = call(&make, &[1.75.into()])?.into_data()?;
    assert_eq!(made.get("x")?, Value::Float(1.75));
    // a second call: the x87 stack was left balanced
    let made = call(&make, &[Value::Float(-3.0)])?.into_data()?;
    assert_eq!(made.get("x")?, Value::Float(-3.0));
    Ok(())
}

fn point_rect() -> rctypes::Result<(CType, CType)> {
    let point = common::point();
    let rect = CType::structure("Rect")
        .field("min", point.clone())
        .field("max", point.clone())
        .build()?;
    Ok((point, rect))
}

#[test]
fn point_and_rect_by_value_by_pointer_and_returned() -> rctypes::Result<()> {
    let (point, rect) = point_rect()?;
    let make = func("point_make", vec![CType::c_int(); 2], point.clone());
    let add = func("point_add", [point.clone(), point.clone()], point.clone());
    let rect_make = func("rect_make", [point.clone(), point.clone()], rect.clone());
    let area = func("rect_area", [rect.clone()], CType::c_long());
    let contains = func(
        "rect_contains",
        [rect.pointer(), point.clone()],
        CType::c_int(),
    );
    let mv = func(
        "rect_move",
        [rect.pointer(), CType::c_int(), CType::c_int()],
        CType::void(),
    );
    let center = func(
        "rect_center",
        [rect.pointer(), point.pointer()],
        CType::c_int(),
    );

    let a = call(&make, &[3.into(), (-4).into()])?.into_data()?;
    assert_eq!((a.get("x")?, a.get("y")?), (Value::Int(3), Value::Int(-4)));
    let b = CData::from_values(&point, [10, 20])?;
    let sum = call(&add, &[(&a).into(), (&b).into()])?.into_data()?;
    assert_eq!(
        (sum.get("x")?, sum.get("y")?),
        (Value::Int(13), Value::Int(16))
    );

    let r = call(&rect_make, &[(&b).into(), (&a).into()])?.into_data()?;
    assert_eq!(r.field("min")?.get("x")?, Value::Int(3));
    assert_eq!(r.field("max")?.get("y")?, Value::Int(20));
    assert_eq!(call(&area, &[(&r).into()])?, Value::Int(7 * 24));

    // a Rect instance where POINTER(Rect) is declared is passed by reference
    let inside = CData::from_values(&point, [5, 0])?;
    assert_eq!(
        call(&contains, &[(&r).into(), (&inside).into()])?,
        Value::Int(1)
    );
    assert_eq!(
        call(&contains, &[r.pointer().into(), (&b).into()])?,
        Value::Int(1)
    );
    let outside = CData::from_values(&point, [0, 0])?;
    assert_eq!(
        call(&contains, &[rctypes::byref(&r), outside.into()])?,
        Value::Int(0)
    );

    // C writes through the pointer into our instance
    call(&mv, &[(&r).into(), 100.into(), (-1).into()])?;
    assert_eq!(r.field("min")?.get("x")?, Value::Int(103));
    assert_eq!(r.field("max")?.get("y")?, Value::Int(19));
    let out = CData::new(&point);
    let perimeter = call(&center, &[(&r).into(), rctypes::byref(&out)])?;
    assert_eq!(perimeter, Value::Int(2 * (7 + 24)));
    assert_eq!(
        (out.get("x")?, out.get("y")?),
        (Value::Int(106), Value::Int(7))
    );

    // an array of structures where POINTER(Point) is declared
    let pts = CData::from_values(&point.array(3), [a.clone(), b.clone(), sum.clone()])?;
    let sum_x = func(
        "points_sum_x",
        [point.pointer(), CType::c_int()],
        CType::c_long(),
    );
    assert_eq!(
        call(&sum_x, &[(&pts).into(), 3.into()])?,
        Value::Int(3 + 10 + 13)
    );
    assert_eq!(pts.at(1)?.get("y")?, Value::Int(20));
    Ok(())
}

#[test]
fn a_structure_of_another_type_is_refused() -> rctypes::Result<()> {
    let (point, rect) = point_rect()?;
    let other_point = CType::structure("Point")
        .field("x", CType::c_int())
        .field("y", CType::c_int())
        .build()?;
    let add = func("point_add", [point.clone(), point.clone()], point.clone());
    let a = CData::new(&point);
    let err = call(&add, &[(&a).into(), CData::new(&other_point).into()]).unwrap_err();
    match &err {
        Error::Argument {
            index, expected, ..
        } => {
            assert_eq!((*index, expected.as_str()), (1, "Point"));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("exactly its type"), "{err}");
    let err = call(&add, &[CData::new(&rect).into(), (&a).into()]).unwrap_err();
    assert!(
        matches!(err, Error::Argument { index: 0, ref given, .. } if given == "Rect instance"),
        "{err:?}"
    );
    let err = call(&add, &[5.into(), (&a).into()]).unwrap_err();
    assert!(matches!(err, Error::Argument { index: 0, .. }), "{err:?}");
    Ok(())
}

#[test]
fn anonymous_union_by_value_both_ways() -> rctypes::Result<()> {
    let number = CType::union("Number")
        .field("i", CType::c_int())
        .field("d", CType::c_double())
        .build()?;
    let tagged = CType::structure("Tagged")
        .field("kind", CType::c_int())
        .field("u", number)
        .anonymous("u")
        .build()?;
    let value = func("tagged_value", [tagged.clone()], CType::c_double());
    let t = CData::new(&tagged);
    t.set("i", 7)?;
    assert_eq!(call(&value, &[(&t).into()])?, Value::Float(7.0));
    t.set("kind", 1)?;
    t.set("d", -0.5)?;
    assert_eq!(call(&value, &[(&t).into()])?, Value::Float(-0.5));
    let make = func("tagged_double", [CType::c_double()], tagged.clone());
    let back = call(&make, &[2.25.into()])?.into_data()?;
    assert_eq!(back.get("kind")?, Value::Int(1));
    assert_eq!(back.get("d")?, Value::Float(2.25));
    assert_eq!(back.field("u")?.get("d")?, Value::Float(2.25));
    Ok(())
}
