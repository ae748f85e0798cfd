/* sys/mman.h for the Windows build (see ../compat.h): what load.c needs to
   map a blob file read-only, with a file mapping.  The view is 64 KiB
   aligned, more than the 8 bytes a blob needs. */
#ifndef SBX_WIN_MMAN_H
#define SBX_WIN_MMAN_H

#include <io.h>
#include <stddef.h>
#include <sys/types.h>
#include <windows.h>

#define PROT_READ   1
#define MAP_PRIVATE 2
#define MAP_FAILED  ((void *)-1)

static inline void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	(void)addr;
	(void)prot;
	(void)flags;
	HANDLE file = (HANDLE)_get_osfhandle(fd);
	if (file == INVALID_HANDLE_VALUE || off != 0)
		return MAP_FAILED;
	HANDLE m = CreateFileMappingW(file, NULL, PAGE_READONLY, 0, 0, NULL);
	if (!m)
		return MAP_FAILED;
	void *view = MapViewOfFile(m, FILE_MAP_READ, 0, 0, len);
	CloseHandle(m);          /* the view keeps the mapping alive */
	return view ? view : MAP_FAILED;
}

static inline int munmap(void *addr, size_t len)
{
	(void)len;
	return UnmapViewOfFile(addr) ? 0 : -1;
}

#endif
