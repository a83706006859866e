/* For the bad-input sweep (tests/bad_input.rs): for each type T, a function
 * taking three T's and returning the one `which` names, so that a value can
 * be tried in every argument position and its conversion checked exactly.
 * Pointer picks never dereference; fnv_pick/fnvw_pick hash the chosen string
 * (only called with strings rctypes made). Also guard functions for the
 * narrow-result test. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#define PICK(name, T)                                                          \
    T pick_##name(T a, T b, T c, int which) { return which == 0 ? a : which == 1 ? b : c; }

typedef struct { int x, y; } SweepPoint;
typedef int (*sweep_binop)(int, int);

PICK(bool, bool) PICK(char, char) PICK(wchar, wchar_t)
PICK(i8, int8_t) PICK(u8, uint8_t) PICK(i16, int16_t) PICK(u16, uint16_t)
PICK(i32, int32_t) PICK(u32, uint32_t) PICK(i64, int64_t) PICK(u64, uint64_t)
PICK(long, long) PICK(ulong, unsigned long)
PICK(float, float) PICK(double, double) PICK(longdouble, long double)
PICK(charp, const char *) PICK(wcharp, const wchar_t *) PICK(voidp, void *)
PICK(intp, int *) PICK(fnptr, sweep_binop) PICK(point, SweepPoint)

static uint64_t fnv(const unsigned char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211ULL;
    return h;
}
uint64_t fnv_pick(const char *a, const char *b, const char *c, int which) {
    const char *s = which == 0 ? a : which == 1 ? b : c;
    size_t n = 0;
    while (s[n]) n++;
    return fnv((const unsigned char *)s, n);
}
uint64_t fnvw_pick(const wchar_t *a, const wchar_t *b, const wchar_t *c, int which) {
    const wchar_t *s = which == 0 ? a : which == 1 ? b : c;
    size_t n = 0;
    while (s[n]) n++;
    return fnv((const unsigned char *)s, n * sizeof(wchar_t));
}
