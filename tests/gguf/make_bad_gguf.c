/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Builds the hostile-GGUF corpus from raw bytes, one file per validation the
 * reader makes, plus the MANIFEST naming the message fragment each must
 * produce. `make_bad_gguf DIR` writes them; `make_bad_gguf --check DIR`
 * verifies the committed files are exactly what this program builds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf.h"
#include "test_util.h"

static void
header (test_bytes * b, uint32_t version, uint64_t n_tensors, uint64_t n_kv)
{
  test_bytes_put (b, "GGUF", 4);
  test_bytes_u32 (b, version);
  test_bytes_u64 (b, n_tensors);
  test_bytes_u64 (b, n_kv);
}

static void
kv_u32 (test_bytes * b, const char *key, uint32_t v)
{
  test_bytes_gguf_str (b, key);
  test_bytes_u32 (b, G4_GGUF_UINT32);
  test_bytes_u32 (b, v);
}

static void
kv_str (test_bytes * b, const char *key, const char *v)
{
  test_bytes_gguf_str (b, key);
  test_bytes_u32 (b, G4_GGUF_STRING);
  test_bytes_gguf_str (b, v);
}

/* A tensor info with up to four dims (n_dims may exceed the dims given). */
static void
tensor_info (test_bytes * b, const char *name, uint32_t n_dims, const int64_t * ne,
    uint32_t type, uint64_t offset)
{
  test_bytes_gguf_str (b, name);
  test_bytes_u32 (b, n_dims);
  for (uint32_t d = 0; d < n_dims; d++)
    test_bytes_u64 (b, (uint64_t) ne[d]);
  test_bytes_u32 (b, type);
  test_bytes_u64 (b, offset);
}

static void
pad_to (test_bytes * b, size_t alignment)
{
  static const uint8_t zero[64];
  if (b->len % alignment)
    test_bytes_put (b, zero, alignment - b->len % alignment);
}

static void
data (test_bytes * b, size_t n)
{
  for (size_t k = 0; k < n; k++) {
    uint8_t v = (uint8_t) (k * 7 + 1);
    test_bytes_put (b, &v, 1);
  }
}

/* One F32 tensor [ne0] named name at offset with a data section of nbytes. */
static void
one_tensor (test_bytes * b, const char *name, int64_t ne0, uint64_t offset, size_t nbytes)
{
  header (b, 3, 1, 1);
  kv_str (b, "general.architecture", "gemma4");
  tensor_info (b, name, 1, &ne0, 0, offset);
  pad_to (b, 32);
  data (b, nbytes);
}

/* A valid file with two F32 [8] tensors, later cut or altered by cases. */
static void
two_tensors (test_bytes * b, const char *a, uint64_t off_a, const char *c, uint64_t off_c)
{
  const int64_t ne[] = { 8 };
  header (b, 3, 2, 1);
  kv_str (b, "general.architecture", "gemma4");
  tensor_info (b, a, 1, ne, 0, off_a);
  tensor_info (b, c, 1, ne, 0, off_c);
  pad_to (b, 32);
  data (b, 64);
}

static void
with_alignment_kv (test_bytes * b, g4_gguf_type t, uint64_t v)
{
  const int64_t ne[] = { 8 };
  header (b, 3, 1, 1);
  test_bytes_gguf_str (b, "general.alignment");
  test_bytes_u32 (b, t);
  if (t == G4_GGUF_UINT64)
    test_bytes_u64 (b, v);
  else
    test_bytes_u32 (b, (uint32_t) v);
  tensor_info (b, "w", 1, ne, 0, 0);
  pad_to (b, 32);
  data (b, 32);
}

static void
dims_case (test_bytes * b, uint32_t n_dims, const int64_t * ne, uint32_t type)
{
  header (b, 3, 1, 0);
  tensor_info (b, "blk.0.attn_q.weight", n_dims, ne, type, 0);
  pad_to (b, 32);
  data (b, 64);
}

static const int64_t NE8[] = { 8 };

static void
truncated_magic (test_bytes * b)
{
  test_bytes_put (b, "GGU", 3);
}

static void
truncated_header (test_bytes * b)
{
  header (b, 3, 0, 0);
  b->len = 12;
}

static void
bad_magic (test_bytes * b)
{
  header (b, 3, 0, 0);
  memcpy (b->p, "GGML", 4);
}

static void
version_1 (test_bytes * b)
{
  header (b, 1, 0, 0);
}

static void
version_99 (test_bytes * b)
{
  header (b, 99, 0, 0);
}

