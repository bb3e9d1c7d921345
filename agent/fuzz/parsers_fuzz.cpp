// libFuzzer target for the core's other parsers of outside text: /proc files (a container or a
// broken kernel can serve odd text), the config files, memtunectl sizes and, on Dom0, a report
// the guest wrote, and the metrics' label escaping (a domain's name) and listen address. Byte 0
// picks the parser; the rest is its text.
//
// Checked: nothing crashes or hangs; what parses obeys the parser's own promises (MemAvailable
// <= MemTotal, swap used <= size, percentages <= 100%, a decoded report re-encodes to values
// that decode again, an escaped label value holds no newline and no unescaped quote, a listen
// address prints to text that parses to it again).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "core/metrics.hpp"
#include "core/number.hpp"
#include "core/procfs.hpp"
#include "core/report.hpp"

namespace {

void check(bool condition)
{
	if (!condition)
		std::abort();
}

// "key=value" lines into a map, for decode_report.
std::map<std::string, std::string> key_values(std::string_view text)
{
	std::map<std::string, std::string> values;
	while (!text.empty()) {
		const auto nl = text.find('\n');
		const auto line = text.substr(0, nl);
		const auto eq = line.find('=');
		if (eq != std::string_view::npos)
			values[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
		if (nl == std::string_view::npos)
			break;
		text.remove_prefix(nl + 1);
	}
	return values;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	using namespace memtune;
	if (size == 0)
		return 0;
	const std::string_view text(reinterpret_cast<const char *>(data + 1), size - 1);
	switch (data[0] % 10) {
	case 0:
		if (auto m = parse_meminfo(text)) {
			check(m->mem_available_kb <= m->mem_total_kb);
			check(m->swap_free_kb <= m->swap_total_kb);
			check(reclaimable_kb(*m) <= m->active_file_kb + m->inactive_file_kb +
							    m->slab_reclaimable_kb);
			const auto floor = estimate_floor(*m, std::nullopt, 65536);
			check(floor.floor_kb <= m->mem_total_kb);
		}
		break;
	case 1:
		(void)parse_vmstat(text);
		break;
	case 2:
		if (auto devices = parse_swaps(text))
			for (const auto &d : *devices)
				check(d.used_kb <= d.size_kb && !d.name.empty());
		break;
	case 3:
		if (auto p = parse_memory_pressure(text))
			check(p->some.avg10_centi <= 10000 && p->full.avg300_centi <= 10000);
		break;
	case 4:
		(void)parse_config({{"fuzz.conf", std::string(text)}});
		break;
	case 5:
		if (auto kb = parse_size_kb(text))
			check(!text.empty() && text[0] >= '0' && text[0] <= '9');
		break;
	case 6:
		if (auto report = decode_report(key_values(text))) {
			auto encoded = encode_report(*report);
			check(decode_report({encoded.begin(), encoded.end()}).ok());
		}
		break;
	case 8: {
		const std::string escaped = metrics::escape_label_value(text);
		check(escaped.size() <= 2 * metrics::max_label_value_bytes);
		check(escaped.find('\n') == std::string::npos);
		for (std::size_t i = 0; i < escaped.size(); i++) {
			if (escaped[i] == '\\')
				i++; // an escape: skip what it escapes
			else
				check(escaped[i] != '"');
		}
		break;
	}
	case 9:
		if (auto address = metrics::parse_listen_address(text); address && *address) {
			auto again = metrics::parse_listen_address((*address)->text());
			check(again && *again == *address);
		}
		break;
	default:
		if (auto n = parse_u64(text, "fuzz"))
			check(std::to_string(*n) == text);
		break;
	}
	return 0;
}
