/* The fixed layout oracle: structures and unions covering every layout rule
 * (natural alignment, nesting, arrays, unions, pack, aligned, bitfields of
 * every width, pack with bitfields, anonymous members, big-endian storage,
 * unnamed and zero-width bitfields, and gcc's ms_struct for Layout::Ms).
 * tests/layout_oracle.rs declares each one again with rctypes and compares.
 * PROBE (probe.h) exports size, alignment, offsets and setters for each.
 * Probe fields are listed in declaration order, with the fields of anonymous
 * members in place of the member. V: a scalar; B: a bitfield; N: offset only. */
#include "probe.h"

/* ---- natural alignment ---- */
typedef struct { char a; int b; short c; } T01;
#define T01_F(V, B, N) V(a) V(b) V(c)
typedef struct { char a; double b; char c; } T02;
#define T02_F(V, B, N) V(a) V(b) V(c)
typedef struct { short a; char b; long long c; int d; } T03;
#define T03_F(V, B, N) V(a) V(b) V(c) V(d)
typedef struct { char a; char b; char c; } T04;
#define T04_F(V, B, N) V(a) V(b) V(c)
typedef struct { int a; char b; } T05;
#define T05_F(V, B, N) V(a) V(b)
typedef struct { float a; double b; float c; } T06;
#define T06_F(V, B, N) V(a) V(b) V(c)
typedef struct { long double a; char b; } T07;
#define T07_F(V, B, N) V(a) V(b)
typedef struct { void *p; char c; int *q; } T08;
#define T08_F(V, B, N) N(p) V(c) N(q)
typedef struct { char name[5]; int x; short arr[3]; } T09;
#define T09_F(V, B, N) N(name) V(x) N(arr)
typedef struct { bool a; wchar_t w; unsigned char b; long l; } T10;
#define T10_F(V, B, N) V(a) N(w) V(b) V(l)

/* ---- nesting and unions ---- */
typedef struct { char a; T01 inner; char b; } T11;
#define T11_F(V, B, N) V(a) N(inner) V(b)
typedef struct { T02 x; T04 y; double z; } T12;
#define T12_F(V, B, N) N(x) N(y) V(z)
typedef struct { int a; T05 arr[3]; char c; } T13;
#define T13_F(V, B, N) V(a) N(arr) V(c)
typedef union { char a; int b; double c; } T14;
#define T14_F(V, B, N) V(a) V(b) V(c)
typedef union { char buf[13]; short s; } T15;
#define T15_F(V, B, N) N(buf) V(s)
typedef union { int i; float f; } T16u;
typedef struct { char tag; T16u u; } T16;
#define T16_F(V, B, N) V(tag) N(u)

/* ---- pack ---- */
#pragma pack(push, 1)
typedef struct { char a; int b; short c; } T17;
#pragma pack(pop)
#define T17_F(V, B, N) V(a) V(b) V(c)
#pragma pack(push, 2)
typedef struct { char a; int b; char c; double d; } T18;
#pragma pack(pop)
#define T18_F(V, B, N) V(a) V(b) V(c) V(d)
#pragma pack(push, 4)
typedef struct { char a; double b; char c; } T19;
#pragma pack(pop)
#define T19_F(V, B, N) V(a) V(b) V(c)
#pragma pack(push, 8)
typedef struct { char a; long double b; } T20;
#pragma pack(pop)
#define T20_F(V, B, N) V(a) V(b)
#pragma pack(push, 16)
typedef struct { char a; double b; } T21;
#pragma pack(pop)
#define T21_F(V, B, N) V(a) V(b)
#pragma pack(push, 1)
typedef struct { char a; T01 inner; char b; } T22;
#pragma pack(pop)
#define T22_F(V, B, N) V(a) N(inner) V(b)
#pragma pack(push, 2)
typedef union { char a[3]; int b; } T23;
#pragma pack(pop)
#define T23_F(V, B, N) N(a) V(b)
#pragma pack(push, 1)
typedef struct { long long a; char b; long long c; } T24;
#pragma pack(pop)
#define T24_F(V, B, N) V(a) V(b) V(c)

/* ---- aligned ---- */
typedef struct __attribute__((aligned(8))) { char a; } T25;
#define T25_F(V, B, N) V(a)
typedef struct __attribute__((aligned(16))) { int a; char b; } T26;
#define T26_F(V, B, N) V(a) V(b)
typedef struct __attribute__((aligned(32))) { double a; } T27;
#define T27_F(V, B, N) V(a)
typedef struct __attribute__((aligned(64))) { char a[3]; } T28;
#define T28_F(V, B, N) N(a)
#pragma pack(push, 1)
typedef struct __attribute__((aligned(8))) { char a; int b; } T29;
#pragma pack(pop)
#define T29_F(V, B, N) V(a) V(b)
typedef struct { char a; T26 inner; } T30;
#define T30_F(V, B, N) V(a) N(inner)

