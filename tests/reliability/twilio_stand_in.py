"""A local stand-in for Twilio's Messages API, and the real Twilio SMS backend pointed at it.

The stand-in is a real HTTP server on loopback. It answers `POST /2010-04-01/Accounts/{sid}/Messages.json`
from a script: an error status gets Twilio's documented error body (`code`, `message`, `more_info`,
`status`), 201 the created message resource. The backend is the product's `TwilioSmsBackend` with the real
`twilio` client (and its real HTTP transport); only the API's base URL points at the stand-in.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from django.conf import settings
from twilio.rest import Client

from recovery.messaging.backends import TwilioSmsBackend

# Twilio's error codes for these statuses (https://www.twilio.com/docs/api/errors).
ERRORS = {429: (20429, "Too Many Requests"), 500: (20500, "Internal Server Error"),
          503: (20503, "Service Unavailable")}


class TwilioStandIn:
    """Answers each request with the next status in `script` (the last one repeats); records every request."""

    def __init__(self, script: list[int]):
        self.script, self.requests = list(script), []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the http.server API)
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"] or 0)).decode())
                stand_in.requests.append({"path": self.path, "form": {k: v[0] for k, v in form.items()},
                                          "at": time.monotonic()})
                status = stand_in.script.pop(0) if len(stand_in.script) > 1 else stand_in.script[0]
                body = stand_in.answer(status, self.path, form, sid=f"SM{len(stand_in.requests):032x}")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @staticmethod
    def answer(status: int, path: str, form: dict, *, sid: str) -> bytes:
        if status >= 400:
            code, message = ERRORS.get(status, (20001, "Error"))
            return json.dumps({"code": code, "message": message, "status": status,
                               "more_info": f"https://www.twilio.com/docs/errors/{code}"}).encode()
        account = path.split("/")[3]
        return json.dumps({
            "sid": sid, "account_sid": account, "api_version": "2010-04-01", "status": "queued",
            "to": form["To"][0], "from": form.get("From", [None])[0], "body": form["Body"][0],
            "direction": "outbound-api", "num_segments": "1", "num_media": "0", "error_code": None,
            "error_message": None, "date_created": "Wed, 18 Nov 2026 20:00:00 +0000", "price": None,
            "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json", "subresource_uris": {},
        }).encode()

    def __enter__(self) -> TwilioStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()


class StandInTwilioSmsBackend(TwilioSmsBackend):
    """The product's Twilio backend, its real client sending to `settings.TWILIO_STAND_IN_URL`."""

    def __init__(self):
        client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
        client.api.base_url = settings.TWILIO_STAND_IN_URL
        super().__init__(client=client)
