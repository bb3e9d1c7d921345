#include "io/journal.hpp"

#include <unistd.h>

#include <cstdio>
#include <vector>

#include <systemd/sd-journal.h>

namespace memtune::io {
namespace {

LogTarget target = LogTarget::automatic;
bool debug = false;
std::string identifier = "xen-memtuned";

bool use_journal()
{
	if (target == LogTarget::automatic)
		target = access("/run/systemd/journal/socket", W_OK) == 0 ? LogTarget::journal
									  : LogTarget::stderr_only;
	return target == LogTarget::journal;
}

void write_stderr(const std::string &line)
{
	std::string out = identifier + ": " + line + "\n";
	(void)!write(STDERR_FILENO, out.data(), out.size());
}

} // namespace

void set_log_target(LogTarget t) { target = t; }
void set_log_debug(bool enabled) { debug = enabled; }
void set_log_identifier(std::string name) { identifier = std::move(name); }

std::string format_log_line(const ActionLog &entry, const LogFields &more)
{
	std::string line = entry.message;
	std::string fields;
	auto add = [&fields](const char *key, const std::string &value) {
		if (value.empty())
			return;
		fields += fields.empty() ? "" : " ";
		fields += key;
		fields += '=';
		fields += value;
	};
	add("ACTION", entry.action);
	add("OLD", entry.old_value);
	add("NEW", entry.new_value);
	add("REASON", entry.reason);
	if (entry.directive_seq)
		add("DIRECTIVE_SEQ", std::to_string(*entry.directive_seq));
	for (const auto &[key, value] : more)
		add(key.c_str(), value);
	if (!fields.empty())
		line += " [" + fields + "]";
	return line;
}

void log_action(const ActionLog &entry, const LogFields &more)
{
	if (entry.priority >= LOG_DEBUG && !debug)
		return;
	if (!use_journal()) {
		write_stderr(format_log_line(entry, more));
		return;
	}
	// sd_journal_sendv takes "KEY=value" iovecs; empty fields are left out.
	std::vector<std::string> fields{"MESSAGE=" + entry.message,
					"PRIORITY=" + std::to_string(entry.priority),
					"SYSLOG_IDENTIFIER=" + identifier};
	auto add = [&fields](const char *key, const std::string &value) {
		if (!value.empty())
			fields.push_back(std::string(key) + "=" + value);
	};
	add("ACTION", entry.action);
	add("OLD", entry.old_value);
	add("NEW", entry.new_value);
	add("REASON", entry.reason);
	if (entry.directive_seq)
		add("DIRECTIVE_SEQ", std::to_string(*entry.directive_seq));
	for (const auto &[key, value] : more)
		add(key.c_str(), value);
	std::vector<iovec> iov;
	for (auto &f : fields)
		iov.push_back({f.data(), f.size()});
	if (sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) < 0)
		write_stderr(format_log_line(entry, more));
}

void log_message(int priority, std::string_view message)
{
	ActionLog entry;
	entry.priority = priority;
	entry.message = std::string(message);
	log_action(entry);
}

} // namespace memtune::io
