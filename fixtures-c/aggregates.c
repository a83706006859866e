/* Structures and unions passed and returned by value, in every System V
 * size class, plus a small Point/Rect API, a linked list and the functions
 * that take arrays and buffers. tests/aggregates.rs declares each type again
 * with rctypes.
 *
 * For every by-value type T listed with AGG(T, FIELDS):
 *   T      T_twice(T s)               each field f becomes 2 * f + 1
 *   double T_sum(T s)                 the sum of the fields
 *   double T_five(T a, ..., T e)      sum(a) + 2 sum(b) + ... + 5 sum(e):
 *                                     enough copies that the registers run
 *                                     out and some travel on the stack
 * For the byte structs BN = struct { unsigned char b[N]; } (N = 1..40):
 *   BN bytesN_twice(BN s), unsigned long bytesN_sum(BN s), and
 *   unsigned long bytesN_after(long r1..r5, BN s): the struct after five
 *   integer registers are taken, so it is split or moved to the stack. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TWICE(f) s.f = s.f * 2 + 1;
#define SUM(f) t += s.f;
#define AGG(T, FIELDS)                                                        \
    T T##_twice(T s) { FIELDS(TWICE) return s; }                              \
    double T##_sum(T s) { double t = 0; FIELDS(SUM) return t; }               \
    double T##_five(T a, T b, T c, T d, T e) {                                \
        return T##_sum(a) + 2 * T##_sum(b) + 3 * T##_sum(c) + 4 * T##_sum(d) + \
               5 * T##_sum(e);                                                \
    }

/* ---- floating point classes ---- */
typedef struct { float a; } S_f;
#define S_f_F(X) X(a)
typedef struct { float a, b; } S_ff;
#define S_ff_F(X) X(a) X(b)
typedef struct { float a, b, c; } S_fff;
#define S_fff_F(X) X(a) X(b) X(c)
typedef struct { float v[4]; } S_f4;
#define S_f4_F(X) X(v[0]) X(v[1]) X(v[2]) X(v[3])
typedef struct { double a; } S_d;
#define S_d_F(X) X(a)
typedef struct { double a, b; } S_dd;
#define S_dd_F(X) X(a) X(b)
typedef struct { double a, b, c; } S_ddd;
#define S_ddd_F(X) X(a) X(b) X(c)

/* ---- mixed integer and floating point ---- */
typedef struct { double a; int b; } S_di;
#define S_di_F(X) X(a) X(b)
typedef struct { int a; double b; } S_id;
#define S_id_F(X) X(a) X(b)
typedef struct { float a; int b; } S_fi;
#define S_fi_F(X) X(a) X(b)
typedef struct { char a; double b; } S_cd;
#define S_cd_F(X) X(a) X(b)
typedef struct { float v[3]; int i; } S_f3i;
#define S_f3i_F(X) X(v[0]) X(v[1]) X(v[2]) X(i)
typedef struct { S_ff p; double z; } S_nested;
#define S_nested_F(X) X(p.a) X(p.b) X(z)
typedef struct { short a, b, c; } S_sss;
#define S_sss_F(X) X(a) X(b) X(c)
typedef struct { int a, b, c; } S_iii;
#define S_iii_F(X) X(a) X(b) X(c)
typedef struct { long long a, b; } S_ll;
#define S_ll_F(X) X(a) X(b)
typedef struct { long long a, b, c; } S_lll;
#define S_lll_F(X) X(a) X(b) X(c)
typedef struct { unsigned char a; unsigned short b; unsigned char c; float d; } S_odd;
#define S_odd_F(X) X(a) X(b) X(c) X(d)

/* ---- packed and over-aligned ---- */
#pragma pack(push, 1)
typedef struct { char a; int b; short c; } P_cis;        /* 7 bytes, b misaligned */
typedef struct { char a; double b; } P_cd;               /* 9 bytes */
typedef struct { float a; float b; } P_ff;               /* packed but aligned */
#pragma pack(pop)
#pragma pack(push, 2)
typedef struct { short a; float b; } P_sf;               /* 6 bytes, b misaligned */
#pragma pack(pop)
#define P_cis_F(X) X(a) X(b) X(c)
#define P_cd_F(X) X(a) X(b)
#define P_ff_F(X) X(a) X(b)
#define P_sf_F(X) X(a) X(b)
typedef struct __attribute__((aligned(16))) { int a; } A_16;
#define A_16_F(X) X(a)
typedef struct __attribute__((aligned(16))) { float a, b; } A_16ff;
#define A_16ff_F(X) X(a) X(b)
typedef struct __attribute__((aligned(32))) { double a; } A_32;
#define A_32_F(X) X(a)

