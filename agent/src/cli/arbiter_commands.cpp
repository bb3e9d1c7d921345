// memtunectl arbiter status|explain DOMAIN: what the Dom0 arbiter sees and why it did what it
// did, from the status file xen-memtune-arbiter rewrites every interval.
#include <cstdio>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/table.hpp"
#include "cli/xenstore_view.hpp"
#include "core/number.hpp"
#include "io/procfs.hpp"

namespace memtune::cli {
namespace {

using nlohmann::json;

std::optional<json> read_status(const std::string &path)
{
	auto text = io::read_text_file(path);
	if (!text) {
		fmt::print(stderr, "memtunectl: {}: {}\n", path, text.error().message);
		fmt::print(stderr, "memtunectl: is xen-memtune-arbiter running? "
				   "(systemctl status xen-memtune-arbiter)\n");
		return std::nullopt;
	}
	auto status = json::parse(*text, nullptr, false);
	if (status.is_discarded() || !status.is_object()) {
		fmt::print(stderr, "memtunectl: {}: not the arbiter's status (bad JSON)\n", path);
		return std::nullopt;
	}
	return status;
}

std::string kb_text(const json &v)
{
	return v.is_number_unsigned() ? format_kb(v.get<std::uint64_t>()) : "-";
}

// Status values may carry guest text (names, a report's problem): printable ASCII only.
std::string text_of(const json &v)
{
	return printable(v.is_string() ? v.get<std::string>() : v.is_null() ? "-" : v.dump(), 600);
}

std::string directive_text(const json &d)
{
	if (!d.is_object())
		return "-";
	std::string asks = text_of(d.value("swap_mode", json()));
	if (d.contains("reclaim_kb") && d["reclaim_kb"].is_number_unsigned())
		asks += " reclaim " + kb_text(d["reclaim_kb"]);
	return fmt::format("{} #{} {}", asks, text_of(d.value("seq", json())),
			   d.value("answered", false) ? text_of(d.value("result", json()))
						      : "unanswered");
}

// A pointer into status (never into a temporary copy of its domains).
const json *find_domain(const json &status, const std::string &text)
{
	const auto domains = status.find("domains");
	if (domains == status.end() || !domains->is_array())
		return nullptr;
	for (const auto &d : *domains)
		if (d.value("name", "") == text ||
		    (d.contains("domid") && std::to_string(d.value("domid", 0u)) == text))
			return &d;
	return nullptr;
}

} // namespace

int run_arbiter_status(const std::string &status_file, bool as_json)
{
	auto status = read_status(status_file);
	if (!status)
		return exit_failure;
	if (as_json) {
		fmt::print("{}\n", status->dump(2));
		return exit_ok;
	}
	const json host = status->value("host", json::object());
	fmt::print("mode {} (configured {}{}), updated {} s ago, host free {} of {}\n",
		   text_of(status->value("effective_mode", json())),
		   text_of(status->value("mode", json())),
		   status->value("kill_switch", false) ? ", kill switch on" : "",
		   static_cast<long long>(std::time(nullptr)) -
			   status->value("updated_at", static_cast<long long>(0)),
		   kb_text(host.value("free_kb", json())), kb_text(host.value("total_kb", json())));
	const json disks = host.value("disks", json::object());
	for (const auto &[name, d] : disks.items())
		fmt::print("disk {}: await {:.0f} ms, util {:.0f} %{}{}\n", printable(name),
			   d.value("await_ms", 0.0), d.value("util_pct", 0.0),
			   d.value("baseline_await_ms", json()).is_number()
				   ? fmt::format(" (baseline {:.0f} ms, {:.0f} %)",
						 d.value("baseline_await_ms", 0.0),
						 d.value("baseline_util_pct", 0.0))
				   : "",
			   d.value("harmed", false) ? ": HARMED" : "");
	const std::vector<Column> header = {
		{"DOMAIN"}, {"ID", Align::right}, {"ROLE"}, {"STAGE"}, {"IO/S", Align::right},
		{"SHARE", Align::right}, {"TARGET", Align::right}, {"REPORT"}, {"DIRECTIVE"}};
	std::vector<TableRow> rows;
	for (const auto &d : status->value("domains", json::array())) {
		std::string report = text_of(d.value("report", json()));
		if (report.size() > 30)
			report = report.substr(0, 27) + "...";
		rows.push_back({text_of(d.value("name", json())), text_of(d.value("domid", json())),
			   text_of(d.value("role", json())) +
				   (d.value("opted_out", false) ? " (opted out)" : "") +
				   (d.value("uncooperative", false) ? " (uncooperative)" : "") +
				   (d.value("stuck", false) ? " (stuck)" : ""),
			   text_of(d.value("stage", json())),
			   fmt::format("{:.0f}", d.value("io_rps", 0.0)),
			   fmt::format("{:.0f}%", d.value("share_pct", 0.0)),
			   kb_text(d.value("target_kb", json())), report,
			   directive_text(d.value("directive", json()))});
	}
	print_table(header, rows);
	return exit_ok;
}

int run_arbiter_explain(const std::string &status_file, const std::string &domain, bool as_json)
{
	auto status = read_status(status_file);
	if (!status)
		return exit_failure;
	const json *d = find_domain(*status, domain);
	if (!d) {
		fmt::print(stderr, "memtunectl: the arbiter knows no domain {}\n",
			   quote_for_message(domain));
		return exit_no_domain;
	}
	if (as_json) {
		fmt::print("{}\n", d->dump(2));
		return exit_ok;
	}
	fmt::print("{} (domid {}): {}, remedy stage {}\n", text_of(d->value("name", json())),
		   text_of(d->value("domid", json())), text_of(d->value("role", json())),
		   text_of(d->value("stage", json())));
	fmt::print("  backend I/O: {:.0f} req/s, {:.0f} KiB/s, {:.0f} % of the host's\n",
		   d->value("io_rps", 0.0), d->value("io_kbps", 0.0), d->value("share_pct", 0.0));
	const json set = d->value("arbiter_target_kb", json());
	const std::string set_text = set.is_number_unsigned() && set != d->value("target_kb", json())
					     ? " (set to " + kb_text(set) + " this interval)"
					     : "";
	fmt::print("  memory: current {}, target {}{}, static-max {}; granted {}, still wanted {}\n",
		   kb_text(d->value("current_kb", json())), kb_text(d->value("target_kb", json())),
		   set_text,
		   kb_text(d->value("static_max_kb", json())),
		   kb_text(d->value("granted_kb", json())),
		   kb_text(d->value("grant_wanted_kb", json())));
	fmt::print("  report: {} ({} refused so far)\n", text_of(d->value("report", json())),
		   text_of(d->value("bad_reports", json())));
	fmt::print("  directive: {}\n", directive_text(d->value("directive", json())));
	if (d->value("opted_out", false))
		fmt::print("  opted out: the arbiter never steers it\n");
	if (d->value("uncooperative", false))
		fmt::print("  uncooperative: two directives unanswered; Dom0-side actions only\n");
	if (d->value("stuck", false))
		fmt::print("  stuck: not following its target; left out of memory moves\n");
	const std::string last = text_of(d->value("last_reason", json()));
	fmt::print("  why: {}\n", last.empty() || last == "-" ? "nothing decided yet" : last);
	const std::string evidence = text_of(d->value("last_evidence", json()));
	if (!evidence.empty() && evidence != "-")
		fmt::print("  evidence: {}\n", evidence);
	const auto history = d->value("history", json::array());
	if (!history.empty()) {
		fmt::print("  recent decisions, oldest first:\n");
		for (const auto &line : history)
			fmt::print("    {}\n", text_of(line));
	}
	return exit_ok;
}

} // namespace memtune::cli
