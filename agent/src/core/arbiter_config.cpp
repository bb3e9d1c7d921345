#include "core/arbiter_config.hpp"

#include <fmt/format.h>

#include "core/number.hpp"
#include "core/text.hpp"

namespace memtune::arbiter {

std::string_view to_string(Mode mode)
{
	switch (mode) {
	case Mode::observe:
		return "observe";
	case Mode::advise:
		return "advise";
	case Mode::act:
		return "act";
	}
	return "observe";
}

namespace {

constexpr std::uint64_t big_kb = std::uint64_t{1} << 40; // 1 PiB: beyond any host

// Domain names as xl accepts them: no spaces, printable; checked so a name in a log is safe.
Result<std::vector<std::string>> parse_names(std::string_view value, std::string_view key)
{
	std::vector<std::string> names;
	for (auto word : text::fields(value)) {
		for (char c : word)
			if (c < 0x21 || c > 0x7e)
				return Error{fmt::format("{}: {} is not a domain or device name", key,
							 quote_for_message(word))};
		names.emplace_back(word);
	}
	return names;
}

Result<bool> apply_setting(Config &c, std::string_view section, std::string_view key,
			   std::string_view value)
{
	const ini::Setting set{key, value};
	auto set_names = [&](std::vector<std::string> &field) -> Result<bool> {
		auto names = parse_names(value, key);
		if (!names)
			return names.error();
		field = std::move(*names);
		return true;
	};

	if (section == "arbiter") {
		if (key == "mode") {
			for (auto m : {Mode::observe, Mode::advise, Mode::act})
				if (value == to_string(m)) {
					c.mode = m;
					return true;
				}
			return Error{fmt::format("mode {} is not observe, advise or act",
						 quote_for_message(value))};
		}
		if (key == "enabled")
			return set.boolean(c.enabled);
		if (key == "interval_s")
			return set.seconds_as_ms(c.interval_ms, 1, 60);
		if (key == "window_s")
			return set.seconds_as_ms(c.window_ms, 2, 600);
		if (key == "opt_out")
			return set_names(c.opt_out);
	} else if (section == "detect") {
		if (key == "disks")
			return set_names(c.disks);
		if (key == "min_iops")
			return set.u64(c.min_iops, 1, 10000000);
		if (key == "min_kbps")
			return set.u64(c.min_kbps, 1, big_kb);
		if (key == "share")
			return set.u32(c.share_pct, 50, 100);
		if (key == "await_ms")
			return set.u64(c.await_ms, 1, 600000);
		if (key == "await_factor")
			return set.u32(c.await_factor, 1, 1000);
		if (key == "util")
			return set.u32(c.util_pct, 1, 100);
		if (key == "enter")
			return set.u32(c.enter_count, 1, 1000);
		if (key == "clear")
			return set.u32(c.clear_count, 2, 10000);
	} else if (section == "remedy") {
		if (key == "hold_s")
			return set.seconds_as_ms(c.hold_ms, 1, 3600);
		if (key == "directive_lifetime_s")
			return set.u64(c.directive_lifetime_s, 4, 86400);
		if (key == "ack_timeout_s")
			return set.seconds_as_ms(c.ack_timeout_ms, 1, 3600);
		if (key == "host_reserve_kb")
			return set.u64(c.host_reserve_kb, 0, big_kb);
		if (key == "grant_max_kb")
			return set.u64(c.grant_max_kb, 0, big_kb);
		if (key == "grant_kb")
			return set.u64(c.grant_kb, 0, big_kb);
		if (key == "donor_psi")
			return set.centi_percent(c.donor_psi_centi);
		if (key == "donor_margin_kb")
			return set.u64(c.donor_margin_kb, 0, big_kb);
		if (key == "reclaim_kb")
			return set.u64(c.reclaim_kb, 0, big_kb);
		if (key == "refault_pps")
			return set.u64(c.refault_pps, 1, 1000000000);
	} else if (section == "rebalance") {
		if (key == "enabled")
			return set.boolean(c.rebalance);
		if (key == "domains")
			return set_names(c.rebalance_domains);
		if (key == "min_kb")
			return set.u64(c.min_kb, 0, big_kb);
		if (key == "headroom")
			return set.u32(c.headroom_pct, 0, 1000);
		if (key == "pressure_headroom")
			return set.u32(c.pressure_headroom_pct, 0, 1000);
		if (key == "pressure_psi")
			return set.centi_percent(c.pressure_psi_centi);
		if (key == "min_move_kb")
			return set.u64(c.min_move_kb, 0, big_kb);
		if (key == "max_move_kb")
			return set.u64(c.max_move_kb, 1, big_kb);
		if (key == "interval_s")
			return set.seconds_as_ms(c.rebalance_interval_ms, 1, 86400);
		if (key == "reversal_window_s")
			return set.seconds_as_ms(c.reversal_window_ms, 0, 86400);
		if (key == "stuck_after_s")
			return set.seconds_as_ms(c.stuck_after_ms, 1, 86400);
	} else if (section == "guest") {
		if (key == "stale_s")
			return set.seconds_as_ms(c.stale_ms, 1, 86400);
		if (key == "max_seq_rate")
			return set.u64(c.max_seq_rate, 1, 1000000);
	} else if (section == "metrics") {
		if (key == "listen")
			return set.listen_address(c.metrics_listen);
	} else {
		return Error{fmt::format("unknown section {} (known: arbiter, detect, remedy, "
					 "rebalance, guest, metrics)", quote_for_message(section))};
	}
	return Error{fmt::format("unknown key {} in [{}]", quote_for_message(key), section)};
}

} // namespace

Result<Config> parse_config(const std::vector<ConfigSource> &sources)
{
	Config c;
	auto set_at = ini::parse_sources(sources, [&c](std::string_view section,
						       std::string_view key,
						       std::string_view value) {
		return apply_setting(c, section, key, value);
	});
	if (!set_at)
		return set_at.error();
	auto at = [&set_at](std::string_view key) { return ini::location_of(*set_at, key); };
	if (c.clear_count <= c.enter_count)
		return Error{fmt::format("{}: clear {} must be above enter {} (set at {}): a rogue "
					 "is cleared only after staying quiet longer than it took "
					 "to enter", at("detect.clear"), c.clear_count,
					 c.enter_count, at("detect.enter"))};
	if (c.window_ms < 2 * c.interval_ms)
		return Error{fmt::format("{}: window_s {} is shorter than two intervals of {} s (set "
					 "at {})", at("arbiter.window_s"), c.window_ms / 1000,
					 c.interval_ms / 1000, at("arbiter.interval_s"))};
	if (c.grant_kb > c.grant_max_kb)
		return Error{fmt::format("{}: grant_kb {} is above grant_max_kb {} (set at {})",
					 at("remedy.grant_kb"), c.grant_kb, c.grant_max_kb,
					 at("remedy.grant_max_kb"))};
	if (c.min_move_kb > c.max_move_kb)
		return Error{fmt::format("{}: min_move_kb {} is above max_move_kb {} (set at {})",
					 at("rebalance.min_move_kb"), c.min_move_kb, c.max_move_kb,
					 at("rebalance.max_move_kb"))};
	return c;
}

} // namespace memtune::arbiter
