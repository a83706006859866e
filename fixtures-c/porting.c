/* What C hands back, for tests/porting.rs: arrays behind pointers, addresses
 * passed as integers, strings and function pointers stored in structures,
 * callbacks called synchronously, binary data, errno. Every symbol starts
 * with `port_`. */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

typedef struct { int x, y; } PortPoint;

/* ---- 1. arrays behind pointers ------------------------------------------ */

static int squares[16];
static const double samples[4] = {0.5, -1.25, 3.0, 1e-3};
static PortPoint path[3] = {{1, 2}, {3, 4}, {5, 6}};

/* The squares 0..n-1 (n at most 16) in a static array. */
const int *port_squares(int n) {
    for (int i = 0; i < n && i < 16; i++) squares[i] = i * i;
    return squares;
}
const double *port_samples(void) { return samples; }
PortPoint *port_path(int *n) {
    *n = 3;
    return path;
}
/* Fills out[0..n) with 10*i - 5. */
void port_fill(int *out, int n) {
    for (int i = 0; i < n; i++) out[i] = 10 * i - 5;
}
/* Calls f(xs, n) and returns what it returns: a callback given a pointer and a count. */
long port_with_array(long (*f)(const int *, int), int n) {
    int xs[8];
    for (int i = 0; i < 8; i++) xs[i] = 100 + i;
    return f(xs, n < 8 ? n : 8);
}

/* ---- 2. addresses handed over as integers (handles, intptr_t APIs) -------- */

static PortPoint origin = {7, -7};
static const char handle_name[] = "handle #1";
static int port_add3(int a, int b, int c) { return a + b + c; }

uintptr_t port_point_handle(void) { return (uintptr_t)&origin; }
uintptr_t port_name_handle(void) { return (uintptr_t)handle_name; }
uintptr_t port_add3_handle(void) { return (uintptr_t)&port_add3; }
int port_sum_points(const PortPoint *p, int n) {
    int s = 0;
    for (int i = 0; i < n; i++) s += p[i].x + p[i].y;
    return s;
}

/* ---- 3. strings C stores in structures ------------------------------------ */

typedef struct {
    int code;
    char *msg;        /* like z_stream.msg: NULL, or a static message */
    wchar_t *wmsg;
    const char *last; /* what the caller set, copied through */
} PortStream;

int port_stream_fail(PortStream *s, int how) {
    s->code = how;
    switch (how) {
    case 0:
        s->msg = NULL;
        s->wmsg = NULL;
        return 0;
    case 1:
        s->msg = (char *)"invalid block type";
        s->wmsg = (wchar_t *)L"ungültiger Blocktyp";
        return -3;
    default:
        s->msg = (char *)"incorrect header check";
        s->wmsg = (wchar_t *)L"header ✗";
        return -3;
    }
}
/* Moves msg to last and points msg past its first `skip` characters. */
void port_stream_shift(PortStream *s, int skip) {
    s->last = s->msg;
    if (s->msg) s->msg += skip;
}

/* ---- 4. function pointers C stores --------------------------------------- */

typedef struct {
    int (*add)(int, int);
    int (*mul)(int, int);
    const char *(*name)(void);
    void (*unused)(void);
} PortOps;

static int ops_add(int a, int b) { return a + b; }
static int ops_mul(int a, int b) { return a * b; }
static const char *ops_name(void) { return "integer ops"; }
static const PortOps ops = {ops_add, ops_mul, ops_name, NULL};

const PortOps *port_ops(void) { return &ops; }

/* An allocator pair, like z_stream's zalloc/zfree with their opaque. */
typedef struct {
    void *(*alloc)(void *opaque, unsigned items, unsigned size);
    void (*release)(void *opaque, void *address);
    void *opaque;
} PortAllocator;

static int live_allocations;
static void *default_alloc(void *opaque, unsigned items, unsigned size) {
    (void)opaque;
    live_allocations++;
    return calloc(items, size);
}
static void default_release(void *opaque, void *address) {
    (void)opaque;
    live_allocations--;
    free(address);
}
/* Fills in the defaults where the caller left NULL, as deflateInit does. */
void port_allocator_init(PortAllocator *a) {
    if (!a->alloc) a->alloc = default_alloc;
    if (!a->release) a->release = default_release;
}
int port_live_allocations(void) { return live_allocations; }
/* Uses the allocator: what a library does with zalloc/zfree. */
int port_allocator_use(const PortAllocator *a, unsigned n) {
    int *p = a->alloc(a->opaque, n, sizeof(int));
    if (!p) return -1;
    int s = 0;
    for (unsigned i = 0; i < n; i++) s += p[i] = (int)i;
    a->release(a->opaque, p);
    return s;
}

/* ---- 5. callbacks called synchronously, and from another thread ---------- */

/* Calls f(ctx, i, xs[i]) for each element, stopping when it returns non-zero. */
int port_each(const int *xs, int n, int (*f)(void *, int, int), void *ctx) {
    for (int i = 0; i < n; i++)
        if (f(ctx, i, xs[i])) return i;
    return -1;
}

/* Calls f(0), f(1), ..., f(n - 1). */
void port_count_to(void (*f)(int), int n) {
    for (int i = 0; i < n; i++) f(i);
}

struct port_thread_call { int (*f)(int); int x; int result; };
static void *port_thread_main(void *arg) {
    struct port_thread_call *c = arg;
    c->result = c->f(c->x);
    return NULL;
}
/* Calls f(x) on a new thread and returns its result. */
int port_call_on_thread(int (*f)(int), int x) {
    struct port_thread_call c = {f, x, -1};
    pthread_t t;
    if (pthread_create(&t, NULL, port_thread_main, &c)) return -2;
    pthread_join(t, NULL);
    return c.result;
}

/* ---- 6. binary data -------------------------------------------------------- */

/* The sum of n bytes and the number of NULs among them, as sum * 1000 + nuls. */
long port_bytes_digest(const void *data, size_t n) {
    const unsigned char *p = data;
    long sum = 0, nuls = 0;
    for (size_t i = 0; i < n; i++) {
        sum += p[i];
        nuls += p[i] == 0;
    }
    return sum * 1000 + nuls;
}

/* ---- 7. errno ------------------------------------------------------------- */

/* Fails with errno = e (returns -1), or succeeds with 0 when e is 0. */
int port_fail_with_errno(int e) {
    errno = e;
    return e ? -1 : 0;
}

/* ---- 8. instances to look at, buffers to fill --------------------------- */

typedef struct { PortPoint a, b; } PortRect;
void port_rect(PortRect *r, int w, int h) {
    r->a.x = 0;
    r->a.y = 0;
    r->b.x = w;
    r->b.y = h;
}
/* snprintf into a caller's buffer: "<prefix already in buf>=<v>". */
int port_append_value(char *buf, size_t size, int v) {
    size_t used = strlen(buf);
    if (used >= size) return -1;
    return snprintf(buf + used, size - used, "=%d", v);
}
