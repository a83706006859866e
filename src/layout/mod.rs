//! The layout engine: where each field of a structure or union goes, as the
//! platform C compiler places it.
//!
//! Pure arithmetic: no `unsafe`, no libffi, no knowledge of values. Inputs are
//! each field's type size and alignment (and bit width for bitfields, and
//! whether it has a name) plus the record's `pack`, `align` and bitfield
//! [`Layout`]; the output is every field's bit position and the record's size
//! and alignment. All arithmetic is checked: a declaration whose positions
//! or size do not fit is a [`LayoutError`], never a panic or a wrap.
//!
//! One loop places every field; the two bitfield layouts differ only in the
//! decisions factored out below ([`raises_alignment`] and the two arms of
//! [`place`]), which follow gcc's `stor-layout.c` (`update_alignment_for_field`,
//! `place_field`, `layout_decl`).
//!
//! Rules common to both layouts:
//!
//! * An ordinary field is aligned to its type's alignment, capped by `pack`
//!   (`#pragma pack(n)`), and raises the record's alignment as much.
//! * `align(n)` raises the record's alignment to at least `n` (like
//!   `__attribute__((aligned(n)))` on the type); it never lowers it.
//! * The size is the end of the last bit, rounded up to whole bytes and
//!   then to the alignment. Union members all start at bit 0.
//! * Only an unnamed bitfield may have width 0 (C's `int :0`); unnamed
//!   fields are always bitfields.
//!
//! [`Layout::GccSysv`] (gcc with `PCC_BITFIELD_TYPE_MATTERS`, the System V
//! x86-64 ABI):
//!
//! * A bitfield starts at the next free bit. Without `pack`, when it would
//!   span more units of its type's alignment than its type has (a 20-bit
//!   `int` at bit 24 would touch two 32-bit units), it moves to the next
//!   boundary of that alignment. With `pack` it never moves.
//! * A named bitfield raises the record's alignment to its type's alignment
//!   (capped by `pack`); an unnamed one does not (x86-64's
//!   `TARGET_ALIGN_ANON_BITFIELD` is false).
//! * A zero-width bitfield moves the next free bit to its type's alignment,
//!   even under `pack` (`layout_decl` ignores `#pragma pack` for them), and
//!   does nothing else.
//!
//! [`Layout::Ms`] (Microsoft's rules, gcc's `ms_struct` /
//! `TARGET_MS_BITFIELD_LAYOUT_P`):
//!
//! * Consecutive bitfields whose types have the same size share storage
//!   units of that size; a bitfield that does not fit in what is left of
//!   the current unit starts the next one. A bitfield whose type size
//!   differs from the previous bitfield's, or that follows an ordinary
//!   field, closes the current unit (the rest of it is padding) and starts a
//!   new one aligned to its type (capped by `pack`).
//! * Every bitfield, named or not, raises the record's alignment to its
//!   type's alignment (capped by `pack`).
//! * A zero-width bitfield right after a bitfield of nonzero width closes
//!   the current unit, raises the record's alignment to its type's (capped
//!   by `pack`), and when its type's size differs from that bitfield's,
//!   aligns the next free bit to its type; anywhere else it is ignored.
//! * A record whose last field is a bitfield of nonzero width is padded to
//!   the end of that bitfield's unit.
//!
//! Byte order does not change positions: a big-endian record numbers the
//! same bit positions from the most significant bit of byte 0, as gcc's
//! `scalar_storage_order("big-endian")` does.

