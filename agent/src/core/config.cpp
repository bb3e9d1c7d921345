#include "core/config.hpp"

#include <fnmatch.h>

#include <algorithm>

#include <fmt/format.h>

#include "core/ini.hpp"
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

std::uint64_t fast_swap_kb(const std::vector<SwapDevice> &devices,
			   const std::vector<std::string> &patterns)
{
	std::uint64_t kb = 0;
	for (const auto &d : devices)
		if (is_fast_device(d.name, patterns))
			kb += d.size_kb;
	return kb;
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

// Applies one "key = value" from [section]; an Error describes a bad value.
Result<bool> apply_setting(Config &c, std::string_view section, std::string_view key,
			   std::string_view value)
{
	constexpr std::uint64_t big = std::uint64_t{1} << 40; // KiB: 1 PiB, beyond any guest
	const ini::Setting set{key, value};

	if (section == "directives") {
		if (key == "honour_dom0")
			return set.boolean(c.honour_dom0);
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
			return set.u64(c.max_reclaim_kb, 0, big);
		if (key == "swappiness_min")
			return set.u32(c.swappiness_min, 0, 200);
		if (key == "swappiness_max")
			return set.u32(c.swappiness_max, 0, 200);
		if (key == "max_lifetime_s")
			return set.u64(c.max_lifetime_s, 1, 7 * 86400);
	} else if (section == "reclaim") {
		if (key == "drop_caches")
			return set.boolean(c.drop_caches_allowed);
		if (key == "step_kb")
			return set.u64(c.reclaim_step_kb, 4, big);
		if (key == "psi_stop")
			return set.centi_percent(c.reclaim_psi_stop_centi);
	} else if (section == "swap") {
		if (key == "safety_margin_kb")
			return set.u64(c.swap_safety_margin_kb, 0, big);
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
			return set.seconds_as_ms(c.publish.heartbeat_ms, 1, 86400);
		if (key == "min_interval_s")
			return set.seconds_as_ms(c.publish.min_interval_ms, 1, 86400);
		if (key == "mem_delta_kb")
			return set.u64(c.publish.mem_delta_kb, 1, big);
		if (key == "swap_delta_kb")
			return set.u64(c.publish.swap_delta_kb, 1, big);
		if (key == "psi_delta")
			return set.centi_percent(c.publish.psi_delta_centi);
		if (key == "rate_delta_pps") {
			std::uint64_t pps = 0;
			if (auto r = set.u64(pps, 1, 1000000000); !r)
				return r;
			c.publish.rate_delta_pps = static_cast<double>(pps);
			return true;
		}
		if (key == "floor_margin_kb")
			return set.u64(c.floor_margin_kb, 0, big);
	} else if (section == "xapi") {
		if (key == "enabled")
			return set.boolean(c.xapi.enabled);
		if (key == "interval_s")
			return set.seconds_as_ms(c.xapi.interval_ms, 10, 3600);
	} else if (section == "init") {
		if (key == "follow_balloon")
			return set.boolean(c.init_limits_follow);
		if (key == "restore_on_stop")
			return set.boolean(c.init_limits_restore_on_stop);
	} else if (section == "metrics") {
		if (key == "listen")
			return set.listen_address(c.metrics_listen);
	} else {
		return Error{fmt::format("unknown section {} (known: directives, reclaim, swap, report, "
					 "xapi, init, metrics)",
					 quote_for_message(section))};
	}
	return Error{fmt::format("unknown key {} in [{}]", quote_for_message(key), section)};
}

} // namespace

Result<Config> parse_config(const std::vector<ConfigSource> &sources)
{
	Config config;
	auto set_at = ini::parse_sources(
		sources, [&config](std::string_view section, std::string_view key,
				   std::string_view value) {
			return apply_setting(config, section, key, value);
		});
	if (!set_at)
		return set_at.error();
	auto location_of = [&set_at](std::string_view key) { return ini::location_of(*set_at, key); };

	const Config &c = config;
	if (c.swappiness_min > c.swappiness_max)
		return Error{fmt::format("{}: swappiness_min {} is above swappiness_max {} (set at {})",
					 location_of("directives.swappiness_min"),
					 c.swappiness_min, c.swappiness_max,
					 location_of("directives.swappiness_max"))};
	if (c.publish.min_interval_ms > c.publish.heartbeat_ms)
		return Error{fmt::format("{}: min_interval_s {} is above heartbeat_s {} (set at {})",
					 location_of("report.min_interval_s"),
					 c.publish.min_interval_ms / 1000,
					 c.publish.heartbeat_ms / 1000,
					 location_of("report.heartbeat_s"))};
	return config;
}

} // namespace memtune