static void
version_0 (test_bytes * b)
{
  header (b, 0, 0, 0);
}

static void
big_endian (test_bytes * b)
{
  header (b, 0x03000000, 0, 0);
}

static void
huge_n_kv (test_bytes * b)
{
  header (b, 3, 0, 1ull << 62);
  kv_u32 (b, "a", 1);
}

static void
huge_n_tensors (test_bytes * b)
{
  header (b, 3, UINT64_MAX, 0);
  tensor_info (b, "w", 1, NE8, 0, 0);
}

static void
truncated_kv (test_bytes * b)
{
  header (b, 3, 0, 2);
  kv_u32 (b, "a.count", 1);
  kv_u32 (b, "b.count", 2);
  b->len -= 2;
}

static void
truncated_key (test_bytes * b)
{
  header (b, 3, 0, 2);
  kv_u32 (b, "a.count", 1);
  test_bytes_u64 (b, 1000);
  test_bytes_put (b, "abcdefgh", 8);
}

static void
empty_key (test_bytes * b)
{
  header (b, 3, 0, 1);
  kv_u32 (b, "", 1);
}

static void
nul_in_key (test_bytes * b)
{
  header (b, 3, 0, 1);
  test_bytes_u64 (b, 3);
  test_bytes_put (b, "a\0b", 3);
  test_bytes_u32 (b, G4_GGUF_UINT8);
  test_bytes_put (b, "\1", 1);
}

static void
string_past_eof (test_bytes * b)
{
  header (b, 3, 0, 1);
  test_bytes_gguf_str (b, "general.name");
  test_bytes_u32 (b, G4_GGUF_STRING);
  test_bytes_u64 (b, 1000);
  test_bytes_put (b, "tiny", 4);
}

static void
array_count_past_eof (test_bytes * b)
{
  header (b, 3, 0, 1);
  test_bytes_gguf_str (b, "gemma4.scores");
  test_bytes_u32 (b, G4_GGUF_ARRAY);
  test_bytes_u32 (b, G4_GGUF_FLOAT32);
  test_bytes_u64 (b, 1ull << 40);
  data (b, 16);
}

static void
string_array_past_eof (test_bytes * b)
{
  header (b, 3, 0, 1);
  test_bytes_gguf_str (b, "tokenizer.ggml.tokens");
  test_bytes_u32 (b, G4_GGUF_ARRAY);
  test_bytes_u32 (b, G4_GGUF_STRING);
  test_bytes_u64 (b, 3);
  test_bytes_gguf_str (b, "<pad>");
  test_bytes_gguf_str (b, "<eos>");
  test_bytes_u64 (b, 500);
  test_bytes_put (b, "<bos>", 5);
}

static void
bad_value_type (test_bytes * b)
{
  header (b, 3, 0, 1);
  test_bytes_gguf_str (b, "x.y");
  test_bytes_u32 (b, 13);
  test_bytes_u32 (b, 0);
}

static void
bad_array_type (test_bytes * b)
{
  header (b, 3, 0, 1);
  test_bytes_gguf_str (b, "x.y");
  test_bytes_u32 (b, G4_GGUF_ARRAY);
  test_bytes_u32 (b, 42);
  test_bytes_u64 (b, 0);
}

static void
nested_too_deep (test_bytes * b)
{
  header (b, 3, 0, 1);
  test_bytes_gguf_str (b, "deep");
  test_bytes_u32 (b, G4_GGUF_ARRAY);
  for (int d = 0; d < 9; d++) {
    test_bytes_u32 (b, G4_GGUF_ARRAY);
    test_bytes_u64 (b, 1);
  }
  test_bytes_u32 (b, G4_GGUF_UINT8);
  test_bytes_u64 (b, 0);
}

static void
nested_truncated (test_bytes * b)
{
  header (b, 3, 0, 1);
  test_bytes_gguf_str (b, "nest");
  test_bytes_u32 (b, G4_GGUF_ARRAY);
  test_bytes_u32 (b, G4_GGUF_ARRAY);
  test_bytes_u64 (b, 2);
  test_bytes_u32 (b, G4_GGUF_UINT8);
  test_bytes_u64 (b, 10);
  data (b, 10);
  test_bytes_u32 (b, G4_GGUF_UINT16);
  test_bytes_u32 (b, 0);
}

static void
duplicate_key (test_bytes * b)
{
  header (b, 3, 0, 3);
  kv_u32 (b, "gemma4.block_count", 7);
  kv_str (b, "general.architecture", "gemma4");
  kv_u32 (b, "gemma4.block_count", 8);
}

