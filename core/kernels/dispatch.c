/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel table: for each weight type its dot product, the partner block
 * type of the activations and their quantizer. One table per ISA is filled
 * once (pthread_once) from what was compiled in (G4_HAVE_AVX2/AVX512) and
 * what cpuid reports; the running one is the best the CPU has, unless
 * G4_FORCE_SCALAR, the G4_CPU environment variable or g4_kernels_force()
 * says otherwise. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_features.h"
#include "log.h"
#include "vec.h"

#define G4_ISA_COUNT 3

static g4_kernel_entry tables[G4_ISA_COUNT][G4_TYPE_COUNT];
static atomic_int current_isa = G4_ISA_SCALAR;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* The block type each weight type's dot product takes its activations in,
 * whatever the ISA. */
static const g4_type act_type[G4_TYPE_COUNT] = {
  [G4_TYPE_F32] = G4_TYPE_F32, [G4_TYPE_F16] = G4_TYPE_F32, [G4_TYPE_BF16] = G4_TYPE_F32,
  [G4_TYPE_Q4_0] = G4_TYPE_Q8_0, [G4_TYPE_Q5_0] = G4_TYPE_Q8_0, [G4_TYPE_Q8_0] = G4_TYPE_Q8_0,
  [G4_TYPE_IQ4_NL] = G4_TYPE_Q8_0, [G4_TYPE_Q4_1] = G4_TYPE_Q8_1, [G4_TYPE_Q5_1] = G4_TYPE_Q8_1,
  [G4_TYPE_Q2_K] = G4_TYPE_Q8_K, [G4_TYPE_Q3_K] = G4_TYPE_Q8_K, [G4_TYPE_Q4_K] = G4_TYPE_Q8_K,
  [G4_TYPE_Q5_K] = G4_TYPE_Q8_K, [G4_TYPE_Q6_K] = G4_TYPE_Q8_K, [G4_TYPE_IQ4_XS] = G4_TYPE_Q8_K,
};

/* One ISA's row kernels: a dot product per weight type and a quantizer per
 * activation block type. */
typedef struct {
  g4_vec_dot_fn dot[G4_TYPE_COUNT];
  g4_quantize_row_fn quantize[G4_TYPE_COUNT];
  g4_gemm_packed_fn packed[G4_TYPE_COUNT];      /* types repack.c interleaves */
} isa_kernels;

/* Entries for every weight type k has a dot product for. */
static void
fill (g4_kernel_entry *table, const isa_kernels *k)
{
  for (int w = 0; w < G4_TYPE_COUNT; w++)
    if (k->dot[w] != NULL)
      table[w] = (g4_kernel_entry) {
        .vec_dot = k->dot[w],
        .vec_dot_type = act_type[w],
        .quantize_act = k->quantize[act_type[w]],
        .gemm_packed = k->packed[w],
      };
}

/* clang-format off */
static const isa_kernels scalar_kernels = {
  .dot = {
    [G4_TYPE_F32]    = vec_dot_f32_f32_scalar,
    [G4_TYPE_F16]    = vec_dot_f16_f32_scalar,
    [G4_TYPE_BF16]   = vec_dot_bf16_f32_scalar,
    [G4_TYPE_Q4_0]   = vec_dot_q4_0_q8_0_scalar,
    [G4_TYPE_Q4_1]   = vec_dot_q4_1_q8_1_scalar,
    [G4_TYPE_Q5_0]   = vec_dot_q5_0_q8_0_scalar,
    [G4_TYPE_Q5_1]   = vec_dot_q5_1_q8_1_scalar,
    [G4_TYPE_Q8_0]   = vec_dot_q8_0_q8_0_scalar,
    [G4_TYPE_Q2_K]   = vec_dot_q2_K_q8_K_scalar,
    [G4_TYPE_Q3_K]   = vec_dot_q3_K_q8_K_scalar,
    [G4_TYPE_Q4_K]   = vec_dot_q4_K_q8_K_scalar,
    [G4_TYPE_Q5_K]   = vec_dot_q5_K_q8_K_scalar,
    [G4_TYPE_Q6_K]   = vec_dot_q6_K_q8_K_scalar,
    [G4_TYPE_IQ4_NL] = vec_dot_iq4_nl_q8_0_scalar,
    [G4_TYPE_IQ4_XS] = vec_dot_iq4_xs_q8_K_scalar,
  },
  .quantize = {
    [G4_TYPE_Q8_0] = quantize_row_q8_0_scalar,
    [G4_TYPE_Q8_1] = quantize_row_q8_1_scalar,
    [G4_TYPE_Q8_K] = quantize_row_q8_K_scalar,
  },
  .packed = {
    [G4_TYPE_Q4_0] = gemm_packed_q4_0_scalar,
    [G4_TYPE_Q8_0] = gemm_packed_q8_0_scalar,
    [G4_TYPE_Q4_K] = gemm_packed_q4_K_scalar,
    [G4_TYPE_Q5_K] = gemm_packed_q5_K_scalar,
    [G4_TYPE_IQ4_XS] = gemm_packed_iq4_xs_scalar,
    [G4_TYPE_Q6_K] = gemm_packed_q6_K_scalar,
  },
};