/* ---- unions: classified from all their members ---- */
typedef union { int i; float f; } U_if;
#define U_if_F(X) X(i)
typedef union { float f; double d; } U_fd;
#define U_fd_F(X) X(d)
typedef union { double d; long long l; } U_dl;
#define U_dl_F(X) X(l)
typedef union { double d[2]; int i; } U_d2i;
#define U_d2i_F(X) X(d[0]) X(d[1])
typedef union { float f[2]; double d; } U_f2d;
#define U_f2d_F(X) X(f[0]) X(f[1])

/* ---- bitfields by value ---- */
typedef struct { unsigned a : 4; float f; } BF_uf;
#define BF_uf_F(X) X(a) X(f)
typedef struct { int a : 3; double d; } BF_id;
#define BF_id_F(X) X(a) X(d)
typedef struct { unsigned a : 20, b : 20, c : 20; } BF_3x20;
#define BF_3x20_F(X) X(a) X(b) X(c)

/* ---- long double ---- */
typedef struct { long double x; double y; } LD_pair;     /* MEMORY */
#define LD_pair_F(X) X(x) X(y)

AGG(S_f, S_f_F) AGG(S_ff, S_ff_F) AGG(S_fff, S_fff_F) AGG(S_f4, S_f4_F)
AGG(S_d, S_d_F) AGG(S_dd, S_dd_F) AGG(S_ddd, S_ddd_F)
AGG(S_di, S_di_F) AGG(S_id, S_id_F) AGG(S_fi, S_fi_F) AGG(S_cd, S_cd_F)
AGG(S_f3i, S_f3i_F) AGG(S_nested, S_nested_F) AGG(S_sss, S_sss_F)
AGG(S_iii, S_iii_F) AGG(S_ll, S_ll_F) AGG(S_lll, S_lll_F) AGG(S_odd, S_odd_F)
AGG(P_cis, P_cis_F) AGG(P_cd, P_cd_F) AGG(P_ff, P_ff_F) AGG(P_sf, P_sf_F)
AGG(A_16, A_16_F) AGG(A_16ff, A_16ff_F) AGG(A_32, A_32_F)
AGG(U_if, U_if_F) AGG(U_fd, U_fd_F) AGG(U_dl, U_dl_F) AGG(U_d2i, U_d2i_F)
AGG(U_f2d, U_f2d_F)
AGG(BF_uf, BF_uf_F) AGG(BF_id, BF_id_F) AGG(BF_3x20, BF_3x20_F)
AGG(LD_pair, LD_pair_F)

/* A structure holding only a long double: an argument in memory, but a
 * result in the x87 register, which libffi cannot return for a structure. */
typedef struct { long double x; } LD_one;
double LD_one_value(LD_one s) { return (double)s.x; }
LD_one LD_one_make(double x) { LD_one s = {x}; return s; }

/* ---- byte structs of every size ---- */
#define BYTES(N)                                                               \
    typedef struct { unsigned char b[N]; } B##N;                               \
    B##N bytes##N##_twice(B##N s) {                                            \
        for (int i = 0; i < N; i++) s.b[i] = (unsigned char)(s.b[i] * 2 + 1);  \
        return s;                                                              \
    }                                                                          \
    unsigned long bytes##N##_sum(B##N s) {                                     \
        unsigned long t = 0;                                                   \
        for (int i = 0; i < N; i++) t += (unsigned long)s.b[i] * (unsigned long)(i + 1); \
        return t;                                                              \
    }                                                                          \
    unsigned long bytes##N##_after(long r1, long r2, long r3, long r4, long r5, B##N s) { \
        return bytes##N##_sum(s) + (unsigned long)(r1 + 2 * r2 + 3 * r3 + 4 * r4 + 5 * r5); \
    }
BYTES(1) BYTES(2) BYTES(3) BYTES(4) BYTES(5) BYTES(6) BYTES(7) BYTES(8)
BYTES(9) BYTES(10) BYTES(11) BYTES(12) BYTES(13) BYTES(14) BYTES(15) BYTES(16)
BYTES(17) BYTES(18) BYTES(19) BYTES(20) BYTES(21) BYTES(22) BYTES(23) BYTES(24)
BYTES(25) BYTES(26) BYTES(27) BYTES(28) BYTES(29) BYTES(30) BYTES(31) BYTES(32)
BYTES(33) BYTES(34) BYTES(35) BYTES(36) BYTES(37) BYTES(38) BYTES(39) BYTES(40)

