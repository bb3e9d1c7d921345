// A gmock XenStore for unit tests of code that talks to xenstore.
#pragma once

#include <gmock/gmock.h>

#include "io/xenstore.hpp"

namespace memtune::io {

class MockXenStore : public XenStore {
public:
	MOCK_METHOD(Result<std::string>, read, (const std::string &, TransactionId), (override));
	MOCK_METHOD(Result<void>, write, (const std::string &, std::string_view, TransactionId),
		    (override));
	MOCK_METHOD(Result<void>, mkdir, (const std::string &, TransactionId), (override));
	MOCK_METHOD(Result<void>, rm, (const std::string &, TransactionId), (override));
	MOCK_METHOD(Result<std::vector<std::string>>, directory, (const std::string &, TransactionId),
		    (override));
	MOCK_METHOD(Result<std::vector<Permission>>, get_perms, (const std::string &, TransactionId),
		    (override));
	MOCK_METHOD(Result<void>, set_perms,
		    (const std::string &, const std::vector<Permission> &, TransactionId), (override));
	MOCK_METHOD(Result<std::string>, domain_path, (unsigned), (override));
	MOCK_METHOD(Result<TransactionId>, transaction_start, (), (override));
	MOCK_METHOD(Result<void>, transaction_end, (TransactionId, bool), (override));
	MOCK_METHOD(Result<std::string>, watch, (const std::string &, WatchHandler), (override));
	MOCK_METHOD(void, unwatch, (const std::string &), (override));
	MOCK_METHOD(int, event_fd, (), (const, override));
	MOCK_METHOD(Result<void>, dispatch_watch_events, (), (override));
	MOCK_METHOD(bool, connected, (), (const, override));
	MOCK_METHOD(Result<void>, reconnect, (), (override));
};

} // namespace memtune::io
