//! The layout engine: where each field of a structure or union goes, as the
//! platform C compiler (gcc, System V ABI) places it.
//!
//! Pure arithmetic: no `unsafe`, no libffi, no knowledge of values. Inputs are
//! each field's type size and alignment (and bit width for bitfields) plus
//! the record's `pack` and `align`; the output is every field's bit position
//! and the record's size and alignment. All arithmetic is checked.
//!
//! The rules (gcc's `stor-layout.c` with `PCC_BITFIELD_TYPE_MATTERS`):
//!
//! * An ordinary field is aligned to its type's alignment, capped by `pack`.
//! * A bitfield starts at the next free bit. Without `pack`, when it would
//!   span more units of its type's alignment than its type has (a 20-bit
//!   `int` at bit 24 would touch two 32-bit units), it moves to the next
//!   boundary of that alignment. With `pack` it never moves.
//! * Every field raises the record's alignment to its type's alignment
//!   (capped by `pack`), bitfields included.
//! * `align(n)` raises the record's alignment to at least `n` (like
//!   `__attribute__((aligned(n)))` on the type); it never lowers it.
//! * The size is the end of the last bit, rounded up to whole bytes and
//!   then to the alignment. Union members all start at bit 0.
//!
//! Byte order does not change positions: a big-endian record numbers the
//! same bit positions from the most significant bit of byte 0, as gcc's
//! `scalar_storage_order("big-endian")` does.

/// Whether fields follow one another or overlap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RecordKind {
    /// A C `struct`.
    Struct,
    /// A C `union`.
    Union,
}

/// One field, as far as layout is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FieldDecl {
    /// `sizeof` the field's type.
    pub size: usize,
    /// `_Alignof` the field's type.
    pub align: usize,
    /// For a bitfield, its width in bits (the type must be an integer; the
    /// caller checks that).
    pub bits: Option<u32>,
}

/// Record-wide attributes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RecordAttrs {
    /// `#pragma pack(n)`: caps every field's alignment at `n`.
    pub pack: Option<usize>,
    /// `__attribute__((aligned(n)))` on the record: a minimum alignment.
    pub align: Option<usize>,
}

/// The computed layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RecordLayout {
    /// `sizeof` the record.
    pub size: usize,
    /// `_Alignof` the record.
    pub align: usize,
    /// Each field's first bit, counted from the record's start (for
    /// ordinary fields a multiple of 8: their byte offset times 8).
    pub bit_offsets: Vec<u64>,
}

/// A declaration the engine refuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LayoutError {
    /// The offending field's index, when one field is to blame.
    pub field: Option<usize>,
    /// What is wrong.
    pub message: String,
}

fn err(field: Option<usize>, message: impl Into<String>) -> LayoutError {
    LayoutError {
        field,
        message: message.into(),
    }
}

fn overflow(field: Option<usize>) -> LayoutError {
    err(field, "the record's size overflows usize")
}

/// Rounds `x` up to a multiple of `to` (a power of two), checked.
fn round_up(x: u64, to: u64) -> Option<u64> {
    debug_assert!(to.is_power_of_two());
    x.checked_add(to - 1).map(|v| v & !(to - 1))
}

/// gcc's `excess_unit_span`: whether a bitfield of `width` bits starting at
/// `bitpos` spans more `align_bits`-sized units than its type has.
fn excess_unit_span(bitpos: u64, width: u64, align_bits: u64, type_bits: u64) -> bool {
    let offset = bitpos % align_bits;
    (offset + width).div_ceil(align_bits) > type_bits / align_bits
}

