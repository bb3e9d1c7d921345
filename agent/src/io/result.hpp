// Result of an operation at the I/O edge: a value, or the errno and a message saying what failed.
// (GCC 12's libstdc++ has no std::expected; this is the small subset the agent needs.)
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace memtune::io {

struct Error {
	int code = 0;        // errno value (ENOENT, EACCES, EAGAIN, ...)
	std::string message; // what was attempted, with its subject: "read data/memtune/seq: ..."
};

template <class T>
class [[nodiscard]] Result {
public:
	Result(T value) : state_(std::move(value)) {}
	Result(Error error) : state_(std::move(error)) {}

	bool ok() const { return state_.index() == 0; }
	explicit operator bool() const { return ok(); }

	T &value() & { return std::get<0>(state_); }
	const T &value() const & { return std::get<0>(state_); }
	T &&value() && { return std::get<0>(std::move(state_)); }
	T &operator*() & { return value(); }
	const T &operator*() const & { return value(); }
	T *operator->() { return &value(); }
	const T *operator->() const { return &value(); }
	T value_or(T fallback) const { return ok() ? value() : std::move(fallback); }

	const Error &error() const { return std::get<1>(state_); }
	int code() const { return ok() ? 0 : error().code; }

private:
	std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
public:
	Result() = default;
	Result(Error error) : error_(std::move(error)), failed_(true) {}

	bool ok() const { return !failed_; }
	explicit operator bool() const { return ok(); }
	const Error &error() const { return error_; }
	int code() const { return ok() ? 0 : error_.code; }

private:
	Error error_;
	bool failed_ = false;
};

// Error from the current errno, with "what: strerror" as its message.
Error errno_error(std::string what);
Error errno_error(std::string what, int code);

} // namespace memtune::io
