/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Image files for gemma4-cli (embed, describe): any still image FFmpeg
 * decodes (PNG, JPEG, WebP, BMP, PPM, ...) to packed RGB8 at its full size,
 * binary PPM without FFmpeg; and the image written back (--draw). */
#ifndef G4_CLI_IMAGE_INPUT_H
#define G4_CLI_IMAGE_INPUT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
  uint8_t *rgb;                 /* packed RGB8, row y at rgb + y * 3 * width */
  int width, height;
} cli_image;

/* Decodes the first picture of path. false after printing to stderr why the
 * file is missing, broken or not an image. */
bool cli_image_read (const char *path, cli_image * out);
/* Writes img as PNG or JPEG (by the extension of path: .png, .jpg, .jpeg;
 * FFmpeg builds only) or binary PPM (.ppm). false after printing why. */
bool cli_image_write (const char *path, const cli_image * img);
/* Whether cli_image_write could write path (a known extension, a writable
 * place), checked before the work that makes the image; false after printing
 * why not. */
bool cli_image_output_check (const char *path);
/* img as a JPEG file in memory (FFmpeg builds; free *data with free()).
 * false after printing why. */
bool cli_image_jpeg (const cli_image * img, uint8_t ** data, size_t *size);
void cli_image_free (cli_image * img);

#endif
