#include "io/result.hpp"

#include <cstring>

namespace memtune::io {

Error errno_error(std::string what, int code)
{
	what += ": ";
	what += std::strerror(code);
	return Error{code, std::move(what)};
}

Error errno_error(std::string what)
{
	return errno_error(std::move(what), errno);
}

} // namespace memtune::io
