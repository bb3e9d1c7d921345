// Errors at the I/O edge: the core's Error (a message saying what was attempted, with its
// subject) plus the errno, so callers can tell "not there" (ENOENT) from "not allowed" (EACCES)
// or "connection lost" (ENOTCONN) without parsing words. Same Result template as the core.
#pragma once

#include <cerrno>
#include <string>
#include <utility>

#include "core/result.hpp"

namespace memtune::io {

struct Error : memtune::Error {
	int code = 0; // errno value (ENOENT, EACCES, EAGAIN, ...)

	// message: "read data/memtune/seq: No such file or directory"
	Error(int errno_code, std::string message)
		: memtune::Error{std::move(message)}, code(errno_code)
	{
	}
};

template <class T>
using Result = memtune::Result<T, Error>;

// Error from the current errno, with "what: strerror" as its message.
Error errno_error(std::string what);
Error errno_error(std::string what, int code);

} // namespace memtune::io
