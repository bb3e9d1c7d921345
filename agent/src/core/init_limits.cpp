#include "core/init_limits.hpp"

#include <fmt/format.h>

#include "core/number.hpp"
#include "core/text.hpp"

namespace memtune {

ProcessLimit init_limit_for(std::uint64_t threads_max)
{
	return {threads_max / 2, threads_max / 2};
}

std::optional<ProcessLimit> follow_limit(const ProcessLimit &live, const ProcessLimit &boot,
					 const std::optional<ProcessLimit> &last_written,
					 const ProcessLimit &wanted)
{
	const bool ours = live == boot || (last_written && live == *last_written);
	if (!ours || live == wanted || wanted.hard == 0)
		return std::nullopt;
	return wanted;
}

std::optional<ProcessLimit> restore_limit(const ProcessLimit &live, const ProcessLimit &boot,
					  const std::optional<ProcessLimit> &last_written)
{
	if (!last_written || live != *last_written || live == boot)
		return std::nullopt;
	return boot;
}

std::string encode_init_limits_written(const InitLimitsWritten &written)
{
	std::string text;
	if (written.nproc)
		text += fmt::format("nproc {} {}\n", written.nproc->soft, written.nproc->hard);
	if (written.sigpending)
		text += fmt::format("sigpending {} {}\n", written.sigpending->soft,
				    written.sigpending->hard);
	return text;
}

Result<InitLimitsWritten> parse_init_limits_written(std::string_view text)
{
	InitLimitsWritten written;
	for (auto line : text::lines(text)) {
		if (line.empty())
			continue;
		const auto words = text::fields(line);
		if (words.size() != 3)
			return Error{"init limits: a line is not \"NAME SOFT HARD\""};
		std::optional<ProcessLimit> *slot = words[0] == "nproc"	     ? &written.nproc
						    : words[0] == "sigpending" ? &written.sigpending
									       : nullptr;
		if (!slot)
			return Error{"init limits: unknown limit (nproc or sigpending)"};
		if (slot->has_value())
			return Error{fmt::format("init limits: {} given twice", words[0])};
		auto soft = parse_u64(words[1], "soft limit");
		auto hard = parse_u64(words[2], "hard limit");
		if (!soft)
			return soft.error();
		if (!hard)
			return hard.error();
		*slot = ProcessLimit{*soft, *hard};
	}
	return written;
}

} // namespace memtune
