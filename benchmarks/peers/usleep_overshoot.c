/* How long usleep(t) really takes on this machine: the call toy-mt-framework's sleeping
 * modules make (usleep(seconds * 1e6)). Built and run by calibrate_toymt.py.
 *
 *   usleep_overshoot REPEAT T1_US [T2_US ...]
 *     -> one line per requested time: "<requested_us> <median_us> <p10_us> <p90_us> <mean_us>"
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec * 1e-3;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: usleep_overshoot REPEAT T1_US [T2_US ...]\n");
    return 2;
  }
  int repeat = atoi(argv[1]);
  if (repeat < 1) {
    fprintf(stderr, "usleep_overshoot: REPEAT must be a positive integer\n");
    return 2;
  }
  double *took = malloc(sizeof(double) * repeat);
  for (int a = 2; a < argc; ++a) {
    long requested = atol(argv[a]);
    if (requested < 0) {
      fprintf(stderr, "usleep_overshoot: times must be >= 0 us\n");
      return 2;
    }
    double sum = 0;
    for (int r = 0; r < repeat; ++r) {
      double start = now_us();
      usleep((useconds_t)requested);
      took[r] = now_us() - start;
      sum += took[r];
    }
    qsort(took, repeat, sizeof(double), by_value);
    printf("%ld %.3f %.3f %.3f %.3f\n", requested, took[repeat / 2], took[repeat / 10],
           took[(9 * repeat) / 10], sum / repeat);
  }
  free(took);
  return 0;
}
