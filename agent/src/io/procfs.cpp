#include "io/procfs.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace memtune::io {
namespace {

constexpr std::size_t max_file_bytes = 1 << 20;

struct Fd {
	int fd = -1;
	~Fd()
	{
		if (fd >= 0)
			close(fd);
	}
};

} // namespace

Result<std::string> read_text_file(const std::filesystem::path &path)
{
	Fd file{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
	if (file.fd < 0)
		return errno_error("open " + path.string());
	std::string text;
	char buf[4096];
	for (;;) {
		ssize_t n = read(file.fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno_error("read " + path.string());
		}
		if (n == 0)
			return text;
		if (text.size() + n > max_file_bytes)
			return Error{EFBIG, "read " + path.string() + ": larger than 1 MiB"};
		text.append(buf, n);
	}
}

Result<void> write_text_file(const std::filesystem::path &path, std::string_view value)
{
	Fd file{open(path.c_str(), O_WRONLY | O_CLOEXEC)};
	if (file.fd < 0)
		return errno_error("open " + path.string());
	ssize_t n;
	do
		n = write(file.fd, value.data(), value.size());
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno_error("write " + path.string());
	if (static_cast<std::size_t>(n) != value.size())
		return Error{EIO, "write " + path.string() + ": short write"};
	return {};
}

Result<std::string> Procfs::read_proc(std::string_view relative) const
{
	return read_text_file(proc_root_ / relative);
}

Result<void> Procfs::write_proc(std::string_view relative, std::string_view value) const
{
	return write_text_file(proc_root_ / relative, value);
}

Result<std::string> Procfs::read_sys(std::string_view relative) const
{
	return read_text_file(sys_root_ / relative);
}

Result<void> Procfs::write_sys(std::string_view relative, std::string_view value) const
{
	return write_text_file(sys_root_ / relative, value);
}

bool Procfs::sys_exists(std::string_view relative) const
{
	std::error_code ec;
	return std::filesystem::exists(sys_root_ / relative, ec);
}

} // namespace memtune::io
