/* Signatures that some libffi versions pass wrongly, so that tests can check
 * that rctypes passes them right (tests/libffi_bugs.rs).
 *
 * libffi #574 (fixed in libffi 3.4.7 by PR #848): on x86-64, a structure
 * larger than 8 bytes whose first eightbyte is INTEGER and lands in the sixth
 * integer register (r9) made ffi_call copy the whole structure into that
 * register's slot, overwriting the first vector register (xmm0): here `f`,
 * passed in xmm0 before the structure, arrived as garbage. */

typedef struct {
    signed char x;
    double y;
} CharDouble;

/* a0..a4 in rdi..r8, f in xmm0, s.x in r9, s.y in xmm1. Returns f when every
 * other argument arrived intact, and -1 when one did not. */
float libffi_574(signed char a0, signed char a1, signed char a2, signed char a3,
                 signed char a4, float f, CharDouble s)
{
    if (a0 != 1 || a1 != 2 || a2 != 3 || a3 != 4 || a4 != 5 || s.x != 6 || s.y != 7.5)
        return -1;
    return f;
}

/* The same with one more integer argument, which goes on the stack. */
float libffi_574_stack(signed char a0, signed char a1, signed char a2, signed char a3,
                       signed char a4, float f, CharDouble s, int last)
{
    if (last != 8)
        return -1;
    return libffi_574(a0, a1, a2, a3, a4, f, s);
}