#ifdef G4_HAVE_AVX2
static const isa_kernels avx2_kernels = {
  .dot = {
    [G4_TYPE_F32]    = vec_dot_f32_f32_avx2,
    [G4_TYPE_F16]    = vec_dot_f16_f32_avx2,
    [G4_TYPE_BF16]   = vec_dot_bf16_f32_avx2,
    [G4_TYPE_Q4_0]   = vec_dot_q4_0_q8_0_avx2,
    [G4_TYPE_Q4_1]   = vec_dot_q4_1_q8_1_avx2,
    [G4_TYPE_Q5_0]   = vec_dot_q5_0_q8_0_avx2,
    [G4_TYPE_Q5_1]   = vec_dot_q5_1_q8_1_avx2,
    [G4_TYPE_Q8_0]   = vec_dot_q8_0_q8_0_avx2,
    [G4_TYPE_Q2_K]   = vec_dot_q2_K_q8_K_avx2,
    [G4_TYPE_Q3_K]   = vec_dot_q3_K_q8_K_avx2,
    [G4_TYPE_Q4_K]   = vec_dot_q4_K_q8_K_avx2,
    [G4_TYPE_Q5_K]   = vec_dot_q5_K_q8_K_avx2,
    [G4_TYPE_Q6_K]   = vec_dot_q6_K_q8_K_avx2,
    [G4_TYPE_IQ4_NL] = vec_dot_iq4_nl_q8_0_avx2,
    [G4_TYPE_IQ4_XS] = vec_dot_iq4_xs_q8_K_avx2,
  },
  .quantize = {
    [G4_TYPE_Q8_0] = quantize_row_q8_0_avx2,
    [G4_TYPE_Q8_1] = quantize_row_q8_1_avx2,
    [G4_TYPE_Q8_K] = quantize_row_q8_K_avx2,
  },
  .packed = {
    [G4_TYPE_Q4_0] = gemm_packed_q4_0_avx2,
    [G4_TYPE_Q8_0] = gemm_packed_q8_0_avx2,
    [G4_TYPE_Q4_K] = gemm_packed_q4_K_avx2,
    [G4_TYPE_Q5_K] = gemm_packed_q5_K_avx2,
    [G4_TYPE_IQ4_XS] = gemm_packed_iq4_xs_avx2,
    [G4_TYPE_Q6_K] = gemm_packed_q6_K_avx2,
  },
};
#endif
/* clang-format on */

/* The float GEMM of an ISA for the three float weight types. */
static void __attribute__ ((unused))
set_gemm_rows (g4_kernel_entry *table, g4_gemm_rows_fn gemm, int panel)
{
  static const g4_type float_types[] = { G4_TYPE_F32, G4_TYPE_F16, G4_TYPE_BF16 };
  for (size_t i = 0; i < sizeof float_types / sizeof float_types[0]; i++) {
    table[float_types[i]].gemm_rows = gemm;
    table[float_types[i]].gemm_panel = panel;
  }
}

#ifdef G4_HAVE_AVX512
static void
set_dot_tile (g4_kernel_entry *table, g4_type wtype, g4_vec_dot_fn vec_dot,
    g4_vec_dot_tile_fn tile, int tile_rows, int tile_cols)
{
  table[wtype].vec_dot = vec_dot;
  table[wtype].vec_dot_tile = tile;
  table[wtype].tile_rows = tile_rows;
  table[wtype].tile_cols = tile_cols;
}

/* Tiles of 4 weight rows x 4 activation rows; the activation quantizers stay
 * those of the table this one starts from. */
