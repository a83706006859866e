/* Functions the benchmarks call (benches/instructions.rs, benches/calls.rs):
 * one for each row of the instruction-count table. */
#include <stdint.h>

/* Eight longs: the last two travel on the stack. */
long sum8_long(long a, long b, long c, long d, long e, long f, long g, long h) {
    return a + b + c + d + e + f + g + h;
}

/* Sixteen doubles: the last eight travel on the stack. */
double sum16_double(double a, double b, double c, double d, double e, double f, double g,
                    double h, double i, double j, double k, double l, double m, double n,
                    double o, double p) {
    return a + b + c + d + e + f + g + h + i + j + k + l + m + n + o + p;
}

/* A 24-byte structure (MEMORY class) in and out. */
typedef struct {
    long a, b, c;
} S24;
S24 s24_next(S24 s) {
    S24 r = {s.a + 1, s.b + 1, s.c + 1};
    return r;
}

/* A 64-byte structure in, a scalar out. */
typedef struct {
    double v[8];
} S64;
double s64_sum(S64 s) {
    double t = 0;
    for (int i = 0; i < 8; i++) t += s.v[i];
    return t;
}
