// XenStore over libxenstore.  Pitfalls this file exists to contain (docs: xenstore.h and
// tools/libs/store/xs.c of Xen 4.17):
//  - xs_fileno() is a pipe written once when the event queue goes from empty to non-empty, so
//    every wake-up must drain xs_check_watch() until NULL with errno EAGAIN.
//  - When the connection breaks, the library's reader thread closes the socket and exits without
//    touching the pipe: the loop is not woken.  xs_check_watch() then fails with EINVAL and every
//    request with EBADF; the only cure is a fresh xs_open() and registering the watches again.
//  - Without XS_UNWATCH_FILTER, events of a removed watch may still arrive after xs_unwatch().
#include <poll.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <string>

// xenstore.h has no extern "C" guard of its own.
extern "C" {
#include <xenstore.h>
}

#include "io/xenstore.hpp"

namespace memtune::io {
namespace {

struct XsClose {
	void operator()(xs_handle *h) const { xs_close(h); }
};
using XsHandle = std::unique_ptr<xs_handle, XsClose>;

struct FreeDeleter {
	void operator()(void *p) const { std::free(p); }
};
template <class T>
using Malloced = std::unique_ptr<T, FreeDeleter>;

class LibXenStore final : public XenStore {
public:
	Result<void> open()
	{
		XsHandle h{xs_open(XS_UNWATCH_FILTER)};
		if (!h)
			return errno_error("xs_open (XENSTORED_PATH, xenstored socket, /dev/xen/xenbus)");
		int fd = xs_fileno(h.get());
		if (fd < 0)
			return errno_error("xs_fileno");
		handle_ = std::move(h);
		event_fd_ = fd;
		lost_ = false;
		return {};
	}

	Result<std::string> read(const std::string &path, TransactionId tx) override
	{
		if (auto dead = check_connected("read " + path); !dead)
			return dead.error();
		unsigned int len = 0;
		Malloced<char> value{static_cast<char *>(xs_read(handle_.get(), tx, path.c_str(), &len))};
		if (!value)
			return failure("read " + path);
		return std::string(value.get(), len);
	}

	Result<void> write(const std::string &path, std::string_view value, TransactionId tx) override
	{
		if (auto dead = check_connected("write " + path); !dead)
			return dead;
		if (!xs_write(handle_.get(), tx, path.c_str(), value.data(), value.size()))
			return failure("write " + path);
		return {};
	}

	Result<void> mkdir(const std::string &path, TransactionId tx) override
	{
		if (auto dead = check_connected("mkdir " + path); !dead)
			return dead;
		if (!xs_mkdir(handle_.get(), tx, path.c_str()))
			return failure("mkdir " + path);
		return {};
	}

	Result<void> rm(const std::string &path, TransactionId tx) override
	{
		if (auto dead = check_connected("rm " + path); !dead)
			return dead;
		if (!xs_rm(handle_.get(), tx, path.c_str()) && errno != ENOENT)
			return failure("rm " + path);
		return {};
	}

	Result<std::vector<std::string>> directory(const std::string &path, TransactionId tx) override
	{
		if (auto dead = check_connected("directory " + path); !dead)
			return dead.error();
		unsigned int num = 0;
		Malloced<char *> names{xs_directory(handle_.get(), tx, path.c_str(), &num)};
		if (!names)
			return failure("directory " + path);
		return std::vector<std::string>(names.get(), names.get() + num);
	}

	Result<std::vector<Permission>> get_perms(const std::string &path, TransactionId tx) override
	{
		if (auto dead = check_connected("get_perms " + path); !dead)
			return dead.error();
		unsigned int num = 0;
		Malloced<xs_permissions> perms{xs_get_permissions(handle_.get(), tx, path.c_str(), &num)};
		if (!perms)
			return failure("get_perms " + path);
		std::vector<Permission> out;
		for (unsigned int i = 0; i < num; i++)
			out.push_back({perms.get()[i].id,
				       static_cast<Access>(perms.get()[i].perms & (XS_PERM_READ | XS_PERM_WRITE))});
		return out;
	}

	Result<void> set_perms(const std::string &path, const std::vector<Permission> &perms,
			       TransactionId tx) override
	{
		if (auto dead = check_connected("set_perms " + path); !dead)
			return dead;
		std::vector<xs_permissions> raw;
		for (const auto &p : perms)
			raw.push_back({p.domid, static_cast<unsigned int>(p.access)});
		if (!xs_set_permissions(handle_.get(), tx, path.c_str(), raw.data(), raw.size()))
			return failure("set_perms " + path);
		return {};
	}

	Result<std::string> domain_path(unsigned domid) override
	{
		if (auto dead = check_connected("domain_path"); !dead)
			return dead.error();
		Malloced<char> path{xs_get_domain_path(handle_.get(), domid)};
		if (!path)
			return failure("domain_path " + std::to_string(domid));
		return std::string(path.get());
	}

