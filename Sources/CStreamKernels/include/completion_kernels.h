#ifndef COMPLETION_KERNELS_H
#define COMPLETION_KERNELS_H

#include <stddef.h>
#include <stdint.h>

// The products of matrix completion, A(L·Rᵀ)_e = ⟨L[p_e, :], R[q_e, :]⟩ and the two products of
// A*(y), over observed entries held in compressed sparse column order: column q's entries are
// starts[q] ..< starts[q + 1], entry e in row rows[e] and at position positions[e] of the
// measurement vector (positions NULL: at e, the entries already in that order). Rows ascend
// within a column. Factors are row-major, a row's `width` numbers contiguous.
//
// Every output number is summed in an order fixed by the entries alone (a dot product in four
// interleaved partial sums added as (s0 + s1) + (s2 + s3); a sum over entries in the order
// they are held), never by how a range of columns or rows is split among threads, and in
// plain double arithmetic with no fused multiply–add, so the bits are the same on every
// processor and at every thread count.

/// For each entry e of the columns first_column ..< end_column and each j < count:
/// outs[j][position(e)] = ⟨left[p_e·width + o_j ..], right[q_e·width + o_j ..]⟩ over widths[j]
/// numbers, o_j = widths[0] + … + widths[j − 1]: several products A(L_j·R_jᵀ) in one walk, the
/// pairs side by side in one row-major left and one right factor of width Σ widths[j].
void completion_forward(ptrdiff_t first_column, ptrdiff_t end_column, const ptrdiff_t *starts,
                        const int32_t *rows, const int32_t *positions, ptrdiff_t width, ptrdiff_t count,
                        const ptrdiff_t *widths, const double *left, const double *right, double *const *outs);

/// For each column q of first_column ..< end_column: out[q·width ..] = Σ_e y[position(e)]·
/// factor[p_e·width ..] over the column's entries (A*(y)ᵀ·L, row q).
void completion_column_gather(ptrdiff_t first_column, ptrdiff_t end_column, const ptrdiff_t *starts,
                              const int32_t *rows, const int32_t *positions, const double *y,
                              ptrdiff_t width, const double *factor, double *out);

/// For the rows of one panel: out[p·width ..] = Σ_e y[position(e)]·factor[q_e·width ..] over
/// the entries of row p, in column order, for every row p of the panel (A*(y)·R, row p).
/// The panel's entries of column q are lower[q] ..< upper[q]; out's rows of the panel are
/// overwritten, no other.
void completion_row_gather(ptrdiff_t first_row, ptrdiff_t end_row, ptrdiff_t columns,
                           const ptrdiff_t *lower, const ptrdiff_t *upper,
                           const int32_t *rows, const int32_t *positions, const double *y,
                           ptrdiff_t width, const double *factor, double *out);

/// For each column q of first_column ..< end_column: out[q·width² ..] = Σ_e f_eᵀ·f_e over the
/// column's entries, f_e = factor[p_e·width ..] (width numbers), a width×width block stored in
/// full, row by row.
void completion_column_grams(ptrdiff_t first_column, ptrdiff_t end_column, const ptrdiff_t *starts,
                             const int32_t *rows, ptrdiff_t width, const double *factor, double *out);

/// For the rows of one panel (its entries of column q are lower[q] ..< upper[q]):
/// out[p·width² ..] = Σ_e f_eᵀ·f_e over the entries of row p, in column order, f_e =
/// factor[q_e·width ..]; out's blocks of the panel's rows are overwritten, no other.
void completion_row_grams(ptrdiff_t first_row, ptrdiff_t end_row, ptrdiff_t columns,
                          const ptrdiff_t *lower, const ptrdiff_t *upper, const int32_t *rows,
                          ptrdiff_t width, const double *factor, double *out);

#endif
