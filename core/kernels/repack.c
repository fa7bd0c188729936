/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The load-time interleave of weight rows into the layout of packed.h: one
 * field table per type, read by the repacking and by the scalar kernels. */
#include <stdlib.h>
#include <string.h>

#include "mapped_file.h"
#include "packed.h"
#include "vec.h"

/* clang-format off */
static const g4_pack_format q4_0_format = {
  sizeof (block_q4_0), QK4_0, 2, {
    { offsetof (block_q4_0, d), 0, 2, 1, 0 },
    { offsetof (block_q4_0, qs), G4_PACK_SCALES, 4, QK4_0 / 8, 0 },
  },
};
static const g4_pack_format q8_0_format = {
  sizeof (block_q8_0), QK8_0, 2, {
    { offsetof (block_q8_0, d), 0, 2, 1, 0 },
    { offsetof (block_q8_0, qs), G4_PACK_SCALES, 4, QK8_0 / 4, 0x80 },
  },
};
/* the scales of Q4_K and Q5_K, at the same offsets */
#define K4_SCALES(block) \
    { offsetof (block, d), 0, 2, 1, 0 }, \
    { offsetof (block, dmin), G4_PACK_Q4_K_DMIN, 2, 1, 0 }, \
    { offsetof (block, scales), G4_PACK_Q4_K_SCALES, 4, K_SCALE_SIZE / 4, 0 }
static const g4_pack_format q4_K_format = {
  sizeof (block_q4_K), QK_K, 4, {
    K4_SCALES (block_q4_K),
    { offsetof (block_q4_K, qs), G4_PACK_Q4_K_QS, 4, QK_K / 8, 0 },
  },
};
/* Q5_K: Q4_K's fields and the fifth bits */
static const g4_pack_format q5_K_format = {
  sizeof (block_q5_K), QK_K, 5, {
    K4_SCALES (block_q5_K),
    { offsetof (block_q5_K, qh), G4_PACK_Q5_K_QH, 4, QK_K / 32, 0 },
    { offsetof (block_q5_K, qs), G4_PACK_Q5_K_QS, 4, QK_K / 8, 0 },
  },
};
static const g4_pack_format iq4_xs_format = {
  sizeof (block_iq4_xs), QK_K, 4, {
    { offsetof (block_iq4_xs, d), 0, 2, 1, 0 },
    { offsetof (block_iq4_xs, scales_h), G4_PACK_IQ4_XS_SCALES_H, 2, 1, 0 },
    { offsetof (block_iq4_xs, scales_l), G4_PACK_IQ4_XS_SCALES_L, 4, 1, 0 },
    { offsetof (block_iq4_xs, qs), G4_PACK_IQ4_XS_QS, 4, QK_K / 8, 0 },
  },
};
static const g4_pack_format q6_K_format = {
  sizeof (block_q6_K), QK_K, 4, {
    { offsetof (block_q6_K, d), 0, 2, 1, 0 },
    { offsetof (block_q6_K, scales), G4_PACK_Q6_K_SCALES, 4, QK_K / 64, 0 },
    { offsetof (block_q6_K, ql), G4_PACK_Q6_K_QL, 4, QK_K / 8, 0 },
    { offsetof (block_q6_K, qh), G4_PACK_Q6_K_QH, 4, QK_K / 16, 0 },
  },
};
/* clang-format on */

const g4_pack_format *
g4_pack_format_get (g4_type t)
{
  switch (t) {
    case G4_TYPE_Q4_0:
      return &q4_0_format;
    case G4_TYPE_Q8_0:
      return &q8_0_format;
    case G4_TYPE_Q4_K:
      return &q4_K_format;
    case G4_TYPE_Q5_K:
      return &q5_K_format;
    case G4_TYPE_IQ4_XS:
      return &iq4_xs_format;
    case G4_TYPE_Q6_K:
      return &q6_K_format;
    default:
      return NULL;
  }
}

bool
g4_repack_supported (const g4_matrix *m)
{
  const g4_pack_format *f = g4_pack_format_get (m->type);
  return f != NULL && !m->packed && m->n_out % G4_PACK_ROWS == 0
      && m->n_in % f->block_values == 0 && m->row_bytes == g4_row_size (m->type, m->n_in);
}

