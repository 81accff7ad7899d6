#!/usr/bin/env python3
"""The demo backend: answers every request with what nginx told it.

It sees only requests the gate admitted, and the identity nginx passes on
in X-Secauth-* headers.
"""

import html
import http.server
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/send-reset-mail":
            return self.send_reset_mail()

        def header(name):
            return html.escape(self.headers.get(name, ""))

        user = header("X-Secauth-User")
        method = header("X-Secauth-Method")
        role = header("X-Secauth-Role")
        path = html.escape(self.path)
        body = (
            "<!doctype html><title>demo backend</title>"
            "<h1>demo backend</h1>"
            f"<p>path: {path}</p>"
            f"<p>user: {user or '(none)'} via {method or '(none)'}</p>"
            f"<p>role claim: {role or '(none)'}</p>"
            '<form method="post" action="/logout">'
            '<button type="submit">Log out</button></form>'
            '<form method="post" action="/logout?everywhere=1">'
            '<button type="submit">Log out everywhere</button></form>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def send_reset_mail(self):
        # the demo's "mailer": nginx's secauth_reset_notify location hands
        # it the user and the link; a real one queues a mail and answers
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()
        sys.stderr.write("backend: reset link for %s: %s\n" % (
            self.headers.get("X-Reset-User", ""),
            self.headers.get("X-Reset-Link", "")))

    def log_message(self, fmt, *args):
        sys.stderr.write("backend: " + (fmt % args) + "\n")


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8081
    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler) \
        .serve_forever()
