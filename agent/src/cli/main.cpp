// memtunectl: look at and steer xen-memtune.
//
// In a guest:  status, tunables, resize, reclaim SIZE, swap-mode MODE
// In Dom0:     domains, directive DOMAIN ..., resize DOMAIN, shrink DOMAIN SIZE,
//              arbiter status, arbiter explain DOMAIN
//
// main parses the arguments, turns sizes into KiB (core's parse_size_kb) and calls one command
// (commands.hpp).  Exit statuses are listed in commands.hpp and docs/memtunectl.8.
#include <chrono>
#include <cmath>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "core/number.hpp"

using namespace memtune::cli;

namespace {

// A size argument ("512M", "2G", "1048576"): KiB, or a message and exit_usage.
std::optional<std::uint64_t> size_argument(const std::string &what, const std::string &text)
{
	auto kb = memtune::parse_size_kb(text);
	if (!kb) {
		fmt::print(stderr, "memtunectl: {}: {} (examples: 512M, 2G, 1048576K)\n", what,
			   kb.error().message);
		return std::nullopt;
	}
	return *kb;
}

std::chrono::milliseconds seconds(double s)
{
	return std::chrono::milliseconds(static_cast<long long>(std::llround(s * 1000.0)));
}

} // namespace

int main(int argc, char **argv)
{
	CLI::App app{"memtunectl: look at and steer xen-memtune (guest agent, kernel module, Dom0)"};
	app.require_subcommand(1);
	app.fallthrough();

	std::string xl = "xl";
	app.add_option("--xl", xl, "xl binary used by domains and shrink (Dom0)")
		->capture_default_str();

	// ---- guest ----
	bool status_json = false;
	auto *status = app.add_subcommand("status", "guest: the agent's report and the current directive");
	status->add_flag("--json", status_json, "print JSON");

	bool tunables_json = false;
	std::string sysfs_root = "/sys";
	auto *tunables = app.add_subcommand("tunables", "guest: the kernel module's values");
	tunables->add_flag("--json", tunables_json, "print JSON");
	tunables->add_option("--sysfs-root", sysfs_root, "where sysfs is mounted")->capture_default_str();

	std::string reclaim_size;
	auto *reclaim = app.add_subcommand("reclaim", "guest: ask the agent to give back page cache");
	reclaim->add_option("SIZE", reclaim_size, "how much (512M, 2G)")->required();

	std::string swap_mode;
	auto *swap = app.add_subcommand("swap-mode", "guest: set the agent's swap mode");
	swap->add_option("MODE", swap_mode, "normal, prefer-fast or avoid-disk")->required();

	// ---- both: resize without DOMAIN in a guest, with DOMAIN in Dom0 ----
	std::string resize_domain;
	double resize_timeout = 30;
	auto *resize = app.add_subcommand(
		"resize", "guest: make the module recompute now; Dom0: the same through xenstore, timed");
	resize->add_option("DOMAIN", resize_domain, "Dom0: domain name or domid");
	resize->add_option("--sysfs-root", sysfs_root, "guest: where sysfs is mounted")
		->capture_default_str();
	resize->add_option("--timeout", resize_timeout, "Dom0: seconds to wait for the module")
		->check(CLI::PositiveNumber)
		->capture_default_str();

	// ---- Dom0 ----
	bool domains_json = false;
	double interval = 1.0;
	auto *domains = app.add_subcommand("domains", "Dom0: every guest's report, with its CPU use");
	domains->add_flag("--json", domains_json, "print JSON");
	domains->add_option("--interval", interval, "CPU sampling interval in seconds (0: none)")
		->check(CLI::NonNegativeNumber)
		->capture_default_str();

	std::string directive_domain, directive_mode, directive_reclaim;
	std::optional<std::uint32_t> directive_swappiness;
	std::uint64_t directive_lifetime = 60;
	double directive_timeout = 30;
	bool directive_json = false;
	auto *directive = app.add_subcommand("directive", "Dom0: send a directive and wait for the answer");
	directive->add_flag("--json", directive_json, "print the answer as JSON");
	directive->add_option("DOMAIN", directive_domain, "domain name or domid")->required();
	directive->add_option("--swap-mode", directive_mode, "normal, prefer-fast or avoid-disk");
	directive->add_option("--reclaim", directive_reclaim, "page cache to give back (512M, 2G)");
	directive->add_option("--swappiness", directive_swappiness, "vm.swappiness, 0..200")
		->check(CLI::Range(0, 200));
	directive->add_option("--expires", directive_lifetime,
			      "seconds the directive stays valid (0: already expired)")
		->capture_default_str();
	directive->add_option("--timeout", directive_timeout, "seconds to wait for the answer")
		->check(CLI::PositiveNumber)
		->capture_default_str();

	std::string shrink_domain, shrink_size, shrink_reclaim;
	bool shrink_force = false;
	double shrink_timeout = 180;
	bool shrink_json = false;
	auto *shrink = app.add_subcommand(
		"shrink", "Dom0: coordinated shrink: reclaim, check the floor, xl mem-set, wait");
	shrink->add_flag("--json", shrink_json, "print the steps as JSON at the end");
	shrink->add_option("DOMAIN", shrink_domain, "domain name or domid")->required();
	shrink->add_option("SIZE", shrink_size, "new target (512M, 2G)")->required();
	shrink->add_option("--reclaim", shrink_reclaim,
			   "page cache to ask for first (default: the difference; 0: skip)");
	shrink->add_flag("--force", shrink_force, "shrink even if the guest publishes no floor");
	shrink->add_option("--timeout", shrink_timeout, "seconds to wait for each step")
		->check(CLI::PositiveNumber)
		->capture_default_str();

	std::string arbiter_status_file = "/run/xen-memtune/arbiter.json";
	bool arbiter_json = false;
	std::string explain_domain;
	auto *arbiter = app.add_subcommand("arbiter", "Dom0: what xen-memtune-arbiter sees and does");
	arbiter->require_subcommand(1);
	arbiter->add_option("--status-file", arbiter_status_file, "the arbiter's status file")
		->capture_default_str();
	arbiter->add_flag("--json", arbiter_json, "print JSON");
	auto *arbiter_status = arbiter->add_subcommand("status", "every domain's role and remedy");
	auto *arbiter_explain = arbiter->add_subcommand("explain", "why it did what it did to DOMAIN");
	arbiter_explain->add_option("DOMAIN", explain_domain, "domain name or domid")->required();

	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError &e) {
		int code = app.exit(e);
		return code == 0 ? exit_ok : exit_usage;
	}

	Dom0Options dom0;
	dom0.xl = xl;

	if (status->parsed())
		return run_status(status_json);
	if (tunables->parsed())
		return run_tunables(sysfs_root, tunables_json);
	if (reclaim->parsed()) {
		auto kb = size_argument("reclaim", reclaim_size);
		return kb ? run_reclaim(*kb) : exit_usage;
	}
	if (swap->parsed())
		return run_swap_mode(swap_mode);
	if (resize->parsed()) {
		if (resize_domain.empty())
			return run_resize_local(sysfs_root);
		dom0.timeout = seconds(resize_timeout);
		return run_resize_domain(dom0, resize_domain);
	}
	if (domains->parsed()) {
		dom0.json = domains_json;
		return run_domains(dom0, seconds(interval));
	}
	if (directive->parsed()) {
		DirectiveRequest request;
		if (!directive_mode.empty())
			request.swap_mode = directive_mode;
		if (!directive_reclaim.empty()) {
			auto kb = size_argument("--reclaim", directive_reclaim);
			if (!kb)
				return exit_usage;
			request.reclaim_kb = *kb;
		}
		request.swappiness = directive_swappiness;
		request.lifetime_s = directive_lifetime;
		dom0.timeout = seconds(directive_timeout);
		dom0.json = directive_json;
		return run_directive(dom0, directive_domain, request);
	}
	if (arbiter_status->parsed())
		return run_arbiter_status(arbiter_status_file, arbiter_json);
	if (arbiter_explain->parsed())
		return run_arbiter_explain(arbiter_status_file, explain_domain, arbiter_json);
	if (shrink->parsed()) {
		auto size_kb = size_argument("SIZE", shrink_size);
		if (!size_kb)
			return exit_usage;
		std::optional<std::uint64_t> reclaim_kb;
		if (!shrink_reclaim.empty()) {
			reclaim_kb = size_argument("--reclaim", shrink_reclaim);
			if (!reclaim_kb)
				return exit_usage;
		}
		dom0.timeout = seconds(shrink_timeout);
		dom0.json = shrink_json;
		return run_shrink(dom0, shrink_domain, *size_kb, reclaim_kb, shrink_force);
	}
	return exit_usage;
}