/* Copies row r's block between its plain bytes and a group block, either
 * way (the flip is its own inverse). */
static void
copy_row (const g4_pack_format *f, uint8_t *block, uint8_t *group_block, int r, bool to_group)
{
  for (int i = 0; i < f->n_fields; i++) {
    const g4_pack_field *fl = &f->field[i];
    for (int e = 0; e < fl->count; e++) {
      uint8_t *plain = block + fl->src + e * fl->elem;
      uint8_t *packed = group_block + fl->dst + (size_t) (e * G4_PACK_ROWS + r) * fl->elem;
      uint8_t *to = to_group ? packed : plain;
      memcpy (to, to_group ? plain : packed, fl->elem);
      for (int j = 0; fl->flip && j < fl->elem; j++)
        to[j] ^= fl->flip;
    }
  }
}

void
g4_pack_gather (const g4_pack_format *f, const uint8_t *group_block, int r, uint8_t *block)
{
  copy_row (f, block, (uint8_t *) group_block, r, false);
}

g4_matrix
g4_repack (const g4_matrix *m, void *dst)
{
  const g4_pack_format *f = g4_pack_format_get (m->type);
  const int64_t nb = m->n_in / f->block_values;
  const uint8_t *src = m->data;
  uint8_t *out = dst;
  for (int64_t g = 0; g < m->n_out / G4_PACK_ROWS; g++) {
    const uint8_t *rows = src + (size_t) g * G4_PACK_ROWS * m->row_bytes;
    uint8_t *group = out + (size_t) g * G4_PACK_ROWS * m->row_bytes;
    for (int64_t b = 0; b < nb; b++)
      for (int r = 0; r < G4_PACK_ROWS; r++)
        copy_row (f, (uint8_t *) rows + r * m->row_bytes + b * f->block_bytes,
            group + b * G4_PACK_ROWS * f->block_bytes, r, true);
  }
  g4_matrix p = *m;
  p.data = dst;
  p.packed = true;
  return p;
}

static size_t
aligned_64 (size_t n)
{
  return (n + 63) & ~(size_t) 63;
}

static bool
repack_enabled (void)
{
  const char *env = getenv ("G4_REPACK");
  return env == NULL || strcmp (env, "0") != 0;
}

static bool
takes (const g4_matrix *m)
{
  return m->data != NULL && g4_repack_supported (m);
}

g4_status
g4_repack_matrices (g4_matrix *const *m, int n, void **buf, g4_error *err)
{
  *buf = NULL;
  if (!repack_enabled ())
    return G4_OK;
  size_t total = 0;
  for (int i = 0; i < n; i++)
    if (takes (m[i]))
      total += aligned_64 ((size_t) m[i]->n_out * m[i]->row_bytes);
  if (total == 0)
    return G4_OK;
  uint8_t *out = aligned_alloc (64, total);
  if (out == NULL)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory repacking %zu bytes of weights",
        total);
  size_t off = 0;
  for (int i = 0; i < n; i++) {
    if (!takes (m[i]))
      continue;
    const size_t bytes = (size_t) m[i]->n_out * m[i]->row_bytes;
    const void *src = m[i]->data;
    *m[i] = g4_repack (m[i], out + off);
    g4_mapped_release (src, bytes);
    off += aligned_64 (bytes);
  }
  *buf = out;
  return G4_OK;
}

g4_status
g4_repack_layers (void *layers, size_t layer_bytes, int n_layer, const size_t *offsets,
    int n_offsets, g4_matrix *const *extra, int n_extra, void **buf, g4_error *err)
{
  const size_t n = (size_t) n_layer * (size_t) n_offsets + (size_t) n_extra;
  g4_matrix **m = malloc ((n ? n : 1) * sizeof *m);
  if (m == NULL)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  size_t i = 0;
  for (int l = 0; l < n_layer; l++)
    for (int k = 0; k < n_offsets; k++)
      m[i++] = (g4_matrix *) ((char *) layers + (size_t) l * layer_bytes + offsets[k]);
  for (int k = 0; k < n_extra; k++)
    m[i++] = extra[k];
  const g4_status st = g4_repack_matrices (m, (int) n, buf, err);
  free (m);
  return st;
}
