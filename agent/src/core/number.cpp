#include "core/number.hpp"

#include <array>
#include <limits>

#include <fmt/format.h>

namespace memtune {

namespace {

bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

// Digits only, no leading zero, fits in 64 bits. `what` and `text` already checked for length.
Result<std::uint64_t> digits_to_u64(std::string_view digits, std::string_view what,
				    std::string_view text)
{
	if (digits.empty())
		return Error{fmt::format("{} {} is not a number", what, quote_for_message(text))};
	for (char c : digits)
		if (!is_digit(c))
			return Error{fmt::format("{} {} is not a plain decimal number", what,
						 quote_for_message(text))};
	if (digits.size() > 1 && digits[0] == '0')
		return Error{fmt::format("{} {} has a leading zero", what, quote_for_message(text))};
	std::uint64_t value = 0;
	for (char c : digits) {
		const auto digit = static_cast<std::uint64_t>(c - '0');
		if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10)
			return Error{fmt::format("{} {} is too large", what, quote_for_message(text))};
		value = value * 10 + digit;
	}
	return value;
}

Result<std::string_view> check_length(std::string_view text, std::string_view what)
{
	if (text.empty())
		return Error{fmt::format("{} is empty", what)};
	if (text.size() > max_number_chars)
		return Error{fmt::format("{} is too long ({} characters, at most {})", what,
					 text.size(), max_number_chars)};
	return text;
}

} // namespace

Result<std::uint64_t> parse_u64(std::string_view text, std::string_view what)
{
	if (auto checked = check_length(text, what); !checked)
		return checked.error();
	return digits_to_u64(text, what, text);
}

Result<std::int64_t> parse_i64(std::string_view text, std::string_view what)
{
	if (auto checked = check_length(text, what); !checked)
		return checked.error();
	const bool negative = text[0] == '-';
	auto magnitude = digits_to_u64(negative ? text.substr(1) : text, what, text);
	if (!magnitude)
		return magnitude.error();
	constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
	if (negative) {
		if (*magnitude == 0)
			return Error{fmt::format("{} {} is a negative zero", what,
						 quote_for_message(text))};
		if (*magnitude > max + 1)
			return Error{fmt::format("{} {} is too small", what, quote_for_message(text))};
		// -(max + 1) is representable; compute without overflowing.
		return -static_cast<std::int64_t>(*magnitude - 1) - 1;
	}
	if (*magnitude > max)
		return Error{fmt::format("{} {} is too large", what, quote_for_message(text))};
	return static_cast<std::int64_t>(*magnitude);
}

Result<std::uint32_t> parse_centi_percent(std::string_view text, std::string_view what)
{
	if (auto checked = check_length(text, what); !checked)
		return checked.error();
	const auto dot = text.find('.');
	const std::string_view whole = text.substr(0, dot);
	std::string_view fraction;
	if (dot != std::string_view::npos) {
		fraction = text.substr(dot + 1);
		if (fraction.empty() || fraction.size() > 2)
			return Error{fmt::format("{} {} needs one or two decimals after the point",
						 what, quote_for_message(text))};
		for (char c : fraction)
			if (!is_digit(c))
				return Error{fmt::format("{} {} is not a percentage", what,
							 quote_for_message(text))};
	}
	auto units = digits_to_u64(whole, what, text);
	if (!units)
		return units.error();
	if (*units > 100)
		return Error{fmt::format("{} {} is above 100%", what, quote_for_message(text))};
	std::uint32_t centi = static_cast<std::uint32_t>(*units) * 100;
	if (!fraction.empty()) {
		centi += static_cast<std::uint32_t>(fraction[0] - '0') * 10;
		if (fraction.size() == 2)
			centi += static_cast<std::uint32_t>(fraction[1] - '0');
	}
	if (centi > 10000)
		return Error{fmt::format("{} {} is above 100%", what, quote_for_message(text))};
	return centi;
}

Result<std::uint64_t> parse_size_kb(std::string_view text)
{
	constexpr std::string_view what = "size";
	if (text.empty())
		return Error{"size is empty"};
	if (text.size() > max_number_chars + 3)
		return Error{fmt::format("size is too long ({} characters)", text.size())};
	std::size_t end = 0;
	while (end < text.size() && is_digit(text[end]))
		end++;
	const std::string_view digits = text.substr(0, end);
	std::string_view suffix = text.substr(end);
	if (digits.empty())
		return Error{fmt::format("size {} does not start with a number", quote_for_message(text))};
	if (digits.size() > max_number_chars)
		return Error{fmt::format("size {} is too large", quote_for_message(text))};
	unsigned shift = 0; // power of 1024 above KiB
	if (!suffix.empty()) {
		switch (suffix[0]) {
		case 'K': case 'k': shift = 0; break;
		case 'M': case 'm': shift = 1; break;
		case 'G': case 'g': shift = 2; break;
		case 'T': case 't': shift = 3; break;
		default:
			return Error{fmt::format("size {} has an unknown unit (use K, M, G or T)",
						 quote_for_message(text))};
		}
		suffix.remove_prefix(1);
		if (!suffix.empty() && suffix != "iB")
			return Error{fmt::format("size {} has an unknown unit (use K, M, G or T, "
						 "whole numbers only)", quote_for_message(text))};
	}
	auto value = digits_to_u64(digits, what, text);
	if (!value)
		return value.error();
	std::uint64_t kb = *value;
	for (unsigned i = 0; i < shift; i++) {
		if (kb > std::numeric_limits<std::uint64_t>::max() / 1024)
			return Error{fmt::format("size {} is too large", quote_for_message(text))};
		kb *= 1024;
	}
	return kb;
}

std::string quote_for_message(std::string_view text)
{
	constexpr std::size_t max_shown = 32;
	std::string out = "\"";
	for (std::size_t i = 0; i < text.size() && i < max_shown; i++) {
		const auto c = static_cast<unsigned char>(text[i]);
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			out += static_cast<char>(c);
		else
			out += fmt::format("\\x{:02x}", c);
	}
	if (text.size() > max_shown)
		out += "...";
	out += '"';
	return out;
}

std::string format_kb(std::uint64_t kb)
{
	if (kb < 1024)
		return fmt::format("{} KiB", kb);
	return fmt::format("{} MiB", kb / 1024);
}

} // namespace memtune
