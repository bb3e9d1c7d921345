#include "daemon/dbus_service.hpp"

#include <string>

#include "io/journal.hpp"

namespace memtune::daemon {
namespace {

int append_string_map(sd_bus_message *reply, const KeyValues &kv)
{
	int r = sd_bus_message_open_container(reply, 'a', "{ss}");
	if (r < 0)
		return r;
	for (const auto &[key, value] : kv) {
		r = sd_bus_message_append(reply, "{ss}", key.c_str(), value.c_str());
		if (r < 0)
			return r;
	}
	return sd_bus_message_close_container(reply);
}

// Who called, for the journal: "D-Bus uid 0 (:1.42)".
std::string caller(sd_bus_message *call)
{
	std::string who = "D-Bus";
	sd_bus_creds *creds = nullptr;
	uid_t uid;
	if (sd_bus_query_sender_creds(call, SD_BUS_CREDS_EUID, &creds) >= 0 &&
	    sd_bus_creds_get_euid(creds, &uid) >= 0)
		who += " uid " + std::to_string(uid);
	sd_bus_creds_unref(creds);
	if (const char *sender = sd_bus_message_get_sender(call))
		who += std::string(" (") + sender + ")";
	return who;
}

} // namespace

// clang-format off
const sd_bus_vtable DBusService::vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Version", "u", DBusService::get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("SwapMode", "s", DBusService::get_swap_mode, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Report", "a{ss}", DBusService::get_report, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Directive", "a{ss}", DBusService::get_directive, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("LastAck", "(tss)", DBusService::get_last_ack, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_METHOD_WITH_NAMES("Reclaim", "t", SD_BUS_PARAM(size_kib), "ss",
				 SD_BUS_PARAM(result) SD_BUS_PARAM(reason),
				 DBusService::method_reclaim, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("SetSwapMode", "s", SD_BUS_PARAM(mode), "ss",
				 SD_BUS_PARAM(result) SD_BUS_PARAM(reason),
				 DBusService::method_set_swap_mode, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("Refresh", "", "", DBusService::method_refresh, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_SIGNAL_WITH_NAMES("DirectiveApplied", "tss",
				 SD_BUS_PARAM(seq) SD_BUS_PARAM(result) SD_BUS_PARAM(reason), 0),
	SD_BUS_SIGNAL_WITH_NAMES("DirectiveRefused", "ts", SD_BUS_PARAM(seq) SD_BUS_PARAM(reason), 0),
	SD_BUS_VTABLE_END,
};
// clang-format on

io::Result<std::unique_ptr<DBusService>> DBusService::connect(Agent &agent, sd_event *loop,
								const std::string &address)
{
	auto service = std::make_unique<DBusService>(Token{}, agent);
	sd_bus *bus = nullptr;
	int r;
	if (address.empty()) {
		r = sd_bus_open_system_with_description(&bus, "xen-memtuned");
		if (r < 0)
			return io::errno_error("connect to the system bus", -r);
		service->bus_.reset(bus);
	} else {
		r = sd_bus_new(&bus);
		if (r < 0)
			return io::errno_error("sd_bus_new", -r);
		service->bus_.reset(bus);
		if ((r = sd_bus_set_address(bus, address.c_str())) < 0 ||
		    (r = sd_bus_set_bus_client(bus, 1)) < 0 || (r = sd_bus_start(bus)) < 0)
			return io::errno_error("connect to D-Bus at " + address, -r);
	}
	sd_bus_slot *slot = nullptr;
	r = sd_bus_add_object_vtable(bus, &slot, bus_path, bus_interface, vtable, service.get());
	if (r < 0)
		return io::errno_error("register the D-Bus object", -r);
	service->slot_.reset(slot);
	r = sd_bus_request_name(bus, bus_name, 0);
	if (r < 0)
		return io::errno_error(std::string("request the D-Bus name ") + bus_name +
					       " (is the bus policy file installed?)",
				       -r);
	r = sd_bus_attach_event(bus, loop, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		return io::errno_error("attach D-Bus to the event loop", -r);
	return service;
}

DBusService::~DBusService()
{
	if (bus_)
		sd_bus_detach_event(bus_.get());
}

void DBusService::announce_answer(const Ack &ack)
{
	if (ack.result == AckResult::refused)
		sd_bus_emit_signal(bus_.get(), bus_path, bus_interface, "DirectiveRefused", "ts",
				   static_cast<uint64_t>(ack.seq), ack.reason.c_str());
	else
		sd_bus_emit_signal(bus_.get(), bus_path, bus_interface, "DirectiveApplied", "tss",
				   static_cast<uint64_t>(ack.seq),
				   std::string(to_string(ack.result)).c_str(), ack.reason.c_str());
	sd_bus_emit_properties_changed(bus_.get(), bus_path, bus_interface, "Directive", "LastAck",
				       "SwapMode", nullptr);
}

void DBusService::announce_report()
{
	sd_bus_emit_properties_changed(bus_.get(), bus_path, bus_interface, "Report", nullptr);
}

int DBusService::get_version(sd_bus *, const char *, const char *, const char *,
			     sd_bus_message *reply, void *, sd_bus_error *)
{
	return sd_bus_message_append(reply, "u", static_cast<uint32_t>(protocol_version));
}

int DBusService::get_swap_mode(sd_bus *, const char *, const char *, const char *,
			       sd_bus_message *reply, void *userdata, sd_bus_error *)
{
	auto *self = static_cast<DBusService *>(userdata);
	return sd_bus_message_append(reply, "s",
				     std::string(to_string(self->agent_.swap_mode())).c_str());
}

int DBusService::get_report(sd_bus *, const char *, const char *, const char *,
			    sd_bus_message *reply, void *userdata, sd_bus_error *)
{
	auto *self = static_cast<DBusService *>(userdata);
	return append_string_map(reply, self->agent_.published_report());
}

int DBusService::get_directive(sd_bus *, const char *, const char *, const char *,
			       sd_bus_message *reply, void *userdata, sd_bus_error *)
{
	auto *self = static_cast<DBusService *>(userdata);
	KeyValues kv;
	if (const auto &d = self->agent_.current_directive()) {
		kv.emplace_back("seq", std::to_string(d->seq));
		kv.emplace_back("expires", std::to_string(d->expires_s));
		if (d->swap_mode)
			kv.emplace_back("swap-mode", std::string(to_string(*d->swap_mode)));
		if (d->reclaim_kb)
			kv.emplace_back("reclaim-kb", std::to_string(*d->reclaim_kb));
		if (d->swappiness)
			kv.emplace_back("swappiness", std::to_string(*d->swappiness));
	}
	return append_string_map(reply, kv);
}

int DBusService::get_last_ack(sd_bus *, const char *, const char *, const char *,
			      sd_bus_message *reply, void *userdata, sd_bus_error *)
{
	auto *self = static_cast<DBusService *>(userdata);
	const auto &ack = self->agent_.last_ack();
	if (!ack)
		return sd_bus_message_append(reply, "(tss)", uint64_t{0}, "", "");
	return sd_bus_message_append(reply, "(tss)", static_cast<uint64_t>(ack->seq),
				     std::string(to_string(ack->result)).c_str(),
				     ack->reason.c_str());
}

int DBusService::method_reclaim(sd_bus_message *call, void *userdata, sd_bus_error *)
{
	auto *self = static_cast<DBusService *>(userdata);
	uint64_t kib = 0;
	int r = sd_bus_message_read(call, "t", &kib);
	if (r < 0)
		return r;
	Outcome out = self->agent_.reclaim(kib, caller(call));
	return sd_bus_reply_method_return(call, "ss", std::string(to_string(out.result)).c_str(),
					  out.reason.c_str());
}

int DBusService::method_set_swap_mode(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
	auto *self = static_cast<DBusService *>(userdata);
	const char *text = nullptr;
	int r = sd_bus_message_read(call, "s", &text);
	if (r < 0)
		return r;
	auto mode = parse_swap_mode(text);
	if (!mode)
		return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
					mode.error().message.c_str());
	Outcome out = self->agent_.set_swap_mode(*mode, caller(call));
	sd_bus_emit_properties_changed(self->bus_.get(), bus_path, bus_interface, "SwapMode",
				       nullptr);
	return sd_bus_reply_method_return(call, "ss", std::string(to_string(out.result)).c_str(),
					  out.reason.c_str());
}

int DBusService::method_refresh(sd_bus_message *call, void *userdata, sd_bus_error *)
{
	auto *self = static_cast<DBusService *>(userdata);
	// A full rewrite: Refresh() is how an operator repairs a report someone else edited.
	self->agent_.force_publish("Refresh() from " + caller(call), Agent::Rewrite::every_key);
	// The event loop's timer runs the publish; nudge it through the callback.
	if (self->on_refresh)
		self->on_refresh();
	return sd_bus_reply_method_return(call, "");
}

} // namespace memtune::daemon
