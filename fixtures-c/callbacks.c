/* C code that calls back into Rust: through function pointers taken as
 * arguments, stored in a registry, or called from threads C creates. Also
 * function pointers C hands out. tests/callbacks.rs drives it. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

typedef int (*binop_fn)(int, int);

int apply(binop_fn f, int a, int b) { return f(a, b); }

/* Midpoint rule over n intervals. */
double integrate(double (*f)(double), double a, double b, int n) {
    double h = (b - a) / n, total = 0;
    for (int i = 0; i < n; i++) total += f(a + (i + 0.5) * h);
    return total * h;
}

/* ---- every scalar result width: C widens what the callback returned ---- */
#define NARROW(name, T)                                                       \
    int64_t call_##name(T (*f)(int), int x) { return (int64_t)f(x); }
NARROW(i8, int8_t) NARROW(u8, uint8_t) NARROW(i16, int16_t) NARROW(u16, uint16_t)
NARROW(i32, int32_t) NARROW(u32, uint32_t) NARROW(bool, bool) NARROW(char, char)
int64_t call_i64(int64_t (*f)(int64_t), int64_t x) { return f(x); }
uint64_t call_u64(uint64_t (*f)(uint64_t), uint64_t x) { return f(x); }
double call_float(float (*f)(float), float x) { return (double)f(x); }
double call_ld(long double (*f)(long double), double x) { return (double)f((long double)x); }
/* Arguments of every width, passed to the callback with extreme values. */
int64_t call_with_narrow(int64_t (*f)(int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t,
                                      int64_t, uint64_t, float, double)) {
    return f(INT8_MIN, UINT8_MAX, INT16_MIN, UINT16_MAX, INT32_MIN, UINT32_MAX, INT64_MIN,
             UINT64_MAX, 1.5f, -2.25);
}

/* ---- structures by value, both ways ---- */
typedef struct { int x, y; } Point;
typedef struct { double a, b; } DD;
typedef struct { long long a, b, c; } LLL;              /* MEMORY class */
typedef struct { unsigned char a; unsigned short b; unsigned char c; float d; } Odd;

Point map_point(Point (*f)(Point), Point p) { return f(p); }
double sum_dd(DD (*f)(DD, double), double a, double b) {
    DD in = {a, b};
    DD out = f(in, 0.5);
    return out.a + out.b;
}
long long sum_lll(LLL (*f)(LLL), long long a, long long b, long long c) {
    LLL in = {a, b, c};
    LLL out = f(in);
    return out.a + 10 * out.b + 100 * out.c;
}
double odd_roundtrip(Odd (*f)(Odd, Odd)) {
    Odd p = {1, 2, 3, 4.5f}, q = {10, 20, 30, 40.5f};
    Odd r = f(p, q);
    return r.a + r.b + r.c + r.d;
}

/* ---- pointers: the callback writes through them ---- */
double call_with_out(void (*f)(int *, double *, Point *), int seed) {
    int i = seed;
    double d = 0;
    Point p = {0, 0};
    f(&i, &d, &p);
    return i + d + p.x * 100 + p.y * 1000;
}

/* ---- strings ---- */
int call_with_strings(int (*f)(const char *, const wchar_t *, const char *)) {
    return f("hello", L"w\u00f6rld", NULL);
}

/* ---- function pointers C hands out ---- */
static int c_add(int a, int b) { return a + b; }
static int c_mul(int a, int b) { return a * b; }
binop_fn get_op(int which) { return which == 0 ? c_add : which == 1 ? c_mul : NULL; }
/* A structure holding a function pointer. */
typedef struct { binop_fn op; int seed; } Folder;
int fold(const Folder *f, const int *values, int n) {
    int acc = f->seed;
    for (int i = 0; i < n; i++) acc = f->op(acc, values[i]);
    return acc;
}

/* ---- a registry that keeps the pointer after the call returns ---- */
static int (*registered)(int) = NULL;
void register_handler(int (*f)(int)) { registered = f; }
int fire(int x) { return registered ? registered(x) : -1; }
void unregister_handler(void) { registered = NULL; }

/* ---- errno around a callback ---- */
int errno_through(int (*f)(void)) {
    errno = 5;
    int r = f();
    return r * 1000 + errno;
}

/* ---- threads C creates ---- */
typedef struct {
    int (*f)(int);
    int id;
    int iters;
    long long total;
} Worker;
static void *work(void *arg) {
    Worker *w = arg;
    long long t = 0;
    for (int i = 0; i < w->iters; i++) t += w->f(w->id * 1000000 + i);
    w->total = t;
    return NULL;
}
/* Runs `nthreads` pthreads (at most 64), each calling f(id * 1000000 + i)
 * for i < iters; returns the sum of every result, or -1 if a thread could
 * not be created. */
long long run_threads(int (*f)(int), int nthreads, int iters) {
    pthread_t threads[64];
    Worker workers[64];
    if (nthreads > 64) nthreads = 64;
    int started = 0;
    for (; started < nthreads; started++) {
        workers[started] = (Worker){f, started, iters, 0};
        if (pthread_create(&threads[started], NULL, work, &workers[started]) != 0) break;
    }
    long long total = 0;
    for (int i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
        total += workers[i].total;
    }
    return started == nthreads ? total : -1;
}

/* Calls f(i, 1) for i < n and sums the results: the per-call cost of a
 * callback, without the cost of entering C. */
long long call_loop(binop_fn f, int n) {
    long long total = 0;
    for (int i = 0; i < n; i++) total += f(i, 1);
    return total;
}

/* A callback returning a structure in memory (through the hidden pointer)
 * while its arguments travel in registers. */
long long build_lll(LLL (*f)(long long, long long, long long)) {
    LLL out = f(1, 2, 3);
    return out.a + 10 * out.b + 100 * out.c;
}
