// Strict number and size parsing for everything the agent reads from outside: xenstore nodes
// written by Dom0, /proc text, config values and memtunectl arguments.
//
// "Strict" means: only ASCII digits, no sign, no spaces, no leading zeros ("0" itself is fine),
// at most 20 characters, no overflow, no embedded NUL. Anything else is an Error that says why.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace memtune {

// Longest text accepted as a number; longer input is refused before any digit is looked at.
inline constexpr std::size_t max_number_chars = 20;

// Unsigned decimal, e.g. a directive's seq or a config value. `what` names the value in the
// error message ("seq", "reclaim-kb").
Result<std::uint64_t> parse_u64(std::string_view text, std::string_view what);

// Signed decimal for /proc/swaps priorities ("-2"): an optional '-' then strict digits.
Result<std::int64_t> parse_i64(std::string_view text, std::string_view what);

// A percentage as the kernel prints PSI averages ("12.34"): digits, optional '.', up to two
// decimals, 0..100. Returned in hundredths of a percent (1234).
Result<std::uint32_t> parse_centi_percent(std::string_view text, std::string_view what);

// A memory size for memtunectl, in KiB: a plain number is KiB; suffix K, M, G or T (either
// case, optionally followed by "iB") multiplies by 1, 1024, 1024^2, 1024^3. "512M", "2G",
// "1048576K", "4GiB". No fractions ("1.5G": write "1536M"), no bytes suffix, no spaces.
Result<std::uint64_t> parse_size_kb(std::string_view text);

// Renders hostile text for an error message: at most 32 characters, printable ASCII kept,
// everything else as \xNN, in double quotes. Never put raw input into a log or an ack.
std::string quote_for_message(std::string_view text);

// "310 MiB" for messages; KiB below 1 MiB ("900 KiB"), MiB rounded down otherwise.
std::string format_kb(std::uint64_t kb);

} // namespace memtune
