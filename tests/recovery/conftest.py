"""Fixtures for the recovery tests: the Shopify stand-in served over HTTP (see shopify_stand_in.py) and a signed
webhook delivered and processed."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import time_machine
from celery.exceptions import Retry

from tests.helpers import process_inbox
from tests.payloads import post_shopify
from tests.recovery.shopify_stand_in import ShopifyStandIn


@pytest.fixture
def shopify_api(settings):
    stand_in = ShopifyStandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, headers, payload = stand_in.answer(self.path, self.headers, body)
            encoded = json.dumps(payload).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        def log_message(self, format, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    settings.SHOPIFY_ADMIN_BASE_URL = f"http://127.0.0.1:{server.server_address[1]}"
    yield stand_in
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def deliver(client, shopify_store, django_capture_on_commit_callbacks):
    """Post a signed Shopify webhook through the real view, then process the inbox with the real task (eagerly),
    one minute after the payload fixtures' last checkout update (not yet abandoned). A delivery that fails is
    retried by the task, which eagerly raises Retry: `fails=True` expects that."""

    def _deliver(payload, *, fails: bool = False, **kwargs):
        with (
            time_machine.travel("2026-11-20T15:16:00Z", tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = post_shopify(client, payload, **kwargs)
            if fails:
                with pytest.raises(Retry):
                    process_inbox()
            else:
                process_inbox()
            return response

    return _deliver
