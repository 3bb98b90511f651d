#include "stream_kernels.h"

#include <string.h>

// One kernel body, compiled three times under different target attributes: a "slice" is 8
// doubles, one AVX-512 register, two AVX2 registers, or eight scalars, with the same lane
// arithmetic in each, which is why the paths agree to the bit. How many columns of A a path
// reads side by side changes only the order of loads, never of additions.
typedef double slice __attribute__((vector_size(64), aligned(8)));

#define BODY static inline __attribute__((always_inline))
// Slices cross these helpers by value, which clang flags as ABI-dependent; they are always
// inlined into a caller with one target, so no call with that ABI exists.
#pragma clang diagnostic ignored "-Wpsabi"

BODY slice load_slice(const double *p) { slice s; memcpy(&s, p, sizeof s); return s; }
BODY void store_slice(double *p, slice s) { memcpy(p, &s, sizeof s); }
BODY slice splat(double v) { return (slice){v, v, v, v, v, v, v, v}; }
BODY slice fused(slice a, slice b, slice c) { return __builtin_elementwise_fma(a, b, c); }
BODY double reduce(slice s) { return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7])); }

// Eight column streams at a time are more than the hardware prefetchers of the machines this
// was tuned on keep ahead of, so each stream asks for the line this many doubles ahead, into
// L2 (into L1, eight streams' lines in flight crowd out the ones being read). 0 turns it off:
// Pipelines/bench/stream-kernels.sh builds such a copy, which had 0.77–0.79× the bandwidth
// on Aᵀy and 0.64–0.68× on Ax.
#ifndef STREAM_PREFETCH_AHEAD
#define STREAM_PREFETCH_AHEAD 512
#endif
enum { prefetch_ahead = STREAM_PREFETCH_AHEAD };
#define PREFETCH_INTO_L2 2
// Rows per panel of `stream_multiply`, sized so that the panel's outputs stay in L2.
enum { panel_output_bytes = 96 * 1024 };

BODY void prefetch_column(const double *a, ptrdiff_t lda, ptrdiff_t column, ptrdiff_t columns, int columns_per_group,
                          ptrdiff_t row, ptrdiff_t panel_start, ptrdiff_t panel_end) {
    if (prefetch_ahead == 0) return;
    ptrdiff_t ahead = row + prefetch_ahead;
    ptrdiff_t wrapped = panel_start + (ahead - panel_end);
    if (ahead < panel_end) {
        __builtin_prefetch(a + column * lda + ahead, 0, PREFETCH_INTO_L2);
    } else if (column + columns_per_group < columns && wrapped < panel_end) {
        // Past the panel's end the stream continues with the same column of the next group.
        __builtin_prefetch(a + (column + columns_per_group) * lda + wrapped, 0, PREFETCH_INTO_L2);
    }
}

// `columns_per_group` columns of A are streamed side by side, so each output slice is loaded
// and stored once per that many columns; a compile-time constant, so that they stay in
// registers.
BODY void multiply_fixed(ptrdiff_t rows, ptrdiff_t depth, ptrdiff_t width,
                         const double *restrict a, ptrdiff_t lda, const double *restrict x, ptrdiff_t ldx,
                         double *restrict out, ptrdiff_t ldo, const int columns_per_group) {
    if (rows <= 0 || width <= 0) return;
    if (depth <= 0) {
        for (ptrdiff_t c = 0; c < width; c++) memset(out + c * ldo, 0, (size_t)rows * sizeof(double));
        return;
    }
    ptrdiff_t panel = panel_output_bytes / (8 * width) / 8 * 8;
    if (panel < 64) panel = 64;
    for (ptrdiff_t start = 0; start < rows; start += panel) {
        ptrdiff_t end = start + panel < rows ? start + panel : rows;
        ptrdiff_t sliced_end = start + (end - start) / 8 * 8;
        for (ptrdiff_t p = 0; p < depth; p += columns_per_group) {
            int fresh = p == 0;
            if (depth - p >= columns_per_group) {
                for (ptrdiff_t i = start; i < sliced_end; i += 8) {
                    slice v[columns_per_group];
                    for (int k = 0; k < columns_per_group; k++) {
                        prefetch_column(a, lda, p + k, depth, columns_per_group, i, start, end);
                        v[k] = load_slice(a + (p + k) * lda + i);
                    }
                    for (ptrdiff_t c = 0; c < width; c++) {
                        const double *xc = x + p + c * ldx;
                        double *o = out + i + c * ldo;
                        slice sum = fresh ? splat(0) : load_slice(o);
                        for (int k = 0; k < columns_per_group; k++) sum = fused(v[k], splat(xc[k]), sum);
                        store_slice(o, sum);
                    }
                }
            } else {
                for (ptrdiff_t i = start; i < sliced_end; i += 8) {
                    for (ptrdiff_t c = 0; c < width; c++) {
                        double *o = out + i + c * ldo;
                        slice sum = fresh ? splat(0) : load_slice(o);
                        for (ptrdiff_t k = p; k < depth; k++) sum = fused(load_slice(a + k * lda + i), splat(x[k + c * ldx]), sum);
                        store_slice(o, sum);
                    }
                }
            }
            ptrdiff_t last = p + columns_per_group < depth ? p + columns_per_group : depth;
            for (ptrdiff_t i = sliced_end; i < end; i++) {
                for (ptrdiff_t c = 0; c < width; c++) {
                    double sum = fresh ? 0 : out[i + c * ldo];
                    for (ptrdiff_t k = p; k < last; k++) sum = __builtin_fma(a[i + k * lda], x[k + c * ldx], sum);
                    out[i + c * ldo] = sum;
                }
            }
        }
    }
}

