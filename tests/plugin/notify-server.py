#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# notify-server.py LOG ANSWER READY: a desktop notification service for the
# tests (org.freedesktop.Notifications on the session bus it is started on,
# as a private dbus-daemon gives it). Each Notify call is appended to LOG as
# one JSON line (app_name, replaces_id, icon, summary, body, actions, hints,
# expire_timeout); then the "user" answers as the file ANSWER says at that
# moment: an action key (it is invoked), or nothing (the notification is
# dismissed). READY is written once the name is owned.
# python3-dbus with the GLib main loop (python3-gi): Debian packages.
import json
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

IFACE = "org.freedesktop.Notifications"


class Server(dbus.service.Object):
    def __init__(self, bus, log, answer):
        super().__init__(bus, "/org/freedesktop/Notifications")
        self.log, self.answer, self.last = log, answer, 0

    @dbus.service.method(IFACE, in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app, replaces, icon, summary, body, actions, hints, timeout):
        self.last += 1
        rec = {
            "app_name": str(app), "replaces_id": int(replaces), "icon": str(icon),
            "summary": str(summary), "body": str(body), "actions": [str(a) for a in actions],
            "hints": {str(k): (int(v) if isinstance(v, (dbus.Byte, dbus.Int32, dbus.UInt32)) else str(v))
                      for k, v in hints.items()},
            "expire_timeout": int(timeout),
        }
        with open(self.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        # Answered a moment later, as a person would: the caller listens
        # for the signals by then.
        GLib.timeout_add(200, self.respond, self.last)
        return self.last

    def respond(self, nid):
        try:
            with open(self.answer, encoding="utf-8") as f:
                key = f.read().strip()
        except OSError:
            key = ""
        if key:
            self.ActionInvoked(nid, key)
        self.NotificationClosed(nid, 2)
        return False

    @dbus.service.method(IFACE, in_signature="u")
    def CloseNotification(self, nid):
        self.NotificationClosed(nid, 3)

    @dbus.service.method(IFACE, out_signature="as")
    def GetCapabilities(self):
        return ["actions", "body"]

    @dbus.service.method(IFACE, out_signature="ssss")
    def GetServerInformation(self):
        return ("ukey-test-notifications", "ukey-pkcs11", "1", "1.2")

    @dbus.service.signal(IFACE, signature="uu")
    def NotificationClosed(self, nid, reason):
        pass

    @dbus.service.signal(IFACE, signature="us")
    def ActionInvoked(self, nid, key):
        pass


def main():
    log, answer, ready = sys.argv[1:4]
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    name = dbus.service.BusName(IFACE, bus, do_not_queue=True)
    server = Server(bus, log, answer)
    with open(ready, "w", encoding="utf-8") as f:
        f.write("ready\n")
    GLib.MainLoop().run()
    del name, server


if __name__ == "__main__":
    main()
