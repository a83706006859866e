/* Probe macros shared by fixtures-c/layouts.c and the random structures that
 * tests/layout_random.rs generates. For a type T whose fields are listed by
 * FIELDS(V, B, N) (V: scalar, B: bitfield, N: offset only), PROBE(T, FIELDS)
 * exports:
 *   size_t T_size(void), T_align(void)
 *   long   T_offset(int i)   offsetof probe field i; -1 for bitfields
 *   void   T_set(void *p, int i, long long v)   p->field_i = v */
#ifndef RCTYPES_PROBE_H
#define RCTYPES_PROBE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#define OFF_V(f) if (k++ == i) return (long)offsetof(probe_t, f);
#define OFF_B(f) if (k++ == i) return -1;
#define SET_V(f) if (k++ == i) { s->f = v; return; }
#define SET_N(f) if (k++ == i) return;
#define PROBE(T, FIELDS)                                                     \
    size_t T##_size(void) { return sizeof(T); }                              \
    size_t T##_align(void) { return _Alignof(T); }                           \
    long T##_offset(int i) {                                                 \
        typedef T probe_t __attribute__((unused));                           \
        int k __attribute__((unused)) = 0;                                   \
        FIELDS(OFF_V, OFF_B, OFF_V)                                          \
        return -2;                                                           \
    }                                                                        \
    void T##_set(void *p, int i, long long v) {                              \
        T *s = p;                                                            \
        int k __attribute__((unused)) = 0;                                   \
        (void)s; (void)v;                                                    \
        FIELDS(SET_V, SET_V, SET_N)                                          \
    }

#define BE __attribute__((scalar_storage_order("big-endian")))
#define LE __attribute__((scalar_storage_order("little-endian")))
#define MS __attribute__((ms_struct))

#endif
