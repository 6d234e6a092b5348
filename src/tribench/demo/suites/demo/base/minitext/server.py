"""A token-streaming HTTP server (server-sent events), standard library only.

    python -m minitext.server --port 8000

GET /health answers 200 once the server listens. POST /generate with a JSON body
`{"prompt": "...", "max_tokens": 64}` streams one event per generated token,
`data: {"token": <id>, "text": "<delta>"}`, then `data: {"usage": {...}}` and `data: [DONE]`.
"""

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from minitext.model import generate
from minitext.stream import stream_text
from minitext.vocab import encode


class Handler(BaseHTTPRequestHandler):
    # One small write per token: without TCP_NODELAY, Nagle's algorithm delays them.
    disable_nagle_algorithm = True

    def do_GET(self):
        if self.path != "/health":
            self.send_error(404)
            return
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        if self.path != "/generate":
            self.send_error(404)
            return
        try:
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            prompt, max_tokens = str(request["prompt"]), int(request.get("max_tokens", 64))
        except (ValueError, KeyError, TypeError) as exc:
            self.send_error(400, f"bad request: {exc}")
            return
        prompt_ids = encode(prompt)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        generated = 0
        for token, delta in stream_text(prompt_ids, generate(prompt_ids, max_tokens)):
            self._event({"token": token, "text": delta})
            generated += 1
        self._event({"usage": {"prompt_tokens": len(prompt_ids), "completion_tokens": generated}})
        self.wfile.write(b"data: [DONE]\n\n")

    def _event(self, payload):
        self.wfile.write(b"data: " + json.dumps(payload).encode("utf-8") + b"\n\n")

    def log_message(self, format, *args):  # one line per request would dominate the log
        pass


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print(f"minitext server listening on http://{args.host}:{args.port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
