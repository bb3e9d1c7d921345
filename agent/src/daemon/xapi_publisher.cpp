#include "daemon/xapi_publisher.hpp"

#include <algorithm>

#include "io/journal.hpp"

namespace memtune::daemon {
namespace {

constexpr std::uint64_t retry_ms = 5000;

} // namespace

void XapiPublisher::rewrite_all()
{
	written_.reset();
	retry_at_ms_ = 0;
	control_due_ = true;
	read_only_.clear();
}

void XapiPublisher::write_control()
{
	control_due_ = false;
	for (const auto &[key, value] : xapi_control_keys()) {
		if (read_only_.contains(key))
			continue;
		auto written = xs_.write(key, value);
		if (written)
			continue;
		if (written.error().code == EACCES) {
			read_only_.insert(key);
			io::log_message(LOG_NOTICE, key + " is read-only here (" +
							    written.error().message +
							    "); the toolstack will not see it");
		} else {
			control_due_ = true; // a lost connection: the reconnect calls rewrite_all()
		}
	}
}

io::Result<void> XapiPublisher::write_data(const KeyValues &writes)
{
	return io::with_transaction(xs_, [&](io::TransactionId tx) -> io::Result<void> {
		for (const auto &[key, value] : writes)
			if (read_only_.contains(key))
				continue;
			else if (auto written = xs_.write(key, value, tx); !written)
				return io::Error{written.error().code, key + ": " + written.error().message};
		return {};
	});
}

std::uint64_t XapiPublisher::tick(const XapiPolicy &policy, const PublishPolicy &report_policy,
				  const Meminfo &meminfo, std::uint64_t now_ms, std::time_t wall)
{
	if (control_due_)
		write_control();
	if (now_ms < retry_at_ms_)
		return retry_at_ms_;

	const XapiValues current = xapi_values(meminfo);
	const auto decision = xapi_should_write(written_, written_ms_, current, now_ms, policy,
						report_policy.min_interval_ms,
						report_policy.mem_delta_kb);
	if (!decision.publish)
		return decision.recheck_at_ms;

	auto written = write_data(encode_xapi_update(written_, current, format_xapi_updated(wall)));
	if (!written) {
		const auto &error = written.error();
		std::string now = "cannot write XAPI's keys: " + error.message;
		if (now != trouble_)
			io::log_message(LOG_WARNING, now);
		trouble_ = std::move(now);
		// A data key the toolstack made read-only: go on without it (the message names it).
		if (error.code == EACCES)
			for (const auto &[key, value] : encode_xapi_update(std::nullopt, current, ""))
				if (error.message.starts_with(key + ":"))
					read_only_.insert(key);
		written_.reset();
		retry_at_ms_ = now_ms + retry_ms;
		return retry_at_ms_;
	}
	if (!trouble_.empty())
		io::log_message(LOG_NOTICE, "writing XAPI's keys again");
	trouble_.clear();
	written_ = current;
	written_ms_ = now_ms;
	return decision.recheck_at_ms;
}

} // namespace memtune::daemon
