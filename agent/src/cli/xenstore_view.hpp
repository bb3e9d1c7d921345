// What memtunectl reads and writes in xenstore: finding a domain, reading a directory of
// values, creating Dom0-owned nodes, waiting for a guest's answer.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/xenstore.hpp"

namespace memtune::cli {

struct Domain {
	unsigned domid = 0;
	std::string name; // from /local/domain/<domid>/name, "" when unreadable
	std::string home; // /local/domain/<domid>
};

// DOMAIN as a person types it: a domid ("5") or a name ("guest1"), looked up under
// /local/domain/*/name.  ENOENT when nothing matches.
io::Result<Domain> resolve_domain(io::XenStore &xs, std::string_view text);

// Every domain under /local/domain, by domid.
io::Result<std::vector<Domain>> list_domains(io::XenStore &xs);

// The values of dir's direct children; children that vanish or cannot be read are left out.
// ENOENT when dir itself does not exist.
io::Result<std::map<std::string, std::string>> read_values(io::XenStore &xs, const std::string &dir,
							   io::TransactionId tx = io::kNoTransaction);

// A value written by the guest is untrusted: a strict decimal or nothing.
std::optional<std::uint64_t> strict_u64(const std::map<std::string, std::string> &values,
					const std::string &key);

// Guest text made safe for a terminal: printable ASCII, at most max bytes.
std::string printable(std::string_view text, std::size_t max = 200);

// mkdir of home/relative and SET_PERMS to "n0 r<domid>": owned by Dom0, read-only for the guest.
io::Result<void> ensure_dom0_node(io::XenStore &xs, const Domain &domain,
				  const std::string &relative, io::TransactionId tx);

// What a directive asks (docs/protocol.md, "Directive"); the nodes not asked are removed.
struct DirectiveNodes {
	std::uint64_t seq = 0;
	std::uint64_t expires_s = 0;
	std::optional<std::string> swap_mode;
	std::optional<std::uint64_t> reclaim_kb;
	std::optional<std::uint32_t> swappiness;
};

// Inside transaction tx: creates memtune/ and memtune/directive/ owned by Dom0, removes the
// optional keys, writes expires and the keys asked, and seq last.
io::Result<void> write_directive_nodes(io::XenStore &xs, const Domain &domain,
				       const DirectiveNodes &nodes, io::TransactionId tx);

// The seq a new directive takes: one more than the larger of memtune/directive/seq and the
// guest's data/memtune/ack/seq (unparsable values count as 0), read inside tx. EOVERFLOW at
// the maximum.
io::Result<std::uint64_t> next_directive_seq(io::XenStore &xs, const Domain &domain,
					     io::TransactionId tx);

// A watch for as long as the object lives (the handler does nothing: callers re-read).
class ScopedWatch {
public:
	ScopedWatch(io::XenStore &xs, const std::string &path);
	~ScopedWatch();
	ScopedWatch(const ScopedWatch &) = delete;
	ScopedWatch &operator=(const ScopedWatch &) = delete;
	const io::Result<std::string> &token() const { return token_; }

private:
	io::XenStore &xs_;
	io::Result<std::string> token_;
};

// Calls done() now, after every watch event, and at least every 250 ms, until it returns true
// (true) or the deadline passes (false).  Errors only when the connection dies.
io::Result<bool> wait_until(io::XenStore &xs, std::chrono::steady_clock::time_point deadline,
			    const std::function<bool()> &done);

// "812 ms", "2.4 s"
std::string format_elapsed(std::chrono::steady_clock::duration elapsed);

} // namespace memtune::cli
