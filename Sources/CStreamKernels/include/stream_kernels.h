#ifndef STREAM_KERNELS_H
#define STREAM_KERNELS_H

#include <stddef.h>

// Products of a large column-major matrix A with a few vectors, in one streaming read of A.
//
// Every output entry is summed in an order fixed by the arguments alone, so the results are
// the same bits whichever instruction set runs them (AVX-512, AVX2 with FMA, or portable C):
//   stream_multiply:            out[i, c] = fma-chain over p = 0, 1, … of a[i, p]·x[p, c]
//   stream_multiply_transposed: out[p, c] = eight fma-chains, chain l over the rows i ≡ l
//                               (mod 8) below the last multiple of 8, added as
//                               ((s0+s4)+(s2+s6))+((s1+s5)+(s3+s7)), then an fma-chain over
//                               the remaining rows.

/// out[i + c·ldo] = Σ_p a[i + p·lda]·x[p + c·ldx] for i < rows, c < width, p < depth.
/// `out` overlaps neither `a` nor `x`.
void stream_multiply(ptrdiff_t rows, ptrdiff_t depth, ptrdiff_t width,
                     const double *a, ptrdiff_t lda, const double *x, ptrdiff_t ldx,
                     double *out, ptrdiff_t ldo);

/// out[p + c·ldo] = Σ_i a[i + p·lda]·y[i + c·ldy] for p < columns, c < width, i < rows.
/// `out` overlaps neither `a` nor `y`.
void stream_multiply_transposed(ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t width,
                                const double *a, ptrdiff_t lda, const double *y, ptrdiff_t ldy,
                                double *out, ptrdiff_t ldo);

/// The instruction set the kernels use: 0 portable, 1 AVX2 with FMA, 2 AVX-512. Setting asks
/// for a level and gets the highest one at or below it that this processor has (tests use it
/// to compare the paths); the answer is the level now in effect.
int stream_kernels_level(void);
int stream_kernels_set_level(int level);

#endif