// The common widths as constants, so that the compiler can unroll over them.
BODY void multiply_body(ptrdiff_t rows, ptrdiff_t depth, ptrdiff_t width,
                        const double *a, ptrdiff_t lda, const double *x, ptrdiff_t ldx,
                        double *out, ptrdiff_t ldo, const int columns_per_group) {
    switch (width) {
    case 1: multiply_fixed(rows, depth, 1, a, lda, x, ldx, out, ldo, columns_per_group); return;
    case 2: multiply_fixed(rows, depth, 2, a, lda, x, ldx, out, ldo, columns_per_group); return;
    case 3: multiply_fixed(rows, depth, 3, a, lda, x, ldx, out, ldo, columns_per_group); return;
    default: multiply_fixed(rows, depth, width, a, lda, x, ldx, out, ldo, columns_per_group); return;
    }
}

// `columns_here` columns of A (at most `columns_per_group`) against `width_here` columns of
// y (at most `widths_per_block`), one register of sums for each pair.
BODY void transposed_block(ptrdiff_t rows, ptrdiff_t columns_here, ptrdiff_t width_here,
                           const double *a, ptrdiff_t lda, ptrdiff_t column, ptrdiff_t columns,
                           const double *y, ptrdiff_t ldy, double *out, ptrdiff_t ldo, int prefetch,
                           const int columns_per_group, const int widths_per_block) {
    slice sum[columns_per_group][widths_per_block];
    for (int k = 0; k < columns_per_group; k++) for (int c = 0; c < widths_per_block; c++) sum[k][c] = splat(0);
    ptrdiff_t sliced = rows / 8 * 8;
    for (ptrdiff_t i = 0; i < sliced; i += 8) {
        if (prefetch) for (ptrdiff_t k = 0; k < columns_here; k++) prefetch_column(a, lda, column + k, columns, columns_per_group, i, 0, rows);
        slice yv[widths_per_block];
        for (ptrdiff_t c = 0; c < width_here; c++) yv[c] = load_slice(y + i + c * ldy);
        for (ptrdiff_t k = 0; k < columns_here; k++) {
            slice v = load_slice(a + (column + k) * lda + i);
            for (ptrdiff_t c = 0; c < width_here; c++) sum[k][c] = fused(v, yv[c], sum[k][c]);
        }
    }
    for (ptrdiff_t k = 0; k < columns_here; k++) {
        for (ptrdiff_t c = 0; c < width_here; c++) {
            double total = reduce(sum[k][c]);
            for (ptrdiff_t i = sliced; i < rows; i++) total = __builtin_fma(a[i + (column + k) * lda], y[i + c * ldy], total);
            out[column + k + c * ldo] = total;
        }
    }
}

