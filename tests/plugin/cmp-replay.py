#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""cmp-replay.py PORTFILE record UPSTREAM FILE [--nth N] | replay FILE

An HTTP relay between `ukey renew --protocol cmp` and OpenSSL's mock CMP
server (plugin/ukey-renew-cmp-mock.sh). record: every POST goes to UPSTREAM
(http://host:port) and the first answer's bytes (the N-th's with --nth)
are kept in FILE. replay:
every POST is answered with FILE, a genuine answer of the CA to an earlier
message: its signature and transaction ID are right, its recipient nonce is
not (the client must refuse it). Listens on 127.0.0.1, port 0; the port is
written to PORTFILE."""
import http.server
import os
import sys
import urllib.request

portfile, mode = sys.argv[1], sys.argv[2]
upstream = sys.argv[3] if mode == "record" else None
keep = sys.argv[4] if mode == "record" else sys.argv[3]
nth = int(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[5] == "--nth" else 1
seen = [0]


class Relay(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if mode == "record":
            req = urllib.request.Request(upstream + self.path, data=body,
                                         headers={"Content-Type": "application/pkixcmp"})
            with urllib.request.urlopen(req, timeout=30) as r:
                answer = r.read()
            seen[0] += 1
            if seen[0] == nth:
                with open(keep, "wb") as f:
                    f.write(answer)
        else:
            with open(keep, "rb") as f:
                answer = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/pkixcmp")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, fmt, *args):
        sys.stderr.write("cmp-replay: " + fmt % args + "\n")


srv = http.server.HTTPServer(("127.0.0.1", 0), Relay)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
