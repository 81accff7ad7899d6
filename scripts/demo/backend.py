#!/usr/bin/env python3
"""The demo backend: answers every request with what nginx told it.

It sees only requests the gate admitted, and the identity nginx passes on
in X-Secauth-* headers.
"""

import http.server
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        user = self.headers.get("X-Secauth-User", "")
        method = self.headers.get("X-Secauth-Method", "")
        role = self.headers.get("X-Secauth-Role", "")
        body = (
            "<!doctype html><title>demo backend</title>"
            "<h1>demo backend</h1>"
            f"<p>path: {self.path}</p>"
            f"<p>user: {user or '(none)'} via {method or '(none)'}</p>"
            f"<p>role claim: {role or '(none)'}</p>"
        ).encode()
        # the values come from nginx; escape them all the same
        body = body.replace(b"<script", b"&lt;script")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, fmt, *args):
        sys.stderr.write("backend: " + (fmt % args) + "\n")


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8081
    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler) \
        .serve_forever()
