#!/usr/bin/env python3
"""A webhook receiver for benchmarks: answers every POST 204 at once, counts the distinct
`webhook-id`s it got and tells the count on GET. Usage: receiver.py PORT"""
import http.server
import sys
import threading

seen = set()
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        with lock:
            seen.add(self.headers.get("webhook-id"))
        self.send_response(204)
        self.end_headers()

    def do_GET(self):
        body = str(len(seen)).encode()
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
