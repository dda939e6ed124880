/* Batched double-precision GEMM, A, B and C streamed, one thread, with a LIBXSMM
 * dispatched kernel: the peer for benchmarks/bench_smm_libxsmm.py.
 *
 *   libxsmm_abc M N K BATCH REPEAT [PREFETCH]  ->  prints the best of REPEAT runs in seconds
 *
 * PREFETCH is "none" (default) or "auto": LIBXSMM_PREFETCH_AUTO, the kernel then gets the
 * next product's operands as prefetch locations, as the LIBXSMM smm samples call it.
 *
 * Operands are column-major, leading dimensions equal to the rows, each batch 64-byte
 * aligned and stored item after item (labkit's batch layout); beta = 0.
 */
#include <libxsmm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static double *aligned_batch(size_t count) {
  void *p = NULL;
  if (posix_memalign(&p, 64, count * sizeof(double)) != 0) return NULL;
  return (double *)p;
}

int main(int argc, char **argv) {
  if (argc != 6 && argc != 7) {
    fprintf(stderr, "usage: %s M N K BATCH REPEAT [none|auto]\n", argv[0]);
    return 2;
  }
  const int ahead = argc == 7 && strcmp(argv[6], "auto") == 0;
  if (argc == 7 && !ahead && strcmp(argv[6], "none") != 0) {
    fprintf(stderr, "PREFETCH must be none or auto, got %s\n", argv[6]);
    return 2;
  }
  const int m = atoi(argv[1]), n = atoi(argv[2]), k = atoi(argv[3]);
  const long batch = atol(argv[4]);
  const int repeat = atoi(argv[5]);
  if (m <= 0 || n <= 0 || k <= 0 || batch <= 0 || repeat <= 0) {
    fprintf(stderr, "sizes, batch and repeat must be positive\n");
    return 2;
  }
  const size_t as = (size_t)m * k, bs = (size_t)k * n, cs = (size_t)m * n;
  double *a = aligned_batch(as * batch), *b = aligned_batch(bs * batch), *c = aligned_batch(cs * batch);
  if (!a || !b || !c) {
    fprintf(stderr, "out of memory\n");
    return 1;
  }
  for (size_t i = 0; i < as * batch; ++i) a[i] = (double)(i % 17) / 17.0 - 0.5;
  for (size_t i = 0; i < bs * batch; ++i) b[i] = (double)(i % 13) / 13.0 - 0.5;
  for (size_t i = 0; i < cs * batch; ++i) c[i] = 0.0;

  libxsmm_init();
  const double alpha = 1.0, beta = 0.0;
  const int flags = LIBXSMM_GEMM_FLAG_NONE;
  const int prefetch = ahead ? LIBXSMM_PREFETCH_AUTO : LIBXSMM_GEMM_PREFETCH_NONE;
  libxsmm_dmmfunction kernel = libxsmm_dmmdispatch(m, n, k, NULL, NULL, NULL, &alpha, &beta,
                                                   &flags, &prefetch);
  if (kernel == NULL) {
    fprintf(stderr, "LIBXSMM generated no kernel for %dx%dx%d\n", m, n, k);
    return 1;
  }
  double best = 1e30;
  for (int r = 0; r <= repeat; ++r) {        /* the first run warms up */
    const double start = now();
    if (ahead) {                              /* the last product prefetches itself */
      for (long i = 0; i < batch; ++i) {
        const long j = i + 1 < batch ? i + 1 : i;
        kernel(a + i * as, b + i * bs, c + i * cs, a + j * as, b + j * bs, c + j * cs);
      }
    } else {
      for (long i = 0; i < batch; ++i) kernel(a + i * as, b + i * bs, c + i * cs);
    }
    const double took = now() - start;
    if (r > 0 && took < best) best = took;
  }
  /* a checksum keeps the work observable */
  double sum = 0.0;
  for (size_t i = 0; i < cs * batch; i += 97) sum += c[i];
  printf("%.9f %.6e\n", best, sum);
  libxsmm_finalize();
  free(a); free(b); free(c);
  return 0;
}
