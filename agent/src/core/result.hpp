// Errors as values for the pure core.
//
// GCC 12's libstdc++ has no std::expected in C++20, so the core returns Result<T>: either a T or
// an Error whose message is a complete sentence fit for a log line or an xenstore ack reason
// ("reclaim-kb 9999999 above the local maximum 1048576"). Callers test with `if (!r)` and read
// r.error().message, or use *r / r->field for the value.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace memtune {

struct Error {
	std::string message;
};

template <typename T>
class [[nodiscard]] Result {
public:
	Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
	Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

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

	// Precondition: !ok().
	const Error &error() const { return std::get<1>(state_); }

private:
	std::variant<T, Error> state_;
};

} // namespace memtune