/// Lays out a record.
pub(crate) fn layout(
    kind: RecordKind,
    fields: &[FieldDecl],
    attrs: RecordAttrs,
) -> Result<RecordLayout, LayoutError> {
    if let Some(p) = attrs.pack {
        if !p.is_power_of_two() {
            return Err(err(None, format!("pack({p}) is not a power of two")));
        }
    }
    if let Some(a) = attrs.align {
        if !a.is_power_of_two() {
            return Err(err(None, format!("align({a}) is not a power of two")));
        }
    }
    let mut bitpos: u64 = 0; // next free bit (structs)
    let mut end_bits: u64 = 0; // furthest bit used
    let mut record_align: usize = 1;
    let mut bit_offsets = Vec::with_capacity(fields.len());

    for (i, f) in fields.iter().enumerate() {
        if !f.align.is_power_of_two() {
            return Err(err(
                Some(i),
                format!("alignment {} is not a power of two", f.align),
            ));
        }
        let field_align = attrs.pack.map_or(f.align, |p| p.min(f.align));
        record_align = record_align.max(field_align);
        let type_bits = u64::try_from(f.size)
            .ok()
            .and_then(|s| s.checked_mul(8))
            .ok_or_else(|| overflow(Some(i)))?;
        let start = if kind == RecordKind::Union { 0 } else { bitpos };

        let (at, width) = match f.bits {
            Some(w) => {
                let w = u64::from(w);
                if w == 0 {
                    return Err(err(Some(i), "a bitfield must be at least 1 bit wide"));
                }
                if w > type_bits {
                    return Err(err(
                        Some(i),
                        format!("a bitfield of {w} bits is wider than its {type_bits}-bit type"),
                    ));
                }
                let align_bits = 8 * f.align as u64;
                let at =
                    if attrs.pack.is_none() && excess_unit_span(start, w, align_bits, type_bits) {
                        round_up(start, align_bits).ok_or_else(|| overflow(Some(i)))?
                    } else {
                        start
                    };
                (at, w)
            }
            None => {
                let at =
                    round_up(start, 8 * field_align as u64).ok_or_else(|| overflow(Some(i)))?;
                (at, type_bits)
            }
        };
        bit_offsets.push(at);
        let field_end = at.checked_add(width).ok_or_else(|| overflow(Some(i)))?;
        end_bits = end_bits.max(field_end);
        if kind == RecordKind::Struct {
            bitpos = field_end;
        }
    }

    let align = record_align.max(attrs.align.unwrap_or(1));
    let size_bytes = end_bits.div_ceil(8);
    let size = round_up(size_bytes, align as u64)
        .and_then(|s| usize::try_from(s).ok())
        .filter(|&s| s <= isize::MAX as usize)
        .ok_or_else(|| overflow(None))?;
    Ok(RecordLayout {
        size,
        align,
        bit_offsets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(size: usize) -> FieldDecl {
        FieldDecl {
            size,
            align: size,
            bits: None,
        }
    }
    fn bits(size: usize, w: u32) -> FieldDecl {
        FieldDecl {
            size,
            align: size,
            bits: Some(w),
        }
    }
    fn run(
        kind: RecordKind,
        fields: &[FieldDecl],
        pack: Option<usize>,
        align: Option<usize>,
    ) -> RecordLayout {
        layout(kind, fields, RecordAttrs { pack, align }).unwrap()
    }

    #[test]
    fn natural_alignment() {
        // struct { char c; int i; short s; double d; }
        let l = run(
            RecordKind::Struct,
            &[plain(1), plain(4), plain(2), plain(8)],
            None,
            None,
        );
        assert_eq!(l.bit_offsets, [0, 32, 64, 128]);
        assert_eq!((l.size, l.align), (24, 8));
    }

    #[test]
    fn pack_caps_alignment() {
        let l = run(
            RecordKind::Struct,
            &[plain(1), plain(4), plain(8)],
            Some(1),
            None,
        );
        assert_eq!(l.bit_offsets, [0, 8, 40]);
        assert_eq!((l.size, l.align), (13, 1));
        let l = run(RecordKind::Struct, &[plain(1), plain(8)], Some(2), None);
        assert_eq!((l.bit_offsets[1], l.size, l.align), (16, 10, 2));
    }

    #[test]
    fn align_attribute_raises_never_lowers() {
        let l = run(RecordKind::Struct, &[plain(4)], None, Some(16));
        assert_eq!((l.size, l.align), (16, 16));
        let l = run(RecordKind::Struct, &[plain(8)], None, Some(2));
        assert_eq!((l.size, l.align), (8, 8));
        let l = run(RecordKind::Struct, &[plain(1), plain(4)], Some(1), Some(8));
        assert_eq!((l.bit_offsets[1], l.size, l.align), (8, 8, 8));
    }

    /// The struct CPython's ctypes got wrong before 3.14: gcc says 16 bytes.
    #[test]
    fn the_famous_bitfield_struct() {
        // struct { int a:3; unsigned b:5; int c:24; unsigned char d:4; long long e:40; }
        let l = run(
            RecordKind::Struct,
            &[bits(4, 3), bits(4, 5), bits(4, 24), bits(1, 4), bits(8, 40)],
            None,
            None,
        );
        assert_eq!(l.bit_offsets, [0, 3, 8, 32, 64]);
        assert_eq!((l.size, l.align), (16, 8));
    }

    #[test]
    fn bitfields_under_pack_straddle() {
        // #pragma pack(1): struct { char x; int a:20; int b:7; long long c:40; } is 10 bytes.
        let l = run(
            RecordKind::Struct,
            &[plain(1), bits(4, 20), bits(4, 7), bits(8, 40)],
            Some(1),
            None,
        );
        assert_eq!(l.bit_offsets, [0, 8, 28, 35]);
        assert_eq!((l.size, l.align), (10, 1));
    }

    #[test]
    fn unions_overlap() {
        let l = run(
            RecordKind::Union,
            &[plain(4), plain(8), bits(2, 3)],
            None,
            None,
        );
        assert_eq!(l.bit_offsets, [0, 0, 0]);
        assert_eq!((l.size, l.align), (8, 8));
        let l = run(
            RecordKind::Union,
            &[
                FieldDecl {
                    size: 5,
                    align: 1,
                    bits: None,
                },
                plain(2),
            ],
            None,
            None,
        );
        assert_eq!((l.size, l.align), (6, 2));
    }

    #[test]
    fn empty_record() {
        let l = run(RecordKind::Struct, &[], None, None);
        assert_eq!((l.size, l.align), (0, 1));
    }

    #[test]
    fn refusals() {
        let e = layout(RecordKind::Struct, &[bits(4, 0)], RecordAttrs::default()).unwrap_err();
        assert_eq!(e.field, Some(0));
        let e = layout(
            RecordKind::Struct,
            &[plain(1), bits(4, 33)],
            RecordAttrs::default(),
        )
        .unwrap_err();
        assert_eq!(e.field, Some(1));
        assert!(e.message.contains("33 bits"));
        let attrs = RecordAttrs {
            pack: Some(3),
            align: None,
        };
        assert!(layout(RecordKind::Struct, &[], attrs).is_err());
        let attrs = RecordAttrs {
            pack: None,
            align: Some(12),
        };
        assert!(layout(RecordKind::Struct, &[], attrs).is_err());
        let huge = FieldDecl {
            size: usize::MAX / 2,
            align: 1,
            bits: None,
        };
        assert!(
            layout(
                RecordKind::Struct,
                &[huge, huge, huge],
                RecordAttrs::default()
            )
            .is_err()
        );
    }
}
