#include "arbiter/xen_memory.hpp"

#include <cstdlib>

#include <nlohmann/json.hpp>

extern "C" {
#include <libxl.h>
#include <libxl_utils.h>
#include <xentoollog.h>
}

#include "io/procfs.hpp"
#include "io/xenstore.hpp"

namespace memtune::arbiter {
namespace {

struct LoggerFree {
	void operator()(xentoollog_logger_stdiostream *l) const
	{
		xtl_logger_destroy(reinterpret_cast<xentoollog_logger *>(l));
	}
};
struct CtxFree {
	void operator()(libxl_ctx *ctx) const { libxl_ctx_free(ctx); }
};

class Libxl : public XenMemory {
public:
	Libxl(std::unique_ptr<xentoollog_logger_stdiostream, LoggerFree> logger,
	      std::unique_ptr<libxl_ctx, CtxFree> ctx)
		: logger_(std::move(logger)), ctx_(std::move(ctx))
	{
	}

	io::Result<XenHost> read() override
	{
		XenHost host;
		libxl_physinfo physinfo;
		libxl_physinfo_init(&physinfo);
		const int rc = libxl_get_physinfo(ctx_.get(), &physinfo);
		// Pages of 4 KiB (x86).
		host.total_kb = physinfo.total_pages * 4;
		libxl_physinfo_dispose(&physinfo);
		if (rc)
			return io::Error{EIO, "libxl_get_physinfo failed"};
		if (libxl_get_free_memory(ctx_.get(), &host.free_kb))
			return io::Error{EIO, "libxl_get_free_memory failed"};
		int n = 0;
		libxl_dominfo *info = libxl_list_domain(ctx_.get(), &n);
		if (!info)
			return io::Error{EIO, "libxl_list_domain failed"};
		for (int i = 0; i < n; i++) {
			if (info[i].dying || info[i].shutdown)
				continue;
			XenDomain d;
			d.domid = info[i].domid;
			d.current_kb = info[i].current_memkb;
			d.max_kb = info[i].max_memkb;
			if (char *name = libxl_domid_to_name(ctx_.get(), d.domid)) {
				d.name = name;
				std::free(name);
			}
			host.domains.push_back(std::move(d));
		}
		libxl_dominfo_list_free(info, n);
		return host;
	}

	io::Result<void> set_target(std::uint32_t domid, std::uint64_t target_kb) override
	{
		// enforce=1: also sets Xen's maxmem, as xl mem-set does.
		if (libxl_set_memory_target(ctx_.get(), domid, static_cast<int64_t>(target_kb), 0, 1))
			return io::Error{EIO, "libxl_set_memory_target(" + std::to_string(domid) +
						      ", " + std::to_string(target_kb) + ") failed"};
		return {};
	}

private:
	std::unique_ptr<xentoollog_logger_stdiostream, LoggerFree> logger_;
	std::unique_ptr<libxl_ctx, CtxFree> ctx_;
};

class FileMemory : public XenMemory {
public:
	FileMemory(std::string path, std::unique_ptr<io::XenStore> xs)
		: path_(std::move(path)), xs_(std::move(xs))
	{
	}

	io::Result<XenHost> read() override
	{
		auto text = io::read_text_file(path_);
		if (!text)
			return text.error();
		auto json = nlohmann::json::parse(*text, nullptr, false);
		if (json.is_discarded() || !json.is_object())
			return io::Error{EINVAL, path_ + ": not a JSON object"};
		XenHost host;
		try {
			host.total_kb = json.at("total_kb").get<std::uint64_t>();
			host.free_kb = json.at("free_kb").get<std::uint64_t>();
			for (const auto &d : json.at("domains"))
				host.domains.push_back({d.at("domid").get<std::uint32_t>(),
							d.value("name", ""),
							d.at("current_kb").get<std::uint64_t>(),
							d.value("max_kb", std::uint64_t{0})});
		} catch (const nlohmann::json::exception &e) {
			return io::Error{EINVAL, path_ + ": " + e.what()};
		}
		return host;
	}

	io::Result<void> set_target(std::uint32_t domid, std::uint64_t target_kb) override
	{
		return xs_->write("/local/domain/" + std::to_string(domid) + "/memory/target",
				  std::to_string(target_kb));
	}

private:
	std::string path_;
	std::unique_ptr<io::XenStore> xs_;
};

} // namespace

io::Result<std::unique_ptr<XenMemory>> open_libxl()
{
	std::unique_ptr<xentoollog_logger_stdiostream, LoggerFree> logger(
		xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0));
	if (!logger)
		return io::Error{ENOMEM, "xtl_createlogger_stdiostream failed"};
	libxl_ctx *ctx = nullptr;
	if (libxl_ctx_alloc(&ctx, LIBXL_VERSION, 0,
			    reinterpret_cast<xentoollog_logger *>(logger.get())))
		return io::Error{EIO, "libxl_ctx_alloc failed (not Dom0, or not root?)"};
	return std::unique_ptr<XenMemory>(
		std::make_unique<Libxl>(std::move(logger), std::unique_ptr<libxl_ctx, CtxFree>(ctx)));
}

io::Result<std::unique_ptr<XenMemory>> open_file_memory(const std::string &path)
{
	auto xs = io::open_xenstore();
	if (!xs)
		return xs.error();
	return std::unique_ptr<XenMemory>(std::make_unique<FileMemory>(path, std::move(*xs)));
}

} // namespace memtune::arbiter
