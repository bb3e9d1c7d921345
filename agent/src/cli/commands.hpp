// memtunectl's commands.  Each returns the process exit status and has printed what a person
// needs: the result on stdout, and on failure one line on stderr saying what to do next.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace memtune::cli {

// Exit statuses (documented in docs/memtunectl.8).
enum ExitStatus : int {
	exit_ok = 0,
	exit_failure = 1,   // xenstore, sysfs or D-Bus error
	exit_usage = 2,     // bad arguments
	exit_no_domain = 3, // DOMAIN names no domain
	exit_timeout = 4,   // the guest (agent or module) did not answer in time
	exit_refused = 5,   // the guest refused: directive refused, or SIZE below its floor
	exit_toolstack = 6, // xl failed
};

struct Dom0Options {
	std::string xl = "xl";                         // xl binary (--xl)
	std::chrono::milliseconds timeout{30000};      // how long to wait for the guest
	bool json = false;
};

struct DirectiveRequest {
	std::optional<std::string> swap_mode;
	std::optional<std::uint64_t> reclaim_kb;
	std::optional<std::uint32_t> swappiness;
	std::uint64_t lifetime_s = 60; // expires = now + lifetime_s
};

// Dom0
int run_domains(const Dom0Options &options, std::chrono::milliseconds cpu_interval);
int run_directive(const Dom0Options &options, const std::string &domain,
		  const DirectiveRequest &request);
int run_resize_domain(const Dom0Options &options, const std::string &domain);
// reclaim_kb: how much to ask the guest to reclaim first (nullopt: the difference).
// force: shrink even when the guest publishes no floor.
int run_shrink(const Dom0Options &options, const std::string &domain, std::uint64_t size_kb,
	       std::optional<std::uint64_t> reclaim_kb, bool force);

// Dom0, from xen-memtune-arbiter's status file
int run_arbiter_status(const std::string &status_file, bool as_json);
int run_arbiter_explain(const std::string &status_file, const std::string &domain, bool as_json);

// Guest
int run_status(bool json);
int run_tunables(const std::string &sysfs_root, bool json);
int run_resize_local(const std::string &sysfs_root);
int run_reclaim(std::uint64_t kb);
int run_swap_mode(const std::string &mode);

} // namespace memtune::cli
