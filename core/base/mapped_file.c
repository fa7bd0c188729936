/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mapped_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

g4_status
g4_mapped_file_open (const char *path, g4_mapped_file * mf, g4_error * err)
{
  mf->data = NULL;
  mf->size = 0;
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return g4_set_error (err, G4_STATUS_IO, "%s: cannot open: %s", path, strerror (errno));
  struct stat st;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
    close (fd);
    return g4_set_error (err, G4_STATUS_IO, "%s: not a regular file", path);
  }
  if (st.st_size == 0) {
    close (fd);
    return g4_set_error (err, G4_STATUS_FORMAT, "%s: empty file", path);
  }
  void *p = mmap (NULL, (size_t) st.st_size, PROT_READ, MAP_SHARED, fd, 0);
  int saved = errno;
  close (fd);
  if (p == MAP_FAILED)
    return g4_set_error (err, G4_STATUS_IO, "%s: mmap failed: %s", path, strerror (saved));
  mf->data = p;
  mf->size = (size_t) st.st_size;
  return G4_OK;
}

void
g4_mapped_file_close (g4_mapped_file * mf)
{
  if (mf->data)
    munmap ((void *) mf->data, mf->size);
  mf->data = NULL;
  mf->size = 0;
}

void
g4_mapped_release (const void *p, size_t n)
{
  const uintptr_t page = (uintptr_t) sysconf (_SC_PAGESIZE);
  const uintptr_t first = ((uintptr_t) p + page - 1) & ~(page - 1);
  const uintptr_t end = ((uintptr_t) p + n) & ~(page - 1);
  if (end > first)
    madvise ((void *) first, end - first, MADV_DONTNEED);
}