/// How a record's bitfields are laid out: ctypes' `_layout_` (Python 3.14).
///
/// Fields that are not bitfields are placed the same way by both (each at
/// its type's alignment, capped by `pack`); the layouts differ in how
/// bitfields share storage and how they align the record.
///
/// ```
/// # fn main() -> rctypes::Result<()> {
/// use rctypes::{CType, Layout, sizeof};
/// // struct { char a:3; int b:5; }: gcc packs both into one int ...
/// let sysv = CType::structure("S")
///     .bitfield("a", CType::c_char(), 3)
///     .bitfield("b", CType::c_int(), 5)
///     .build()?;
/// assert_eq!(sizeof(&sysv), 4);
/// // ... MSVC (and gcc's `__attribute__((ms_struct))`) gives `b` its own int.
/// let ms = CType::structure("M")
///     .bitfield("a", CType::c_char(), 3)
///     .bitfield("b", CType::c_int(), 5)
///     .layout(Layout::Ms)
///     .build()?;
/// assert_eq!(sizeof(&ms), 8);
/// assert_eq!(ms.field("b").unwrap().offset, 4);
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layout {
    /// gcc and clang on System V targets (Linux, the BSDs, macOS): ctypes'
    /// `_layout_ = "gcc-sysv"`. The default.
    #[default]
    GccSysv,
    /// Microsoft Visual C++: ctypes' `_layout_ = "ms"`, as gcc lays out a
    /// record declared `__attribute__((ms_struct))` on x86-64.
    Ms,
}

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
    /// Whether the field has a name (only bitfields may be unnamed).
    pub named: bool,
}

/// Record-wide attributes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RecordAttrs {
    /// `#pragma pack(n)`: caps every field's alignment at `n`.
    pub pack: Option<usize>,
    /// `__attribute__((aligned(n)))` on the record: a minimum alignment.
    pub align: Option<usize>,
    /// The bitfield rules.
    pub layout: Layout,
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
    err(field, "the record's size overflows")
}

/// `bytes * 8`, checked.
pub(crate) fn bits_of(bytes: usize) -> Option<u64> {
    u64::try_from(bytes).ok()?.checked_mul(8)
}

/// Rounds `x` up to a multiple of `to` (a power of two), checked.
fn round_up(x: u64, to: u64) -> Option<u64> {
    debug_assert!(to.is_power_of_two());
    let mask = to.checked_sub(1)?;
    x.checked_add(mask).map(|v| v & !mask)
}

/// gcc's `excess_unit_span`: whether a bitfield of `width` bits starting at
/// `bitpos` spans more `align_bits`-sized units than its type has.
fn excess_unit_span(bitpos: u64, width: u64, align_bits: u64, type_bits: u64) -> Option<bool> {
    let offset = bitpos.checked_rem(align_bits)?;
    let units = offset.checked_add(width)?.div_ceil(align_bits);
    Some(units > type_bits.checked_div(align_bits)?)
}

/// One field, checked and in bits.
#[derive(Clone, Copy, Debug)]
struct Item {
    /// The type's size in bits.
    type_bits: u64,
    /// The type's alignment in bits.
    align_bits: u64,
    /// The alignment in bits after `pack`.
    packed_align_bits: u64,
    /// The type's alignment in bytes after `pack`.
    packed_align: usize,
    /// The bit width, for a bitfield.
    width: Option<u64>,
    /// Whether the field has a name.
    named: bool,
}

impl Item {
    fn new(i: usize, f: &FieldDecl, pack: Option<usize>) -> Result<Item, LayoutError> {
        if !f.align.is_power_of_two() {
            return Err(err(
                Some(i),
                format!("alignment {} is not a power of two", f.align),
            ));
        }
        let packed_align = pack.map_or(f.align, |p| p.min(f.align));
        let too_aligned = || {
            err(
                Some(i),
                format!("an alignment of {} bytes is too large", f.align),
            )
        };
        let align_bits = bits_of(f.align).ok_or_else(too_aligned)?;
        let packed_align_bits = bits_of(packed_align).ok_or_else(too_aligned)?;
        let type_bits = bits_of(f.size).ok_or_else(|| overflow(Some(i)))?;
        let width = match f.bits {
            None if !f.named => {
                return Err(err(Some(i), "an unnamed field must be a bitfield"));
            }
            None => None,
            Some(0) if f.named => {
                return Err(err(
                    Some(i),
                    "a bitfield must be at least 1 bit wide \
                     (only an unnamed bitfield, C's `int :0`, may have width 0)",
                ));
            }
            Some(w) => {
                let w = u64::from(w);
                if w > type_bits {
                    return Err(err(
                        Some(i),
                        format!("a bitfield of {w} bits is wider than its {type_bits}-bit type"),
                    ));
                }
                Some(w)
            }
        };
        Ok(Item {
            type_bits,
            align_bits,
            packed_align_bits,
            packed_align,
            width,
            named: f.named,
        })
    }

