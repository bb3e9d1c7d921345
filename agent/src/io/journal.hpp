// Logging: every action as a structured journal entry (MESSAGE plus ACTION=, OLD=, NEW=,
// REASON=, DIRECTIVE_SEQ=), so `journalctl -u xen-memtuned DIRECTIVE_SEQ=7` finds what a
// directive did.  Without a journal (a busybox guest, a test) the same goes to stderr as one
// line "xen-memtuned: <message> [ACTION=... OLD=... ...]".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <syslog.h> // LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG

namespace memtune::io {

enum class LogTarget { automatic, journal, stderr_only };

// automatic: the journal when /run/systemd/journal/socket exists, else stderr.
void set_log_target(LogTarget target);
void set_log_debug(bool enabled);
// SYSLOG_IDENTIFIER and the stderr prefix: "xen-memtuned" unless set (the arbiter sets its own).
void set_log_identifier(std::string identifier);

struct ActionLog {
	int priority = LOG_NOTICE;
	std::string message;       // the sentence a person reads
	std::string action;        // "swap-priority", "swapoff", "reclaim", "swappiness", "directive"
	std::string old_value;
	std::string new_value;
	std::string reason;
	std::optional<std::uint64_t> directive_seq;
};

// More journal fields, upper-case keys ("DOMAIN", "EVIDENCE"); empty values are left out.
using LogFields = std::vector<std::pair<std::string, std::string>>;

void log_action(const ActionLog &entry, const LogFields &more = {});
void log_message(int priority, std::string_view message);

// Formats the stderr line for an entry (exposed for tests).
std::string format_log_line(const ActionLog &entry, const LogFields &more = {});

} // namespace memtune::io
