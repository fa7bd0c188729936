/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The load-time interleave of Q4_0 / Q8_0 weight rows into the layout of
 * packed.h. */
#include <string.h>

#include "packed.h"
#include "vec.h"

bool
g4_repack_supported (const g4_matrix *m)
{
  return (m->type == G4_TYPE_Q4_0 || m->type == G4_TYPE_Q8_0) && !m->packed
      && m->n_out % G4_PACK_ROWS == 0 && m->n_in % QK8_0 == 0
      && m->row_bytes == g4_row_size (m->type, m->n_in);
}

/* One block index b of the 16 rows starting at src into dst: scales, then
 * word k of row r at word k * 16 + r (flip: XORed into every quant byte). */
static void
pack_block (const uint8_t *src, size_t row_bytes, size_t qs_offset, int n_words, uint8_t flip, uint8_t *dst)
{
  for (int r = 0; r < G4_PACK_ROWS; r++) {
    const uint8_t *blk = src + r * row_bytes;
    memcpy (dst + 2 * r, blk, 2);
    for (int k = 0; k < n_words; k++) {
      uint8_t *o = dst + G4_PACK_SCALES + 4 * (k * G4_PACK_ROWS + r);
      for (int j = 0; j < 4; j++)
        o[j] = blk[qs_offset + 4 * k + j] ^ flip;
    }
  }
}

g4_matrix
g4_repack (const g4_matrix *m, void *dst)
{
  const bool q8 = m->type == G4_TYPE_Q8_0;
  const size_t bs = q8 ? sizeof (block_q8_0) : sizeof (block_q4_0);
  const size_t qs_offset = q8 ? offsetof (block_q8_0, qs) : offsetof (block_q4_0, qs);
  const int n_words = q8 ? QK8_0 / 4 : QK4_0 / 8;
  const int64_t nb = m->n_in / QK8_0;
  const uint8_t *src = m->data;
  uint8_t *out = dst;
  for (int64_t g = 0; g < m->n_out / G4_PACK_ROWS; g++) {
    const uint8_t *rows = src + (size_t) g * G4_PACK_ROWS * m->row_bytes;
    uint8_t *group = out + (size_t) g * G4_PACK_ROWS * m->row_bytes;
    for (int64_t b = 0; b < nb; b++)
      pack_block (rows + b * bs, m->row_bytes, qs_offset, n_words,
          q8 ? 0x80 : 0x00, group + b * G4_PACK_ROWS * bs);
  }
  g4_matrix p = *m;
  p.data = dst;
  p.packed = true;
  return p;
}
