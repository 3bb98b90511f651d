// The reference for a pass of solve-flat over the observed entries of matrix completion: the two
// sparse kernels a pass is made of, written plainly in C, on the same entries and factor width.
//
//   forward:  out[i] = ⟨L[row_i, :], R[col_i, :]⟩            (A(L·Rᵀ), a gather and a row dot)
//   adjoint:  G[row_i, :] += y[i] · R[col_i, :], G zeroed first (A*(y)·R, a gather and a scatter)
//
// Factors are row-major (a row's k numbers contiguous: the layout a gather wants, and the one the
// solver copies its factors into), entries are taken in the stream's order. Each kernel runs on
// 1 thread and on T threads (the entries split in T contiguous ranges; for the adjoint each
// thread scatters into its own zeroed G and the T copies are summed, all inside the timing).
// Rounds interleave the four variants; medians over rounds are printed as one JSON line:
//   {"m":…, "k":…, "forward_1":s, "adjoint_1":s, "forward_T":s, "adjoint_T":s, "threads":T}
//
// Usage: gather_bench ENTRIES.bin M D1 D2 K ROUNDS [THREADS=2]
//        ENTRIES.bin: M (row, column) pairs as little-endian int64, row-major (M × 2)
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static long m, d1, d2, k;
static int64_t *rows, *cols;
static double *L, *R, *y, *out, **scatter;

static void forward_range(long begin, long end) {
    for (long i = begin; i < end; i++) {
        const double *l = L + rows[i] * k, *r = R + cols[i] * k;
        double sum = 0;
        for (long j = 0; j < k; j++) sum += l[j] * r[j];
        out[i] = sum;
    }
}

static void adjoint_range(double *G, long begin, long end) {
    memset(G, 0, sizeof(double) * d1 * k);
    for (long i = begin; i < end; i++) {
        double *g = G + rows[i] * k;
        const double *r = R + cols[i] * k;
        const double w = y[i];
        for (long j = 0; j < k; j++) g[j] += w * r[j];
    }
}

typedef struct { int kind, index, count; } job;

static void *run_job(void *argument) {
    job *task = argument;
    long begin = m * task->index / task->count, end = m * (task->index + 1) / task->count;
    if (task->kind == 0) forward_range(begin, end);
    else adjoint_range(scatter[task->index], begin, end);
    return NULL;
}

static double timed(int kind, int threads) {
    pthread_t helpers[64];
    job tasks[64];
    double start = now();
    for (int t = 0; t < threads; t++) tasks[t] = (job){kind, t, threads};
    for (int t = 1; t < threads; t++) pthread_create(&helpers[t], NULL, run_job, &tasks[t]);
    run_job(&tasks[0]);
    for (int t = 1; t < threads; t++) pthread_join(helpers[t], NULL);
    if (kind == 1)  // the T partial results summed into the first
        for (int t = 1; t < threads; t++)
            for (long j = 0; j < d1 * k; j++) scatter[0][j] += scatter[t][j];
    return now() - start;
}

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: gather_bench ENTRIES.bin M D1 D2 K ROUNDS [THREADS]\n");
        return 2;
    }
    m = atol(argv[2]); d1 = atol(argv[3]); d2 = atol(argv[4]); k = atol(argv[5]);
    int rounds = atoi(argv[6]), threads = argc > 7 ? atoi(argv[7]) : 2;
    if (threads < 1) threads = 1;
    if (threads > 64) threads = 64;
    int64_t *pairs = malloc(sizeof(int64_t) * 2 * m);
    FILE *file = fopen(argv[1], "rb");
    if (!file || fread(pairs, sizeof(int64_t), 2 * m, file) != (size_t)(2 * m)) {
        fprintf(stderr, "gather_bench: cannot read %ld entries from %s\n", m, argv[1]);
        return 1;
    }
    fclose(file);
    rows = malloc(sizeof(int64_t) * m); cols = malloc(sizeof(int64_t) * m);
    for (long i = 0; i < m; i++) {
        rows[i] = pairs[2 * i]; cols[i] = pairs[2 * i + 1];
        if (rows[i] < 0 || rows[i] >= d1 || cols[i] < 0 || cols[i] >= d2) {
            fprintf(stderr, "gather_bench: entry %ld outside %ld x %ld\n", i, d1, d2);
            return 1;
        }
    }
    free(pairs);
    L = malloc(sizeof(double) * d1 * k); R = malloc(sizeof(double) * d2 * k);
    y = malloc(sizeof(double) * m); out = malloc(sizeof(double) * m);
    scatter = malloc(sizeof(double *) * threads);
    for (int t = 0; t < threads; t++) scatter[t] = malloc(sizeof(double) * d1 * k);
    uint64_t state = 88172645463325252ull;  // xorshift: any values do, the timing does not depend on them
    for (long i = 0; i < d1 * k; i++) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; L[i] = (double)(state >> 11) / 9007199254740992.0 - 0.5; }
    for (long i = 0; i < d2 * k; i++) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; R[i] = (double)(state >> 11) / 9007199254740992.0 - 0.5; }
    for (long i = 0; i < m; i++) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; y[i] = (double)(state >> 11) / 9007199254740992.0 - 0.5; }

    double *times[4];
    for (int v = 0; v < 4; v++) times[v] = malloc(sizeof(double) * rounds);
    for (int v = 0; v < 4; v++) timed(v & 1, v < 2 ? 1 : threads);  // warm-up: page in everything
    for (int round = 0; round < rounds; round++)
        for (int v = 0; v < 4; v++) times[v][round] = timed(v & 1, v < 2 ? 1 : threads);
    double median[4], check = 0;
    for (int v = 0; v < 4; v++) {
        qsort(times[v], rounds, sizeof(double), by_value);
        median[v] = rounds % 2 ? times[v][rounds / 2] : (times[v][rounds / 2 - 1] + times[v][rounds / 2]) / 2;
    }
    for (long i = 0; i < m; i++) check += out[i];
    printf("{\"m\": %ld, \"k\": %ld, \"d1\": %ld, \"d2\": %ld, \"rounds\": %d, \"threads\": %d, "
           "\"forward_1\": %.9g, \"adjoint_1\": %.9g, \"forward_T\": %.9g, \"adjoint_T\": %.9g, \"check\": %.6g}\n",
           m, k, d1, d2, rounds, threads, median[0], median[1], median[2], median[3], check + scatter[0][0]);
    return 0;
}
