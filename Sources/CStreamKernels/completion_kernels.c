#include "completion_kernels.h"

#include <string.h>

// Compiled for the baseline instruction set (no target attributes), so no multiply–add is
// ever fused and the arithmetic is the same on every x86 processor.

// Entries ahead whose measurement-vector slot is prefetched when the entries are not in
// measurement order (the slots are then scattered over the whole vector).
enum { slot_prefetch_ahead = 16 };

static inline ptrdiff_t slot(const int32_t *positions, ptrdiff_t e) { return positions ? positions[e] : e; }

static inline double dot(const double *restrict a, const double *restrict b, ptrdiff_t width) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    ptrdiff_t c = 0;
    for (; c + 4 <= width; c += 4) {
        s0 += a[c] * b[c];
        s1 += a[c + 1] * b[c + 1];
        s2 += a[c + 2] * b[c + 2];
        s3 += a[c + 3] * b[c + 3];
    }
    // The tail goes to the partial sums in the same lanes, so the order depends on width alone.
    if (c < width) s0 += a[c] * b[c];
    if (c + 1 < width) s1 += a[c + 1] * b[c + 1];
    if (c + 2 < width) s2 += a[c + 2] * b[c + 2];
    return (s0 + s1) + (s2 + s3);
}

void completion_forward(ptrdiff_t first_column, ptrdiff_t end_column, const ptrdiff_t *starts,
                        const int32_t *rows, const int32_t *positions, ptrdiff_t width, ptrdiff_t count,
                        const ptrdiff_t *widths, const double *left, const double *right, double *const *outs) {
    const ptrdiff_t end = starts[end_column];
    for (ptrdiff_t q = first_column; q < end_column; q++) {
        const double *restrict right_row = right + q * width;
        for (ptrdiff_t e = starts[q]; e < starts[q + 1]; e++) {
            const double *restrict left_row = left + (ptrdiff_t)rows[e] * width;
            const ptrdiff_t at = slot(positions, e);
            if (positions && e + slot_prefetch_ahead < end)
                for (ptrdiff_t j = 0; j < count; j++) __builtin_prefetch(outs[j] + positions[e + slot_prefetch_ahead], 1, 0);
            for (ptrdiff_t j = 0, offset = 0; j < count; offset += widths[j], j++)
                outs[j][at] = dot(left_row + offset, right_row + offset, widths[j]);
        }
    }
}

void completion_column_gather(ptrdiff_t first_column, ptrdiff_t end_column, const ptrdiff_t *starts,
                              const int32_t *rows, const int32_t *positions, const double *y,
                              ptrdiff_t width, const double *factor, double *out) {
    const ptrdiff_t end = starts[end_column];
    for (ptrdiff_t q = first_column; q < end_column; q++) {
        double *restrict target = out + q * width;
        memset(target, 0, (size_t)width * sizeof(double));
        for (ptrdiff_t e = starts[q]; e < starts[q + 1]; e++) {
            if (positions && e + slot_prefetch_ahead < end) __builtin_prefetch(y + positions[e + slot_prefetch_ahead], 0, 0);
            const double weight = y[slot(positions, e)];
            const double *restrict source = factor + (ptrdiff_t)rows[e] * width;
            for (ptrdiff_t c = 0; c < width; c++) target[c] += weight * source[c];
        }
    }
}

void completion_row_gather(ptrdiff_t first_row, ptrdiff_t end_row, ptrdiff_t columns,
                           const ptrdiff_t *lower, const ptrdiff_t *upper,
                           const int32_t *rows, const int32_t *positions, const double *y,
                           ptrdiff_t width, const double *factor, double *out) {
    memset(out + first_row * width, 0, (size_t)((end_row - first_row) * width) * sizeof(double));
    for (ptrdiff_t q = 0; q < columns; q++) {
        const double *restrict source = factor + q * width;
        for (ptrdiff_t e = lower[q]; e < upper[q]; e++) {
            const double weight = y[slot(positions, e)];
            double *restrict target = out + (ptrdiff_t)rows[e] * width;
            for (ptrdiff_t c = 0; c < width; c++) target[c] += weight * source[c];
        }
    }
}

static inline void add_outer(double *restrict block, const double *restrict f, ptrdiff_t width) {
    for (ptrdiff_t a = 0; a < width; a++)
        for (ptrdiff_t b = 0; b < width; b++) block[a * width + b] += f[a] * f[b];
}

void completion_column_grams(ptrdiff_t first_column, ptrdiff_t end_column, const ptrdiff_t *starts,
                             const int32_t *rows, ptrdiff_t width, const double *factor, double *out) {
    const ptrdiff_t size = width * width;
    memset(out + first_column * size, 0, (size_t)((end_column - first_column) * size) * sizeof(double));
    for (ptrdiff_t q = first_column; q < end_column; q++)
        for (ptrdiff_t e = starts[q]; e < starts[q + 1]; e++) add_outer(out + q * size, factor + (ptrdiff_t)rows[e] * width, width);
}

void completion_row_grams(ptrdiff_t first_row, ptrdiff_t end_row, ptrdiff_t columns,
                          const ptrdiff_t *lower, const ptrdiff_t *upper, const int32_t *rows,
                          ptrdiff_t width, const double *factor, double *out) {
    const ptrdiff_t size = width * width;
    memset(out + first_row * size, 0, (size_t)((end_row - first_row) * size) * sizeof(double));
    for (ptrdiff_t q = 0; q < columns; q++)
        for (ptrdiff_t e = lower[q]; e < upper[q]; e++) add_outer(out + (ptrdiff_t)rows[e] * size, factor + q * width, width);
}
