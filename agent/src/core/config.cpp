#include "core/config.hpp"

#include <fnmatch.h>
#include <ini.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "core/number.hpp"
#include "core/text.hpp"

namespace memtune {

std::string_view to_string(SwapMode mode)
{
	switch (mode) {
	case SwapMode::normal:
		return "normal";
	case SwapMode::prefer_fast:
		return "prefer-fast";
	case SwapMode::avoid_disk:
		return "avoid-disk";
	}
	return "normal";
}

Result<SwapMode> parse_swap_mode(std::string_view text)
{
	for (auto mode : {SwapMode::normal, SwapMode::prefer_fast, SwapMode::avoid_disk})
		if (text == to_string(mode))
			return mode;
	return Error{fmt::format("swap-mode {} is not normal, prefer-fast or avoid-disk",
				 quote_for_message(text))};
}

bool Config::mode_allowed(SwapMode mode) const
{
	return std::find(allowed_modes.begin(), allowed_modes.end(), mode) != allowed_modes.end();
}

bool is_fast_device(std::string_view device, const std::vector<std::string> &patterns)
{
	const std::string name(device);
	for (const auto &pattern : patterns)
		if (fnmatch(pattern.c_str(), name.c_str(), FNM_PATHNAME) == 0)
			return true;
	return false;
}

std::vector<std::string> order_dropins(std::vector<std::string> names)
{
	std::erase_if(names, [](const std::string &n) {
		return n.empty() || n[0] == '.' || n.size() <= 5 || !n.ends_with(".conf") ||
		       n.find('/') != std::string::npos;
	});
	std::sort(names.begin(), names.end());
	return names;
}

namespace {

// inih's line buffer (INI_MAX_LINE in Debian's build) is 200 bytes including the newline and
// NUL; longer lines would be split silently, so they are refused before inih sees them.
constexpr std::size_t max_config_line = 190;
constexpr std::size_t max_config_bytes = 64 * 1024;

// Feeds inih one line at a time so the handler knows which line it is looking at.
struct ParseState {
	Config config;
	const ConfigSource *source = nullptr;
	std::vector<std::string_view> lines;
	std::size_t next_line = 0; // index of the next line the reader returns
	std::optional<Error> error;
	std::size_t error_line = 0;
	// Where each setting was last made ("file:line"), for messages about pairs of settings.
	std::map<std::string, std::string> set_at;

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

// Applies one "key = value" from [section]; an Error describes a bad value.
Result<bool> apply_setting(Config &c, std::string_view section, std::string_view key,
			   std::string_view value)
{
	constexpr std::uint64_t big = std::uint64_t{1} << 40; // KiB: 1 PiB, beyond any guest
	auto set_u64 = [&](std::uint64_t &field, std::uint64_t min,
			   std::uint64_t max) -> Result<bool> {
		auto n = parse_bounded(value, key, min, max);
		if (!n)
			return n.error();
		field = *n;
		return true;
	};
	auto set_u32 = [&](std::uint32_t &field, std::uint64_t min,
			   std::uint64_t max) -> Result<bool> {
		auto n = parse_bounded(value, key, min, max);
		if (!n)
			return n.error();
		field = static_cast<std::uint32_t>(*n);
		return true;
	};
	auto set_bool = [&](bool &field) -> Result<bool> {
		auto b = parse_bool(value, key);
		if (!b)
			return b.error();
		field = *b;
		return true;
	};
	auto set_centi = [&](std::uint32_t &field) -> Result<bool> {
		auto p = parse_centi_percent(value, key);
		if (!p)
			return p.error();
		field = *p;
		return true;
	};
	auto set_ms_from_s = [&](std::uint64_t &field_ms, std::uint64_t min_s,
				 std::uint64_t max_s) -> Result<bool> {
		auto n = parse_bounded(value, key, min_s, max_s);
		if (!n)
			return n.error();
		field_ms = *n * 1000;
		return true;
	};

	if (section == "directives") {
		if (key == "honour_dom0")
			return set_bool(c.honour_dom0);
		if (key == "allowed_modes") {
			std::vector<SwapMode> modes;
			for (auto word : text::fields(value)) {
				auto mode = parse_swap_mode(word);
				if (!mode)
					return mode.error();
				if (std::find(modes.begin(), modes.end(), *mode) == modes.end())
					modes.push_back(*mode);
			}
			c.allowed_modes = std::move(modes);
			return true;
		}
		if (key == "max_reclaim_kb")
			return set_u64(c.max_reclaim_kb, 0, big);
		if (key == "swappiness_min")
			return set_u32(c.swappiness_min, 0, 200);
		if (key == "swappiness_max")
			return set_u32(c.swappiness_max, 0, 200);
		if (key == "max_lifetime_s")
			return set_u64(c.max_lifetime_s, 1, 7 * 86400);
	} else if (section == "reclaim") {
		if (key == "drop_caches")
			return set_bool(c.drop_caches_allowed);
		if (key == "step_kb")
			return set_u64(c.reclaim_step_kb, 4, big);
		if (key == "psi_stop")
			return set_centi(c.reclaim_psi_stop_centi);
	} else if (section == "swap") {
		if (key == "safety_margin_kb")
			return set_u64(c.swap_safety_margin_kb, 0, big);
		if (key == "fast_devices") {
			std::vector<std::string> patterns;
			for (auto word : text::fields(value)) {
				if (word[0] != '/')
					return Error{fmt::format("fast_devices pattern {} is not an "
								 "absolute path",
								 quote_for_message(word))};
				patterns.emplace_back(word);
			}
			c.fast_device_patterns = std::move(patterns);
			return true;
		}
	} else if (section == "report") {
		if (key == "heartbeat_s")
			return set_ms_from_s(c.publish.heartbeat_ms, 1, 86400);
		if (key == "min_interval_s")
			return set_ms_from_s(c.publish.min_interval_ms, 1, 86400);
		if (key == "mem_delta_kb")
			return set_u64(c.publish.mem_delta_kb, 1, big);
		if (key == "swap_delta_kb")
			return set_u64(c.publish.swap_delta_kb, 1, big);
		if (key == "psi_delta")
			return set_centi(c.publish.psi_delta_centi);
		if (key == "rate_delta_pps") {
			std::uint64_t pps = 0;
			if (auto r = set_u64(pps, 1, 1000000000); !r)
				return r;
			c.publish.rate_delta_pps = static_cast<double>(pps);
			return true;
		}
		if (key == "floor_margin_kb")
			return set_u64(c.floor_margin_kb, 0, big);
	} else if (section == "xapi") {
		if (key == "enabled")
			return set_bool(c.xapi.enabled);
		if (key == "interval_s")
			return set_ms_from_s(c.xapi.interval_ms, 10, 3600);
	} else if (section == "init") {
		if (key == "follow_balloon")
			return set_bool(c.init_limits_follow);
		if (key == "restore_on_stop")
			return set_bool(c.init_limits_restore_on_stop);
	} else {
		return Error{fmt::format("unknown section {} (known: directives, reclaim, swap, report, "
					 "xapi, init)",
					 quote_for_message(section))};
	}
	return Error{fmt::format("unknown key {} in [{}]", quote_for_message(key), section)};
}

int handle_setting(void *user, const char *section, const char *name, const char *value)
{
	auto *state = static_cast<ParseState *>(user);
	if (state->error)
		return 0;
	const auto raw = state->lines[state->lineno() - 1];
	if (!raw.empty() && (raw[0] == ' ' || raw[0] == '\t')) {
		state->error = Error{fmt::format("{}: indented continuation lines are not supported",
						 state->where())};
		state->error_line = state->lineno();
		return 0;
	}
	if (section[0] == '\0') {
		state->error = Error{fmt::format("{}: {} is outside any [section]", state->where(),
						 quote_for_message(name))};
		state->error_line = state->lineno();
		return 0;
	}
	auto applied = apply_setting(state->config, section, name, value);
	if (!applied) {
		state->error = Error{fmt::format("{}: {}", state->where(), applied.error().message)};
		state->error_line = state->lineno();
		return 0;
	}
	state->set_at[fmt::format("{}.{}", section, name)] = state->where();
	return 1;
}

std::string location_of(const ParseState &state, std::string_view key)
{
	const auto it = state.set_at.find(std::string(key));
	return it != state.set_at.end() ? it->second : "built-in default";
}

} // namespace

Result<Config> parse_config(const std::vector<ConfigSource> &sources)
{
	ParseState state;
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

	const Config &c = state.config;
	if (c.swappiness_min > c.swappiness_max)
		return Error{fmt::format("{}: swappiness_min {} is above swappiness_max {} (set at {})",
					 location_of(state, "directives.swappiness_min"),
					 c.swappiness_min, c.swappiness_max,
					 location_of(state, "directives.swappiness_max"))};
	if (c.publish.min_interval_ms > c.publish.heartbeat_ms)
		return Error{fmt::format("{}: min_interval_s {} is above heartbeat_s {} (set at {})",
					 location_of(state, "report.min_interval_s"),
					 c.publish.min_interval_ms / 1000,
					 c.publish.heartbeat_ms / 1000,
					 location_of(state, "report.heartbeat_s"))};
	return state.config;
}

} // namespace memtune
