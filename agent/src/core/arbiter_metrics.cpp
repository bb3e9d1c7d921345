#include "core/arbiter_metrics.hpp"

#include <fmt/format.h>

namespace memtune::arbiter {
namespace {

using metrics::Family;
using metrics::Labels;
using metrics::counter;
using metrics::gauge;

constexpr double kib = 1024;

// domid and name: name is the domain's (libxl's or xenstore's), escaped by the renderer.
Labels domain_labels(std::uint32_t domid, const std::string &name, Labels more = {})
{
	Labels labels{{"domid", std::to_string(domid)}, {"name", name}};
	labels.insert(labels.end(), more.begin(), more.end());
	return labels;
}

std::string name_of(const State &state, std::uint32_t domid)
{
	auto it = state.domains.find(domid);
	return it == state.domains.end() ? std::string() : it->second.name;
}

} // namespace

void Counters::prune(const std::map<std::uint32_t, DomainState> &keep)
{
	std::erase_if(directives_sent, [&](const auto &e) { return !keep.count(e.first); });
	std::erase_if(answers, [&](const auto &e) { return !keep.count(e.first.first); });
	std::erase_if(decisions,
		      [&](const auto &e) { return !keep.count(std::get<0>(e.first)); });
}

void count_answers(Counters &counters, const State &before, const State &after)
{
	for (const auto &[domid, ds] : after.domains) {
		if (!ds.directive || !ds.directive->answered)
			continue;
		// "observed": a directive observe mode only pretended to send.
		if (ds.directive->result == "observed")
			continue;
		auto was = before.domains.find(domid);
		const bool answered_before = was != before.domains.end() && was->second.directive &&
					     was->second.directive->seq == ds.directive->seq &&
					     was->second.directive->answered;
		if (!answered_before)
			counters.answers[{domid, ds.directive->result}]++;
	}
}

std::vector<Family> arbiter_families(const Config &config, const State &state,
				     const std::optional<Sample> &sample, const Counters &counters)
{
	std::vector<Family> f;
	const bool kill_switch = sample && sample->kill_switch;
	const Mode effective = kill_switch || !config.enabled ? Mode::observe : config.mode;
	Family mode = gauge("arbiter_mode",
			    "1 for the mode the arbiter acts in now (observe while the kill "
			    "switch is on), 0 for the others.");
	for (Mode m : {Mode::observe, Mode::advise, Mode::act})
		mode.add(m == effective ? 1 : 0, {{"mode", std::string(to_string(m))}});
	f.push_back(std::move(mode));
	f.push_back(gauge("arbiter_kill_switch", "1 while the kill switch file exists.")
			    .add(kill_switch ? 1 : 0));
	f.push_back(counter("arbiter_evaluations_total", "Intervals evaluated.")
			    .add(static_cast<double>(counters.intervals)));
	f.push_back(counter("arbiter_failed_evaluations_total",
			    "Intervals without a decision: sampling Xen, xenstore or the disks "
			    "failed.")
			    .add(static_cast<double>(counters.failed_intervals)));
	if (counters.last_evaluation_s)
		f.push_back(gauge("arbiter_last_evaluation_timestamp_seconds",
				  "When the last interval was evaluated (seconds since the epoch).")
				    .add(static_cast<double>(counters.last_evaluation_s)));

	if (sample) {
		f.push_back(gauge("host_memory_total_bytes", "Xen's total host memory.")
				    .add(sample->host_total_kb * kib));
		f.push_back(gauge("host_memory_free_bytes", "Xen's free host memory.")
				    .add(sample->host_free_kb * kib));
		f.push_back(gauge("host_memory_pressure_avg10_ratio",
				  "Dom0's memory PSI, some avg10 (0..1).")
				    .add(sample->host_psi_some_centi / 10000.0));
	}

	Family await = gauge("disk_await_seconds",
			     "A shared disk's average time per request over the window.");
	Family baseline = gauge("disk_baseline_await_seconds",
				"A shared disk's healthy await, learned while it was not harmed.");
	Family util = gauge("disk_utilization_ratio", "A shared disk's busy time over the window.");
	Family harmed = gauge("disk_harmed", "1 while a shared disk counts as harmed.");
	for (const auto &[disk, ds] : state.disks) {
		const Labels labels{{"disk", disk}};
		await.add(ds.last.await_ms / 1000, labels);
		if (ds.baseline_set)
			baseline.add(ds.baseline_await_ms / 1000, labels);
		util.add(ds.last.util_pct / 100, labels);
		harmed.add(ds.harmed ? 1 : 0, labels);
	}
	for (Family *family : {&await, &baseline, &util, &harmed})
		f.push_back(std::move(*family));

	// Xen's numbers, per domain in the last sample.
	Family current = gauge("domain_current_bytes", "The memory Xen gives the domain now.");
	Family target = gauge("domain_target_bytes", "The domain's memory/target in xenstore.");
	Family static_max = gauge("domain_static_max_bytes", "The domain's memory/static-max.");
	if (sample)
		for (const auto &d : sample->domains) {
			const Labels labels = domain_labels(d.domid, d.name);
			current.add(d.current_kb * kib, labels);
			target.add(d.target_kb * kib, labels);
			if (d.static_max_kb) // Dom0 has none in xenstore
				static_max.add(d.static_max_kb * kib, labels);
		}
	for (Family *family : {&current, &target, &static_max})
		f.push_back(std::move(*family));

	// The guest's own numbers, from its last report that passed the checks.
	Family floor = gauge("domain_floor_bytes",
			     "The guest's floor: the smallest target it takes without swapping "
			     "(its report, checked against Xen's numbers).");
	Family available = gauge("domain_memory_available_bytes", "The guest's MemAvailable.");
	Family swap_used = gauge("domain_swap_used_bytes", "The guest's swap in use.");
	Family swap_in = gauge("domain_swap_in_pages_per_second",
			       "The guest's swap-in rate over its last sampling period.");
	Family swap_out = gauge("domain_swap_out_pages_per_second",
				"The guest's swap-out rate over its last sampling period.");
	Family psi10 = gauge("domain_memory_pressure_avg10_ratio",
			     "The guest's memory PSI avg10, some or full (0..1).");
	Family psi60 = gauge("domain_memory_pressure_avg60_ratio",
			     "The guest's memory PSI avg60, some or full (0..1).");
	Family usable = gauge("domain_report_usable",
			      "1 when the guest's report passed the checks this interval.");
	Family bad = counter("domain_bad_reports_total",
			     "Guest reports refused: garbage, inconsistent with Xen, flooding.");
	Family rogue = gauge("domain_rogue", "1 while the domain is the rogue swapper.");
	Family stage = gauge("domain_remedy_stage", "1 for the domain's remedy stage, 0 for the others.");
	Family share = gauge("domain_backend_io_share_ratio",
			     "The domain's share of all guests' backend requests or sectors over "
			     "the window.");
	Family uncooperative = gauge("domain_uncooperative",
				     "1 while the guest leaves directives unanswered.");
	Family stuck = gauge("domain_stuck", "1 while the domain does not move toward the target "
					     "the arbiter set.");
	for (const auto &[domid, ds] : state.domains) {
		const Labels labels = domain_labels(domid, ds.name);
		if (ds.report && ds.report_usable) {
			const Report &r = *ds.report;
			floor.add(r.floor_kb * kib, labels);
			available.add(r.mem_available_kb * kib, labels);
			swap_used.add(r.swap_used_kb * kib, labels);
			swap_in.add(r.swap_in_pps, labels);
			swap_out.add(r.swap_out_pps, labels);
			psi10.add(r.psi_some_avg10_centi / 10000.0,
				  domain_labels(domid, ds.name, {{"kind", "some"}}));
			psi10.add(r.psi_full_avg10_centi / 10000.0,
				  domain_labels(domid, ds.name, {{"kind", "full"}}));
			psi60.add(r.psi_some_avg60_centi / 10000.0,
				  domain_labels(domid, ds.name, {{"kind", "some"}}));
			psi60.add(r.psi_full_avg60_centi / 10000.0,
				  domain_labels(domid, ds.name, {{"kind", "full"}}));
		}
		usable.add(ds.report_usable ? 1 : 0, labels);
		bad.add(static_cast<double>(ds.bad_reports), labels);
		rogue.add(ds.rogue ? 1 : 0, labels);
		for (Stage s : {Stage::none, Stage::prefer_fast, Stage::avoid_disk, Stage::reclaim,
				Stage::unresolved})
			stage.add(s == ds.stage ? 1 : 0,
				  domain_labels(domid, ds.name, {{"stage", std::string(to_string(s))}}));
		share.add(ds.share_pct / 100, labels);
		uncooperative.add(ds.uncooperative ? 1 : 0, labels);
		stuck.add(ds.stuck ? 1 : 0, labels);
	}
	for (Family *family : {&floor, &available, &swap_used, &swap_in, &swap_out, &psi10, &psi60,
			       &usable, &bad, &rogue, &stage, &share, &uncooperative, &stuck})
		f.push_back(std::move(*family));

	Family sent = counter("directives_sent_total",
			      "Directives the arbiter wrote to the domain's memtune/directive.");
	for (const auto &[domid, n] : counters.directives_sent)
		sent.add(static_cast<double>(n), domain_labels(domid, name_of(state, domid)));
	f.push_back(std::move(sent));
	Family answers = counter("directive_answers_total",
				 "The guest's answers to the arbiter's directives, by result "
				 "(applied, partial, refused, garbage).");
	for (const auto &[key, n] : counters.answers)
		answers.add(static_cast<double>(n),
			    domain_labels(key.first, name_of(state, key.first),
					  {{"result", key.second}}));
	f.push_back(std::move(answers));
	Family decisions = counter("arbiter_decisions_total",
				   "The arbiter's decisions about the domain, by decision and "
				   "outcome (done, would: observe or advise mode, failed).");
	for (const auto &[key, n] : counters.decisions) {
		const auto &[domid, decision, outcome] = key;
		decisions.add(static_cast<double>(n),
			      domain_labels(domid, name_of(state, domid),
					    {{"decision", decision}, {"outcome", outcome}}));
	}
	f.push_back(std::move(decisions));
	return f;
}

} // namespace memtune::arbiter