    /// The bits the field occupies: its width, or its whole type.
    fn occupies(&self) -> u64 {
        self.width.unwrap_or(self.type_bits)
    }
}

/// The bitfield whose storage unit is being filled under [`Layout::Ms`]
/// (gcc's `rli->prev_field`): the first bitfield of the current run, or the
/// one that started its latest unit.
#[derive(Clone, Copy, Debug)]
struct Run {
    /// Its type's size in bits: the unit size.
    type_bits: u64,
    /// Its width (0 for a zero-width bitfield).
    width: u64,
}

/// What the loop carries from field to field.
#[derive(Debug, Default)]
struct State {
    /// The next free bit (structures).
    pos: u64,
    /// [`Layout::Ms`]: the open storage unit, if any.
    run: Option<Run>,
    /// [`Layout::Ms`]: bits left in the open unit (gcc's
    /// `remaining_in_alignment`).
    remaining: u64,
}

/// Whether a field raises the record's alignment to its (packed) type
/// alignment. `run` is the open [`Layout::Ms`] unit before the field.
fn raises_alignment(layout: Layout, item: &Item, run: Option<Run>) -> bool {
    match (layout, item.width) {
        (_, None) => true,
        (Layout::GccSysv, Some(_)) => item.named,
        (Layout::Ms, Some(0)) => run.is_some_and(|r| r.width > 0),
        (Layout::Ms, Some(_)) => true,
    }
}

/// Where a structure's next field starts, updating the state.
fn place(layout: Layout, item: &Item, pack: Option<usize>, st: &mut State) -> Option<u64> {
    match layout {
        Layout::GccSysv => match item.width {
            None => round_up(st.pos, item.packed_align_bits),
            // not capped by pack
            Some(0) => round_up(st.pos, item.align_bits),
            Some(w) => {
                if pack.is_none() && excess_unit_span(st.pos, w, item.align_bits, item.type_bits)? {
                    round_up(st.pos, item.align_bits)
                } else {
                    Some(st.pos)
                }
            }
        },
        Layout::Ms => {
            let width = item.occupies();
            let bitfield = item.width.is_some();
            let this = Run {
                type_bits: item.type_bits,
                width,
            };
            let mut pos = st.pos;
            // the open unit, as far as deciding whether to start a new one
            let mut previous = st.run;
            if let Some(run) = st.run {
                if bitfield && width > 0 && run.width > 0 && item.type_bits == run.type_bits {
                    // the middle of a run of same-size bitfields
                    if st.remaining < width {
                        pos = pos.checked_add(st.remaining)?;
                        st.run = Some(this);
                        st.remaining = item.type_bits.checked_sub(width)?;
                    } else {
                        st.remaining = st.remaining.checked_sub(width)?;
                    }
                } else {
                    // the end of a run: the rest of the unit is padding
                    if run.width > 0 {
                        pos = pos.checked_add(st.remaining)?;
                    } else {
                        previous = None;
                    }
                    if !bitfield || width == 0 {
                        st.run = None;
                    }
                }
            }
            let new_unit = match (bitfield, previous) {
                (false, _) => true,
                (true, Some(run)) => item.type_bits != run.type_bits,
                (true, None) => width > 0,
            };
            if new_unit {
                st.remaining = item.type_bits.checked_sub(width)?;
                pos = round_up(pos, item.packed_align_bits)?;
                st.run = None;
            }
            if st.run.is_none() && bitfield {
                st.run = Some(this);
            }
            Some(pos)
        }
    }
}

