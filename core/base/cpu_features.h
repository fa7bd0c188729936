/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the running CPU (and OS, for AVX state) supports, read once from cpuid. */
#ifndef G4_CPU_FEATURES_H
#define G4_CPU_FEATURES_H

#include <stdbool.h>

typedef struct {
  bool avx2, fma, f16c, avx512f, avx512bw, avx512vl, avx512dq, avx512vnni;
} g4_cpu_features;

const g4_cpu_features *g4_cpu_features_get (void);

#endif
