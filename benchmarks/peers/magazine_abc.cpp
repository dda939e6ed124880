/* Batched double-precision small GEMMs, A, B and C streamed, one thread, with Eigen or
 * Blaze (the LIBXSMM magazine sample's other variants): the peer for
 * benchmarks/bench_smm_eigen_blaze.py and notebook 35.
 *
 *   magazine_abc M N K BATCH REPEAT  ->  prints the best of REPEAT runs in seconds
 *
 * Built with -DUSE_EIGEN (Debian libeigen3-dev) or -DUSE_BLAZE (Blaze's headers).
 * As the magazine sample asks: zero copy (the library maps the existing column-major
 * buffers), no BLAS behind the library, no library-internal threads. Operands are stored
 * item after item (labkit's batch layout), each batch 64-byte aligned; beta = 0.
 */
#if defined(USE_EIGEN)
#define EIGEN_DONT_PARALLELIZE
#include <Eigen/Dense>
#elif defined(USE_BLAZE)
#define BLAZE_USE_SHARED_MEMORY_PARALLELIZATION 0
#define BLAZE_BLAS_MODE 0
#include <blaze/Math.h>
#else
#error "define USE_EIGEN or USE_BLAZE"
#endif
#include <chrono>
#include <cstdio>
#include <cstdlib>

static double *aligned_batch(size_t count) {
  void *p = nullptr;
  if (posix_memalign(&p, 64, count * sizeof(double)) != 0) return nullptr;
  return static_cast<double *>(p);
}

static void product(int m, int n, int k, const double *a, const double *b, double *c) {
#if defined(USE_EIGEN)
  Eigen::Map<const Eigen::MatrixXd> A(a, m, k), B(b, k, n);
  Eigen::Map<Eigen::MatrixXd> C(c, m, n);
  C.noalias() = A * B;
#else
  using Mat = blaze::CustomMatrix<double, blaze::unaligned, blaze::unpadded, blaze::columnMajor>;
  const Mat A(const_cast<double *>(a), m, k), B(const_cast<double *>(b), k, n);
  Mat C(c, m, n);
  C = A * B;
#endif
}

int main(int argc, char **argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s M N K BATCH REPEAT\n", argv[0]);
    return 2;
  }
  const int m = std::atoi(argv[1]), n = std::atoi(argv[2]), k = std::atoi(argv[3]);
  const long batch = std::atol(argv[4]);
  const int repeat = std::atoi(argv[5]);
  if (m <= 0 || n <= 0 || k <= 0 || batch <= 0 || repeat <= 0) {
    std::fprintf(stderr, "sizes, batch and repeat must be positive\n");
    return 2;
  }
  const size_t as = size_t(m) * k, bs = size_t(k) * n, cs = size_t(m) * n;
  double *a = aligned_batch(as * batch), *b = aligned_batch(bs * batch), *c = aligned_batch(cs * batch);
  if (!a || !b || !c) {
    std::fprintf(stderr, "out of memory\n");
    return 1;
  }
  for (size_t i = 0; i < as * batch; ++i) a[i] = double(i % 17) / 17.0 - 0.5;
  for (size_t i = 0; i < bs * batch; ++i) b[i] = double(i % 13) / 13.0 - 0.5;
  for (size_t i = 0; i < cs * batch; ++i) c[i] = 0.0;
  double best = 1e30, check = 0.0;
  for (int r = 0; r <= repeat; ++r) {        /* the first run warms up */
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < batch; ++i) product(m, n, k, a + i * as, b + i * bs, c + i * cs);
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (r > 0 && took < best) best = took;
  }
  for (size_t i = 0; i < cs; ++i) check += c[(batch - 1) * cs + i];
  std::printf("%.9f %.12g\n", best, check);   /* seconds, and a checksum of the last C */
  return 0;
}
