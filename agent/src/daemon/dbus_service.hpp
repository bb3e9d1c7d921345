// The agent on D-Bus, with sd-bus (libsystemd): bus name and interface org.xenmemtune.MemTune1,
// object /org/xenmemtune/MemTune1.  The interface as introspected is kept in
// agent/dbus/org.xenmemtune.MemTune1.xml, and tests/dbus checks the live one against it.
// Who may call the mutating methods is the bus policy's job
// (agent/dbus/org.xenmemtune.MemTune1.conf: root only).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "daemon/agent.hpp"
#include "io/result.hpp"

namespace memtune::daemon {

inline constexpr const char *bus_name = "org.xenmemtune.MemTune1";
inline constexpr const char *bus_path = "/org/xenmemtune/MemTune1";
inline constexpr const char *bus_interface = "org.xenmemtune.MemTune1";

struct SdBusUnref {
	void operator()(sd_bus *bus) const { sd_bus_flush_close_unref(bus); }
};
struct SdBusSlotUnref {
	void operator()(sd_bus_slot *slot) const { sd_bus_slot_unref(slot); }
};

class DBusService {
	struct Token {
		explicit Token() = default;
	};

public:
	// address: empty for the system bus, else a D-Bus address ("unix:path=/tmp/x/bus").
	static io::Result<std::unique_ptr<DBusService>> connect(Agent &agent, sd_event *loop,
								const std::string &address);
	~DBusService();

	// Emits DirectiveApplied or DirectiveRefused, and PropertiesChanged for the directive.
	void announce_answer(const Ack &ack);
	// Emits PropertiesChanged for the report.
	void announce_report();

	// Run by Refresh() after the agent was told to publish: the loop ticks now.
	std::function<void()> on_refresh;

	// Public for make_unique; only members can name the private Token.
	DBusService(Token, Agent &agent) : agent_(agent) {}

private:

	static int get_version(sd_bus *, const char *, const char *, const char *,
			       sd_bus_message *reply, void *userdata, sd_bus_error *);
	static int get_swap_mode(sd_bus *, const char *, const char *, const char *,
				 sd_bus_message *reply, void *userdata, sd_bus_error *);
	static int get_report(sd_bus *, const char *, const char *, const char *,
			      sd_bus_message *reply, void *userdata, sd_bus_error *);
	static int get_directive(sd_bus *, const char *, const char *, const char *,
				 sd_bus_message *reply, void *userdata, sd_bus_error *);
	static int get_last_ack(sd_bus *, const char *, const char *, const char *,
				sd_bus_message *reply, void *userdata, sd_bus_error *);
	static int method_reclaim(sd_bus_message *call, void *userdata, sd_bus_error *error);
	static int method_set_swap_mode(sd_bus_message *call, void *userdata, sd_bus_error *error);
	static int method_refresh(sd_bus_message *call, void *userdata, sd_bus_error *error);

	static const sd_bus_vtable vtable[];

	Agent &agent_;
	std::unique_ptr<sd_bus, SdBusUnref> bus_;
	std::unique_ptr<sd_bus_slot, SdBusSlotUnref> slot_;
};

} // namespace memtune::daemon
