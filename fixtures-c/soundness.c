/* Fixtures for the regressions an outside audit found (tests/soundness.rs):
 * pointers C moves, structures with a padding-only eightbyte, empty
 * structures, callbacks that hand C pointers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* C moves a pointer back by n elements (a pointer that ends up before the
 * view it was made from). */
void step_back(int **pp, int n) { *pp -= n; }

static int cmp_strings(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts an array of C strings in place with libc's qsort and strcmp. */
void sort_strings(char **strings, size_t n) { qsort(strings, n, sizeof(char *), cmp_strings); }

/* A structure whose second eightbyte is padding only: gcc passes it in one
 * register (INTEGER, then NO_CLASS). */
typedef struct {
    char c;
} __attribute__((aligned(16))) PadInt;

/* The same with an SSE first eightbyte. */
typedef struct {
    double d;
} __attribute__((aligned(16))) PadDouble;

typedef int (*pad_int_fn)(PadInt, int);
typedef int (*pad_double_fn)(PadDouble, int);
typedef long (*pad_int_late_fn)(PadInt, int, long, long, long, long, long, long);
typedef long (*pad_double_many_fn)(PadDouble, int, long, double, double, double, double, double,
                                   double, double, double);

/* The integer argument differs from every register the caller had set up
 * (x + 1), so reading it from the wrong register gives a wrong value. */
int call_pad_int(pad_int_fn f, char c, int x) {
    PadInt a = {c};
    return f(a, x + 1);
}

int call_pad_double(pad_double_fn f, double d, int x) {
    PadDouble a = {d};
    return f(a, x + 1);
}

/* The structure and the integers after it are in registers; the last two
 * longs are on the stack. */
long call_pad_int_late(pad_int_late_fn f, char c, int x) {
    PadInt a = {c};
    return f(a, x + 1, 30, 40, 50, 60, 70, 80);
}

/* The structure is in xmm0 and takes no integer register; eight doubles
 * follow, the last on the stack. */
long call_pad_double_many(pad_double_many_fn f, double d, int x) {
    PadDouble a = {d};
    return f(a, x + 1, 1000, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5);
}

int pad_int_value(PadInt a, int x) { return a.c * 1000 + x; }
int pad_double_value(PadDouble a, int x) { return (int)(a.d * 1000) + x; }
PadInt make_pad_int(char c) {
    PadInt a = {c};
    return a;
}

/* An empty structure (a GNU C extension): gcc passes it as nothing. */
typedef struct {
} Empty;

int empty_between(int a, Empty e, int b) {
    (void)e;
    return a * 10 + b;
}
Empty make_empty(void) {
    Empty e;
    return e;
}
int call_empty_cb(int (*f)(int, Empty, int), int a, int b) {
    Empty e;
    return f(a, e, b);
}

/* Callbacks that return pointers: C reads through them after the return. */
size_t length_of_returned(const char *(*f)(void)) {
    const char *s = f();
    return s ? strlen(s) : (size_t)-1;
}
int read_returned_int(int *(*f)(void)) {
    int *p = f();
    return p ? *p : -1;
}

/* A callback with a stack argument (the seventh integer). */
long apply7(long (*f)(long, long, long, long, long, long, long)) { return f(1, 2, 3, 4, 5, 6, 7); }
