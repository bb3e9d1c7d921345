// The INI reading shared by every xen-memtune config (agent.conf, arbiter.conf): files in order,
// each "key = value" handed to the caller's setter, errors naming the file and line. Pure: the
// caller (daemon/config_files.cpp) reads the files and passes their text.
//
// Format (parsed with inih): a line starting with '#' or ';' is a comment; after a value only
// " ;" starts one (inih's inline rule). Lines longer than 190 characters, NUL bytes, indented
// continuation lines, settings outside a [section] and files over 64 KiB are refused.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/metrics.hpp"
#include "core/result.hpp"

namespace memtune {

// One config file: its path (for messages) and its whole text.
struct ConfigSource {
	std::string path;
	std::string text;
};

namespace ini {

// Applies one setting; an Error says what is wrong with the value or key (the file and line
// are added by parse_sources).
using Setter = std::function<Result<bool>(std::string_view section, std::string_view key,
					  std::string_view value)>;

// Where each setting was last made: "section.key" -> "file:line".
using SetAt = std::map<std::string, std::string>;

// Feeds every setting of every source, in order, to set. Stops at the first error.
Result<SetAt> parse_sources(const std::vector<ConfigSource> &sources, const Setter &set);

// "file:line" where section.key was set, or "built-in default".
std::string location_of(const SetAt &set_at, std::string_view key);

// One "key = value" being applied: stores the parsed value into a field of the caller's
// config, or says what is wrong with it. Every setter returns true or the Error.
struct Setting {
	std::string_view key;
	std::string_view value;

	Result<bool> u64(std::uint64_t &field, std::uint64_t min, std::uint64_t max) const;
	Result<bool> u32(std::uint32_t &field, std::uint64_t min, std::uint64_t max) const;
	// A whole number of seconds, stored in milliseconds.
	Result<bool> seconds_as_ms(std::uint64_t &field_ms, std::uint64_t min_s,
				   std::uint64_t max_s) const;
	Result<bool> boolean(bool &field) const;
	// A percentage with up to two decimals ("12.50"), stored in hundredths.
	Result<bool> centi_percent(std::uint32_t &field) const;
	// "off" or ADDRESS:PORT (core/metrics.hpp); off stores nullopt.
	Result<bool> listen_address(std::optional<metrics::ListenAddress> &field) const;
};

// yes/no, true/false, on/off, 1/0.
Result<bool> parse_bool(std::string_view value, std::string_view key);
// A strict decimal within min..max.
Result<std::uint64_t> parse_bounded(std::string_view value, std::string_view key,
				    std::uint64_t min, std::uint64_t max);

} // namespace ini
} // namespace memtune
