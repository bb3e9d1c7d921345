#include "arbiter/service.hpp"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "arbiter/dom0_counters.hpp"
#include "cli/xenstore_view.hpp"
#include "core/number.hpp"
#include "io/journal.hpp"

namespace memtune::arbiter {
namespace {

// Decisions kept per domain for `explain`.
constexpr std::size_t history_length = 12;

// The report keys the arbiter reads: the protocol's. Only these are read, so a guest that
// writes a thousand nodes under data/memtune/ costs the arbiter nothing more.
std::vector<std::string> report_keys()
{
	std::vector<std::string> keys;
	for (const auto &[key, value] : encode_report(Report{}))
		keys.push_back(key);
	return keys;
}

std::optional<Values> read_keys(io::XenStore &xs, const std::string &dir,
				const std::vector<std::string> &keys, io::TransactionId tx)
{
	Values values;
	for (const auto &key : keys)
		if (auto v = xs.read(dir + "/" + key, tx))
			values[key] = std::move(*v);
	if (values.empty())
		return std::nullopt;
	return values;
}

std::optional<std::uint64_t> read_number(io::XenStore &xs, const std::string &path,
					 io::TransactionId tx = io::kNoTransaction)
{
	auto text = xs.read(path, tx);
	if (!text)
		return std::nullopt;
	auto n = parse_u64(*text, path);
	return n ? std::optional<std::uint64_t>(*n) : std::nullopt;
}

std::string describe(const Action &a)
{
	switch (a.kind) {
	case ActionKind::directive: {
		std::string asks;
		if (a.swap_mode)
			asks += fmt::format(" swap-mode {}", to_string(*a.swap_mode));
		if (a.reclaim_kb)
			asks += fmt::format(" reclaim-kb {}", *a.reclaim_kb);
		return fmt::format("directive {}{} (expires {})", a.seq, asks, a.expires_s);
	}
	case ActionKind::set_target:
		return fmt::format("target {} -> {}", format_kb(a.old_target_kb),
				   format_kb(a.target_kb));
	case ActionKind::report:
		break;
	}
	return "report";
}

} // namespace

Service::Service(Config config, io::XenStore &xenstore, XenMemory &xen, io::Procfs kernel,
		 ServicePaths paths)
	: config_(std::move(config)), xs_(xenstore), xen_(xen), kernel_(std::move(kernel)),
	  paths_(std::move(paths))
{
}

void Service::note_trouble(const std::string &message)
{
	if (message == trouble_)
		return;
	if (message.empty())
		io::log_message(LOG_NOTICE, "sampling works again (was: " + trouble_ + ")");
	else
		io::log_message(LOG_WARNING, message);
	trouble_ = message;
}

io::Result<Sample> Service::sample(std::uint64_t now_ms, std::uint64_t now_s)
{
	auto host = xen_.read();
	if (!host)
		return io::Error{host.error().code, "Xen memory: " + host.error().message};
	auto disks = read_disks(kernel_, config_.disks);
	if (!disks)
		return io::Error{disks.error().code, "block devices: " + disks.error().message};
	const auto vbds = read_vbds(kernel_);

	Sample s;
	s.now_ms = now_ms;
	s.now_s = now_s;
	s.host_total_kb = host->total_kb;
	s.host_free_kb = host->free_kb;
	s.host_psi_some_centi = read_host_psi(kernel_);
	s.kill_switch = std::filesystem::exists(paths_.kill_switch);
	s.disks = std::move(*disks);

	static const std::vector<std::string> keys = report_keys();
	static const std::vector<std::string> ack_keys = {"seq", "result", "reason"};
	for (const auto &x : host->domains) {
		DomainSample d;
		d.domid = x.domid;
		d.name = x.name;
		d.current_kb = x.current_kb;
		const std::string home = fmt::format("/local/domain/{}", x.domid);
		if (auto vbd = vbds.find(x.domid); vbd != vbds.end())
			d.vbd = vbd->second;
		// One snapshot of the guest's keys: its report is one transaction, so is our read.
		auto read = io::with_transaction(xs_, [&](io::TransactionId tx) -> io::Result<bool> {
			d.target_kb = read_number(xs_, home + "/memory/target", tx).value_or(x.current_kb);
			d.static_max_kb = read_number(xs_, home + "/memory/static-max", tx)
						  .value_or(x.max_kb);
			d.directive_seq = read_number(xs_, home + "/memtune/directive/seq", tx).value_or(0);
			auto flag = [&](const char *node) {
				auto v = xs_.read(home + "/" + node, tx);
				return v && *v == "1";
			};
			d.opt_out = flag(opt_out_node);
			d.rebalance_opt_in = flag(rebalance_node);
			d.report = read_keys(xs_, home + "/data/memtune", keys, tx);
			d.ack = read_keys(xs_, home + "/data/memtune/ack", ack_keys, tx);
			if (d.name.empty())
				d.name = xs_.read(home + "/name", tx).value_or("");
			return true;
		});
		if (!read)
			return io::Error{read.error().code, "xenstore: " + read.error().message};
		s.domains.push_back(std::move(d));
	}
	return s;
}

void Service::carry_out(const Action &a)
{
	std::string failure;
	if (a.execute && a.kind == ActionKind::directive) {
		cli::Domain domain{a.domid, a.domain, fmt::format("/local/domain/{}", a.domid)};
		cli::DirectiveNodes nodes;
		nodes.seq = a.seq;
		nodes.expires_s = a.expires_s;
		if (a.swap_mode)
			nodes.swap_mode = std::string(to_string(*a.swap_mode));
		nodes.reclaim_kb = a.reclaim_kb;
		auto written = io::with_transaction(xs_, [&](io::TransactionId tx) {
			return cli::write_directive_nodes(xs_, domain, nodes, tx);
		});
		if (!written)
			failure = written.error().message;
	} else if (a.execute && a.kind == ActionKind::set_target) {
		if (auto set = xen_.set_target(a.domid, a.target_kb); !set)
			failure = set.error().message;
	}

	io::ActionLog entry;
	const bool acts = a.kind != ActionKind::report;
	entry.priority = !failure.empty()                 ? LOG_ERR
			 : a.kind == ActionKind::report   ? LOG_NOTICE
			 : a.execute                      ? LOG_NOTICE
							  : LOG_INFO;
	const std::string verb = !acts ? "" : !failure.empty() ? "failed: " : a.execute ? "" : "would: ";
	entry.message = fmt::format("{} (domid {}): {}: {}{}{}", a.domain, a.domid, a.what, verb,
				    acts ? describe(a) + ": " : "", a.reason);
	if (!failure.empty())
		entry.message += " (" + failure + ")";
	entry.action = a.what;
	entry.reason = a.reason;
	if (a.kind == ActionKind::set_target) {
		entry.old_value = std::to_string(a.old_target_kb);
		entry.new_value = std::to_string(a.target_kb);
	}
	if (a.kind == ActionKind::directive)
		entry.directive_seq = a.seq;
	const io::LogFields fields = {{"DOMAIN", a.domain},
			{"DOMID", std::to_string(a.domid)},
			{"EVIDENCE", a.evidence},
			{"MODE", std::string(to_string(config_.mode))},
			{"EXECUTED", acts ? (a.execute && failure.empty() ? "yes" : "no") : ""}};
	io::log_action(entry, fields);
	const char *outcome = !acts ? "noted" : !failure.empty() ? "failed" : a.execute ? "done" : "would";
	counters_.decisions[{a.domid, a.what, outcome}]++;
	if (a.kind == ActionKind::directive && a.execute && failure.empty())
		counters_.directives_sent[a.domid]++;

	auto &h = history_[a.domid];
	h.push_back(fmt::format("{}: {}{}{}{}", a.what, verb, acts ? describe(a) + ": " : "",
				a.reason, a.evidence.empty() ? "" : " [" + a.evidence + "]"));
	while (h.size() > history_length)
		h.pop_front();
}

void Service::tick(std::uint64_t now_ms, std::uint64_t now_s)
{
	auto sampled = sample(now_ms, now_s);
	if (!sampled) {
		note_trouble("no decision this interval: " + sampled.error().message);
		counters_.failed_intervals++;
		publish_metrics();
		return;
	}
	note_trouble("");
	// The answers this interval brought are told apart from the state before it.
	std::optional<State> before;
	if (metrics_server_)
		before = state_;
	auto result = step(config_, std::move(state_), *sampled);
	state_ = std::move(result.state);
	if (before)
		count_answers(counters_, *before, state_);
	for (const auto &action : result.actions)
		carry_out(action);
	for (auto it = history_.begin(); it != history_.end();)
		it = state_.domains.count(it->first) ? std::next(it) : history_.erase(it);
	counters_.prune(state_.domains);
	counters_.intervals++;
	counters_.last_evaluation_s = now_s;
	write_status(*sampled);
	if (metrics_server_)
		last_sample_ = std::move(*sampled);
	publish_metrics();
}

void Service::serve_metrics(std::unique_ptr<io::MetricsServer> server)
{
	metrics_server_ = std::move(server);
}

void Service::publish_metrics()
{
	if (metrics_server_)
		metrics_server_->publish(
			metrics::render(arbiter_families(config_, state_, last_sample_, counters_)));
}

void Service::write_status(const Sample &sample)
{
	using nlohmann::json;
	json disks = json::object();
	for (const auto &[name, d] : state_.disks)
		disks[name] = {{"await_ms", d.last.await_ms},
			       {"util_pct", d.last.util_pct},
			       {"iops", d.last.iops},
			       {"baseline_await_ms", d.baseline_set ? json(d.baseline_await_ms) : json()},
			       {"baseline_util_pct", d.baseline_set ? json(d.baseline_util_pct) : json()},
			       {"harmed", d.harmed}};
	json domains = json::array();
	for (const auto &d : sample.domains) {
		const auto it = state_.domains.find(d.domid);
		if (it == state_.domains.end())
			continue;
		const DomainState &ds = it->second;
		json directive;
		if (ds.directive)
			directive = {{"seq", ds.directive->seq},
				     {"expires", ds.directive->expires_s},
				     {"swap_mode", ds.directive->swap_mode
							   ? json(to_string(*ds.directive->swap_mode))
							   : json()},
				     {"reclaim_kb", ds.directive->reclaim_kb
							    ? json(*ds.directive->reclaim_kb)
							    : json()},
				     {"answered", ds.directive->answered},
				     {"result", ds.directive->result}};
		const auto h = history_.find(d.domid);
		domains.push_back({
			{"domid", d.domid},
			{"name", d.name},
			{"role", d.domid == 0 ? "dom0" : ds.rogue ? "rogue" : ds.suspect_count ? "suspect" : "neighbour"},
			{"stage", to_string(ds.stage)},
			{"opted_out", opted_out(config_, d)},
			{"rebalance", rebalance_member(config_, d)},
			{"io_rps", ds.io_rps},
			{"io_kbps", ds.io_kbps},
			{"share_pct", ds.share_pct},
			{"current_kb", d.current_kb},
			{"target_kb", d.target_kb},
			// The target this arbiter last set (the sample above was taken before it).
			{"arbiter_target_kb", ds.set_target_kb ? json(*ds.set_target_kb) : json()},
			{"static_max_kb", d.static_max_kb},
			{"report", ds.report_usable ? "ok" : ds.report_problem},
			{"bad_reports", ds.bad_reports},
			{"uncooperative", ds.uncooperative},
			{"stuck", ds.stuck},
			{"grant_wanted_kb", ds.grant_wanted_kb},
			{"granted_kb", ds.granted_kb},
			{"directive", directive},
			{"last_reason", ds.last_reason},
			{"last_evidence", ds.last_evidence},
			{"history", h != history_.end() ? json(h->second) : json::array()},
		});
	}
	const Mode effective = sample.kill_switch || !config_.enabled ? Mode::observe : config_.mode;
	json status = {
		{"mode", to_string(config_.mode)},
		{"effective_mode", to_string(effective)},
		{"kill_switch", sample.kill_switch},
		{"updated_at", sample.now_s},
		{"interval_s", config_.interval_ms / 1000},
		{"window_s", config_.window_ms / 1000},
		{"host", {{"total_kb", sample.host_total_kb},
			  {"free_kb", sample.host_free_kb},
			  {"psi_some_avg10", sample.host_psi_some_centi / 100.0},
			  {"harmed", state_.host_harmed},
			  {"disks", disks}}},
		{"rogue", state_.rogue ? json(*state_.rogue) : json()},
		{"domains", domains},
	};
	// Written whole and renamed, so a reader never sees half a file.
	const std::string tmp = paths_.status_file + ".tmp";
	{
		std::ofstream out(tmp, std::ios::trunc);
		out << status.dump(1) << '\n';
		if (!out) {
			note_trouble("cannot write " + tmp);
			return;
		}
	}
	std::error_code ec;
	std::filesystem::rename(tmp, paths_.status_file, ec);
	if (ec)
		note_trouble("cannot rename " + tmp + ": " + ec.message());
}

} // namespace memtune::arbiter