#define AVX512(t, type, name) \
  set_dot_tile (t, type, vec_dot_##name##_avx512, vec_dot_##name##_tile_avx512, 4, 4)

static void
fill_avx512 (g4_kernel_entry *t)
{
  AVX512 (t, G4_TYPE_F32, f32_f32);
  AVX512 (t, G4_TYPE_F16, f16_f32);
  AVX512 (t, G4_TYPE_BF16, bf16_f32);
  set_gemm_rows (t, gemm_float_rows_avx512, GEMM_PANEL_AVX512);
  AVX512 (t, G4_TYPE_Q4_0, q4_0_q8_0);
  AVX512 (t, G4_TYPE_Q5_0, q5_0_q8_0);
  AVX512 (t, G4_TYPE_Q8_0, q8_0_q8_0);
  AVX512 (t, G4_TYPE_IQ4_NL, iq4_nl_q8_0);
  AVX512 (t, G4_TYPE_Q4_K, q4_K_q8_K);
  AVX512 (t, G4_TYPE_Q5_K, q5_K_q8_K);
  AVX512 (t, G4_TYPE_Q6_K, q6_K_q8_K);
  t[G4_TYPE_Q4_0].gemm_packed = gemm_packed_q4_0_avx512;
  t[G4_TYPE_Q8_0].gemm_packed = gemm_packed_q8_0_avx512;
  t[G4_TYPE_Q4_0].gemm_packed_pair = gemm_packed_pair_q4_0_avx512;
  t[G4_TYPE_Q8_0].gemm_packed_pair = gemm_packed_pair_q8_0_avx512;
  t[G4_TYPE_Q4_K].gemm_packed = gemm_packed_q4_K_avx512;
  t[G4_TYPE_Q5_K].gemm_packed = gemm_packed_q5_K_avx512;
  t[G4_TYPE_IQ4_XS].gemm_packed = gemm_packed_iq4_xs_avx512;
  t[G4_TYPE_Q6_K].gemm_packed = gemm_packed_q6_K_avx512;
}
#endif

#ifdef G4_HAVE_AVX2
#define COMPILED_AVX2 true
#else
#define COMPILED_AVX2 false
#endif
#ifdef G4_HAVE_AVX512
#define COMPILED_AVX512 true
#else
#define COMPILED_AVX512 false
#endif

/* Compiled in, and the CPU (and OS) has every extension the flags of the
 * ISA file in meson.build name. */
static bool
cpu_has (g4_isa isa)
{
  const g4_cpu_features *f = g4_cpu_features_get ();
  const bool avx2 = f->avx2 && f->fma && f->f16c;
  const bool avx512 = avx2 && f->avx512f && f->avx512bw && f->avx512vl
      && f->avx512dq && f->avx512vnni;
  switch (isa) {
    case G4_ISA_SCALAR:
      return true;
    case G4_ISA_AVX2:
      return COMPILED_AVX2 && avx2;
    case G4_ISA_AVX512:
      return COMPILED_AVX512 && avx512;
  }
  return false;
}

#ifndef G4_FORCE_SCALAR
static g4_isa
isa_from_env (g4_isa best)
{
  const char *env = getenv ("G4_CPU");
  if (env == NULL || env[0] == '\0')
    return best;
  for (int isa = 0; isa < G4_ISA_COUNT; isa++) {
    if (strcmp (env, g4_isa_name ((g4_isa) isa)) != 0)
      continue;
    if (cpu_has ((g4_isa) isa))
      return (g4_isa) isa;
    g4_log (G4_LOG_WARNING, "G4_CPU=%s: this CPU or build lacks it, using %s",
        env, g4_isa_name (best));
    return best;
  }
  g4_log (G4_LOG_WARNING, "G4_CPU=%s: unknown, expected scalar, avx2 or avx512; "
      "using %s", env, g4_isa_name (best));
  return best;
}

#endif

static void
init (void)
{
  fill (tables[G4_ISA_SCALAR], &scalar_kernels);
  memcpy (tables[G4_ISA_AVX2], tables[G4_ISA_SCALAR], sizeof tables[0]);
#ifdef G4_HAVE_AVX2
  fill (tables[G4_ISA_AVX2], &avx2_kernels);
  set_gemm_rows (tables[G4_ISA_AVX2], gemm_float_rows_avx2, GEMM_PANEL_AVX2);
#endif
  memcpy (tables[G4_ISA_AVX512], tables[G4_ISA_AVX2], sizeof tables[0]);
#ifdef G4_HAVE_AVX512
  fill_avx512 (tables[G4_ISA_AVX512]);
#endif

  g4_isa best = G4_ISA_SCALAR;
  if (cpu_has (G4_ISA_AVX2))
    best = G4_ISA_AVX2;
  if (cpu_has (G4_ISA_AVX512))
    best = G4_ISA_AVX512;
#ifdef G4_FORCE_SCALAR
  best = G4_ISA_SCALAR;
#else
  best = isa_from_env (best);
#endif
  atomic_store (&current_isa, best);
}

const g4_kernel_entry *
g4_kernels_entry (g4_type wtype)
{
  pthread_once (&once, init);
  if ((unsigned) wtype >= G4_TYPE_COUNT)
    return NULL;
  const g4_kernel_entry *e = &tables[atomic_load_explicit (&current_isa,
          memory_order_relaxed)][wtype];
  return e->vec_dot ? e : NULL;
}

/* Every ISA falls back to the scalar kernel of a type it has none for, so
 * the scalar table is the list of supported types. */
bool
g4_kernels_supports (uint32_t type)
{
  return type < G4_TYPE_COUNT && scalar_kernels.dot[type] != NULL;
}

g4_isa
g4_kernels_isa (void)
{
  pthread_once (&once, init);
  return (g4_isa) atomic_load (&current_isa);
}

bool
g4_kernels_force (g4_isa isa)
{
  pthread_once (&once, init);
  if ((unsigned) isa >= G4_ISA_COUNT || !cpu_has (isa))
    return false;
  atomic_store (&current_isa, isa);
  return true;
}

const char *
g4_isa_name (g4_isa isa)
{
  switch (isa) {
    case G4_ISA_SCALAR:
      return "scalar";
    case G4_ISA_AVX2:
      return "avx2";
    case G4_ISA_AVX512:
      return "avx512";
  }
  return "unknown";
}
