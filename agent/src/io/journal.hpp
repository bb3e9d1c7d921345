// Logging: every action as a structured journal entry (MESSAGE plus ACTION=, OLD=, NEW=,
// REASON=, DIRECTIVE_SEQ=), so `journalctl -u xen-memtuned DIRECTIVE_SEQ=7` finds what a
// directive did.  Without a journal (a busybox guest, a test) the same goes to stderr as one
// line "xen-memtuned: <message> [ACTION=... OLD=... ...]".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <syslog.h> // LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG

namespace memtune::io {

enum class LogTarget { automatic, journal, stderr_only };

// automatic: the journal when /run/systemd/journal/socket exists, else stderr.
void set_log_target(LogTarget target);
void set_log_debug(bool enabled);

struct ActionLog {
	int priority = LOG_NOTICE;
	std::string message;       // the sentence a person reads
	std::string action;        // "swap-priority", "swapoff", "reclaim", "swappiness", "directive"
	std::string old_value;
	std::string new_value;
	std::string reason;
	std::optional<std::uint64_t> directive_seq;
};

void log_action(const ActionLog &entry);
void log_message(int priority, std::string_view message);

// Formats the stderr line for an entry (exposed for tests).
std::string format_log_line(const ActionLog &entry);

} // namespace memtune::io
