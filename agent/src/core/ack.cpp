#include "core/ack.hpp"

#include <fmt/format.h>

namespace memtune {

std::string_view to_string(AckResult result)
{
	switch (result) {
	case AckResult::applied:
		return "applied";
	case AckResult::partial:
		return "partial";
	case AckResult::refused:
		return "refused";
	}
	return "refused";
}

std::string sanitize_reason(std::string_view reason, std::size_t max_bytes)
{
	std::string out;
	out.reserve(std::min(reason.size(), max_bytes));
	for (char ch : reason) {
		if (out.size() >= max_bytes)
			break;
		const auto c = static_cast<unsigned char>(ch);
		out += (c >= 0x20 && c < 0x7f) ? ch : '?';
	}
	return out;
}

KeyValues encode_ack(const Ack &ack)
{
	return {
		{"ack/seq", fmt::format("{}", ack.seq)},
		{"ack/result", std::string(to_string(ack.result))},
		{"ack/reason", sanitize_reason(ack.reason)},
	};
}

} // namespace memtune