/* ---- bitfields ---- */
typedef struct { int a:3; unsigned b:5; int c:24; unsigned char d:4; long long e:40; } T31;
#define T31_F(V, B, N) B(a) B(b) B(c) B(d) B(e)
typedef struct { unsigned a:1; unsigned b:1; unsigned c:30; } T32;
#define T32_F(V, B, N) B(a) B(b) B(c)
typedef struct { int a:31; int b:2; } T33;
#define T33_F(V, B, N) B(a) B(b)
typedef struct { char a:3; char b:6; } T34;
#define T34_F(V, B, N) B(a) B(b)
typedef struct { short a:9; short b:9; short c:9; } T35;
#define T35_F(V, B, N) B(a) B(b) B(c)
typedef struct { long long a:33; long long b:33; } T36;
#define T36_F(V, B, N) B(a) B(b)
typedef struct { unsigned char a:8; unsigned char b:8; } T37;
#define T37_F(V, B, N) B(a) B(b)
typedef struct { int a:32; int b:1; } T38;
#define T38_F(V, B, N) B(a) B(b)
typedef struct { char c; int a:20; int b:12; } T39;
#define T39_F(V, B, N) V(c) B(a) B(b)
typedef struct { int a:4; char c; int b:4; } T40;
#define T40_F(V, B, N) B(a) V(c) B(b)
typedef struct { bool f1:1; bool f2:1; int x; } T41;
#define T41_F(V, B, N) B(f1) B(f2) V(x)
typedef struct { unsigned short a:3; unsigned int b:20; unsigned long long c:41; } T42;
#define T42_F(V, B, N) B(a) B(b) B(c)
typedef struct { int a:1; } T43;
#define T43_F(V, B, N) B(a)
typedef struct { long long a:63; unsigned long long b:64; } T44;
#define T44_F(V, B, N) B(a) B(b)
typedef struct { unsigned a:7; unsigned long long b:60; unsigned c:5; } T45;
#define T45_F(V, B, N) B(a) B(b) B(c)
typedef struct { signed char a:1; signed char b:7; short c:10; } T46;
#define T46_F(V, B, N) B(a) B(b) B(c)
typedef union { int a:5; unsigned b:17; char c; } T47;
#define T47_F(V, B, N) B(a) B(b) V(c)
typedef struct { double d; unsigned a:3; float f; unsigned b:29; } T48;
#define T48_F(V, B, N) V(d) B(a) V(f) B(b)

/* ---- pack with bitfields ---- */
#pragma pack(push, 1)
typedef struct { char x; int a:20; int b:7; long long c:40; } T49;
#pragma pack(pop)
#define T49_F(V, B, N) V(x) B(a) B(b) B(c)
#pragma pack(push, 2)
typedef struct { char x; int a:20; int b:15; } T50;
#pragma pack(pop)
#define T50_F(V, B, N) V(x) B(a) B(b)
#pragma pack(push, 4)
typedef struct { char x; long long a:40; short b:9; } T51;
#pragma pack(pop)
#define T51_F(V, B, N) V(x) B(a) B(b)
#pragma pack(push, 1)
typedef struct { int a:3; unsigned b:5; int c:24; unsigned char d:4; long long e:40; } T52;
#pragma pack(pop)
#define T52_F(V, B, N) B(a) B(b) B(c) B(d) B(e)
#pragma pack(push, 2)
typedef struct { unsigned char a:7; unsigned short b:13; unsigned c:3; } T53;
#pragma pack(pop)
#define T53_F(V, B, N) B(a) B(b) B(c)
#pragma pack(push, 1)
typedef struct __attribute__((aligned(4))) { char a:4; short b:12; } T54;
#pragma pack(pop)
#define T54_F(V, B, N) B(a) B(b)

/* ---- anonymous members ---- */
typedef struct { int kind; union { int i; double d; }; } T55;
#define T55_F(V, B, N) V(kind) V(i) V(d)
typedef struct { char tag; struct { short x; short y; }; int z; } T56;
#define T56_F(V, B, N) V(tag) V(x) V(y) V(z)
typedef struct { int a; union { struct { char b; char c; }; int d; }; } T57;
#define T57_F(V, B, N) V(a) V(b) V(c) V(d)
typedef struct { struct { int a:4; int b:4; }; char c; } T58;
#define T58_F(V, B, N) B(a) B(b) V(c)

