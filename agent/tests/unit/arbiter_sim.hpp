// A small host for the arbiter's tests: guests with Xen memory, backend I/O and a report, one
// shared disk, and time that moves by one interval per call. run() builds the Sample, calls
// arbiter::step() and plays the executed actions back the way Xen and a cooperative guest
// would: a target is followed at once (unless the guest is stuck), a directive is answered
// (unless the guest is silent).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/arbiter.hpp"
#include "core/report.hpp"

namespace memtune::arbiter::testing {

struct SimGuest {
	std::uint32_t domid = 0;
	std::string name;
	std::uint64_t current_kb = 0;
	std::uint64_t target_kb = 0;
	std::uint64_t static_max_kb = 0;
	double rps = 0;  // backend write requests per second
	double kbps = 0; // backend KiB written per second
	double read_rps = 0;
	double read_kbps = 0;
	// Report contents (encoded with core's encode_report every step, seq bumped).
	Report report;
	bool publishes = true;
	std::optional<Values> raw_report; // replaces the encoded report (hostile guests)
	bool answers = true;
	bool follows_target = true;
	bool opt_out = false;
	bool rebalance = false;
	std::uint64_t directive_seq = 0;
	Values ack;
	VbdCounters vbd;
	std::vector<Action> directives; // executed directives it received
};

inline Report quiet_report(std::uint64_t total_kb, std::uint64_t available_kb,
			   std::uint64_t floor_kb)
{
	Report r;
	r.mem_total_kb = total_kb;
	r.mem_available_kb = available_kb;
	r.floor_kb = floor_kb;
	r.floor_reason = "test";
	r.swap_total_kb = 1048576;
	return r;
}

class Sim {
public:
	Config config;
	State state;
	std::uint64_t now_ms = 1000000;
	std::uint64_t now_s = 1700000000;
	std::uint64_t host_total_kb = 4194304;
	std::uint64_t dom0_kb = 524288;
	bool kill_switch = false;
	// The shared disk this interval: requests per second, ms per request, percent busy.
	double disk_iops = 50, disk_await_ms = 4, disk_util_pct = 20;
	DiskCounters disk;
	std::vector<SimGuest> guests;

	SimGuest &add(std::uint32_t domid, std::string name, std::uint64_t kb,
		      std::uint64_t static_max_kb)
	{
		SimGuest g;
		g.domid = domid;
		g.name = std::move(name);
		g.current_kb = g.target_kb = kb;
		g.static_max_kb = static_max_kb;
		g.report = quiet_report(kb - 20480, kb / 2, kb / 4);
		g.report.balloon = BalloonSample{kb, kb};
		guests.push_back(std::move(g));
		return guests.back();
	}
	SimGuest &guest(std::uint32_t domid)
	{
		for (auto &g : guests)
			if (g.domid == domid)
				return g;
		return guests.front();
	}

	std::uint64_t free_kb() const
	{
		std::uint64_t used = dom0_kb;
		for (const auto &g : guests)
			used += g.current_kb;
		return used < host_total_kb ? host_total_kb - used : 0;
	}

	Sample sample()
	{
		const double secs = static_cast<double>(config.interval_ms) / 1000.0;
		now_ms += config.interval_ms;
		now_s += config.interval_ms / 1000;
		const auto ios = static_cast<std::uint64_t>(disk_iops * secs);
		disk.write_ios += ios;
		disk.write_ticks_ms += static_cast<std::uint64_t>(disk_await_ms * ios);
		disk.io_ticks_ms += static_cast<std::uint64_t>(disk_util_pct *
							       config.interval_ms / 100);
		Sample s;
		s.now_ms = now_ms;
		s.now_s = now_s;
		s.host_total_kb = host_total_kb;
		s.host_free_kb = free_kb();
		s.kill_switch = kill_switch;
		s.disks["vda"] = disk;
		for (auto &g : guests) {
			g.vbd.wr_req += static_cast<std::uint64_t>(g.rps * secs);
			g.vbd.wr_sect += static_cast<std::uint64_t>(g.kbps * 2 * secs);
			g.vbd.rd_req += static_cast<std::uint64_t>(g.read_rps * secs);
			g.vbd.rd_sect += static_cast<std::uint64_t>(g.read_kbps * 2 * secs);
			DomainSample d;
			d.domid = g.domid;
			d.name = g.name;
			d.current_kb = g.current_kb;
			d.target_kb = g.target_kb;
			d.static_max_kb = g.static_max_kb;
			d.vbd = g.vbd;
			d.directive_seq = g.directive_seq;
			d.opt_out = g.opt_out;
			d.rebalance_opt_in = g.rebalance;
			if (g.publishes) {
				g.report.seq++;
				if (g.report.balloon)
					g.report.balloon = BalloonSample{g.current_kb, g.target_kb};
				if (g.raw_report) {
					d.report = *g.raw_report;
				} else {
					Values v;
					for (auto &[k, val] : encode_report(g.report))
						v[k] = val;
					d.report = v;
				}
			}
			if (!g.ack.empty())
				d.ack = g.ack;
			s.domains.push_back(std::move(d));
		}
		return s;
	}

	std::vector<Action> run()
	{
		auto result = step(config, std::move(state), sample());
		state = std::move(result.state);
		for (const auto &a : result.actions) {
			if (!a.execute)
				continue;
			SimGuest &g = guest(a.domid);
			if (a.kind == ActionKind::set_target) {
				g.target_kb = a.target_kb;
				if (g.follows_target)
					g.current_kb = a.target_kb;
			} else if (a.kind == ActionKind::directive) {
				g.directive_seq = a.seq;
				g.directives.push_back(a);
				if (g.answers)
					g.ack = {{"seq", std::to_string(a.seq)},
						 {"result", "applied"},
						 {"reason", ""}};
			}
		}
		return result.actions;
	}

	// Runs n intervals and returns every action.
	std::vector<Action> run(int n)
	{
		std::vector<Action> all;
		for (int i = 0; i < n; i++)
			for (auto &a : run())
				all.push_back(std::move(a));
		return all;
	}
};

} // namespace memtune::arbiter::testing
