#include "core/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "core/ack.hpp"
#include "core/number.hpp"

namespace memtune {

namespace {

// Reason strings in the report are shorter than ack reasons: the report is rewritten often.
constexpr std::size_t max_floor_reason_bytes = 200;

std::uint64_t distance(std::uint64_t a, std::uint64_t b)
{
	return a > b ? a - b : b - a;
}

std::string format_centi(std::uint32_t centi)
{
	return fmt::format("{}.{:02}", centi / 100, centi % 100);
}

std::string format_rate(double pps)
{
	if (!(pps > 0)) // also catches NaN
		return "0";
	if (pps >= 1e18)
		return "1000000000000000000";
	return fmt::format("{}", std::llround(pps));
}

} // namespace

std::uint64_t reclaimable_kb(const Meminfo &m)
{
	const std::uint64_t cache = m.active_file_kb + m.inactive_file_kb + m.slab_reclaimable_kb;
	const std::uint64_t pinned = m.dirty_kb + m.writeback_kb;
	return cache > pinned ? cache - pinned : 0;
}

Floor estimate_floor(const Meminfo &m, const std::optional<BalloonSample> &balloon,
		     std::uint64_t margin_kb)
{
	const std::uint64_t current = balloon ? balloon->current_kb : m.mem_total_kb;
	const std::uint64_t available = std::min(m.mem_available_kb, current);
	if (available <= margin_kb)
		return {current, fmt::format("MemAvailable {} is within the {} margin: no room to shrink",
					     format_kb(m.mem_available_kb), format_kb(margin_kb))};

	Floor floor;
	floor.floor_kb = current - (available - margin_kb);
	const std::uint64_t counted = std::min(m.mem_total_kb, current);
	const std::uint64_t in_use = counted > available ? counted - available : 0;
	if (current > m.mem_total_kb)
		floor.reason = fmt::format("in use {} + outside MemTotal {} + margin {}",
					   format_kb(in_use), format_kb(current - m.mem_total_kb),
					   format_kb(margin_kb));
	else
		floor.reason = fmt::format("in use {} + margin {}", format_kb(in_use),
					   format_kb(margin_kb));
	return floor;
}

bool target_reached(const BalloonSample &balloon)
{
	return distance(balloon.current_kb, balloon.target_kb) <= target_reached_tolerance_kb;
}

Report assemble_report(const ReportInputs &in)
{
	Report r;
	r.mem_total_kb = in.meminfo.mem_total_kb;
	r.mem_available_kb = in.meminfo.mem_available_kb;
	r.reclaimable_kb = reclaimable_kb(in.meminfo);
	r.swap_total_kb = in.meminfo.swap_total_kb;
	r.swap_used_kb = in.meminfo.swap_total_kb - std::min(in.meminfo.swap_free_kb,
							      in.meminfo.swap_total_kb);
	r.swap_in_pps = in.rates.swap_in_pps;
	r.swap_out_pps = in.rates.swap_out_pps;
	r.refault_pps = in.rates.refault_pps;
	r.psi_some_avg10_centi = in.pressure.some.avg10_centi;
	r.psi_some_avg60_centi = in.pressure.some.avg60_centi;
	r.psi_full_avg10_centi = in.pressure.full.avg10_centi;
	r.psi_full_avg60_centi = in.pressure.full.avg60_centi;
	r.balloon = in.balloon;
	r.swap_fast_total_kb = in.swap_fast_total_kb;
	auto floor = estimate_floor(in.meminfo, in.balloon, in.floor_margin_kb);
	r.floor_kb = floor.floor_kb;
	r.floor_reason = std::move(floor.reason);
	return r;
}

KeyValues encode_report(const Report &r)
{
	KeyValues kv;
	kv.reserve(20);
	auto put = [&kv](std::string key, std::string value) {
		kv.emplace_back(std::move(key), std::move(value));
	};
	put("version", fmt::format("{}", r.version));
	put("mem-total-kb", fmt::format("{}", r.mem_total_kb));
	put("mem-available-kb", fmt::format("{}", r.mem_available_kb));
	put("reclaimable-kb", fmt::format("{}", r.reclaimable_kb));
	put("swap-total-kb", fmt::format("{}", r.swap_total_kb));
	put("swap-used-kb", fmt::format("{}", r.swap_used_kb));
	put("swap-in-pps", format_rate(r.swap_in_pps));
	put("swap-out-pps", format_rate(r.swap_out_pps));
	put("refault-pps", format_rate(r.refault_pps));
	put("psi-some-avg10", format_centi(r.psi_some_avg10_centi));
	put("psi-some-avg60", format_centi(r.psi_some_avg60_centi));
	put("psi-full-avg10", format_centi(r.psi_full_avg10_centi));
	put("psi-full-avg60", format_centi(r.psi_full_avg60_centi));
	put("balloon-current-kb", r.balloon ? fmt::format("{}", r.balloon->current_kb) : "");
	put("balloon-target-kb", r.balloon ? fmt::format("{}", r.balloon->target_kb) : "");
	put("target-reached", r.balloon ? (target_reached(*r.balloon) ? "1" : "0") : "");
	put("floor-kb", fmt::format("{}", r.floor_kb));
	put("floor-reason", sanitize_reason(r.floor_reason, max_floor_reason_bytes));
	put("swap-fast-total-kb",
	    r.swap_fast_total_kb ? fmt::format("{}", *r.swap_fast_total_kb) : "");
	put("seq", fmt::format("{}", r.seq));
	return kv;
}

KeyValues encode_report_update(const std::optional<Report> &previous, const Report &current)
{
	KeyValues now = encode_report(current);
	if (!previous)
		return now;
	const KeyValues before = encode_report(*previous);
	KeyValues writes;
	// encode_report() gives the same keys in the same order, seq last, for every report.
	for (std::size_t i = 0; i + 1 < now.size(); i++)
		if (now[i].second != before[i].second)
			writes.push_back(std::move(now[i]));
	writes.push_back(std::move(now.back()));
	return writes;
}

Result<Report> decode_report(const std::map<std::string, std::string> &values)
{
	auto find = [&values](const std::string &key) -> Result<std::string> {
		const auto it = values.find(key);
		if (it == values.end())
			return Error{fmt::format("report has no {}", key)};
		return it->second;
	};
	auto number = [&find](const std::string &key) -> Result<std::uint64_t> {
		auto text = find(key);
		if (!text)
			return text.error();
		return parse_u64(*text, key);
	};
	auto percent = [&find](const std::string &key) -> Result<std::uint32_t> {
		auto text = find(key);
		if (!text)
			return text.error();
		return parse_centi_percent(*text, key);
	};

	Report r;
	auto version = number("version");
	if (!version)
		return version.error();
	if (*version != protocol_version)
		return Error{fmt::format("report version {} is not the supported {}", *version,
					 protocol_version)};
	std::pair<const char *, std::uint64_t *> numbers[] = {
		{"mem-total-kb", &r.mem_total_kb},   {"mem-available-kb", &r.mem_available_kb},
		{"reclaimable-kb", &r.reclaimable_kb}, {"swap-total-kb", &r.swap_total_kb},
		{"swap-used-kb", &r.swap_used_kb},   {"floor-kb", &r.floor_kb},
		{"seq", &r.seq},
	};
	for (auto &[key, field] : numbers) {
		auto n = number(key);
		if (!n)
			return n.error();
		*field = *n;
	}
	std::pair<const char *, double *> rates[] = {
		{"swap-in-pps", &r.swap_in_pps},
		{"swap-out-pps", &r.swap_out_pps},
		{"refault-pps", &r.refault_pps},
	};
	for (auto &[key, field] : rates) {
		auto n = number(key);
		if (!n)
			return n.error();
		*field = static_cast<double>(*n);
	}
	std::pair<const char *, std::uint32_t *> percents[] = {
		{"psi-some-avg10", &r.psi_some_avg10_centi},
		{"psi-some-avg60", &r.psi_some_avg60_centi},
		{"psi-full-avg10", &r.psi_full_avg10_centi},
		{"psi-full-avg60", &r.psi_full_avg60_centi},
	};
	for (auto &[key, field] : percents) {
		auto p = percent(key);
		if (!p)
			return p.error();
		*field = *p;
	}

	auto current = find("balloon-current-kb");
	auto target = find("balloon-target-kb");
	auto reached = find("target-reached");
	for (const auto *field : {&current, &target, &reached})
		if (!*field)
			return field->error();
	if (current->empty() != target->empty() || current->empty() != reached->empty())
		return Error{"report has some balloon keys empty and some set"};
	if (!current->empty()) {
		auto c = parse_u64(*current, "balloon-current-kb");
		if (!c)
			return c.error();
		auto t = parse_u64(*target, "balloon-target-kb");
		if (!t)
			return t.error();
		if (*reached != "0" && *reached != "1")
			return Error{fmt::format("target-reached {} is not 0 or 1",
						 quote_for_message(*reached))};
		r.balloon = BalloonSample{*c, *t};
	}

	auto reason = find("floor-reason");
	if (!reason)
		return reason.error();
	r.floor_reason = sanitize_reason(*reason, max_floor_reason_bytes);

	if (auto fast = values.find("swap-fast-total-kb");
	    fast != values.end() && !fast->second.empty()) {
		auto n = parse_u64(fast->second, "swap-fast-total-kb");
		if (!n)
			return n.error();
		if (*n > r.swap_total_kb)
			return Error{fmt::format("report swap-fast-total-kb {} exceeds swap-total-kb {}",
						 *n, r.swap_total_kb)};
		r.swap_fast_total_kb = *n;
	}
	if (r.mem_available_kb > r.mem_total_kb)
		return Error{fmt::format("report mem-available-kb {} exceeds mem-total-kb {}",
					 r.mem_available_kb, r.mem_total_kb)};
	if (r.swap_used_kb > r.swap_total_kb)
		return Error{fmt::format("report swap-used-kb {} exceeds swap-total-kb {}",
					 r.swap_used_kb, r.swap_total_kb)};
	return r;
}

namespace {

// The first meaningful difference between two reports, in words; empty when none.
std::string meaningful_change(const Report &a, const Report &b, const PublishPolicy &p)
{
	auto kb_moved = [](std::string_view key, std::uint64_t x, std::uint64_t y,
			   std::uint64_t threshold) -> std::string {
		if (distance(x, y) >= threshold && x != y)
			return fmt::format("{} moved {}", key, format_kb(distance(x, y)));
		return {};
	};
	auto centi_moved = [](std::string_view key, std::uint32_t x, std::uint32_t y,
			      std::uint32_t threshold) -> std::string {
		const auto d = x > y ? x - y : y - x;
		if (d >= threshold && d > 0)
			return fmt::format("{} moved {}", key, format_centi(d));
		return {};
	};
	auto rate_moved = [](std::string_view key, double x, double y,
			     double threshold) -> std::string {
		// Starting or stopping counts as a change on its own: swap-out beginning at
		// 5 pages/s is news to Dom0 even below the threshold.
		const bool started_or_stopped = (x < 1) != (y < 1);
		if (std::fabs(x - y) >= threshold || started_or_stopped)
			return fmt::format("{} went from {} to {}", key, format_rate(x),
					   format_rate(y));
		return {};
	};

	if (a.mem_total_kb != b.mem_total_kb)
		return kb_moved("mem-total-kb", a.mem_total_kb, b.mem_total_kb, 1);
	if (a.swap_total_kb != b.swap_total_kb)
		return kb_moved("swap-total-kb", a.swap_total_kb, b.swap_total_kb, 1);
	if (a.swap_fast_total_kb != b.swap_fast_total_kb)
		return "swap-fast-total-kb changed";
	if (a.balloon.has_value() != b.balloon.has_value())
		return b.balloon ? "balloon appeared" : "balloon disappeared";
	if (a.balloon && b.balloon) {
		if (a.balloon->target_kb != b.balloon->target_kb)
			return kb_moved("balloon-target-kb", a.balloon->target_kb,
					b.balloon->target_kb, 1);
		if (target_reached(*a.balloon) != target_reached(*b.balloon))
			return target_reached(*b.balloon) ? "target reached" : "target left";
		if (auto s = kb_moved("balloon-current-kb", a.balloon->current_kb,
				      b.balloon->current_kb, p.mem_delta_kb); !s.empty())
			return s;
	}
	for (auto s : {kb_moved("mem-available-kb", a.mem_available_kb, b.mem_available_kb,
				p.mem_delta_kb),
		       kb_moved("reclaimable-kb", a.reclaimable_kb, b.reclaimable_kb,
				p.mem_delta_kb),
		       kb_moved("floor-kb", a.floor_kb, b.floor_kb, p.mem_delta_kb),
		       kb_moved("swap-used-kb", a.swap_used_kb, b.swap_used_kb, p.swap_delta_kb),
		       centi_moved("psi-some-avg10", a.psi_some_avg10_centi,
				   b.psi_some_avg10_centi, p.psi_delta_centi),
		       centi_moved("psi-full-avg10", a.psi_full_avg10_centi,
				   b.psi_full_avg10_centi, p.psi_delta_centi),
		       rate_moved("swap-in-pps", a.swap_in_pps, b.swap_in_pps, p.rate_delta_pps),
		       rate_moved("swap-out-pps", a.swap_out_pps, b.swap_out_pps,
				  p.rate_delta_pps),
		       rate_moved("refault-pps", a.refault_pps, b.refault_pps, p.rate_delta_pps)})
		if (!s.empty())
			return s;
	return {};
}

} // namespace

PublishDecision should_publish(const std::optional<Report> &last, std::uint64_t last_publish_ms,
			       const Report &current, std::uint64_t now_ms,
			       const PublishPolicy &policy, bool force)
{
	const std::uint64_t heartbeat_due = last_publish_ms + policy.heartbeat_ms;
	if (!last)
		return {true, "first report", now_ms + policy.heartbeat_ms};
	if (force)
		return {true, "forced", now_ms + policy.heartbeat_ms};
	// A clock that went backwards (it should not: the caller passes a monotonic clock) is
	// treated as no time passed.
	const std::uint64_t elapsed = now_ms > last_publish_ms ? now_ms - last_publish_ms : 0;
	if (elapsed >= policy.heartbeat_ms)
		return {true, "heartbeat", now_ms + policy.heartbeat_ms};
	auto change = meaningful_change(*last, current, policy);
	if (change.empty())
		return {false, "no meaningful change", heartbeat_due};
	if (elapsed < policy.min_interval_ms)
		return {false, change + ", held back by the minimum interval",
			last_publish_ms + policy.min_interval_ms};
	return {true, std::move(change), now_ms + policy.heartbeat_ms};
}

} // namespace memtune