/* ---- byte order ---- */
#pragma pack(push, 1)
typedef struct BE { uint16_t kind; uint32_t len; } T59;
#pragma pack(pop)
#define T59_F(V, B, N) V(kind) V(len)
typedef struct BE { int a; short b; long long c; float f; double d; } T60;
#define T60_F(V, B, N) V(a) V(b) V(c) V(f) V(d)
typedef struct BE { unsigned a:3; unsigned b:5; unsigned c:12; uint16_t s; } T61;
#define T61_F(V, B, N) B(a) B(b) B(c) V(s)
typedef struct BE { uint8_t x; unsigned a:20; unsigned b:7; } T62;
#define T62_F(V, B, N) V(x) B(a) B(b)
typedef struct BE { int a:3; unsigned b:5; int c:24; unsigned char d:4; long long e:40; } T63;
#define T63_F(V, B, N) B(a) B(b) B(c) B(d) B(e)
typedef struct BE { short arr[3]; int x; } T64;
#define T64_F(V, B, N) N(arr) V(x)
typedef union BE { uint32_t i; uint8_t b[4]; } T65;
#define T65_F(V, B, N) V(i) N(b)
typedef struct LE { uint16_t a; int32_t b; } T66;
#define T66_F(V, B, N) V(a) V(b)
typedef struct { } T67;
#define T67_F(V, B, N)
typedef struct { char a; T59 hdr; int b; } T68;
#define T68_F(V, B, N) V(a) N(hdr) V(b)
#pragma pack(push, 1)
typedef struct BE { uint8_t a:3; uint16_t b:10; uint32_t c:19; } T69;
#pragma pack(pop)
#define T69_F(V, B, N) B(a) B(b) B(c)
typedef struct { char c; long double ld; short s; } T70;
#define T70_F(V, B, N) V(c) V(ld) V(s)

/* ---- unnamed and zero-width bitfields (gcc-sysv) ---- */
typedef struct { int a:4; int :0; int b:4; } T71;
#define T71_F(V, B, N) B(a) B(b)
typedef struct { char c; int :0; char d; } T72;
#define T72_F(V, B, N) V(c) V(d)
#pragma pack(push, 1)
typedef struct { char c; int :0; char d; } T73;   /* :0 ignores pack */
#pragma pack(pop)
#define T73_F(V, B, N) V(c) V(d)
typedef struct { char c; long long :3; char d; } T74;   /* no alignment from unnamed */
#define T74_F(V, B, N) V(c) V(d)
typedef struct { char c; int :32; char d; } T75;
#define T75_F(V, B, N) V(c) V(d)
typedef union { char a:3; int :0; long long :5; } T76;
#define T76_F(V, B, N) B(a)
typedef struct { int a:3; int :5; int b:3; unsigned :0; short :2; char c:7; unsigned char :0; } T77;
#define T77_F(V, B, N) B(a) B(b) B(c)
typedef struct { int :0; char c; } T78;
#define T78_F(V, B, N) V(c)

/* ---- ms_struct (Layout::Ms) ---- */
typedef struct MS { int a:3; unsigned b:5; int c:24; unsigned char d:4; long long e:40; } T79;
#define T79_F(V, B, N) B(a) B(b) B(c) B(d) B(e)
typedef struct MS { char a:3; int b:5; } T80;
#define T80_F(V, B, N) B(a) B(b)
typedef struct MS { int a:3; char b; short c:4; } T81;
#define T81_F(V, B, N) B(a) V(b) B(c)
#pragma pack(push, 1)
typedef struct MS { char c; int a:20; unsigned b:20; short s:3; } T82;
#pragma pack(pop)
#define T82_F(V, B, N) V(c) B(a) B(b) B(s)
#pragma pack(push, 2)
typedef struct MS { char c; long long a:5; int b:30; int d:3; } T83;
#pragma pack(pop)
#define T83_F(V, B, N) V(c) B(a) B(b) B(d)
typedef struct MS __attribute__((aligned(16))) { short a:9; short b:9; short c:9; } T84;
#define T84_F(V, B, N) B(a) B(b) B(c)
typedef struct MS BE { uint8_t x; unsigned a:20; unsigned b:7; uint16_t s:12; } T85;
#define T85_F(V, B, N) V(x) B(a) B(b) B(s)
typedef union MS { char a:3; int :0; long long :5; } T86;
#define T86_F(V, B, N) B(a)
typedef struct MS { char x:2; int :0; char y; } T87;
#define T87_F(V, B, N) B(x) V(y)
typedef struct MS { char x; int :0; char y; } T88;   /* :0 after an ordinary field: ignored */
#define T88_F(V, B, N) V(x) V(y)
typedef struct MS { int a:4; char :0; int b:4; short :0; short :0; char c:2; } T89;
#define T89_F(V, B, N) B(a) B(b) B(c)
typedef struct MS { char c:1; int :0; } T90;
#define T90_F(V, B, N) B(c)
typedef struct MS { char t:4; T80 inner; struct { int p:3; int q:30; }; unsigned char :3; } T91;
#define T91_F(V, B, N) B(t) N(inner) B(p) B(q)
typedef struct { char c; T84 ms; int x:3; } T92;   /* an ms record nested in a sysv one */
#define T92_F(V, B, N) V(c) N(ms) B(x)

