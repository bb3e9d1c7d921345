#include "core/ini.hpp"

#include <ini.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "core/number.hpp"
#include "core/text.hpp"

namespace memtune::ini {
namespace {

// inih's line buffer (INI_MAX_LINE in Debian's build) is 200 bytes including the newline and
// NUL; longer lines would be split silently, so they are refused before inih sees them.
constexpr std::size_t max_config_line = 190;
constexpr std::size_t max_config_bytes = 64 * 1024;

// Feeds inih one line at a time so the handler knows which line it is looking at.
struct ParseState {
	const Setter *set = nullptr;
	const ConfigSource *source = nullptr;
	std::vector<std::string_view> lines;
	std::size_t next_line = 0; // index of the next line the reader returns
	std::optional<Error> error;
	std::size_t error_line = 0;
	SetAt set_at;

	std::size_t lineno() const { return next_line; } // 1-based number of the current line
	std::string where() const { return fmt::format("{}:{}", source->path, lineno()); }
};

char *read_line(char *buffer, int size, void *stream)
{
	auto *state = static_cast<ParseState *>(stream);
	if (state->next_line >= state->lines.size())
		return nullptr;
	const auto line = state->lines[state->next_line++];
	// Lengths were checked before parsing; size is INI_MAX_LINE.
	const std::size_t n = std::min(line.size(), static_cast<std::size_t>(size) - 2);
	std::memcpy(buffer, line.data(), n);
	buffer[n] = '\n';
	buffer[n + 1] = '\0';
	return buffer;
}

int handle_setting(void *user, const char *section, const char *name, const char *value)
{
	auto *state = static_cast<ParseState *>(user);
	if (state->error)
		return 0;
	auto fail = [state](std::string message) {
		state->error = Error{fmt::format("{}: {}", state->where(), message)};
		state->error_line = state->lineno();
		return 0;
	};
	const auto raw = state->lines[state->lineno() - 1];
	if (!raw.empty() && (raw[0] == ' ' || raw[0] == '\t'))
		return fail("indented continuation lines are not supported");
	if (section[0] == '\0')
		return fail(fmt::format("{} is outside any [section]", quote_for_message(name)));
	auto applied = (*state->set)(section, name, value);
	if (!applied)
		return fail(applied.error().message);
	state->set_at[fmt::format("{}.{}", section, name)] = state->where();
	return 1;
}

} // namespace

Result<SetAt> parse_sources(const std::vector<ConfigSource> &sources, const Setter &set)
{
	ParseState state;
	state.set = &set;
	for (const auto &source : sources) {
		state.source = &source;
		state.next_line = 0;
		if (source.text.size() > max_config_bytes)
			return Error{fmt::format("{}: file too large ({} bytes, at most {})",
						 source.path, source.text.size(), max_config_bytes)};
		state.lines = text::lines(source.text);
		for (std::size_t i = 0; i < state.lines.size(); i++) {
			const auto line = state.lines[i];
			if (line.find('\0') != std::string_view::npos)
				return Error{fmt::format("{}:{}: NUL byte", source.path, i + 1)};
			if (line.size() > max_config_line)
				return Error{fmt::format("{}:{}: line too long ({} characters, at most {})",
							 source.path, i + 1, line.size(),
							 max_config_line)};
		}
		const int bad_line = ini_parse_stream(read_line, &state, handle_setting, &state);
		// inih keeps going after an error; report whichever came first, a syntax error (inih's
		// line) or a bad setting (ours).
		if (state.error && (bad_line <= 0 || state.error_line <= static_cast<std::size_t>(bad_line)))
			return *state.error;
		if (bad_line != 0)
			return Error{fmt::format("{}:{}: expected \"[section]\", \"key = value\" or a "
						 "comment", source.path, bad_line)};
	}
	return state.set_at;
}

std::string location_of(const SetAt &set_at, std::string_view key)
{
	const auto it = set_at.find(std::string(key));
	return it != set_at.end() ? it->second : "built-in default";
}

Result<bool> parse_bool(std::string_view v, std::string_view key)
{
	if (v == "yes" || v == "true" || v == "on" || v == "1")
		return true;
	if (v == "no" || v == "false" || v == "off" || v == "0")
		return false;
	return Error{fmt::format("{} {} is not yes or no", key, quote_for_message(v))};
}

Result<std::uint64_t> parse_bounded(std::string_view v, std::string_view key, std::uint64_t min,
				    std::uint64_t max)
{
	auto n = parse_u64(v, key);
	if (!n)
		return n.error();
	if (*n < min || *n > max)
		return Error{fmt::format("{} {} is outside {}..{}", key, *n, min, max)};
	return *n;
}

Result<bool> Setting::u64(std::uint64_t &field, std::uint64_t min, std::uint64_t max) const
{
	auto n = parse_bounded(value, key, min, max);
	if (!n)
		return n.error();
	field = *n;
	return true;
}

Result<bool> Setting::u32(std::uint32_t &field, std::uint64_t min, std::uint64_t max) const
{
	std::uint64_t n = 0;
	if (auto r = u64(n, min, std::min<std::uint64_t>(max, UINT32_MAX)); !r)
		return r;
	field = static_cast<std::uint32_t>(n);
	return true;
}

Result<bool> Setting::seconds_as_ms(std::uint64_t &field_ms, std::uint64_t min_s,
				    std::uint64_t max_s) const
{
	std::uint64_t s = 0;
	if (auto r = u64(s, min_s, std::min<std::uint64_t>(max_s, UINT64_MAX / 1000)); !r)
		return r;
	field_ms = s * 1000;
	return true;
}

Result<bool> Setting::boolean(bool &field) const
{
	auto b = parse_bool(value, key);
	if (!b)
		return b.error();
	field = *b;
	return true;
}

Result<bool> Setting::centi_percent(std::uint32_t &field) const
{
	auto p = parse_centi_percent(value, key);
	if (!p)
		return p.error();
	field = *p;
	return true;
}

Result<bool> Setting::listen_address(std::optional<metrics::ListenAddress> &field) const
{
	auto address = metrics::parse_listen_address(value);
	if (!address)
		return address.error();
	field = *address;
	return true;
}

} // namespace memtune::ini
