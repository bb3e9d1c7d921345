#include "core/xapi_keys.hpp"

namespace memtune {

XapiValues xapi_values(const Meminfo &meminfo)
{
	return {meminfo.mem_total_kb, meminfo.mem_available_kb};
}

PublishDecision xapi_should_write(const std::optional<XapiValues> &last,
				  std::uint64_t last_write_ms, const XapiValues &current,
				  std::uint64_t now_ms, const XapiPolicy &policy,
				  std::uint64_t min_interval_ms, std::uint64_t free_delta_kb)
{
	const std::uint64_t next_interval = now_ms + policy.interval_ms;
	if (!last)
		return {true, "first write", next_interval};
	// A clock that went backwards is treated as no time passed.
	const std::uint64_t elapsed = now_ms > last_write_ms ? now_ms - last_write_ms : 0;
	if (elapsed >= policy.interval_ms)
		return {true, "interval", next_interval};

	std::string change;
	if (current.meminfo_total_kb != last->meminfo_total_kb)
		change = "meminfo_total changed";
	else if (const auto a = current.meminfo_free_kb, b = last->meminfo_free_kb;
		 (a > b ? a - b : b - a) >= free_delta_kb)
		change = "meminfo_free moved";
	if (change.empty())
		return {false, "no change", last_write_ms + policy.interval_ms};
	if (elapsed < min_interval_ms)
		return {false, change + ", held back by the minimum interval",
			last_write_ms + min_interval_ms};
	return {true, change, next_interval};
}

KeyValues encode_xapi_update(const std::optional<XapiValues> &last, const XapiValues &current,
			     const std::string &updated)
{
	KeyValues kv;
	if (!last || last->meminfo_total_kb != current.meminfo_total_kb)
		kv.emplace_back("data/meminfo_total", std::to_string(current.meminfo_total_kb));
	if (!last || last->meminfo_free_kb != current.meminfo_free_kb)
		kv.emplace_back("data/meminfo_free", std::to_string(current.meminfo_free_kb));
	kv.emplace_back("data/updated", updated);
	return kv;
}

KeyValues xapi_control_keys()
{
	return {{"control/feature-balloon", "1"}, {"control/feature-memtune", "1"}};
}

std::string format_xapi_updated(std::time_t when)
{
	std::tm tm{};
	if (!gmtime_r(&when, &tm))
		return "";
	char text[64];
	const std::size_t n = std::strftime(text, sizeof(text), "%a %b %e %H:%M:%S %Y", &tm);
	return std::string(text, n);
}

} // namespace memtune
