#ifndef FLATMIN_COPENBLAS_SHIM_H
#define FLATMIN_COPENBLAS_SHIM_H
#include <cblas.h>

// OpenBLAS exports LAPACK's Fortran symbols itself; Debian builds it without LAPACKE, so the
// few routines the toolkit needs are declared here with the Fortran calling convention
// (every argument by pointer, 32-bit integers since openblas.pc reports USE_64BITINT empty).
typedef int lapack_int;

void dgesdd_(const char *jobz, const lapack_int *m, const lapack_int *n, double *a,
             const lapack_int *lda, double *s, double *u, const lapack_int *ldu, double *vt,
             const lapack_int *ldvt, double *work, const lapack_int *lwork, lapack_int *iwork,
             lapack_int *info);
void dsyevd_(const char *jobz, const char *uplo, const lapack_int *n, double *a,
             const lapack_int *lda, double *w, double *work, const lapack_int *lwork,
             lapack_int *iwork, const lapack_int *liwork, lapack_int *info);
void dpotrf_(const char *uplo, const lapack_int *n, double *a, const lapack_int *lda,
             lapack_int *info);
void dpotrs_(const char *uplo, const lapack_int *n, const lapack_int *nrhs, const double *a,
             const lapack_int *lda, double *b, const lapack_int *ldb, lapack_int *info);
void dgeqrf_(const lapack_int *m, const lapack_int *n, double *a, const lapack_int *lda,
             double *tau, double *work, const lapack_int *lwork, lapack_int *info);
void dorgqr_(const lapack_int *m, const lapack_int *n, const lapack_int *k, double *a,
             const lapack_int *lda, const double *tau, double *work, const lapack_int *lwork,
             lapack_int *info);
void dgesv_(const lapack_int *n, const lapack_int *nrhs, double *a, const lapack_int *lda,
            lapack_int *ipiv, double *b, const lapack_int *ldb, lapack_int *info);
void dgels_(const char *trans, const lapack_int *m, const lapack_int *n, const lapack_int *nrhs,
            double *a, const lapack_int *lda, double *b, const lapack_int *ldb, double *work,
            const lapack_int *lwork, lapack_int *info);

// Fortran hidden string-length arguments are omitted: every character argument above is a
// single character, which gfortran-built LAPACK accepts without them on x86-64 Linux.
#endif
