/* Fixture functions for the core call path: scalars of every width, floats,
 * strings, out-parameters, variadics, errno. Every function is exported with
 * default visibility so the tests can look it up by name. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* ---- state across calls ------------------------------------------------- */
int counter = 42;                 /* a global read with CDll::variable */
const double pi_approx = 3.25;

int bump(void) {                  /* a static counter that persists across calls */
    static int n = 0;
    return ++n;
}

void noop(void) {}

/* ---- integers ------------------------------------------------------------ */
int add(int a, int b) { return a + b; }
int sub(int a, int b) { return a - b; }

int8_t echo_i8(int8_t x) { return x; }
uint8_t echo_u8(uint8_t x) { return x; }
int16_t echo_i16(int16_t x) { return x; }
uint16_t echo_u16(uint16_t x) { return x; }
int32_t echo_i32(int32_t x) { return x; }
uint32_t echo_u32(uint32_t x) { return x; }
int64_t echo_i64(int64_t x) { return x; }
uint64_t echo_u64(uint64_t x) { return x; }
long echo_long(long x) { return x; }
unsigned long echo_ulong(unsigned long x) { return x; }
size_t echo_size(size_t x) { return x; }
ptrdiff_t echo_ssize(ptrdiff_t x) { return x; }

/* Narrow results computed in C, so the upper bits of the return register are
 * whatever the arithmetic left there: the caller must narrow correctly. */
int8_t i8_from_int(int x) { return (int8_t)x; }
/* Six integer arguments of mixed widths, one per general register; the
 * result is the low 16 bits of their weighted sum (a narrow result). */
unsigned short mix6(signed char a, short b, int c, long d, unsigned int e, void *f) {
    return (unsigned short)(a + 2 * b + 3 * c + 4 * d + 5 * (long)e + 6 * (long)(uintptr_t)f);
}
uint8_t u8_from_int(int x) { return (uint8_t)x; }
int16_t i16_from_int(int x) { return (int16_t)x; }
uint16_t u16_from_int(int x) { return (uint16_t)x; }

/* Sums that show each narrow argument arrived sign- or zero-extended right. */
int64_t sum_narrow(int8_t a, uint8_t b, int16_t c, uint16_t d, int32_t e, uint32_t f) {
    return (int64_t)a + b + c + d + e + f;
}

bool is_even(int x) { return x % 2 == 0; }
bool negate_bool(bool b) { return !b; }
char next_char(char c) { return (char)(c + 1); }
wchar_t wide_upper(wchar_t c) { return (c >= L'a' && c <= L'z') ? c - 32 : c; }

/* ---- floating point ------------------------------------------------------- */
float add_f(float a, float b) { return a + b; }
double add_d(double a, double b) { return a + b; }
long double add_ld(long double a, long double b) { return a + b; }
long double ld_third(void) { return 1.0L / 3.0L; }
double ld_to_double(long double x) { return (double)x; }
double sum6_d(double a, double b, double c, double d, double e, double f) {
    return a + b + c + d + e + f;
}

/* Twelve-plus mixed arguments: more than the 6 integer and 8 SSE registers
 * of x86_64 SysV, so some travel on the stack. Each is weighted by its
 * position so a misplaced argument changes the result. */
double mixed14(int a, double b, long c, float d, short e, double f, long long g,
               float h, unsigned char i, double j, int k, double l, int m, double n) {
    return 1 * a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h + 9 * i +
           10 * j + 11 * k + 12 * l + 13 * m + 14 * n;
}

int64_t many_ints(int64_t a, int64_t b, int64_t c, int64_t d, int64_t e, int64_t f,
                  int64_t g, int64_t h, int64_t i, int64_t j, int64_t k, int64_t l) {
    return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h + 9 * i + 10 * j +
           11 * k + 12 * l;
}

/* ---- strings -------------------------------------------------------------- */
size_t my_strlen(const char *s) { return s ? strlen(s) : (size_t)-1; }
const char *greeting(void) { return "hello from C"; }
const char *null_string(void) { return NULL; }
const char *echo_str(const char *s) { return s; }
int first_byte(const char *s) { return s ? (unsigned char)s[0] : -1; }

/* Returns a malloc'd buffer holding `s` repeated `times` times; the caller
 * frees it with free_buffer. */
void *make_buffer(const char *s, int times) {
    size_t len = strlen(s);
    char *buf = malloc(len * (size_t)times + 1);
    if (!buf) return NULL;
    for (int i = 0; i < times; i++) memcpy(buf + len * (size_t)i, s, len);
    buf[len * (size_t)times] = '\0';
    return buf;
}

static int frees = 0;
void free_buffer(void *p) {
    if (p) frees++;
    free(p);
}
int free_count(void) { return frees; }

size_t wide_len(const wchar_t *s) { return wcslen(s); }
const wchar_t *wide_greeting(void) { return L"h\u00e9llo w\u00f6rld \U0001F600"; }
const wchar_t *wide_null(void) { return NULL; }

/* ---- out-parameters --------------------------------------------------------- */
void get(int *out) { *out = 1234; }
int divmod(int a, int b, int *q, int *r) {
    if (b == 0) return -1;
    *q = a / b;
    *r = a % b;
    return 0;
}
void scale_double(double *x, double by) { *x *= by; }
void fill_ints(int *out, int n) {
    for (int i = 0; i < n; i++) out[i] = i * i;
}

/* ---- variadic ------------------------------------------------------------------- */
int sum_ints(int n, ...) {
    va_list ap;
    va_start(ap, n);
    int total = 0;
    for (int i = 0; i < n; i++) total += va_arg(ap, int);
    va_end(ap);
    return total;
}

double average(int n, ...) {
    va_list ap;
    va_start(ap, n);
    double total = 0;
    for (int i = 0; i < n; i++) total += va_arg(ap, double);
    va_end(ap);
    return n ? total / n : 0.0;
}

long long sum_longlongs(int n, ...) {
    va_list ap;
    va_start(ap, n);
    long long total = 0;
    for (int i = 0; i < n; i++) total += va_arg(ap, long long);
    va_end(ap);
    return total;
}

/* ---- errno and error reporting ------------------------------------------------------ */
int fail_with_errno(int e) {
    errno = e;
    return -1;
}
int read_errno(void) { return errno; }
int checked(int x) { return x < 0 ? -1 : x * 2; }

/* ---- for the benchmarks ------------------------------------------------------ */
/* Twelve mixed arguments, all in registers on x86_64 SysV (6 integer, 6 SSE). */
double mixed12(int a, double b, long c, float d, short e, double f, long long g,
               float h, unsigned char i, double j, int k, double l) {
    return a + b + c + d + e + f + g + h + i + j + k + l;
}