BODY void transposed_body(ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t width,
                          const double *a, ptrdiff_t lda, const double *y, ptrdiff_t ldy,
                          double *out, ptrdiff_t ldo, const int columns_per_group, const int widths_per_block) {
    for (ptrdiff_t p = 0; p < columns; p += columns_per_group) {
        ptrdiff_t columns_here = columns - p < columns_per_group ? columns - p : columns_per_group;
        for (ptrdiff_t c = 0; c < width; c += widths_per_block) {
            ptrdiff_t width_here = width - c < widths_per_block ? width - c : widths_per_block;
            // Later chunks of y find this group of A still in cache.
            int prefetch = c == 0;
            // Constant shapes let the compiler keep every sum in a register.
            if (columns_here == columns_per_group && width_here == widths_per_block)
                transposed_block(rows, columns_per_group, widths_per_block, a, lda, p, columns, y + c * ldy, ldy, out + c * ldo, ldo,
                                 prefetch, columns_per_group, widths_per_block);
            else if (columns_here == columns_per_group && width_here == 1)
                transposed_block(rows, columns_per_group, 1, a, lda, p, columns, y + c * ldy, ldy, out + c * ldo, ldo,
                                 prefetch, columns_per_group, widths_per_block);
            else
                transposed_block(rows, columns_here, width_here, a, lda, p, columns, y + c * ldy, ldy, out + c * ldo, ldo,
                                 prefetch, columns_per_group, widths_per_block);
        }
    }
}

// Streams read side by side: eight columns where AVX-512's 32 registers hold their sums
// (sixteen spill them), four where AVX2's 16 do.
#define STAMP(suffix, attributes, columns_per_group, widths_per_block)                                                \
    attributes static void multiply_##suffix(ptrdiff_t rows, ptrdiff_t depth, ptrdiff_t width, const double *a,       \
                                             ptrdiff_t lda, const double *x, ptrdiff_t ldx, double *out,               \
                                             ptrdiff_t ldo) {                                                          \
        multiply_body(rows, depth, width, a, lda, x, ldx, out, ldo, columns_per_group);                                \
    }                                                                                                                  \
    attributes static void transposed_##suffix(ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t width, const double *a,   \
                                               ptrdiff_t lda, const double *y, ptrdiff_t ldy, double *out,             \
                                               ptrdiff_t ldo) {                                                        \
        transposed_body(rows, columns, width, a, lda, y, ldy, out, ldo, columns_per_group, widths_per_block);          \
    }

STAMP(portable, , 4, 4)
#if defined(__x86_64__)
STAMP(avx2, __attribute__((target("avx2,fma"))), 4, 2)
STAMP(avx512, __attribute__((target("avx512f"))), 8, 2)
#endif

static int available_level(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
    return 0;
}

// -1 until first use; a race between first users writes the same value.
static int level = -1;

int stream_kernels_level(void) {
    int current = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (current < 0) {
        current = available_level();
        __atomic_store_n(&level, current, __ATOMIC_RELAXED);
    }
    return current;
}

int stream_kernels_set_level(int requested) {
    int available = available_level();
    int chosen = requested < 0 ? 0 : requested < available ? requested : available;
    __atomic_store_n(&level, chosen, __ATOMIC_RELAXED);
    return chosen;
}

void stream_multiply(ptrdiff_t rows, ptrdiff_t depth, ptrdiff_t width, const double *a, ptrdiff_t lda,
                     const double *x, ptrdiff_t ldx, double *out, ptrdiff_t ldo) {
    switch (stream_kernels_level()) {
#if defined(__x86_64__)
    case 2: multiply_avx512(rows, depth, width, a, lda, x, ldx, out, ldo); return;
    case 1: multiply_avx2(rows, depth, width, a, lda, x, ldx, out, ldo); return;
#endif
    default: multiply_portable(rows, depth, width, a, lda, x, ldx, out, ldo); return;
    }
}

void stream_multiply_transposed(ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t width, const double *a, ptrdiff_t lda,
                                const double *y, ptrdiff_t ldy, double *out, ptrdiff_t ldo) {
    switch (stream_kernels_level()) {
#if defined(__x86_64__)
    case 2: transposed_avx512(rows, columns, width, a, lda, y, ldy, out, ldo); return;
    case 1: transposed_avx2(rows, columns, width, a, lda, y, ldy, out, ldo); return;
#endif
    default: transposed_portable(rows, columns, width, a, lda, y, ldy, out, ldo); return;
    }
}
