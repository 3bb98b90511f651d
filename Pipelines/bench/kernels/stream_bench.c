// Side by side on one matrix, in interleaved rounds: OpenBLAS dgemv against the streaming
// kernels of Sources/CStreamKernels, and the kernels on 4 KB pages against 2 MB pages and
// without software prefetch against with it. Two threads share each product (a
// persistent spinning helper, as in the solver); medians over rounds are printed.
//
// Usage: stream_bench M D ROUNDS   (the matrix is M × D², the dense sensing layout)
#include <cblas.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "stream_kernels.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static long m, d, n;                     // rows, side, columns = d²
static double *small_pages, *huge_pages; // the same entries on either kind of page
static double *y, *x, *z, *u, *jacobian, *partial[2];
enum { rank = 3 };

// A buffer of `count` doubles on 2 MB pages (madvise before first touch) or kept on 4 KB pages.
static double *allocate(long count, int huge) {
    size_t bytes = (size_t)count * sizeof(double), align = 2 << 20;
    char *raw = aligned_alloc(align, (bytes + align - 1) / align * align);
    if (!raw) { perror("stream_bench: allocation"); exit(1); }
    madvise(raw, (bytes + align - 1) / align * align, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    return (double *)raw;
}

typedef void (*half_job)(const double *a, int half);

// Half `half` of the columns: [first_column(half), first_column(half + 1)).
static long first_column(int half) { return half * n / 2; }

typedef void (*multiply_kernel)(ptrdiff_t, ptrdiff_t, ptrdiff_t, const double *, ptrdiff_t, const double *, ptrdiff_t,
                                double *, ptrdiff_t);
// The same kernels compiled without software prefetch (stream-kernels.sh renames them).
void unprefetched_multiply(ptrdiff_t, ptrdiff_t, ptrdiff_t, const double *, ptrdiff_t, const double *, ptrdiff_t,
                           double *, ptrdiff_t);
void unprefetched_multiply_transposed(ptrdiff_t, ptrdiff_t, ptrdiff_t, const double *, ptrdiff_t, const double *,
                                      ptrdiff_t, double *, ptrdiff_t);

// Aᵀy on a half's columns, and that half's share of A·[x1 … xw].
static void transposed(multiply_kernel kernel, const double *a, int half) {
    long lo = first_column(half), hi = first_column(half + 1);
    kernel(m, hi - lo, 1, a + lo * m, m, y, m, z + lo, n);
}
static void product(multiply_kernel kernel, long width, const double *a, int half) {
    long lo = first_column(half), hi = first_column(half + 1);
    kernel(m, hi - lo, width, a + lo * m, m, x + lo, n, partial[half], m);
}

static void dgemv_t(const double *a, int half) {
    long lo = first_column(half), hi = first_column(half + 1);
    cblas_dgemv(CblasColMajor, CblasTrans, m, hi - lo, 1, a + lo * m, m, y, 1, 0, z + lo, 1);
}
static void dgemv_n(const double *a, int half) {
    long lo = first_column(half), hi = first_column(half + 1);
    cblas_dgemv(CblasColMajor, CblasNoTrans, m, hi - lo, 1, a + lo * m, m, x + lo, 1, 0, partial[half], 1);
}
static void stream_t(const double *a, int half) { transposed(stream_multiply_transposed, a, half); }
static void stream_n(const double *a, int half) { product(stream_multiply, 1, a, half); }
static void stream_n2(const double *a, int half) { product(stream_multiply, 2, a, half); }
static void unprefetched_t(const double *a, int half) { transposed(unprefetched_multiply_transposed, a, half); }
static void unprefetched_n(const double *a, int half) { product(unprefetched_multiply, 1, a, half); }
// The two sides of the tangent Jacobian (StackedMatrixProducts.sidedProducts), rank 3 each.
static void sided_left(const double *a, int half) {
    for (long q = half * d / 2; q < (half + 1) * d / 2; q++)
        stream_multiply(m, d, rank, a + q * d * m, m, u, d, jacobian + q * m, d * m);
}
static void sided_right(const double *a, int half) {
    long rows = m * d, lo = half * (rows / 2) / 8 * 8, hi = half ? rows : (rows / 2) / 8 * 8;
    stream_multiply(hi - lo, d, rank, a + lo, rows, u, d, jacobian + d * rank * m + lo, rows);
}

// The helper runs half 1 of whatever job is published; the caller runs half 0.
static half_job published;
static const double *published_matrix;
static int generation, finished;
static void *helper(void *unused) {
    (void)unused;
    int seen = 0;
    for (;;) {
        while (__atomic_load_n(&generation, __ATOMIC_ACQUIRE) == seen) __builtin_ia32_pause();
        seen = generation;
        published(published_matrix, 1);
        __atomic_store_n(&finished, seen, __ATOMIC_RELEASE);
    }
    return NULL;
}
static void both_halves(half_job job, const double *a) {
    published = job;
    published_matrix = a;
    int next = generation + 1;
    __atomic_store_n(&generation, next, __ATOMIC_RELEASE);
    job(a, 0);
    while (__atomic_load_n(&finished, __ATOMIC_ACQUIRE) != next) __builtin_ia32_pause();
}
typedef struct {
    const char *name;
    half_job job;
    int huge;
} variant;

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: stream_bench M D ROUNDS\n"); return 2; }
    m = atol(argv[1]); d = atol(argv[2]); n = d * d;
    int rounds = atoi(argv[3]);
    if (m < 16 || d < 2 || rounds < 3) { fprintf(stderr, "stream_bench: need M >= 16, D >= 2, ROUNDS >= 3\n"); return 2; }
    openblas_set_num_threads(1);
    small_pages = allocate(m * n, 0);
    huge_pages = allocate(m * n, 1);
    srand(1);
    for (long i = 0; i < m * n; i++) small_pages[i] = huge_pages[i] = (double)rand() / RAND_MAX - 0.5;
    y = allocate(m, 0); x = allocate(2 * n, 0); z = allocate(n, 0); u = allocate(d * rank, 0);
    partial[0] = allocate(2 * m, 0); partial[1] = allocate(2 * m, 0);
    jacobian = allocate(2 * m * d * rank, 0);
    for (long i = 0; i < m; i++) y[i] = (double)rand() / RAND_MAX;
    for (long i = 0; i < 2 * n; i++) x[i] = (double)rand() / RAND_MAX;
    for (long i = 0; i < d * rank; i++) u[i] = (double)rand() / RAND_MAX;
    pthread_t thread;
    pthread_create(&thread, NULL, helper, NULL);

    const variant variants[] = {
        {"OpenBLAS dgemv A^T y", dgemv_t, 1},  {"stream A^T y", stream_t, 1},
        {"OpenBLAS dgemv A x", dgemv_n, 1},    {"stream A x", stream_n, 1},
        {"stream A [x1 x2]", stream_n2, 1},    {"stream sided, U side", sided_left, 1},
        {"stream sided, V side", sided_right, 1},
        {"stream A^T y, 4 KB pages", stream_t, 0},
        {"stream A^T y, no prefetch", unprefetched_t, 1}, {"stream A x, no prefetch", unprefetched_n, 1},
    };
    enum { count = sizeof variants / sizeof variants[0] };
    double *times = malloc(sizeof(double) * count * rounds);
    // Each round starts one variant later, and each variant is timed on its second of two
    // calls in a row, so that every one finds its own matrix as warm as the others find theirs.
    for (int r = 0; r < rounds + 3; r++) {
        for (int k = 0; k < count; k++) {
            int v = (k + r) % count;
            const double *a = variants[v].huge ? huge_pages : small_pages;
            both_halves(variants[v].job, a);
            double start = now();
            both_halves(variants[v].job, a);
            if (r >= 3) times[v * rounds + r - 3] = now() - start;  // three warm-up rounds
        }
    }
    double median[count];
    printf("matrix %ld x %ld (%.0f MB), medians of %d interleaved rounds, 2 threads\n",
           m, n, m * n * 8 / 1e6, rounds);
    for (int v = 0; v < count; v++) {
        qsort(times + v * rounds, rounds, sizeof(double), by_value);
        median[v] = times[v * rounds + rounds / 2];
        printf("  %-30s %7.3f ms  %6.1f GB/s\n", variants[v].name, median[v] * 1e3, m * n * 8 / median[v] / 1e9);
    }
    printf("stream A^T y / OpenBLAS A^T y: %.2fx the bandwidth\n", median[0] / median[1]);
    printf("stream A x / OpenBLAS A x:     %.2fx the bandwidth\n", median[2] / median[3]);
    printf("sided products (U and V sides, rank %d each) / stream A^T y: %.2fx the time of one pass each\n",
           rank, (median[5] + median[6]) / 2 / median[1]);
    printf("2 MB pages / 4 KB pages (stream A^T y): %.2fx the bandwidth\n", median[7] / median[1]);
    printf("software prefetch / none: %.2fx the bandwidth (A^T y), %.2fx (A x)\n", median[8] / median[1],
           median[9] / median[3]);
    return 0;
}