static void
alignment_zero (test_bytes * b)
{
  with_alignment_kv (b, G4_GGUF_UINT32, 0);
}

static void
alignment_three (test_bytes * b)
{
  with_alignment_kv (b, G4_GGUF_UINT32, 3);
}

static void
alignment_wrong_type (test_bytes * b)
{
  with_alignment_kv (b, G4_GGUF_UINT64, 32);
}

static void
truncated_tensor_info (test_bytes * b)
{
  header (b, 3, 1, 0);
  tensor_info (b, "w", 2, (const int64_t[]) { 8, 8 }, 0, 0);
  b->len -= 10;
}

static void
empty_tensor_name (test_bytes * b)
{
  header (b, 3, 1, 0);
  tensor_info (b, "", 1, NE8, 0, 0);
}

static void
bad_tensor_type (test_bytes * b)
{
  dims_case (b, 1, NE8, 99);
}

static void
removed_tensor_type (test_bytes * b)
{
  dims_case (b, 1, (const int64_t[]) { 32 }, 4);
}

static void
n_dims_5 (test_bytes * b)
{
  dims_case (b, 5, (const int64_t[]) { 2, 2, 2, 2, 1 }, 0);
}

static void
negative_dim (test_bytes * b)
{
  dims_case (b, 2, (const int64_t[]) { 4, -4 }, 0);
}

static void
zero_dim (test_bytes * b)
{
  dims_case (b, 2, (const int64_t[]) { 0, 4 }, 0);
}

static void
dims_overflow (test_bytes * b)
{
  dims_case (b, 3, (const int64_t[]) { 1ll << 32, 1ll << 20, 1ll << 12 }, 0);
}

static void
bytes_overflow (test_bytes * b)
{
  dims_case (b, 1, (const int64_t[]) { 1ll << 62 }, 0);
}

static void
ne0_not_block_multiple (test_bytes * b)
{
  dims_case (b, 2, (const int64_t[]) { 48, 2 }, 2);
}

static void
misaligned_offset (test_bytes * b)
{
  one_tensor (b, "w", 8, 4, 64);
}

static void
tensor_past_eof (test_bytes * b)
{
  one_tensor (b, "token_embd.weight", 64, 32, 100);
}

static void
data_section_missing (test_bytes * b)
{
  one_tensor (b, "w", 8, 0, 0);
  b->len -= 2;
}

static void
overlapping_tensors (test_bytes * b)
{
  two_tensors (b, "a", 0, "b", 0);
}

static void
duplicate_tensor (test_bytes * b)
{
  two_tensors (b, "output_norm.weight", 0, "output_norm.weight", 32);
}

typedef struct {
  const char *file;
  const char *fragment;         /* of the message the reader must give */
  void (*build) (test_bytes * b);
} bad_case;

