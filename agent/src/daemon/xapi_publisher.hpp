// Writes XAPI's keys (core/xapi_keys.hpp) beside the report: the data keys at XAPI's cadence and
// on change, the control keys once per run. A key the toolstack made read-only (libxl creates
// ~/control read-only, so control/feature-* fail with EACCES under xl; XAPI hands ~/control to
// the guest) is logged once and not tried again until xenstore may have changed under us (a
// reconnect, a resume, a migration: rewrite_all()).
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <set>
#include <string>

#include "core/procfs.hpp"
#include "core/report.hpp"
#include "core/xapi_keys.hpp"
#include "io/xenstore.hpp"

namespace memtune::daemon {

class XapiPublisher {
public:
	explicit XapiPublisher(io::XenStore &xenstore) : xs_(xenstore) {}

	// Writes what is due at now_ms (monotonic); wall is the time data/updated shows.
	// Returns the monotonic ms at which it wants to run again at the latest.
	std::uint64_t tick(const XapiPolicy &policy, const PublishPolicy &report_policy,
			   const Meminfo &meminfo, std::uint64_t now_ms, std::time_t wall);

	// xenstore may no longer hold what was written: write every key again, read-only ones too.
	void rewrite_all();

private:
	io::Result<void> write_data(const KeyValues &writes);
	void write_control();

	io::XenStore &xs_;
	std::optional<XapiValues> written_; // what xenstore holds; nullopt: nothing trusted
	std::uint64_t written_ms_ = 0;
	std::uint64_t retry_at_ms_ = 0;     // after a failed write
	bool control_due_ = true;
	std::set<std::string> read_only_;   // keys refused with EACCES (logged once)
	std::string trouble_;               // the failure last logged, "" when none
};

} // namespace memtune::daemon
