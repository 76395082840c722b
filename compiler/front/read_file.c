#include "front/read_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/xalloc.h"

int read_source_file(const char *path, char **buf, size_t *len, const char **why)
{
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *data = NULL;
	size_t size = 0, cap = 0;
	int err = 0;

	*why = NULL;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		*why = "is a directory";
		err = -EISDIR;
		goto out;
	}
	for (;;) {
		if (cap - size < 65536) {
			cap = cap ? cap * 2 : 65536;
			data = xreallocarray(data, cap + 1, 1);
		}
		ssize_t got = read(fd, data + size, cap - size);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		if (got == 0)
			break;
		size += (size_t)got;
		if (size > SOURCE_MAX_SIZE) {
			*why = "file is larger than 256 MiB";
			err = -EFBIG;
			goto out;
		}
	}
	data[size] = '\0';
	*buf = data;
	*len = size;
	data = NULL;
out:
	free(data);
	if (fd != STDIN_FILENO)
		close(fd);
	return err;
}