	Result<TransactionId> transaction_start() override
	{
		if (auto dead = check_connected("transaction_start"); !dead)
			return dead.error();
		xs_transaction_t tx = xs_transaction_start(handle_.get());
		if (tx == XBT_NULL)
			return failure("transaction_start");
		return tx;
	}

	Result<void> transaction_end(TransactionId tx, bool abort) override
	{
		if (auto dead = check_connected("transaction_end"); !dead)
			return dead;
		if (!xs_transaction_end(handle_.get(), tx, abort))
			return failure(abort ? "transaction abort" : "transaction commit");
		return {};
	}

	Result<std::string> watch(const std::string &path, WatchHandler handler) override
	{
		std::string token = "memtune:" + std::to_string(next_token_++);
		watches_[token] = Watched{path, std::make_shared<WatchHandler>(std::move(handler))};
		if (auto dead = check_connected("watch " + path); !dead)
			return token; // registered by the next reconnect()
		if (!xs_watch(handle_.get(), path.c_str(), token.c_str())) {
			auto error = failure("watch " + path);
			if (!lost_) {
				watches_.erase(token);
				return error;
			}
		}
		return token;
	}

	void unwatch(const std::string &token) override
	{
		auto it = watches_.find(token);
		if (it == watches_.end())
			return;
		if (handle_ && !lost_)
			(void)xs_unwatch(handle_.get(), it->second.path.c_str(), token.c_str());
		watches_.erase(it);
	}

	int event_fd() const override { return connected() ? event_fd_ : -1; }

	Result<void> dispatch_watch_events() override
	{
		if (auto dead = check_connected("watch events"); !dead)
			return dead;
		for (;;) {
			Malloced<char *> event{xs_check_watch(handle_.get())};
			if (!event) {
				if (errno == EAGAIN)
					return {};
				lost_ = true;
				return errno_error("xs_check_watch");
			}
			auto it = watches_.find(event.get()[XS_WATCH_TOKEN]);
			if (it == watches_.end())
				continue; // a watch removed while its event was queued
			// Keep the handler alive even if it unwatches itself.
			auto handler = it->second.handler;
			(*handler)(event.get()[XS_WATCH_PATH]);
		}
	}

	bool connected() const override { return handle_ && !lost_; }

	Result<void> reconnect() override
	{
		handle_.reset(); // joins the library's reader thread
		event_fd_ = -1;
		if (auto opened = open(); !opened)
			return opened;
		for (const auto &[token, watched] : watches_) {
			if (!xs_watch(handle_.get(), watched.path.c_str(), token.c_str())) {
				auto error = failure("watch " + watched.path);
				if (lost_)
					return error;
				// A path we may not watch now; the other watches still matter.
			}
		}
		return {};
	}

private:
	struct Watched {
		std::string path;
		std::shared_ptr<WatchHandler> handler;
	};

	Result<void> check_connected(const std::string &what) const
	{
		if (connected())
			return {};
		return Error{ENOTCONN, what + ": not connected to xenstore"};
	}

	// Builds the error from errno and notices when it means the connection is gone.
	Error failure(std::string what)
	{
		Error error = errno_error(std::move(what));
		if (is_connection_lost(error))
			lost_ = true;
		return error;
	}

	XsHandle handle_;
	int event_fd_ = -1;
	bool lost_ = false;
	unsigned long next_token_ = 1;
	std::map<std::string, Watched> watches_;
};

} // namespace

bool is_connection_lost(const Error &error)
{
	switch (error.code) {
	case EBADF:      // request on the socket the reader thread closed, or EOF (xs.c read_all)
	case EINVAL:     // reply or event awaited on a closed connection (xs.c read_reply)
	case EPIPE:
	case ECONNRESET:
	case ENOTCONN:
	case EIO:
		return true;
	default:
		return false;
	}
}

Result<bool> wait_for_watch_events(XenStore &xs, std::chrono::milliseconds timeout)
{
	int fd = xs.event_fd();
	if (fd < 0)
		return Error{ENOTCONN, "wait for watch events: not connected to xenstore"};
	pollfd pfd{fd, POLLIN, 0};
	int ready;
	do
		ready = poll(&pfd, 1, static_cast<int>(timeout.count()));
	while (ready < 0 && errno == EINTR);
	if (ready < 0)
		return errno_error("poll xenstore events");
	// Dispatch even on timeout: it is also how a dead connection is noticed.
	if (auto dispatched = xs.dispatch_watch_events(); !dispatched)
		return dispatched.error();
	return ready > 0;
}

Result<std::unique_ptr<XenStore>> open_xenstore()
{
	auto xs = std::make_unique<LibXenStore>();
	if (auto opened = xs->open(); !opened)
		return opened.error();
	return std::unique_ptr<XenStore>(std::move(xs));
}

} // namespace memtune::io