/// Lays out a record.
pub(crate) fn layout(
    kind: RecordKind,
    fields: &[FieldDecl],
    attrs: RecordAttrs,
) -> Result<RecordLayout, LayoutError> {
    if let Some(p) = attrs.pack
        && !p.is_power_of_two()
    {
        return Err(err(None, format!("pack({p}) is not a power of two")));
    }
    if let Some(a) = attrs.align
        && !a.is_power_of_two()
    {
        return Err(err(None, format!("align({a}) is not a power of two")));
    }
    let mut st = State::default();
    let mut end_bits: u64 = 0; // furthest bit used
    let mut record_align: usize = 1;
    let mut bit_offsets = Vec::with_capacity(fields.len());

    for (i, f) in fields.iter().enumerate() {
        let item = Item::new(i, f, attrs.pack)?;
        if raises_alignment(attrs.layout, &item, st.run) {
            record_align = record_align.max(item.packed_align);
        }
        let at = match kind {
            RecordKind::Union => 0,
            RecordKind::Struct => {
                place(attrs.layout, &item, attrs.pack, &mut st).ok_or_else(|| overflow(Some(i)))?
            }
        };
        bit_offsets.push(at);
        let field_end = at
            .checked_add(item.occupies())
            .ok_or_else(|| overflow(Some(i)))?;
        end_bits = end_bits.max(field_end);
        if kind == RecordKind::Struct {
            st.pos = field_end;
        }
    }
    // MS: a record ending in a bitfield is padded to the end of its unit.
    if kind == RecordKind::Struct
        && attrs.layout == Layout::Ms
        && fields.last().is_some_and(|f| f.bits.is_some_and(|w| w > 0))
    {
        end_bits = end_bits
            .checked_add(st.remaining)
            .ok_or_else(|| overflow(None))?;
    }

    let align = record_align.max(attrs.align.unwrap_or(1));
    let size_bytes = end_bits.div_ceil(8);
    let size = u64::try_from(align)
        .ok()
        .and_then(|a| round_up(size_bytes, a))
        .and_then(|s| usize::try_from(s).ok())
        .filter(|&s| isize::try_from(s).is_ok())
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
            named: true,
        }
    }
    fn bits(size: usize, w: u32) -> FieldDecl {
        FieldDecl {
            size,
            align: size,
            bits: Some(w),
            named: true,
        }
    }
    fn unnamed(size: usize, w: u32) -> FieldDecl {
        FieldDecl {
            named: false,
            ..bits(size, w)
        }
    }
    fn run_with(
        kind: RecordKind,
        fields: &[FieldDecl],
        pack: Option<usize>,
        align: Option<usize>,
        layout: Layout,
    ) -> RecordLayout {
        let attrs = RecordAttrs {
            pack,
            align,
            layout,
        };
        super::layout(kind, fields, attrs).unwrap()
    }
    fn run(
        kind: RecordKind,
        fields: &[FieldDecl],
        pack: Option<usize>,
        align: Option<usize>,
    ) -> RecordLayout {
        run_with(kind, fields, pack, align, Layout::GccSysv)
    }
    fn ms(fields: &[FieldDecl], pack: Option<usize>) -> RecordLayout {
        run_with(RecordKind::Struct, fields, pack, None, Layout::Ms)
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
        let famous = [bits(4, 3), bits(4, 5), bits(4, 24), bits(1, 4), bits(8, 40)];
        let l = run(RecordKind::Struct, &famous, None, None);
        assert_eq!(l.bit_offsets, [0, 3, 8, 32, 64]);
        assert_eq!((l.size, l.align), (16, 8));
        // under ms_struct (gcc 12): a, b, c share an int; d gets a char; e a long long
        let l = ms(&famous, None);
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
                    named: true,
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

    /// Values from gcc 12 (x86-64): `struct { ... }` and the same with
    /// `__attribute__((ms_struct))`.
    #[test]
    fn ms_bitfields_share_units_of_one_type_size() {
        // { char a:3; int b:5; }: sysv 4 bytes, ms 8 (b starts a new int)
        let f = [bits(1, 3), bits(4, 5)];
        let l = run(RecordKind::Struct, &f, None, None);
        assert_eq!((l.bit_offsets.clone(), l.size, l.align), (vec![0, 3], 4, 4));
        let l = ms(&f, None);
        assert_eq!(
            (l.bit_offsets.clone(), l.size, l.align),
            (vec![0, 32], 8, 4)
        );
        // { int a:3; char b; }: ms pads a's int out before b
        let l = ms(&[bits(4, 3), plain(1)], None);
        assert_eq!(
            (l.bit_offsets.clone(), l.size, l.align),
            (vec![0, 32], 8, 4)
        );
        // { int a:20; unsigned b:20; } under pack(1): a new int when the first is full
        let l = ms(&[bits(4, 20), bits(4, 20)], Some(1));
        assert_eq!(
            (l.bit_offsets.clone(), l.size, l.align),
            (vec![0, 32], 8, 1)
        );
        // { char c; int a:3; } under pack(1): the int starts at byte 1, padded out
        let l = ms(&[plain(1), bits(4, 3)], Some(1));
        assert_eq!((l.bit_offsets.clone(), l.size, l.align), (vec![0, 8], 5, 1));
        // unions: every bitfield aligns the union under ms, named or not
        let f = [bits(1, 3), unnamed(4, 0), unnamed(8, 5)];
        let l = run_with(RecordKind::Union, &f, None, None, Layout::Ms);
        assert_eq!((l.size, l.align), (8, 8));
        let l = run(RecordKind::Union, &f, None, None);
        assert_eq!((l.size, l.align), (1, 1));
    }

    #[test]
    fn unnamed_and_zero_width_bitfields() {
        // sysv { char c; int :0; char d; }: d at 4, size 5, align 1
        let f = [plain(1), unnamed(4, 0), plain(1)];
        let l = run(RecordKind::Struct, &f, None, None);
        assert_eq!(
            (l.bit_offsets.clone(), l.size, l.align),
            (vec![0, 32, 32], 5, 1)
        );
        // the same under pack(1): `:0` ignores pack
        let l = run(RecordKind::Struct, &f, Some(1), None);
        assert_eq!(
            (l.bit_offsets.clone(), l.size, l.align),
            (vec![0, 32, 32], 5, 1)
        );
        // ms: a `:0` after an ordinary field is ignored
        let l = ms(&f, None);
        assert_eq!(
            (l.bit_offsets.clone(), l.size, l.align),
            (vec![0, 8, 8], 2, 1)
        );
        // ms { char x:2; int :0; char y; }: closes the unit, aligns to int, aligns the record
        let l = ms(&[bits(1, 2), unnamed(4, 0), plain(1)], None);
        assert_eq!(
            (l.bit_offsets.clone(), l.size, l.align),
            (vec![0, 32, 32], 8, 4)
        );
        // ms { int a:4; int :0; int b:4; } and sysv: b in a second int
        let f = [bits(4, 4), unnamed(4, 0), bits(4, 4)];
        assert_eq!(ms(&f, None).bit_offsets, [0, 32, 32]);
        assert_eq!(
            run(RecordKind::Struct, &f, None, None).bit_offsets,
            [0, 32, 32]
        );
        // sysv { char c; int :32; }: moves like a named one, aligns nothing
        let l = run(RecordKind::Struct, &[plain(1), unnamed(4, 32)], None, None);
        assert_eq!(
            (l.bit_offsets.clone(), l.size, l.align),
            (vec![0, 32], 8, 1)
        );
        // ms { char c:1; int :0; }: size 4, the `:0` last pads nothing more
        let l = ms(&[bits(1, 1), unnamed(4, 0)], None);
        assert_eq!((l.size, l.align), (4, 4));
    }

    #[test]
    fn refusals() {
        let e = layout(RecordKind::Struct, &[bits(4, 0)], RecordAttrs::default()).unwrap_err();
        assert_eq!(e.field, Some(0));
        assert!(e.message.contains("at least 1 bit"), "{}", e.message);
        let e = layout(
            RecordKind::Struct,
            &[
                plain(1),
                FieldDecl {
                    named: false,
                    ..plain(4)
                },
            ],
            RecordAttrs::default(),
        )
        .unwrap_err();
        assert_eq!(e.field, Some(1));
        assert!(e.message.contains("unnamed field must be a bitfield"));
        let e = layout(
            RecordKind::Struct,
            &[plain(1), bits(4, 33)],
            RecordAttrs::default(),
        )
        .unwrap_err();
        assert_eq!(e.field, Some(1));
        assert!(e.message.contains("33 bits"));
        let e = layout(
            RecordKind::Struct,
            &[unnamed(4, 33)],
            RecordAttrs::default(),
        )
        .unwrap_err();
        assert!(e.message.contains("33 bits"));
        let attrs = RecordAttrs {
            pack: Some(3),
            ..RecordAttrs::default()
        };
        assert!(layout(RecordKind::Struct, &[], attrs).is_err());
        let attrs = RecordAttrs {
            align: Some(12),
            ..RecordAttrs::default()
        };
        assert!(layout(RecordKind::Struct, &[], attrs).is_err());
        let huge = FieldDecl {
            size: usize::MAX / 2,
            align: 1,
            bits: None,
            named: true,
        };
        for layout_rules in [Layout::GccSysv, Layout::Ms] {
            let attrs = RecordAttrs {
                layout: layout_rules,
                ..RecordAttrs::default()
            };
            assert!(layout(RecordKind::Struct, &[huge, huge, huge], attrs).is_err());
        }
    }

    /// Alignments whose bit counts do not fit in 64 bits, and positions
    /// that overflow, are errors in every layout and kind (they used to
    /// overflow `8 * align` unchecked).
    #[test]
    fn arithmetic_overflow_is_an_error() {
        let over_aligned = FieldDecl {
            size: 0,
            align: 1 << 61,
            bits: None,
            named: true,
        };
        let over_aligned_int = FieldDecl {
            size: 4,
            align: 1 << 61,
            bits: Some(3),
            named: true,
        };
        for kind in [RecordKind::Struct, RecordKind::Union] {
            for layout_rules in [Layout::GccSysv, Layout::Ms] {
                for pack in [None, Some(1usize << 62)] {
                    let attrs = RecordAttrs {
                        pack,
                        align: None,
                        layout: layout_rules,
                    };
                    for f in [over_aligned, over_aligned_int] {
                        let e = layout(kind, &[plain(1), f], attrs).unwrap_err();
                        assert_eq!(e.field, Some(1));
                    }
                }
            }
        }
        // even where pack would cap it: the type's own alignment is used for
        // bitfields and `:0`, so one that cannot be counted in bits is refused
        let attrs = RecordAttrs {
            pack: Some(8),
            ..RecordAttrs::default()
        };
        assert!(layout(RecordKind::Struct, &[plain(1), over_aligned], attrs).is_err());
        // a record of 2^61 bytes has 2^64 bits: refused, not wrapped
        let big = FieldDecl {
            size: 1 << 61,
            align: 1,
            bits: None,
            named: true,
        };
        assert!(layout(RecordKind::Struct, &[big], RecordAttrs::default()).is_err());
        let almost = FieldDecl {
            size: (1 << 61) - 1,
            align: 1,
            bits: None,
            named: true,
        };
        assert!(
            layout(
                RecordKind::Struct,
                &[almost, bits(8, 64)],
                RecordAttrs::default()
            )
            .is_err()
        );
        let attrs = RecordAttrs {
            layout: Layout::Ms,
            ..RecordAttrs::default()
        };
        assert!(layout(RecordKind::Struct, &[almost, bits(8, 1)], attrs).is_err());
        // the record's own alignment rounding the size past isize::MAX
        let attrs = RecordAttrs {
            align: Some(1 << 63),
            ..RecordAttrs::default()
        };
        let l = layout(RecordKind::Struct, &[plain(1)], attrs);
        assert!(l.is_err(), "{l:?}");
    }
}
