// Errors as values, for the whole agent.
//
// GCC 12's libstdc++ has no std::expected in C++20, so functions return Result<T>: either a T or
// an error. The core's Error is a message that is a complete sentence fit for a log line or an
// xenstore ack reason ("reclaim-kb 9999999 above the local maximum 1048576"); the I/O edge adds
// the errno (io::Error, io/result.hpp) and uses the same template as io::Result<T>. Callers test
// with `if (!r)` and read r.error().message, or use *r / r->field for the value.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace memtune {

struct Error {
	std::string message;
};

template <typename T, typename E = Error>
class [[nodiscard]] Result {
public:
	// in_place_index: the alternative is chosen by the constructor, never by conversion.
	Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
	Result(E error) : state_(std::in_place_index<1>, std::move(error)) {}

	bool ok() const { return state_.index() == 0; }
	explicit operator bool() const { return ok(); }

	// Precondition: ok(). Reading the wrong alternative throws std::bad_variant_access.
	T &value() & { return std::get<0>(state_); }
	const T &value() const & { return std::get<0>(state_); }
	T &&value() && { return std::get<0>(std::move(state_)); }
	T &operator*() & { return value(); }
	const T &operator*() const & { return value(); }
	T *operator->() { return &value(); }
	const T *operator->() const { return &value(); }
	T value_or(T fallback) const { return ok() ? value() : std::move(fallback); }

	// Precondition: !ok().
	const E &error() const { return std::get<1>(state_); }
	// The errno of a failure, 0 on success: only for errors that carry one (io::Error).
	int code() const
		requires requires(const E &e) { e.code; }
	{
		return ok() ? 0 : error().code;
	}

private:
	std::variant<T, E> state_;
};

// Success carries nothing: `return {};` on success, `return error;` on failure.
template <typename E>
class [[nodiscard]] Result<void, E> {
public:
	Result() = default;
	Result(E error) : error_(std::move(error)) {}

	bool ok() const { return !error_.has_value(); }
	explicit operator bool() const { return ok(); }

	// Precondition: !ok().
	const E &error() const { return *error_; }
	int code() const
		requires requires(const E &e) { e.code; }
	{
		return ok() ? 0 : error_->code;
	}

private:
	std::optional<E> error_;
};

} // namespace memtune