static const bad_case cases[] = {
  { "truncated-magic.gguf", "truncated header: 3 bytes", truncated_magic },
  { "truncated-header.gguf", "truncated header: 12 bytes", truncated_header },
  { "bad-magic.gguf", "bad magic 'GGML', expected 'GGUF'", bad_magic },
  { "version-1.gguf", "GGUF version 1 is not supported", version_1 },
  { "version-99.gguf", "unsupported GGUF version 99", version_99 },
  { "version-0.gguf", "unsupported GGUF version 0", version_0 },
  { "big-endian.gguf", "big-endian GGUF files are not supported", big_endian },
  { "huge-n-kv.gguf", "n_kv 4611686018427387904 is too large", huge_n_kv },
  { "huge-n-tensors.gguf", "n_tensors 18446744073709551615 is too large", huge_n_tensors },
  { "truncated-kv.gguf", "key 'b.count': value truncated: need 4 bytes, 2 left", truncated_kv },
  { "truncated-key.gguf", "kv #1: key length 1000 runs past the end of the file", truncated_key },
  { "empty-key.gguf", "kv #0: empty key", empty_key },
  { "nul-in-key.gguf", "kv #0: key contains a NUL byte", nul_in_key },
  { "string-past-eof.gguf", "key 'general.name': string value length 1000 runs past", string_past_eof },
  { "array-count-past-eof.gguf", "key 'gemma4.scores': array count 1099511627776 of float32", array_count_past_eof },
  { "string-array-past-eof.gguf", "key 'tokenizer.ggml.tokens': string element 2 length 500", string_array_past_eof },
  { "bad-value-type.gguf", "key 'x.y': unknown value type id 13", bad_value_type },
  { "bad-array-type.gguf", "key 'x.y': unknown array element type id 42", bad_array_type },
  { "nested-too-deep.gguf", "key 'deep': arrays nested deeper than 8 levels", nested_too_deep },
  { "nested-truncated.gguf", "key 'nest': array header truncated: need 12 bytes, 8 left", nested_truncated },
  { "duplicate-key.gguf", "duplicate key 'gemma4.block_count' (first at offset 24)", duplicate_key },
  { "alignment-zero.gguf", "key 'general.alignment' is 0, expected a non-zero power of two", alignment_zero },
  { "alignment-three.gguf", "key 'general.alignment' is 3, expected a non-zero power of two", alignment_three },
  { "alignment-wrong-type.gguf", "key 'general.alignment' has type uint64, expected uint32", alignment_wrong_type },
  { "truncated-tensor-info.gguf", "tensor 'w': dims, type and offset truncated", truncated_tensor_info },
  { "empty-tensor-name.gguf", "tensor #0: empty tensor", empty_tensor_name },
  { "bad-tensor-type.gguf", "tensor 'blk.0.attn_q.weight': unknown tensor type id 99", bad_tensor_type },
  { "removed-tensor-type.gguf", "tensor 'blk.0.attn_q.weight': unknown tensor type id 4", removed_tensor_type },
  { "n-dims-5.gguf", "tensor 'blk.0.attn_q.weight': n_dims 5, expected at most 4", n_dims_5 },
  { "negative-dim.gguf", "tensor 'blk.0.attn_q.weight': ne[1] = -4, expected >= 1", negative_dim },
  { "zero-dim.gguf", "tensor 'blk.0.attn_q.weight': ne[0] = 0, expected >= 1", zero_dim },
  { "dims-overflow.gguf", "overflows the element count or byte size", dims_overflow },
  { "bytes-overflow.gguf", "shape [4611686018427387904, 1, 1, 1] overflows", bytes_overflow },
  { "ne0-not-block-multiple.gguf", "ne[0] = 48 is not a multiple of the Q4_0 block size 32", ne0_not_block_multiple },
  { "misaligned-offset.gguf", "tensor 'w': data offset 4 is not a multiple of the alignment 32", misaligned_offset },
  { "tensor-past-eof.gguf", "tensor 'token_embd.weight': data [32, +256) runs past the end", tensor_past_eof },
  { "data-section-missing.gguf", "tensor 'w': data [0, +32) runs past the end", data_section_missing },
  { "overlapping-tensors.gguf", "tensors 'a' [0, +32) and 'b' [0, +32) overlap", overlapping_tensors },
  { "duplicate-tensor.gguf", "duplicate tensor 'output_norm.weight'", duplicate_tensor },
};
#define N_CASES (sizeof cases / sizeof cases[0])

/* Writes b to DIR/file, or in check mode compares it with what is there. */
static bool
emit (const char *dir, bool check, const char *file, const uint8_t * p, size_t len)
{
  char path[4096];
  snprintf (path, sizeof path, "%s/%s", dir, file);
  bool same;
  if (check) {
    size_t n = 0;
    uint8_t *old = test_read_file (path, &n);
    same = old != NULL && n == len && memcmp (old, p, len) == 0;
    free (old);
  } else {
    same = test_write_file (path, p, len);
  }
  if (!same)
    fprintf (stderr, "%s: %s\n", path, check ? "differs from what make_bad_gguf builds"
        : "cannot write");
  return same;
}

int
main (int argc, char **argv)
{
  bool check = argc == 3 && strcmp (argv[1], "--check") == 0;
  if (argc != 2 && !check) {
    fprintf (stderr, "usage: %s [--check] DIR\n", argv[0]);
    return 2;
  }
  const char *dir = argv[argc - 1];
  static char manifest[16384];
  size_t len = (size_t) snprintf (manifest, sizeof manifest,
      "# Hostile GGUF files built by tests/gguf/make_bad_gguf.c: each line is a file\n"
      "# name, a tab, and a fragment of the error message the reader must give.\n");
  int bad = 0;
  for (size_t k = 0; k < N_CASES; k++) {
    test_bytes b = { 0 };
    cases[k].build (&b);
    bad += !emit (dir, check, cases[k].file, b.p, b.len);
    free (b.p);
    len += (size_t) snprintf (manifest + len, sizeof manifest - len, "%s\t%s\n",
        cases[k].file, cases[k].fragment);
  }
  bad += !emit (dir, check, "MANIFEST", (const uint8_t *) manifest, len);
  printf ("%zu hostile files %s, %d bad\n", N_CASES, check ? "checked" : "written", bad);
  return bad ? 1 : 0;
}
