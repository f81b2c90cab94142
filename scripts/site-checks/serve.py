#!/usr/bin/env python3
"""Serves a folder on 127.0.0.1 with Python's http.server, as any static
host would, for the sub-path link check.

    serve.py PORT FOLDER

Only one thing is added to http.server's SimpleHTTPRequestHandler: the
`LinkChecker` response header, with which LinkChecker allows itself more
than 10 requests a second on this server (its documented opt-in for
servers that want to be checked faster).
"""

import functools
import http.server
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self):
        self.send_header("LinkChecker", "allowed")
        super().end_headers()

    def log_message(self, format, *args):  # quiet: findings come from the checker
        pass


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    port, folder = int(argv[1]), argv[2]
    handler = functools.partial(Handler, directory=folder)
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
