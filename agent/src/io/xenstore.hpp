// The agent's and memtunectl's view of xenstore: a small interface, so that the daemon's logic
// runs against libxenstore in a guest, against tests/fake-xenstored in integration tests
// (XENSTORED_PATH), and against a gmock in unit tests.
//
// Paths are xenstore paths: relative ones ("data/memtune/seq") resolve to the caller's home
// /local/domain/<domid>; absolute ones start with '/'.  Errors carry the errno that xenstored
// (or libxenstore) reported: ENOENT for a missing node, EACCES for a node we may not touch,
// EAGAIN from transaction_end() for "restart the transaction", E2BIG past XENSTORE_PAYLOAD_MAX.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "io/result.hpp"

namespace memtune::io {

using TransactionId = std::uint32_t;
inline constexpr TransactionId kNoTransaction = 0; // XBT_NULL

// One entry of a node's permission list.  The first entry names the owner, and its access is
// what every domain not listed gets (docs/misc/xenstore.txt: "n0" "r5" = owner dom0, dom5 reads).
enum class Access : unsigned { none = 0, read = 1, write = 2, both = 3 };
struct Permission {
	unsigned domid = 0;
	Access access = Access::none;
	bool operator==(const Permission &) const = default;
};

// Called from dispatch_watch_events() with the path that fired, which may be a child of the
// watched path.  Watches fire once on registration and may fire spuriously: re-read, don't trust.
using WatchHandler = std::function<void(const std::string &path)>;

class XenStore {
public:
	virtual ~XenStore() = default;

	virtual Result<std::string> read(const std::string &path, TransactionId tx = kNoTransaction) = 0;
	virtual Result<void> write(const std::string &path, std::string_view value,
				   TransactionId tx = kNoTransaction) = 0;
	virtual Result<void> mkdir(const std::string &path, TransactionId tx = kNoTransaction) = 0;
	// Removes the node and its children.  Removing a missing node is not an error.
	virtual Result<void> rm(const std::string &path, TransactionId tx = kNoTransaction) = 0;
	// Names of the children (not full paths).
	virtual Result<std::vector<std::string>> directory(const std::string &path,
							   TransactionId tx = kNoTransaction) = 0;
	virtual Result<std::vector<Permission>> get_perms(const std::string &path,
							  TransactionId tx = kNoTransaction) = 0;
	virtual Result<void> set_perms(const std::string &path, const std::vector<Permission> &perms,
				       TransactionId tx = kNoTransaction) = 0;
	// "/local/domain/<domid>"
	virtual Result<std::string> domain_path(unsigned domid) = 0;

	virtual Result<TransactionId> transaction_start() = 0;
	// abort=false commits; an error with code EAGAIN means "run the whole transaction again".
	virtual Result<void> transaction_end(TransactionId tx, bool abort) = 0;

	// Registers a watch and returns its token (unique per watch, "memtune:<n>").  The handler
	// stays registered across reconnect(), which registers every watch again.
	// A watch on a path that does not exist yet is fine: it fires when the node appears.
	virtual Result<std::string> watch(const std::string &path, WatchHandler handler) = 0;
	// Never fails: the watch is forgotten even if xenstored cannot be told.
	virtual void unwatch(const std::string &token) = 0;

	// The fd that becomes readable when watch events are queued (libxenstore's pipe, not the
	// connection), -1 when not connected.  It changes after reconnect().
	virtual int event_fd() const = 0;
	// Runs the handler of every queued watch event until the queue is empty.  An error means
	// the connection is lost (connected() is false afterwards).
	virtual Result<void> dispatch_watch_events() = 0;

	virtual bool connected() const = 0;
	// Opens a fresh connection and registers every watch again (each fires once).
	virtual Result<void> reconnect() = 0;
};

// True when the error says the connection itself is gone rather than the request was refused:
// after a read error libxenstore closes its socket and fails every later call with EBADF/EINVAL.
bool is_connection_lost(const Error &error);

// Runs body(tx) inside a transaction.  When the commit fails with EAGAIN (another writer touched
// the same nodes) the whole body runs again, at most max_attempts times, with a short random
// pause; any error from the body aborts the transaction and is returned as it is.
// body: Result<T>(TransactionId).  Never keep the transaction across an event-loop iteration.
template <class Body>
auto with_transaction(XenStore &xs, Body &&body, int max_attempts = 8)
	-> decltype(body(TransactionId{}))
{
	thread_local std::minstd_rand jitter{std::random_device{}()};
	Error last{EAGAIN, "transaction: no attempt made"};
	for (int attempt = 1; attempt <= max_attempts; attempt++) {
		auto tx = xs.transaction_start();
		if (!tx)
			return tx.error();
		auto outcome = body(*tx);
		if (!outcome) {
			(void)xs.transaction_end(*tx, true);
			return outcome;
		}
		auto end = xs.transaction_end(*tx, false);
		if (end)
			return outcome;
		if (end.error().code != EAGAIN)
			return end.error();
		last = end.error();
		std::this_thread::sleep_for(std::chrono::microseconds(
			std::uniform_int_distribution<int>(500, 2000 * attempt)(jitter)));
	}
	last.message = "transaction still conflicting after " + std::to_string(max_attempts) +
		       " attempts: " + last.message;
	return last;
}

// For synchronous callers such as memtunectl: waits up to timeout for watch events and
// dispatches them.  Returns true if any arrived, false on timeout, an error if the connection died.
Result<bool> wait_for_watch_events(XenStore &xs, std::chrono::milliseconds timeout);

// The libxenstore implementation: xs_open(XS_UNWATCH_FILTER), which connects to $XENSTORED_PATH
// when it is set, else xenstored's socket, else /dev/xen/xenbus.
Result<std::unique_ptr<XenStore>> open_xenstore();

} // namespace memtune::io
