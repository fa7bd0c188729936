/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cpu_features.h"

#include <pthread.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long
xgetbv0 (void)
{
  unsigned int lo, hi;
  __asm__ volatile ("xgetbv" : "=a" (lo), "=d" (hi) : "c" (0));
  return ((unsigned long long) hi << 32) | lo;
}
#endif

static g4_cpu_features features;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
detect (void)
{
#if defined(__x86_64__) || defined(__i386__)
  unsigned int a, b, c, d;
  if (!__get_cpuid (1, &a, &b, &c, &d))
    return;
  bool osxsave = (c >> 27) & 1;
  bool fma = (c >> 12) & 1, f16c = (c >> 29) & 1, avx = (c >> 28) & 1;
  if (!osxsave || !avx)
    return;
  unsigned long long xcr0 = xgetbv0 ();
  bool ymm_ok = (xcr0 & 0x6) == 0x6;
  bool zmm_ok = (xcr0 & 0xe6) == 0xe6;
  if (!ymm_ok || __get_cpuid_max (0, NULL) < 7)
    return;
  __cpuid_count (7, 0, a, b, c, d);
  features.avx2 = (b >> 5) & 1;
  features.fma = fma;
  features.f16c = f16c;
  if (zmm_ok) {
    features.avx512f = (b >> 16) & 1;
    features.avx512dq = (b >> 17) & 1;
    features.avx512bw = (b >> 30) & 1;
    features.avx512vl = (b >> 31) & 1;
    features.avx512vnni = (c >> 11) & 1;
  }
#endif
}

const g4_cpu_features *
g4_cpu_features_get (void)
{
  pthread_once (&once, detect);
  return &features;
}