PROBE(T01, T01_F) PROBE(T02, T02_F) PROBE(T03, T03_F) PROBE(T04, T04_F) PROBE(T05, T05_F)
PROBE(T06, T06_F) PROBE(T07, T07_F) PROBE(T08, T08_F) PROBE(T09, T09_F) PROBE(T10, T10_F)
PROBE(T11, T11_F) PROBE(T12, T12_F) PROBE(T13, T13_F) PROBE(T14, T14_F) PROBE(T15, T15_F)
PROBE(T16, T16_F) PROBE(T17, T17_F) PROBE(T18, T18_F) PROBE(T19, T19_F) PROBE(T20, T20_F)
PROBE(T21, T21_F) PROBE(T22, T22_F) PROBE(T23, T23_F) PROBE(T24, T24_F) PROBE(T25, T25_F)
PROBE(T26, T26_F) PROBE(T27, T27_F) PROBE(T28, T28_F) PROBE(T29, T29_F) PROBE(T30, T30_F)
PROBE(T31, T31_F) PROBE(T32, T32_F) PROBE(T33, T33_F) PROBE(T34, T34_F) PROBE(T35, T35_F)
PROBE(T36, T36_F) PROBE(T37, T37_F) PROBE(T38, T38_F) PROBE(T39, T39_F) PROBE(T40, T40_F)
PROBE(T41, T41_F) PROBE(T42, T42_F) PROBE(T43, T43_F) PROBE(T44, T44_F) PROBE(T45, T45_F)
PROBE(T46, T46_F) PROBE(T47, T47_F) PROBE(T48, T48_F) PROBE(T49, T49_F) PROBE(T50, T50_F)
PROBE(T51, T51_F) PROBE(T52, T52_F) PROBE(T53, T53_F) PROBE(T54, T54_F) PROBE(T55, T55_F)
PROBE(T56, T56_F) PROBE(T57, T57_F) PROBE(T58, T58_F) PROBE(T59, T59_F) PROBE(T60, T60_F)
PROBE(T61, T61_F) PROBE(T62, T62_F) PROBE(T63, T63_F) PROBE(T64, T64_F) PROBE(T65, T65_F)
PROBE(T66, T66_F) PROBE(T67, T67_F) PROBE(T68, T68_F) PROBE(T69, T69_F) PROBE(T70, T70_F)
PROBE(T71, T71_F) PROBE(T72, T72_F) PROBE(T73, T73_F) PROBE(T74, T74_F) PROBE(T75, T75_F)
PROBE(T76, T76_F) PROBE(T77, T77_F) PROBE(T78, T78_F) PROBE(T79, T79_F) PROBE(T80, T80_F)
PROBE(T81, T81_F) PROBE(T82, T82_F) PROBE(T83, T83_F) PROBE(T84, T84_F) PROBE(T85, T85_F)
PROBE(T86, T86_F) PROBE(T87, T87_F) PROBE(T88, T88_F) PROBE(T89, T89_F) PROBE(T90, T90_F)
PROBE(T91, T91_F) PROBE(T92, T92_F)

/* The famous struct through C by value: built from field values, and each
 * field read back. */
T31 famous_make(int a, unsigned b, int c, unsigned d, long long e) {
    T31 s = {0};
    s.a = a; s.b = b; s.c = c; s.d = d; s.e = e;
    return s;
}
long long famous_field(T31 s, int i) {
    switch (i) {
    case 0: return s.a;
    case 1: return s.b;
    case 2: return s.c;
    case 3: return s.d;
    default: return s.e;
    }
}

/* Zero-width and unnamed bitfields by value: gcc 12 ignores a `:0` when
 * classifying (f and g share an SSE register); an unnamed bitfield with
 * bits makes its eightbyte INTEGER. */
typedef struct { float f; int :0; float g; } ZeroWidth;
float zero_width_g(ZeroWidth s) { return s.g; }
ZeroWidth zero_width_make(float f, float g) { ZeroWidth s = {f, g}; return s; }
typedef struct { float f; int :8; } UnnamedBits;
float unnamed_bits_f(UnnamedBits s) { return s.f; }
/* An ms_struct record by value. */
typedef struct MS { char a:3; int b:5; short c; } MsByValue;
long ms_by_value_sum(MsByValue s) { return s.a * 100 + s.b * 10 + s.c; }
MsByValue ms_by_value_make(int a, int b, int c) { MsByValue s = {a, b, c}; return s; }