/* ---- a Point/Rect API ---- */
typedef struct { int x, y; } Point;
typedef struct { Point min, max; } Rect;

Point point_make(int x, int y) { Point p = {x, y}; return p; }
Point point_add(Point a, Point b) { Point p = {a.x + b.x, a.y + b.y}; return p; }
Rect rect_make(Point a, Point b) {
    Rect r;
    r.min.x = a.x < b.x ? a.x : b.x;
    r.min.y = a.y < b.y ? a.y : b.y;
    r.max.x = a.x < b.x ? b.x : a.x;
    r.max.y = a.y < b.y ? b.y : a.y;
    return r;
}
long rect_area(Rect r) { return (long)(r.max.x - r.min.x) * (r.max.y - r.min.y); }
int rect_contains(const Rect *r, Point p) {
    return p.x >= r->min.x && p.x <= r->max.x && p.y >= r->min.y && p.y <= r->max.y;
}
void rect_move(Rect *r, int dx, int dy) {
    r->min.x += dx; r->max.x += dx;
    r->min.y += dy; r->max.y += dy;
}
/* Writes the centre through an out-pointer; returns the perimeter. */
int rect_center(const Rect *r, Point *center) {
    center->x = (r->min.x + r->max.x) / 2;
    center->y = (r->min.y + r->max.y) / 2;
    return 2 * ((r->max.x - r->min.x) + (r->max.y - r->min.y));
}
/* Sums the x of an array of points. */
long points_sum_x(const Point *pts, int n) {
    long t = 0;
    for (int i = 0; i < n; i++) t += pts[i].x;
    return t;
}

/* ---- a linked list (declare/define) ---- */
typedef struct Node { int value; struct Node *next; } Node;
int list_sum(const Node *n) {
    int t = 0;
    for (; n; n = n->next) t += n->value;
    return t;
}
/* A C-built list of `n` nodes valued 1..n, freed with list_free. */
Node *list_build(int n) {
    Node *head = NULL;
    for (int i = n; i >= 1; i--) {
        Node *node = malloc(sizeof *node);
        if (!node) return head;
        node->value = i;
        node->next = head;
        head = node;
    }
    return head;
}
void list_free(Node *n) {
    while (n) {
        Node *next = n->next;
        free(n);
        n = next;
    }
}

/* ---- a tagged union with an anonymous member ---- */
typedef struct { int kind; union { int i; double d; }; } Tagged;
double tagged_value(Tagged t) { return t.kind == 0 ? (double)t.i : t.d; }
Tagged tagged_double(double d) { Tagged t; t.kind = 1; t.d = d; return t; }

/* ---- arrays and buffers ---- */
long sum_ints_array(const int *a, int n) {
    long t = 0;
    for (int i = 0; i < n; i++) t += a[i];
    return t;
}
double sum_doubles(const double *a, size_t n) {
    double t = 0;
    for (size_t i = 0; i < n; i++) t += a[i];
    return t;
}
/* Uppercases an ASCII buffer in place; returns its length. */
size_t upcase(char *s) {
    size_t n = 0;
    for (; s[n]; n++)
        if (s[n] >= 'a' && s[n] <= 'z') s[n] = (char)(s[n] - 32);
    return n;
}
/* Formats into a caller's buffer, like snprintf; returns the full length. */
int format_point(char *buf, size_t size, Point p) {
    return snprintf(buf, size, "(%d, %d)", p.x, p.y);
}
/* A struct holding pointers: C reads the string and the array through them. */
typedef struct { const char *name; int *values; int count; } Series;
long series_total(const Series *s) {
    long t = (long)strlen(s->name);
    for (int i = 0; i < s->count; i++) t += s->values[i];
    return t;
}

/* ---- globals seen from C ---- */
extern int counter;
int read_counter(void) { return counter; }

/* ---- a big-endian wire header, as C lays it out ---- */
#pragma pack(push, 1)
typedef struct __attribute__((scalar_storage_order("big-endian"))) {
    uint16_t kind;
    uint32_t len;
} Header;
#pragma pack(pop)
Header header_make(unsigned kind, unsigned len) {
    Header h;
    h.kind = (uint16_t)kind;
    h.len = len;
    return h;
}
unsigned header_len(const Header *h) { return h->len; }
