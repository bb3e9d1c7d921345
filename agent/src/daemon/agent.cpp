#include "daemon/agent.hpp"

#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <variant>

#include "core/number.hpp"
#include "core/procfs.hpp"
#include "core/reclaim_plan.hpp"
#include "io/journal.hpp"
#include "io/reclaim.hpp"

namespace memtune::daemon {
namespace {

constexpr const char *balloon_dir = "devices/system/xen_memory/xen_memory0/";

std::string priority_text(std::optional<std::int32_t> priority)
{
	return priority ? std::to_string(*priority) : "default";
}

std::string join(const std::vector<std::string> &parts)
{
	std::string out;
	for (const auto &p : parts) {
		if (p.empty())
			continue;
		if (!out.empty())
			out += "; ";
		out += p;
	}
	return out;
}

// Writes every key under data/memtune/ in one transaction.
io::Result<void> write_keys(io::XenStore &xs, const KeyValues &kv)
{
	return io::with_transaction(xs, [&](io::TransactionId tx) -> io::Result<void> {
		for (const auto &[key, value] : kv)
			if (auto written = xs.write(report_dir + key, value, tx); !written)
				return written;
		return {};
	});
}

std::uint64_t now_realtime_s()
{
	return static_cast<std::uint64_t>(std::time(nullptr));
}

} // namespace

Outcome combine_outcomes(const std::vector<Outcome> &parts)
{
	bool any_done = false, any_refused = false;
	std::vector<std::string> reasons;
	for (const auto &p : parts) {
		if (p.result != AckResult::refused)
			any_done = true;
		if (p.result != AckResult::applied)
			any_refused = true;
		reasons.push_back(p.reason);
	}
	Outcome out;
	if (!any_refused)
		out.result = AckResult::applied;
	else
		out.result = any_done ? AckResult::partial : AckResult::refused;
	out.reason = join(reasons);
	return out;
}

Agent::Agent(Config config, io::XenStore &xenstore, io::Procfs kernel, io::SwapSyscalls &swap)
	: config_(std::move(config)), xs_(xenstore), kernel_(std::move(kernel)), swap_(swap),
	  xapi_(xenstore)
{
}

io::Result<void> Agent::start()
{
	// Continue the counters of a previous run: Dom0 sees seq only grow, replays stay refused.
	if (auto acked = xs_.read(std::string(report_dir) + "ack/seq"); acked) {
		if (auto seq = parse_u64(*acked, "ack/seq"); seq)
			last_answered_seq_ = *seq;
	}
	if (auto seq_text = xs_.read(std::string(report_dir) + "seq"); seq_text) {
		if (auto seq = parse_u64(*seq_text, "seq"); seq)
			report_seq_ = *seq;
	}
	if (auto w = xs_.watch(directive_dir, [this](const std::string &) { on_directive_event(); });
	    !w)
		return w.error();
	// Fires when something removes our report: a restore or migration gives the domain a fresh
	// xenstore tree, and the kernel re-registers watches on resume (this one fires then).
	if (auto w = xs_.watch(std::string(report_dir) + "seq",
			       [this](const std::string &) { check_report_present(); });
	    !w)
		return w.error();
	return {};
}

void Agent::force_publish(std::string why, Rewrite rewrite)
{
	if (!force_)
		force_why_ = std::move(why);
	force_ = true;
	if (rewrite == Rewrite::every_key) {
		rewrite_all_ = true;
		xapi_.rewrite_all();
	}
}

io::Result<Agent::KernelSample> Agent::sample_kernel()
{
	KernelSample sample;
	auto meminfo_text = kernel_.read_proc("meminfo");
	if (!meminfo_text)
		return meminfo_text.error();
	auto meminfo = parse_meminfo(*meminfo_text);
	if (!meminfo)
		return io::Error{EINVAL, meminfo.error().message};
	sample.meminfo = *meminfo;

	auto vmstat_text = kernel_.read_proc("vmstat");
	if (!vmstat_text)
		return vmstat_text.error();
	auto vmstat = parse_vmstat(*vmstat_text);
	if (!vmstat)
		return io::Error{EINVAL, vmstat.error().message};
	sample.vmstat = *vmstat;

	// PSI is absent when the kernel runs with psi=0: report zeros rather than nothing.
	if (auto psi_text = kernel_.read_proc("pressure/memory"); psi_text) {
		if (auto psi = parse_memory_pressure(*psi_text); psi)
			sample.pressure = *psi;
	}

	// The swap devices, for the size of the fast ones (unknown when unreadable).
	if (auto swaps_text = kernel_.read_proc("swaps"); swaps_text) {
		if (auto swaps = parse_swaps(*swaps_text); swaps)
			sample.swaps = std::move(*swaps);
	}

	auto target = kernel_.read_sys(std::string(balloon_dir) + "target_kb");
	auto current = kernel_.read_sys(std::string(balloon_dir) + "info/current_kb");
	if (target && current) {
		auto trim = [](std::string s) {
			while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
				s.pop_back();
			return s;
		};
		auto t = parse_u64(trim(*target), "target_kb");
		auto c = parse_u64(trim(*current), "current_kb");
		if (t && c)
			sample.balloon = BalloonSample{*c, *t};
	}
	return sample;
}

std::uint64_t Agent::tick(std::uint64_t now_ms)
{
	constexpr std::uint64_t retry_ms = 5000;
	auto sample = sample_kernel();
	if (!sample) {
		note_trouble("cannot sample the kernel", sample.error().message);
		return now_ms + retry_ms;
	}
	VmstatRates rates;
	if (last_vmstat_ && now_ms > last_vmstat_ms_) {
		if (auto r = vmstat_rates(*last_vmstat_, sample->vmstat, now_ms - last_vmstat_ms_); r)
			rates = *r;
	}
	last_vmstat_ = sample->vmstat;
	last_vmstat_ms_ = now_ms;
	metrics_.meminfo = sample->meminfo;
	metrics_.vmstat = sample->vmstat;
	metrics_.pressure = sample->pressure;
	metrics_.balloon = sample->balloon;

	std::optional<std::uint64_t> fast_kb;
	if (sample->swaps)
		fast_kb = fast_swap_kb(*sample->swaps, config_.fast_device_patterns);
	ReportInputs inputs{sample->meminfo, rates, sample->pressure,
			    sample->balloon, config_.floor_margin_kb, fast_kb};
	Report report = assemble_report(inputs);
	auto decision = should_publish(last_report_, last_publish_ms_, report, now_ms,
				       config_.publish, force_);
	if (decision.publish && xs_.connected()) {
		std::string why = force_ ? force_why_ : decision.why;
		if (publish_report(report, why)) {
			last_publish_ms_ = now_ms;
			force_ = false;
			note_trouble("", "");
		}
	}
	if (init_limits_ && config_.init_limits_follow)
		init_limits_->tick(kernel_);
	if (config_.xapi.enabled && xs_.connected())
		return std::min(decision.recheck_at_ms,
				xapi_.tick(config_.xapi, config_.publish, sample->meminfo, now_ms,
					   std::time(nullptr)));
	return decision.recheck_at_ms;
}

io::Result<void> Agent::publish_report(Report report, const std::string &why)
{
	report.seq = report_seq_ + 1;
	// Only what moved since the last successful publish, seq last: every unchanged key
	// already holds its value, and a Dom0 reader reads the whole report after seq moves.
	const KeyValues writes =
		encode_report_update(rewrite_all_ ? std::nullopt : last_report_, report);
	if (auto written = write_keys(xs_, writes); !written) {
		// A commit that failed may still have reached xenstored (the connection died
		// before its answer): trust nothing, write every key next time.
		rewrite_all_ = true;
		note_trouble("cannot publish the report", written.error().message);
		return written;
	}
	rewrite_all_ = false;
	report_seq_ = report.seq;
	last_report_ = report;
	published_kv_ = encode_report(report);
	metrics_.report = report;
	metrics_.reports_published++;
	io::log_message(LOG_DEBUG, "published report " + std::to_string(report_seq_) + " (" +
					   std::to_string(writes.size()) +
					   " keys written): " + why);
	if (on_published)
		on_published();
	return {};
}

void Agent::note_trouble(const std::string &what, const std::string &message)
{
	std::string now = what.empty() ? "" : what + ": " + message;
	if (now == trouble_)
		return;
	if (now.empty())
		io::log_message(LOG_NOTICE, "publishing again (" + trouble_ + " is over)");
	else
		io::log_message(LOG_WARNING, now);
	trouble_ = std::move(now);
}

void Agent::check_report_present()
{
	if (report_seq_ == 0 || !last_report_)
		return;
	auto seq = xs_.read(std::string(report_dir) + "seq");
	if (seq && *seq == std::to_string(report_seq_))
		return;
	if (!seq && io::is_connection_lost(seq.error()))
		return; // the loop reconnects and republishes
	force_publish("report missing or changed under data/memtune (resume, restore or another "
		      "writer)",
		      Rewrite::every_key);
}

void Agent::on_directive_event()
{
	RawDirective raw;
	auto read = io::with_transaction(xs_, [&](io::TransactionId tx) -> io::Result<void> {
		raw = RawDirective{};
		const std::pair<const char *, std::optional<std::string> *> nodes[] = {
			{"seq", &raw.seq},
			{"expires", &raw.expires},
			{"swap-mode", &raw.swap_mode},
			{"reclaim-kb", &raw.reclaim_kb},
			{"swappiness", &raw.swappiness},
		};
		for (auto [name, field] : nodes) {
			auto value = xs_.read(std::string(directive_dir) + "/" + name, tx);
			if (value)
				*field = std::move(*value);
			else if (value.error().code != ENOENT)
				return value.error();
		}
		return {};
	});
	if (!read) {
		if (read.error().code != EACCES)
			io::log_message(LOG_WARNING, "cannot read the directive: " + read.error().message);
		return;
	}

	auto outcome = parse_directive(raw, now_realtime_s(), last_answered_seq_, config_);
	if (std::holds_alternative<NoDirective>(outcome) ||
	    std::holds_alternative<AlreadyAnswered>(outcome))
		return;

	Ack ack;
	if (auto *refusal = std::get_if<Refusal>(&outcome)) {
		if (refusal->kind == RefusalKind::replayed) {
			// ack/seq holds the newest answer and must never go back: Dom0 picks its next
			// seq above it. A replay is logged once per seq and signalled, not acked.
			if (refusal->seq == last_replay_seq_)
				return;
			last_replay_seq_ = refusal->seq;
			metrics_.directives.count(AckResult::refused);
			io::log_action({LOG_WARNING, "refused directive: " + refusal->reason,
					"directive", "", "", refusal->reason, refusal->seq});
			if (on_answered)
				on_answered(Ack{refusal->seq.value_or(0), AckResult::refused,
						refusal->reason});
			return;
		}
		ack.seq = refusal->seq.value_or(0);
		ack.result = AckResult::refused;
		ack.reason = refusal->reason;
		io::log_action({LOG_WARNING, "refused directive: " + refusal->reason, "directive", "",
				"", refusal->reason, refusal->seq});
	} else {
		const auto &directive = std::get<Directive>(outcome);
		current_directive_ = directive;
		Outcome done = apply_directive(directive);
		ack.seq = directive.seq;
		ack.result = done.result;
		ack.reason = done.reason;
		io::log_action({LOG_NOTICE,
				"directive " + std::to_string(directive.seq) + " " +
					std::string(to_string(done.result)),
				"directive", "", std::string(to_string(done.result)), done.reason,
				directive.seq});
	}
	// A replayed seq is answered but never lowers the high-water mark.
	if (ack.seq > last_answered_seq_)
		last_answered_seq_ = ack.seq;
	// A directive whose seq itself is unreadable cannot be answered by seq: writing ack/seq 0
	// would only erase the record of the last real answer.  It is logged and signalled.
	bool answerable = ack.seq > 0;
	if (answerable) {
		if (auto written = write_ack(ack); !written)
			io::log_message(LOG_WARNING,
					"cannot write the ack: " + written.error().message);
	}
	last_ack_ = ack;
	metrics_.directives.count(ack.result);
	force_publish("directive answered");
	if (on_answered)
		on_answered(ack);
}

io::Result<void> Agent::write_ack(const Ack &ack)
{
	return write_keys(xs_, encode_ack(ack));
}

Outcome Agent::apply_directive(const Directive &directive)
{
	std::vector<Outcome> parts;
	if (directive.swappiness)
		parts.push_back(apply_swappiness(*directive.swappiness, directive.seq));
	if (directive.swap_mode)
		parts.push_back(apply_swap_mode(*directive.swap_mode, directive.seq));
	if (directive.reclaim_kb && *directive.reclaim_kb > 0)
		parts.push_back(apply_reclaim(*directive.reclaim_kb, directive.seq));
	if (parts.empty())
		return {AckResult::applied, "nothing to do"};
	return combine_outcomes(parts);
}

Outcome Agent::apply_swappiness(std::uint32_t swappiness, std::optional<std::uint64_t> seq)
{
	std::string old_value;
	if (auto old = kernel_.read_proc("sys/vm/swappiness"); old) {
		old_value = *old;
		while (!old_value.empty() && old_value.back() == '\n')
			old_value.pop_back();
	}
	std::string new_value = std::to_string(swappiness);
	if (old_value == new_value)
		return {AckResult::applied, ""};
	if (auto written = kernel_.write_proc("sys/vm/swappiness", new_value); !written) {
		io::log_action({LOG_WARNING, "cannot set swappiness: " + written.error().message,
				"swappiness", old_value, new_value, written.error().message, seq});
		return {AckResult::refused, "swappiness " + new_value + " not set: " +
						    written.error().message};
	}
	io::log_action({LOG_NOTICE, "swappiness " + old_value + " -> " + new_value, "swappiness",
			old_value, new_value, "directive", seq});
	return {AckResult::applied, ""};
}

std::uint64_t Agent::mem_available_kb()
{
	auto text = kernel_.read_proc("meminfo");
	if (!text)
		return 0;
	auto meminfo = parse_meminfo(*text);
	return meminfo ? meminfo->mem_available_kb : 0;
}

void Agent::refresh_managed_swaps()
{
	auto text = kernel_.read_proc("swaps");
	if (!text)
		return;
	auto devices = parse_swaps(*text);
	if (!devices)
		return;
	std::vector<ManagedSwap> now;
	for (const auto &device : *devices) {
		ManagedSwap entry{device, true, device.priority};
		for (const auto &known : managed_swaps_)
			if (known.device.name == device.name)
				entry.baseline_priority = known.baseline_priority;
		now.push_back(entry);
	}
	// Devices the agent turned off are still its to turn back on.
	for (const auto &known : managed_swaps_) {
		if (known.active)
			continue;
		bool listed = false;
		for (const auto &entry : now)
			listed = listed || entry.device.name == known.device.name;
		if (!listed)
			now.push_back(known);
	}
	managed_swaps_ = std::move(now);
}

Outcome Agent::apply_swap_mode(SwapMode mode, std::optional<std::uint64_t> seq)
{
	refresh_managed_swaps();
	SwapPlan plan = plan_swap(managed_swaps_, mode, mem_available_kb(),
				  config_.swap_safety_margin_kb, config_.fast_device_patterns);
	std::vector<std::string> refusals = plan.refusals;
	std::size_t done = 0;
	auto mark = [this](const std::string &device, bool active) {
		for (auto &m : managed_swaps_)
			if (m.device.name == device)
				m.active = active;
	};
	for (const auto &action : plan.actions) {
		io::Result<void> result;
		std::string new_text;
		const char *name = "swapon";
		if (action.kind != SwapActionKind::swapon &&
		    !precondition_holds(action, mem_available_kb())) {
			refusals.push_back(action.device + ": " + action.precondition +
					   " no longer holds");
			continue;
		}
		switch (action.kind) {
		case SwapActionKind::swapon:
			result = swap_.swapon(action.device, action.priority);
			new_text = priority_text(action.priority);
			if (result)
				mark(action.device, true);
			break;
		case SwapActionKind::reprioritize:
			name = "swap-priority";
			result = io::change_swap_priority(swap_, action.device, action.old_priority,
							  action.priority);
			new_text = priority_text(action.priority);
			break;
		case SwapActionKind::swapoff:
			name = "swapoff";
			result = io::turn_swap_off(swap_, action.device);
			new_text = "off";
			if (result)
				mark(action.device, false);
			break;
		}
		std::string old_text = priority_text(action.old_priority);
		if (result) {
			done++;
			io::log_action({LOG_NOTICE,
					std::string(name) + " " + action.device + ": " + old_text +
						" -> " + new_text,
					name, old_text, new_text, action.why, seq});
		} else {
			refusals.push_back(result.error().message);
			io::log_action({LOG_WARNING,
					std::string(name) + " " + action.device + " failed: " +
						result.error().message,
					name, old_text, new_text, result.error().message, seq});
		}
	}
	Outcome out;
	out.reason = join(refusals);
	if (refusals.empty())
		out.result = AckResult::applied;
	else
		out.result = done > 0 ? AckResult::partial : AckResult::refused;
	if (out.result != AckResult::refused || plan.actions.empty())
		swap_mode_ = mode;
	return out;
}

Outcome Agent::apply_reclaim(std::uint64_t kb, std::optional<std::uint64_t> seq)
{
	ReclaimRequest request = make_reclaim_request(kb, config_, io::reclaim_available(kernel_));
	ReclaimProgress progress;
	// A bound on top of core's plan, so a bug there cannot spin the loop.
	for (int guard = 0; guard < 100000; guard++) {
		std::uint32_t psi = 0;
		if (auto text = kernel_.read_proc("pressure/memory"); text)
			if (auto p = parse_memory_pressure(*text); p)
				psi = p->some.avg10_centi;
		auto decision = next_reclaim_step(request, progress, psi);
		if (auto *done = std::get_if<ReclaimDone>(&decision)) {
			io::log_action({LOG_NOTICE,
					"reclaim " + format_kb(progress.reclaimed_kb) + " of " +
						format_kb(kb) + ": " + std::string(to_string(done->result)),
					"reclaim", "", std::to_string(progress.reclaimed_kb), done->reason,
					seq});
			return {done->result, done->reason};
		}
		const auto &step = std::get<ReclaimStep>(decision);
		bool completed = false;
		if (step.method == ReclaimMethod::memory_reclaim) {
			auto written = io::write_memory_reclaim(kernel_, step.kb);
			if (!written) {
				io::log_action({LOG_WARNING, "memory.reclaim failed: " +
								     written.error().message,
						"reclaim", "", std::to_string(step.kb),
						written.error().message, seq});
				return {progress.reclaimed_kb > 0 ? AckResult::partial
								  : AckResult::refused,
					"memory.reclaim: " + written.error().message};
			}
			completed = *written;
		} else {
			auto dropped = io::drop_page_cache(kernel_);
			completed = dropped.ok();
			io::log_action({LOG_NOTICE, "drop_caches", "drop-caches", "", "1",
					dropped ? "no memory.reclaim" : dropped.error().message,
					seq});
		}
		record_reclaim_step(progress, step, completed);
		if (step.pause_ms)
			usleep(step.pause_ms * 1000);
	}
	return {AckResult::partial, "reclaim stopped after too many steps"};
}

Outcome Agent::reclaim(std::uint64_t kb, const std::string &source)
{
	if (kb > config_.max_reclaim_kb)
		return {AckResult::refused, "reclaim " + format_kb(kb) + " above the local maximum " +
						    format_kb(config_.max_reclaim_kb)};
	io::log_message(LOG_INFO, "reclaim " + format_kb(kb) + " requested by " + source);
	Outcome out = apply_reclaim(kb, std::nullopt);
	force_publish("reclaim by " + source);
	return out;
}

Outcome Agent::set_swap_mode(SwapMode mode, const std::string &source)
{
	io::log_message(LOG_INFO, "swap mode " + std::string(to_string(mode)) + " requested by " +
					  source);
	Outcome out = apply_swap_mode(mode, std::nullopt);
	force_publish("swap mode set by " + source);
	return out;
}

} // namespace memtune::daemon
