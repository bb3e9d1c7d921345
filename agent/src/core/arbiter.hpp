// The Dom0 arbiter's decisions: which guest's swapping onto shared storage hurts the others,
// what to do about it, and how to share memory among the guests that opt in. Plain data in,
// actions out: no I/O, no clock (times are passed in), no globals. The daemon (src/arbiter)
// samples Dom0's counters and the guests' xenstore keys into a Sample, calls step(), carries
// out the actions it returns and keeps the State for the next call.
//
// Trust: the Sample's Dom0 fields (Xen memory, blkback and disk counters, host PSI, the
// operator's xenstore flags under memtune/) are trusted. Each guest's report and ack are raw
// xenstore text written by the guest: step() decodes them strictly, checks them against
// Xen's numbers, and uses them only to pick a remedy and to size memory, within bounds that
// come from Dom0 (static-max, floors never above the current target, the host reserve).
//
// Follow the data: Sample -> rates over the window -> detect (Dom0 evidence only) ->
// remedy ladder (prefer-fast, avoid-disk, reclaim, report; memory granted alongside) ->
// rebalance (opted-in guests) -> Actions.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/arbiter_config.hpp"
#include "core/blockstat.hpp"
#include "core/config.hpp"
#include "core/report.hpp"

namespace memtune::arbiter {

using Values = std::map<std::string, std::string>;

// One domain at one sample.
struct DomainSample {
	std::uint32_t domid = 0;
	std::string name;
	// Xen's numbers (trusted), KiB.
	std::uint64_t current_kb = 0;
	std::uint64_t target_kb = 0;
	std::uint64_t static_max_kb = 0;
	// blkback counters summed over the domain's vbds (trusted).
	VbdCounters vbd;
	// memtune/directive/seq as Dom0 last wrote it (trusted), 0 when absent.
	std::uint64_t directive_seq = 0;
	// The operator's flags under memtune/ (owner Dom0, trusted).
	bool opt_out = false;
	bool rebalance_opt_in = false;
	// The guest's data/memtune/ (report keys) and data/memtune/ack/ (seq, result, reason), as
	// read: untrusted. nullopt when the directory is absent.
	std::optional<Values> report;
	std::optional<Values> ack;
};

struct Sample {
	std::uint64_t now_ms = 0; // monotonic
	std::uint64_t now_s = 0;  // seconds since the epoch, for directive expiry
	std::uint64_t host_total_kb = 0;
	std::uint64_t host_free_kb = 0;
	std::uint32_t host_psi_some_centi = 0; // Dom0 /proc/pressure/memory some avg10
	bool kill_switch = false;              // the operator's off switch: observe only
	std::map<std::string, DiskCounters> disks; // the shared backing devices
	std::vector<DomainSample> domains;         // Dom0 (domid 0) is never steered
};

enum class Stage {
	none,        // not a rogue
	prefer_fast, // swap-mode prefer-fast sent
	avoid_disk,  // swap-mode avoid-disk sent
	reclaim,     // reclaim-kb sent with avoid-disk
	unresolved,  // nothing more to try: reported
};
std::string_view to_string(Stage stage);

// A directive in flight (sent or, in observe mode, that would have been sent).
struct SentDirective {
	std::uint64_t seq = 0;
	std::uint64_t expires_s = 0;
	std::uint64_t sent_ms = 0;
	std::optional<SwapMode> swap_mode;
	std::optional<std::uint64_t> reclaim_kb;
	bool answered = false;
	bool counted_missing = false;
	std::string result; // applied, partial, refused (sanitised)
};

struct DomainState {
	std::string name;
	// Detection.
	std::uint32_t suspect_count = 0; // evaluations in a row on Dom0's evidence
	std::uint32_t quiet_count = 0;   // quiet evaluations in a row while a rogue
	bool rogue = false;
	Stage stage = Stage::none;
	std::uint64_t stage_since_ms = 0;
	bool reported = false; // the unresolved report was made
	// Last window's evidence.
	double io_rps = 0;
	double io_kbps = 0;
	double share_pct = 0;
	double write_rps = 0; // the writes among them: swap-outs, when it swaps
	double write_kbps = 0;
	// The guest.
	std::uint64_t report_seq = 0;
	std::uint64_t report_seq_moved_ms = 0;
	bool report_seen = false;
	bool report_usable = false;
	std::string report_problem;  // why the report is not used, "" when it is
	std::uint64_t bad_reports = 0; // reports refused (garbage, inconsistent, flooding)
	std::optional<Report> report;  // the last usable report
	std::optional<SentDirective> directive;
	std::uint64_t last_seq = 0;    // the last seq this arbiter wrote
	std::uint32_t missed_answers = 0;
	bool uncooperative = false;
	// Memory.
	std::uint64_t grant_wanted_kb = 0; // still to give the rogue
	std::uint64_t granted_kb = 0;      // given so far in this episode
	int last_move = 0;                 // +1 grow, -1 shrink, 0 none
	std::uint64_t last_move_ms = 0;
	std::optional<std::uint64_t> last_reversal_ms;
	std::optional<std::uint64_t> set_target_kb; // the target this arbiter last set
	std::uint64_t progress_ms = 0;              // when current last moved toward it
	std::uint64_t progress_current_kb = 0;
	bool stuck = false;
	// For `memtunectl arbiter explain`: the last decision about this domain, in words.
	std::string last_reason;
	std::string last_evidence;
};

struct DiskState {
	bool baseline_set = false;
	double baseline_await_ms = 0;
	double baseline_util_pct = 0;
	DiskWindow last; // last window's values
	bool harmed = false;
};

// What one sample contributes to the moving window.
struct WindowPoint {
	std::uint64_t now_ms = 0;
	std::map<std::uint32_t, VbdCounters> vbd;
	std::map<std::string, DiskCounters> disks;
};

struct State {
	std::deque<WindowPoint> window;
	std::map<std::uint32_t, DomainState> domains;
	std::map<std::string, DiskState> disks;
	std::optional<std::uint32_t> rogue; // at most one: its share is above half
	std::uint64_t last_rebalance_ms = 0;
	bool host_harmed = false;
	// The effective mode of the last step: an episode observed (or advised) before the
	// operator turned act on is started again (see step()).
	std::optional<Mode> last_mode;
};

enum class ActionKind {
	directive,  // write memtune/directive/ (one transaction)
	set_target, // set the domain's memory target (libxl, as xl mem-set)
	report,     // nothing to do but say so (journal, status)
};
std::string_view to_string(ActionKind kind);

struct Action {
	ActionKind kind = ActionKind::report;
	std::uint32_t domid = 0;
	std::string domain; // name, for logs
	// directive
	std::uint64_t seq = 0;
	std::uint64_t expires_s = 0;
	std::optional<SwapMode> swap_mode;
	std::optional<std::uint64_t> reclaim_kb;
	// set_target
	std::uint64_t old_target_kb = 0;
	std::uint64_t target_kb = 0;
	// why
	std::string what;     // "detected", "prefer-fast", "renew", "grant", "rebalance", ...
	std::string reason;   // a sentence
	std::string evidence; // "io=85r/s share=82% vda await=512ms(base 4) util=88%"
	// false: observe (or advise, for memory): log what would be done, change nothing.
	bool execute = false;
};

struct StepResult {
	State state;
	std::vector<Action> actions;
};

// One evaluation. state is the previous call's (a default State at start).
StepResult step(const Config &config, State state, const Sample &sample);

// Whether a domain's name or flags put it out of the arbiter's reach / into rebalancing.
bool opted_out(const Config &config, const DomainSample &domain);
bool rebalance_member(const Config &config, const DomainSample &domain);

} // namespace memtune::arbiter
