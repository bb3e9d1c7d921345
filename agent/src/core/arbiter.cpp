#include "core/arbiter.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "core/ack.hpp"
#include "core/number.hpp"

namespace memtune::arbiter {

std::string_view to_string(Stage stage)
{
	switch (stage) {
	case Stage::none:
		return "none";
	case Stage::prefer_fast:
		return "prefer-fast";
	case Stage::avoid_disk:
		return "avoid-disk";
	case Stage::reclaim:
		return "reclaim";
	case Stage::unresolved:
		return "unresolved";
	}
	return "none";
}

std::string_view to_string(ActionKind kind)
{
	switch (kind) {
	case ActionKind::directive:
		return "directive";
	case ActionKind::set_target:
		return "set-target";
	case ActionKind::report:
		return "report";
	}
	return "report";
}

bool opted_out(const Config &config, const DomainSample &domain)
{
	return domain.domid == 0 || domain.opt_out ||
	       std::find(config.opt_out.begin(), config.opt_out.end(), domain.name) !=
		       config.opt_out.end();
}

bool rebalance_member(const Config &config, const DomainSample &domain)
{
	return config.rebalance && !opted_out(config, domain) &&
	       (domain.rebalance_opt_in ||
		std::find(config.rebalance_domains.begin(), config.rebalance_domains.end(),
			  domain.name) != config.rebalance_domains.end());
}

namespace {

// Xen and the balloon driver count memory a little differently (the balloon's current_kb
// leaves out pages Xen counts for the domain); reports further apart than this are not ours.
constexpr std::uint64_t balloon_tolerance_kb = 32768;
// A target is reached, or moving, when current is within / has moved more than this.
constexpr std::uint64_t target_tolerance_kb = 8192;
// Swap traffic (pages/s, in + out) above which a guest still needs its swap directive.
constexpr double swap_active_pps = 50;
// Weight of a new healthy window in a device's baseline (an EWMA over ~5 windows).
constexpr double baseline_weight = 0.2;

std::uint64_t distance(std::uint64_t a, std::uint64_t b)
{
	return a > b ? a - b : b - a;
}

std::uint64_t sat_sub(std::uint64_t a, std::uint64_t b)
{
	return a > b ? a - b : 0;
}

std::string centi(std::uint32_t c)
{
	return fmt::format("{}.{:02}", c / 100, c % 100);
}

// Everything one call needs, so the helpers below take one argument.
struct Step {
	const Config &config;
	const Sample &sample;
	State &state;
	std::vector<Action> &actions;
	Mode mode;
	std::uint64_t free_for_guests_kb; // host free above the reserve, minus grows this step
};

Action make_action(ActionKind kind, const DomainSample &d, std::string what, std::string reason,
		   std::string evidence)
{
	Action a;
	a.kind = kind;
	a.domid = d.domid;
	a.domain = d.name;
	a.what = std::move(what);
	a.reason = std::move(reason);
	a.evidence = std::move(evidence);
	return a;
}

void note(DomainState &ds, const Action &a)
{
	ds.last_reason = fmt::format("{}: {}", a.what, a.reason);
	ds.last_evidence = a.evidence;
}

void push(Step &s, DomainState &ds, Action a)
{
	note(ds, a);
	s.actions.push_back(std::move(a));
}

// ---- the guest's report and ack (untrusted) ---------------------------------------------

void read_report(Step &s, DomainState &ds, const DomainSample &d)
{
	const auto now = s.sample.now_ms;
	ds.report_usable = false;
	if (!d.report) {
		ds.report_problem = "no report";
		ds.report.reset();
		return;
	}
	auto decoded = decode_report(*d.report);
	if (!decoded) {
		ds.bad_reports++;
		ds.report_problem = decoded.error().message;
		ds.report.reset();
		return;
	}
	const Report &r = *decoded;
	if (!ds.report_seen || r.seq != ds.report_seq) {
		// A seq that moves faster than the agent may publish (every 5 s at most, plus
		// acks) means the report is being flooded: not a live agent's.
		if (ds.report_seen && r.seq > ds.report_seq) {
			const auto elapsed_s = (now - ds.report_seq_moved_ms) / 1000 + 1;
			if (r.seq - ds.report_seq > s.config.max_seq_rate * elapsed_s) {
				ds.bad_reports++;
				ds.report_problem = fmt::format(
					"report seq moved {} in {} s: flooding, ignored",
					r.seq - ds.report_seq, elapsed_s);
				ds.report_seq = r.seq;
				ds.report_seq_moved_ms = now;
				ds.report.reset();
				return;
			}
		}
		ds.report_seen = true;
		ds.report_seq = r.seq;
		ds.report_seq_moved_ms = now;
	}
	if (now - ds.report_seq_moved_ms > s.config.stale_ms) {
		ds.report_problem = fmt::format("report seq {} has not moved for {} s: stale",
						r.seq, (now - ds.report_seq_moved_ms) / 1000);
		ds.report.reset();
		return;
	}
	// Checked against Xen's own numbers.
	std::string bad;
	if (d.static_max_kb && r.mem_total_kb > d.static_max_kb)
		bad = fmt::format("mem-total-kb {} above Xen's static-max {}", r.mem_total_kb,
				  d.static_max_kb);
	else if (d.static_max_kb && r.floor_kb > d.static_max_kb)
		bad = fmt::format("floor-kb {} above Xen's static-max {}", r.floor_kb,
				  d.static_max_kb);
	else if (r.balloon && d.current_kb &&
		 distance(r.balloon->current_kb, d.current_kb) >
			 std::max(balloon_tolerance_kb, d.current_kb / 10))
		bad = fmt::format("balloon-current-kb {} far from Xen's {}", r.balloon->current_kb,
				  d.current_kb);
	if (!bad.empty()) {
		ds.bad_reports++;
		ds.report_problem = "report disagrees with Xen: " + bad;
		ds.report.reset();
		return;
	}
	ds.report_usable = true;
	ds.report_problem.clear();
	ds.report = r;
}

void read_ack(Step &s, DomainState &ds, const DomainSample &d)
{
	if (!ds.directive || ds.directive->answered)
		return;
	SentDirective &sent = *ds.directive;
	std::optional<std::uint64_t> ack_seq;
	if (d.ack) {
		if (auto it = d.ack->find("seq"); it != d.ack->end())
			if (auto n = parse_u64(it->second, "ack seq"))
				ack_seq = *n;
	}
	if (ack_seq && *ack_seq == sent.seq) {
		sent.answered = true;
		std::string result = "garbage";
		if (auto it = d.ack->find("result"); it != d.ack->end())
			for (const char *word : {"applied", "partial", "refused"})
				if (it->second == word)
					result = word;
		sent.result = result;
		ds.missed_answers = 0;
		if (ds.uncooperative) {
			ds.uncooperative = false;
			push(s, ds, make_action(ActionKind::report, d, "cooperative",
						fmt::format("answered directive {} ({})", sent.seq,
							    result), ""));
		}
		return;
	}
	if (!sent.counted_missing && s.sample.now_ms - sent.sent_ms >= s.config.ack_timeout_ms) {
		sent.counted_missing = true;
		ds.missed_answers++;
		if (ds.missed_answers >= 2 && !ds.uncooperative) {
			ds.uncooperative = true;
			push(s, ds, make_action(ActionKind::report, d, "uncooperative",
						fmt::format("{} directives in a row not answered within "
							    "{} s; Dom0-side actions only",
							    ds.missed_answers,
							    s.config.ack_timeout_ms / 1000),
						fmt::format("last seq {}", sent.seq)));
		}
	}
}

// ---- Dom0's evidence ---------------------------------------------------------------------

void update_window(Step &s)
{
	WindowPoint p;
	p.now_ms = s.sample.now_ms;
	for (const auto &d : s.sample.domains)
		p.vbd[d.domid] = d.vbd;
	p.disks = s.sample.disks;
	auto &w = s.state.window;
	// A clock that did not move forward starts the window again.
	if (!w.empty() && w.back().now_ms >= p.now_ms)
		w.clear();
	w.push_back(std::move(p));
	while (w.size() > 2 && w.back().now_ms - w[1].now_ms >= s.config.window_ms)
		w.pop_front();
}

std::string disk_evidence(const State &state)
{
	std::string out;
	for (const auto &[name, disk] : state.disks) {
		out += fmt::format("{}{} await={:.0f}ms util={:.0f}%", out.empty() ? "" : " ", name,
				   disk.last.await_ms, disk.last.util_pct);
		if (disk.baseline_set)
			out += fmt::format(" (baseline {:.0f}ms {:.0f}%)", disk.baseline_await_ms,
					   disk.baseline_util_pct);
	}
	return out;
}

std::string io_evidence(const DomainState &ds, const State &state)
{
	return fmt::format("io={:.0f}req/s {:.0f}KiB/s share={:.0f}% {}", ds.io_rps, ds.io_kbps,
			   ds.share_pct, disk_evidence(state));
}

void assess_disks(Step &s)
{
	const auto &w = s.state.window;
	s.state.host_harmed = false;
	if (w.size() < 2)
		return;
	const auto &first = w.front(), &last = w.back();
	const auto elapsed = last.now_ms - first.now_ms;
	for (const auto &[name, now] : last.disks) {
		auto before = first.disks.find(name);
		if (before == first.disks.end())
			continue;
		DiskState &disk = s.state.disks[name];
		disk.last = disk_window(before->second, now, elapsed);
		const double await_limit = std::max<double>(
			static_cast<double>(s.config.await_ms),
			disk.baseline_set ? disk.baseline_await_ms * s.config.await_factor : 0.0);
		const double util_limit = std::max<double>(
			s.config.util_pct, disk.baseline_set ? disk.baseline_util_pct + 20.0 : 0.0);
		disk.harmed = (disk.last.iops > 0 && disk.last.await_ms >= await_limit) ||
			      disk.last.util_pct >= util_limit;
		// The baseline learns from healthy windows only, so an arbiter started while a
		// rogue runs judges by the absolute limits until the device has been healthy.
		const bool healthy = disk.last.await_ms < static_cast<double>(s.config.await_ms) &&
				     disk.last.util_pct < s.config.util_pct;
		if (healthy && !disk.harmed) {
			if (!disk.baseline_set) {
				disk.baseline_await_ms = disk.last.await_ms;
				disk.baseline_util_pct = disk.last.util_pct;
				disk.baseline_set = true;
			} else {
				disk.baseline_await_ms += baseline_weight *
							  (disk.last.await_ms - disk.baseline_await_ms);
				disk.baseline_util_pct += baseline_weight *
							  (disk.last.util_pct - disk.baseline_util_pct);
			}
		}
		s.state.host_harmed = s.state.host_harmed || disk.harmed;
	}
	for (auto it = s.state.disks.begin(); it != s.state.disks.end();)
		it = last.disks.count(it->first) ? std::next(it) : s.state.disks.erase(it);
}

void assess_domains(Step &s)
{
	const auto &w = s.state.window;
	for (auto &[domid, ds] : s.state.domains)
		ds.io_rps = ds.io_kbps = ds.share_pct = ds.write_rps = ds.write_kbps = 0;
	if (w.size() < 2)
		return;
	const auto &first = w.front(), &last = w.back();
	const double seconds = static_cast<double>(last.now_ms - first.now_ms) / 1000.0;
	double total_req = 0, total_sect = 0;
	struct Io {
		double req, sect, write_req, write_sect;
	};
	std::map<std::uint32_t, Io> per;
	for (const auto &[domid, now] : last.vbd) {
		auto before = first.vbd.find(domid);
		if (before == first.vbd.end())
			continue;
		const auto &b = before->second;
		// Counters that went backwards (a vbd re-created) count as no I/O.
		const double req = static_cast<double>(sat_sub(now.rd_req + now.wr_req,
							       b.rd_req + b.wr_req));
		const double sect = static_cast<double>(sat_sub(now.rd_sect + now.wr_sect,
								b.rd_sect + b.wr_sect));
		per[domid] = {req, sect, static_cast<double>(sat_sub(now.wr_req, b.wr_req)),
			      static_cast<double>(sat_sub(now.wr_sect, b.wr_sect))};
		total_req += req;
		total_sect += sect;
	}
	for (const auto &[domid, io] : per) {
		auto it = s.state.domains.find(domid);
		if (it == s.state.domains.end())
			continue;
		DomainState &ds = it->second;
		ds.io_rps = io.req / seconds;
		ds.io_kbps = io.sect / 2.0 / seconds; // 512-byte sectors
		ds.write_rps = io.write_req / seconds;
		ds.write_kbps = io.write_sect / 2.0 / seconds;
		const double req_share = total_req > 0 ? io.req * 100.0 / total_req : 0;
		const double sect_share = total_sect > 0 ? io.sect * 100.0 / total_sect : 0;
		ds.share_pct = std::max(req_share, sect_share);
	}
}

// High and dominant backend I/O (Dom0's counters only).
bool io_dominant(const Config &c, const DomainState &ds)
{
	return (ds.io_rps >= static_cast<double>(c.min_iops) ||
		ds.io_kbps >= static_cast<double>(c.min_kbps)) &&
	       ds.share_pct >= c.share_pct;
}

// Still writing to its disk at a rogue's rate: swapping out there, which prefer-fast should have
// stopped. Its reads after prefer-fast are the pages already on the disk coming back as it
// touches them: no swap directive avoids those (avoid-disk's swapoff reads every one of them at
// once, and holds the guest's agent for as long: measured in the rig, arbiter-rogue).
bool writes_high(const Config &c, const DomainState &ds)
{
	return ds.write_rps >= static_cast<double>(c.min_iops) ||
	       ds.write_kbps >= static_cast<double>(c.min_kbps);
}

// ---- directives ---------------------------------------------------------------------------

bool can_direct(const Step &s, const DomainState &ds, const DomainSample &d)
{
	return !opted_out(s.config, d) && ds.report_usable && !ds.uncooperative;
}

void send_directive(Step &s, DomainState &ds, const DomainSample &d, std::string what,
		    std::string reason, std::optional<SwapMode> mode,
		    std::optional<std::uint64_t> reclaim_kb)
{
	// The next seq follows what Dom0 wrote and what the guest answered (docs/protocol.md); a
	// guest's ack seq far ahead of anything written is not believed.
	std::uint64_t last = std::max(ds.last_seq, d.directive_seq);
	if (d.ack)
		if (auto it = d.ack->find("seq"); it != d.ack->end())
			if (auto n = parse_u64(it->second, "ack seq"); n && *n <= last + 1000000)
				last = std::max(last, *n);
	if (last >= UINT64_MAX - 1) {
		push(s, ds, make_action(ActionKind::report, d, "seq-exhausted",
					"directive seq at its maximum; not sent", ""));
		return;
	}
	Action a = make_action(ActionKind::directive, d, std::move(what), std::move(reason),
			       io_evidence(ds, s.state));
	a.seq = last + 1;
	a.expires_s = s.sample.now_s + s.config.directive_lifetime_s;
	a.swap_mode = mode;
	a.reclaim_kb = reclaim_kb;
	a.execute = s.mode != Mode::observe;

	SentDirective sent;
	sent.seq = a.seq;
	sent.expires_s = a.expires_s;
	sent.sent_ms = s.sample.now_ms;
	sent.swap_mode = mode;
	sent.reclaim_kb = reclaim_kb;
	if (a.execute) {
		ds.last_seq = a.seq;
	} else {
		// Nothing is written in observe mode, so nothing is waited for.
		sent.answered = true;
		sent.result = "observed";
	}
	ds.directive = sent;
	push(s, ds, std::move(a));
}

// ---- memory -------------------------------------------------------------------------------

// A move of a domain's target, or nothing when the rules forbid it. kb is the new target.
bool move_allowed(const Step &s, DomainState &ds, const DomainSample &d, std::uint64_t kb,
		  std::string &why_not)
{
	if (opted_out(s.config, d)) {
		why_not = "opted out";
		return false;
	}
	if (ds.stuck) {
		why_not = "stuck: not following its last target";
		return false;
	}
	if (ds.set_target_kb && distance(d.current_kb, *ds.set_target_kb) > target_tolerance_kb &&
	    d.target_kb == *ds.set_target_kb) {
		why_not = "still on its way to the last target";
		return false;
	}
	if (kb > d.static_max_kb) {
		why_not = "above static-max";
		return false;
	}
	const int dir = kb > d.target_kb ? 1 : -1;
	if (ds.last_move != 0 && dir != ds.last_move && ds.last_reversal_ms &&
	    s.sample.now_ms - *ds.last_reversal_ms < s.config.reversal_window_ms) {
		why_not = fmt::format("would be a second reversal within {} s",
				      s.config.reversal_window_ms / 1000);
		return false;
	}
	return true;
}

void set_target(Step &s, DomainState &ds, const DomainSample &d, std::uint64_t kb,
		std::string what, std::string reason, std::string evidence)
{
	Action a = make_action(ActionKind::set_target, d, std::move(what), std::move(reason),
			       std::move(evidence));
	a.old_target_kb = d.target_kb;
	a.target_kb = kb;
	a.execute = s.mode == Mode::act;
	if (kb > d.target_kb)
		s.free_for_guests_kb = sat_sub(s.free_for_guests_kb, kb - d.target_kb);
	if (a.execute) {
		const int dir = kb > d.target_kb ? 1 : -1;
		if (ds.last_move != 0 && dir != ds.last_move)
			ds.last_reversal_ms = s.sample.now_ms;
		ds.last_move = dir;
		ds.last_move_ms = s.sample.now_ms;
		ds.set_target_kb = kb;
		ds.progress_ms = s.sample.now_ms;
		ds.progress_current_kb = d.current_kb;
	}
	push(s, ds, std::move(a));
}

// The smallest target a domain may be given: its floor (never above its current target, so a
// guest cannot claim a floor that grows it), the configured minimum, its margin.
std::uint64_t lowest_target(const Config &c, const DomainState &ds, const DomainSample &d,
			    std::uint64_t margin_kb)
{
	const std::uint64_t floor = ds.report ? std::min(ds.report->floor_kb, d.target_kb)
					      : d.target_kb;
	return std::min(d.target_kb, std::max(floor + margin_kb, c.min_kb));
}

void track_progress(Step &s, DomainState &ds, const DomainSample &d)
{
	if (!ds.set_target_kb)
		return;
	const auto target = *ds.set_target_kb;
	if (distance(d.current_kb, target) <= target_tolerance_kb ||
	    distance(d.current_kb, target) + target_tolerance_kb <
		    distance(ds.progress_current_kb, target)) {
		ds.progress_ms = s.sample.now_ms;
		ds.progress_current_kb = d.current_kb;
		if (ds.stuck) {
			ds.stuck = false;
			push(s, ds, make_action(ActionKind::report, d, "moving",
						"follows its target again", ""));
		}
		return;
	}
	if (!ds.stuck && s.sample.now_ms - ds.progress_ms >= s.config.stuck_after_ms) {
		ds.stuck = true;
		push(s, ds, make_action(ActionKind::report, d, "stuck",
					fmt::format("current {} has not moved toward target {} for {} s; "
						    "left out of memory moves until it moves",
						    format_kb(d.current_kb), format_kb(target),
						    (s.sample.now_ms - ds.progress_ms) / 1000),
					""));
	}
}

// Gives the rogue what it still wants, from free memory above the reserve; when that is not
// enough, shrinks neighbours with slack (reclaim directive first, then the target), whose
// memory arrives in host free for a later step.
void grant_memory(Step &s, DomainState &ds, const DomainSample &d)
{
	if (ds.grant_wanted_kb == 0)
		return;
	std::string why_not;
	const std::uint64_t room = sat_sub(d.static_max_kb, d.target_kb);
	const std::uint64_t give = std::min({ds.grant_wanted_kb, s.free_for_guests_kb, room});
	if (give > 0 && (give >= s.config.min_move_kb || give == ds.grant_wanted_kb) &&
	    move_allowed(s, ds, d, d.target_kb + give, why_not)) {
		set_target(s, ds, d, d.target_kb + give, "grant",
			   fmt::format("more memory for the rogue swapper: {} of the {} it still "
				       "wants, from host free memory above the reserve",
				       format_kb(give), format_kb(ds.grant_wanted_kb)),
			   fmt::format("host free {} reserve {}", format_kb(s.sample.host_free_kb),
				       format_kb(s.config.host_reserve_kb)));
		ds.grant_wanted_kb -= give;
		ds.granted_kb += give;
	} else if (room == 0) {
		ds.grant_wanted_kb = 0;
		return;
	}
	if (ds.grant_wanted_kb == 0 || !why_not.empty())
		return;

	// Donors: neighbours with a usable report, low pressure and room above their floor; the
	// one with the most room gives first.
	struct Donor {
		const DomainSample *d;
		DomainState *ds;
		std::uint64_t slack;
	};
	std::vector<Donor> donors;
	for (const auto &nd : s.sample.domains) {
		auto it = s.state.domains.find(nd.domid);
		if (nd.domid == d.domid || it == s.state.domains.end())
			continue;
		DomainState &donor = it->second;
		if (!donor.report_usable || donor.uncooperative || donor.stage != Stage::none ||
		    donor.rogue || donor.report->psi_some_avg10_centi >= s.config.donor_psi_centi ||
		    s.sample.now_ms - donor.last_move_ms < s.config.hold_ms)
			continue;
		const std::uint64_t lowest = lowest_target(s.config, donor, nd,
							   s.config.donor_margin_kb);
		donors.push_back({&nd, &donor, sat_sub(nd.target_kb, lowest)});
	}
	std::stable_sort(donors.begin(), donors.end(),
			 [](const Donor &a, const Donor &b) { return a.slack > b.slack; });
	std::uint64_t needed = sat_sub(ds.grant_wanted_kb, s.free_for_guests_kb);
	for (auto &[nd, donor, slack] : donors) {
		if (needed == 0)
			break;
		const std::uint64_t take = std::min({slack, needed, s.config.max_move_kb});
		std::string donor_why;
		if (take < s.config.min_move_kb || take == 0 ||
		    !move_allowed(s, *donor, *nd, nd->target_kb - take, donor_why))
			continue;
		if (can_direct(s, *donor, *nd))
			send_directive(s, *donor, *nd, "donor-reclaim",
				       fmt::format("give back page cache before shrinking by {} for "
						   "{}", format_kb(take), d.name),
				       std::nullopt, take);
		const std::uint64_t floor = std::min(donor->report->floor_kb, nd->target_kb);
		set_target(s, *donor, *nd, nd->target_kb - take, "donate",
			   fmt::format("{} for the rogue swapper {}; stays {} above its floor",
				       format_kb(take), d.name,
				       format_kb(nd->target_kb - take - floor)),
			   fmt::format("floor {} psi-some-avg10 {}", format_kb(donor->report->floor_kb),
				       centi(donor->report->psi_some_avg10_centi)));
		needed -= take;
	}
}

// ---- the rogue's remedies -------------------------------------------------------------------

void start_remedies(Step &s, DomainState &ds, const DomainSample &d)
{
	ds.rogue = true;
	ds.quiet_count = 0;
	ds.reported = false;
	ds.stage_since_ms = s.sample.now_ms;
	push(s, ds, make_action(ActionKind::report, d, "detected",
				fmt::format("rogue swapper: its backend I/O dominates a harmed shared "
					    "device for {} evaluations in a row", ds.suspect_count),
				io_evidence(ds, s.state)));
	if (opted_out(s.config, d)) {
		ds.stage = Stage::unresolved;
		ds.reported = true;
		push(s, ds, make_action(ActionKind::report, d, "opted-out",
					"the domain is opted out: nothing done", ""));
		return;
	}
	// Memory alongside the swap directives: what it has swapped out (its report, bounded),
	// or a fixed step when its report cannot be used.
	ds.grant_wanted_kb = ds.report_usable
				     ? std::clamp(ds.report->swap_used_kb, s.config.grant_kb,
						  s.config.grant_max_kb)
				     : s.config.grant_kb;
	ds.grant_wanted_kb = std::min(ds.grant_wanted_kb, sat_sub(d.static_max_kb, d.target_kb));
	ds.granted_kb = 0;
	if (ds.stage != Stage::none && ds.directive && can_direct(s, ds, d)) {
		// Back before its last relief lapsed: carry on from where it was, never back down
		// the ladder.
		return;
	}
	if (!can_direct(s, ds, d)) {
		ds.stage = Stage::unresolved;
		ds.reported = true;
		push(s, ds, make_action(ActionKind::report, d, "no-directive",
					fmt::format("no directive possible ({}); memory only",
						    ds.uncooperative ? "uncooperative"
								     : ds.report_problem),
					""));
		return;
	}
	// A guest that says it has no fast swap goes straight to avoid-disk.
	const bool has_fast = !ds.report->swap_fast_total_kb || *ds.report->swap_fast_total_kb > 0;
	ds.stage = has_fast ? Stage::prefer_fast : Stage::avoid_disk;
	send_directive(s, ds, d, std::string(to_string(ds.stage)),
		       has_fast ? "first relief: swap to fast devices before the shared disk"
				: "first relief: no fast swap, keep swap off the shared disk",
		       ds.stage == Stage::prefer_fast ? SwapMode::prefer_fast
						      : SwapMode::avoid_disk,
		       std::nullopt);
}

// refault-pps counts anon refaults too (docs/protocol.md), and a guest swapping hard refaults
// about every page it swaps in (the rig's rogue: 382 refaults/s at 379 swap-ins/s). Only what
// goes beyond its swap-ins can be file pages.
bool file_pressure(const Config &c, const Report &r)
{
	return r.refault_pps >= r.swap_in_pps + static_cast<double>(c.refault_pps);
}

void escalate(Step &s, DomainState &ds, const DomainSample &d)
{
	if (s.sample.now_ms - ds.stage_since_ms < s.config.hold_ms)
		return;
	const auto held = (s.sample.now_ms - ds.stage_since_ms) / 1000;
	if (ds.stage == Stage::prefer_fast && !writes_high(s.config, ds))
		return; // prefer-fast works: what it reads back is no directive's to avoid
	if (ds.stage == Stage::prefer_fast && can_direct(s, ds, d)) {
		ds.stage = Stage::avoid_disk;
		ds.stage_since_ms = s.sample.now_ms;
		send_directive(s, ds, d, "avoid-disk",
			       fmt::format("still writing {:.0f} KiB/s to its disk {} s after "
					   "prefer-fast", ds.write_kbps, held),
			       SwapMode::avoid_disk, std::nullopt);
		return;
	}
	if (ds.stage == Stage::avoid_disk && can_direct(s, ds, d) && ds.report &&
	    file_pressure(s.config, *ds.report) && s.config.reclaim_kb > 0) {
		ds.stage = Stage::reclaim;
		ds.stage_since_ms = s.sample.now_ms;
		send_directive(s, ds, d, "reclaim",
			       fmt::format("disk I/O still dominant {} s after avoid-disk, and its "
					   "pressure is on file pages (refaults {:.0f}/s, swap-in "
					   "{:.0f}/s)", held, ds.report->refault_pps,
					   ds.report->swap_in_pps),
			       SwapMode::avoid_disk, s.config.reclaim_kb);
		return;
	}
	if (!ds.reported) {
		ds.reported = true;
		ds.stage = ds.stage == Stage::none ? Stage::unresolved : ds.stage;
		push(s, ds, make_action(ActionKind::report, d, "unresolved",
					fmt::format("still the rogue swapper {} s after {}; nothing more "
						    "to try: its pressure is not on file pages, or it "
						    "cannot take directives",
						    held, to_string(ds.stage)),
					io_evidence(ds, s.state)));
	}
}

bool still_swapping(const DomainState &ds)
{
	return ds.report && ds.report->swap_in_pps + ds.report->swap_out_pps >= swap_active_pps;
}

void renew_or_lapse(Step &s, DomainState &ds, const DomainSample &d)
{
	if (ds.stage == Stage::none || !ds.directive)
		return;
	if (!can_direct(s, ds, d)) {
		// Nothing can be sent (no usable report, uncooperative, opted out since): the last
		// directive lapses by its expiry; once the rogue is cleared there is no remedy left.
		if (!ds.rogue)
			ds.stage = Stage::none;
		return;
	}
	const SentDirective &sent = *ds.directive;
	if (!ds.rogue && !still_swapping(ds)) {
		// Relief is no longer needed: put swap back as the guest booted it.
		ds.stage = Stage::none;
		if (sent.swap_mode && *sent.swap_mode != SwapMode::normal)
			send_directive(s, ds, d, "normal",
				       "no longer the rogue swapper and no longer swapping",
				       SwapMode::normal, std::nullopt);
		return;
	}
	if (s.sample.now_s + s.config.directive_lifetime_s / 2 >= sent.expires_s &&
	    sent.swap_mode && *sent.swap_mode != SwapMode::normal)
		send_directive(s, ds, d, "renew",
			       fmt::format("{} still needed", to_string(*sent.swap_mode)),
			       sent.swap_mode, std::nullopt);
}

void judge_domain(Step &s, DomainState &ds, const DomainSample &d)
{
	const bool dominant = d.domid != 0 && io_dominant(s.config, ds);
	const bool suspect = dominant && s.state.host_harmed;
	ds.suspect_count = suspect ? ds.suspect_count + 1 : 0;

	if (!ds.rogue) {
		if (ds.suspect_count >= s.config.enter_count &&
		    (!s.state.rogue || *s.state.rogue == d.domid)) {
			s.state.rogue = d.domid;
			start_remedies(s, ds, d);
		}
	} else {
		ds.quiet_count = dominant ? 0 : ds.quiet_count + 1;
		if (ds.quiet_count >= s.config.clear_count) {
			ds.rogue = false;
			ds.grant_wanted_kb = 0;
			if (s.state.rogue == d.domid)
				s.state.rogue.reset();
			if (ds.stage == Stage::unresolved || !ds.directive)
				ds.stage = Stage::none;
			push(s, ds, make_action(ActionKind::report, d, "cleared",
						fmt::format("quiet for {} evaluations in a row",
							    ds.quiet_count),
						io_evidence(ds, s.state)));
		} else if (dominant) {
			escalate(s, ds, d);
		}
	}
	renew_or_lapse(s, ds, d);
	if (ds.rogue)
		grant_memory(s, ds, d);
}

// An operator who turns observe into advise or act (SIGHUP, the kill switch removed) means the
// arbiter to act on the rogue it has already found; but in observe mode it only said what it
// would do while it climbed the ladder and counted memory as granted. Carried over, that
// pretence would skip prefer-fast (the next real directive would be the step after it) and
// grant nothing. So an episode observed is started again from its first step: the suspect
// count is kept, so a rogue still dominant is named again in this very step. From advise to
// act, the directives were real and stay; memory counted as granted was not moved and is
// wanted again.
void restart_pretended_episodes(Step &s, Mode before)
{
	if (before == s.mode || s.mode == Mode::observe)
		return;
	for (auto &[domid, ds] : s.state.domains) {
		if (before == Mode::observe) {
			if (ds.directive && ds.directive->result == "observed")
				ds.directive.reset();
			if (ds.rogue) {
				ds.rogue = false;
				ds.stage = Stage::none;
				ds.reported = false;
				ds.grant_wanted_kb = ds.granted_kb = 0;
				if (s.state.rogue == domid)
					s.state.rogue.reset();
			}
		} else if (s.mode == Mode::act && ds.rogue) {
			ds.grant_wanted_kb += ds.granted_kb;
			ds.granted_kb = 0;
		}
	}
}

// ---- rebalancing ----------------------------------------------------------------------------

void rebalance(Step &s)
{
	const Config &c = s.config;
	// Observe and advise modes run it too, to log what it would do (set_target executes only
	// in act mode).
	if (!c.rebalance ||
	    (s.state.last_rebalance_ms &&
	     s.sample.now_ms - s.state.last_rebalance_ms < c.rebalance_interval_ms))
		return;
	struct Member {
		const DomainSample *d;
		DomainState *ds;
		std::uint64_t lower, need, wanted = 0;
	};
	std::vector<Member> members;
	std::uint64_t pool = s.free_for_guests_kb;
	for (const auto &d : s.sample.domains) {
		auto it = s.state.domains.find(d.domid);
		if (it == s.state.domains.end() || !rebalance_member(c, d))
			continue;
		DomainState &ds = it->second;
		if (!ds.report_usable || ds.stuck || ds.rogue || ds.stage != Stage::none ||
		    d.static_max_kb == 0)
			continue;
		const Report &r = *ds.report;
		// Working set: what the guest uses, not what it has swapped out.
		const std::uint64_t used = sat_sub(r.mem_total_kb, r.mem_available_kb);
		const std::uint32_t headroom =
			c.headroom_pct +
			(r.psi_some_avg10_centi >= c.pressure_psi_centi ? c.pressure_headroom_pct : 0);
		const std::uint64_t lower = std::min(lowest_target(c, ds, d, 0), d.static_max_kb);
		const std::uint64_t need = std::clamp<std::uint64_t>(used + used * headroom / 100,
								     lower, d.static_max_kb);
		members.push_back({&d, &ds, lower, need});
		pool += d.target_kb;
	}
	if (members.size() < 2 && s.free_for_guests_kb == 0)
		return;
	std::uint64_t sum_need = 0, sum_lower = 0;
	for (const auto &m : members) {
		sum_need += m.need;
		sum_lower += m.lower;
	}
	if (members.empty() || sum_lower > pool)
		return;
	for (auto &m : members) {
		if (sum_need <= pool) {
			// Surplus in proportion to need.
			const auto extra = static_cast<std::uint64_t>(
				static_cast<long double>(pool - sum_need) * m.need / sum_need);
			m.wanted = std::min(m.d->static_max_kb, m.need + extra);
		} else {
			const std::uint64_t spread = sum_need - sum_lower;
			const auto part = spread ? static_cast<std::uint64_t>(
							   static_cast<long double>(pool - sum_lower) *
							   (m.need - m.lower) / spread)
						 : 0;
			m.wanted = m.lower + part;
		}
	}
	s.state.last_rebalance_ms = s.sample.now_ms;
	// Shrinks first: their memory reaches host free for the next round; grows only from
	// what is free now.
	std::stable_sort(members.begin(), members.end(), [](const Member &a, const Member &b) {
		return a.wanted < a.d->target_kb && !(b.wanted < b.d->target_kb);
	});
	for (auto &m : members) {
		const auto &d = *m.d;
		const std::uint64_t delta = distance(m.wanted, d.target_kb);
		if (delta < std::max<std::uint64_t>(c.min_move_kb, 1))
			continue;
		std::uint64_t step = std::min(delta, c.max_move_kb);
		std::uint64_t kb = m.wanted > d.target_kb ? d.target_kb + std::min(step,
										s.free_for_guests_kb)
							  : d.target_kb - step;
		if (distance(kb, d.target_kb) < std::max<std::uint64_t>(c.min_move_kb, 1))
			continue;
		std::string why_not;
		if (!move_allowed(s, *m.ds, d, kb, why_not))
			continue;
		set_target(s, *m.ds, d, kb, "rebalance",
			   fmt::format("{} {} toward {} (need {}, floor {})",
				       kb > d.target_kb ? "grow" : "shrink",
				       format_kb(distance(kb, d.target_kb)), format_kb(m.wanted),
				       format_kb(m.need), format_kb(m.lower)),
			   fmt::format("pool {} psi-some-avg10 {}", format_kb(pool),
				       centi(m.ds->report->psi_some_avg10_centi)));
	}
}

} // namespace

StepResult step(const Config &config, State state, const Sample &sample)
{
	std::vector<Action> actions;
	const Mode mode = sample.kill_switch || !config.enabled ? Mode::observe : config.mode;
	// Memory promised but not yet taken (targets above current) is not free to give again.
	std::uint64_t promised_kb = 0;
	for (const auto &d : sample.domains)
		if (d.domid != 0)
			promised_kb += sat_sub(d.target_kb, d.current_kb);
	Step s{config, sample, state, actions, mode,
	       sat_sub(sample.host_free_kb, config.host_reserve_kb + promised_kb)};

	// Domains that went away take their state with them.
	std::set<std::uint32_t> present;
	for (const auto &d : sample.domains)
		present.insert(d.domid);
	std::erase_if(state.domains, [&present](const auto &e) { return !present.count(e.first); });
	if (state.rogue && !present.count(*state.rogue))
		state.rogue.reset();

	for (const auto &d : sample.domains) {
		DomainState &ds = state.domains[d.domid];
		ds.name = d.name;
		read_report(s, ds, d);
		read_ack(s, ds, d);
		track_progress(s, ds, d);
	}
	restart_pretended_episodes(s, state.last_mode.value_or(mode));
	state.last_mode = mode;
	update_window(s);
	assess_disks(s);
	assess_domains(s);
	for (const auto &d : sample.domains)
		judge_domain(s, state.domains[d.domid], d);
	rebalance(s);
	return {std::move(state), std::move(actions)};
}

} // namespace memtune::arbiter
