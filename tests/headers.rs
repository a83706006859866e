//! Real headers, read as `Declarations::from_header` reads them
//! (`HeaderOptions::preprocess`, then `from_preprocessed`): each parses with at
//! most 5% of its functions skipped, and every structure and union it
//! defines has the compiler's size, alignment, member offsets and bitfield
//! positions. One C probe for all headers is generated, compiled with the
//! system compiler against the same headers, run, and compared field by
//! field. A header that is not installed is skipped with a message.

use std::collections::HashSet;
use std::fmt::Write as _;

mod common;

use common::cprobe::{self, Record};
use rctypes::{CType, DeclKind, Declarations, HeaderOptions};

const HEADERS: &[&str] = &[
    "zlib.h",
    "sqlite3.h",
    "png.h",
    "expat.h",
    "gmp.h",
    "yaml.h",
    "stdio.h",
    "stdlib.h",
    "string.h",
    "time.h",
    "unistd.h",
    "pthread.h",
];

#[test]
fn real_headers_parse_and_match_the_compiler() {
    let mut records: Vec<Record> = Vec::new();
    let mut installed = Vec::new();
    let mut summary = String::new();
    let options = HeaderOptions::new();
    for h in HEADERS {
        // A header the preprocessor cannot read is not installed.
        let Ok(text) = options.preprocess(&[h]) else {
            println!("skipping {h}: not installed");
            continue;
        };
        let d = Declarations::from_preprocessed(&text);
        installed.push(*h);
        let functions = d.function_names().len();
        // Static (inline) functions are listed as skipped too, but they are
        // the header's helpers, not functions of any library: the share
        // counts the functions a library could export.
        let skipped_fns: Vec<_> = d
            .skipped()
            .iter()
            .filter(|s| s.kind == DeclKind::Function && !s.reason.contains("a static function"))
            .collect();
        let share = skipped_fns.len() as f64 / (functions + skipped_fns.len()).max(1) as f64;
        for s in d.skipped() {
            println!("  {h}: skipped {s}");
        }
        assert!(
            share <= 0.05,
            "{h}: {} of {} functions skipped: {:?}",
            skipped_fns.len(),
            functions + skipped_fns.len(),
            skipped_fns
        );
        // Every complete structure and union, once (a tag and its typedef
        // name the same type).
        let mut seen: Vec<CType> = Vec::new();
        let mut count = 0;
        // Tags first, so that records are named `struct tag` when they have one.
        let mut names = d.type_names();
        names.sort_by_key(|n| !(n.starts_with("struct ") || n.starts_with("union ")));
        for name in names {
            let Ok(ty) = d.type_of(&name) else { continue };
            if !ty.is_record() || ty.is_incomplete() || seen.contains(&ty) {
                continue;
            }
            seen.push(ty.clone());
            let align = ty.align().max(d.typedef_alignment(&name).unwrap_or(1));
            records.push(Record {
                origin: h.to_string(),
                cname: name,
                ty,
                align,
            });
            count += 1;
        }
        let _ = writeln!(
            summary,
            "{h}: {functions} functions, {} skipped ({:.1}%), {} variables, {} types, {} constants, {count} records",
            skipped_fns.len(),
            share * 100.0,
            d.variable_names().len(),
            d.type_names().len(),
            d.constant_names().len(),
        );
    }
    if installed.is_empty() {
        println!("no header installed: nothing to compare");
        return;
    }

    let mut prelude = String::new();
    for h in &installed {
        let _ = writeln!(prelude, "#include <{h}>");
    }
    let counts = match cprobe::compare(&prelude, &records) {
        Ok(c) => c,
        Err(failures) => panic!("{} mismatches:\n{}", failures.len(), failures.join("\n")),
    };
    let unique: HashSet<&str> = records.iter().map(|r| r.cname.as_str()).collect();
    println!("{summary}");
    println!(
        "compared {} records ({} distinct names), {} member offsets, {} bitfields",
        counts.records,
        unique.len(),
        counts.offsets,
        counts.bitfields
    );
}
