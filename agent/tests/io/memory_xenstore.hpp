// An in-memory XenStore for unit tests of the agent: a map of nodes, watches fired by hand.
// (Integration tests use tests/fake-xenstored, which speaks the real protocol.)
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "io/xenstore.hpp"

namespace memtune::io {

class MemoryXenStore : public XenStore {
public:
	std::map<std::string, std::string> nodes;
	std::map<std::string, std::pair<std::string, WatchHandler>> watches; // token -> path, handler
	std::vector<std::string> writes;                                      // paths, in order
	bool alive = true;
	int failing_commits = 0; // this many transaction_end calls fail with EIO (writes stay)
	std::set<std::string> read_only;  // writes to these fail with EACCES, as libxl's ~/control
	std::vector<std::string> refused; // paths of the writes read_only refused, in order

	Result<std::string> read(const std::string &path, TransactionId) override
	{
		auto it = nodes.find(path);
		if (it == nodes.end())
			return Error{ENOENT, "read " + path + ": No such file or directory"};
		return it->second;
	}
	Result<void> write(const std::string &path, std::string_view value, TransactionId) override
	{
		if (read_only.contains(path)) {
			refused.push_back(path);
			return Error{EACCES, "write " + path + ": Permission denied"};
		}
		nodes[path] = std::string(value);
		writes.push_back(path);
		return {};
	}
	Result<void> mkdir(const std::string &path, TransactionId) override
	{
		nodes.try_emplace(path, "");
		return {};
	}
	Result<void> rm(const std::string &path, TransactionId) override
	{
		for (auto it = nodes.begin(); it != nodes.end();)
			it = it->first == path || it->first.starts_with(path + "/") ? nodes.erase(it)
										     : std::next(it);
		return {};
	}
	Result<std::vector<std::string>> directory(const std::string &, TransactionId) override
	{
		return std::vector<std::string>{};
	}
	Result<std::vector<Permission>> get_perms(const std::string &, TransactionId) override
	{
		return std::vector<Permission>{};
	}
	Result<void> set_perms(const std::string &, const std::vector<Permission> &,
			       TransactionId) override
	{
		return {};
	}
	Result<std::string> domain_path(unsigned domid) override
	{
		return "/local/domain/" + std::to_string(domid);
	}
	Result<TransactionId> transaction_start() override { return TransactionId{1}; }
	Result<void> transaction_end(TransactionId, bool) override
	{
		if (failing_commits > 0) {
			failing_commits--;
			return Error{EIO, "transaction end: Input/output error"};
		}
		return {};
	}
	Result<std::string> watch(const std::string &path, WatchHandler handler) override
	{
		std::string token = "t" + std::to_string(watches.size() + 1);
		watches[token] = {path, std::move(handler)};
		return token;
	}
	void unwatch(const std::string &token) override { watches.erase(token); }
	int event_fd() const override { return -1; }
	Result<void> dispatch_watch_events() override { return {}; }
	bool connected() const override { return alive; }
	Result<void> reconnect() override { return {}; }

	// Fires every watch on path or a parent of it, as xenstored would.
	void fire(const std::string &path)
	{
		auto copy = watches;
		for (auto &[token, watched] : copy)
			if (path == watched.first || path.starts_with(watched.first + "/"))
				watched.second(path);
	}
};

} // namespace memtune::io
