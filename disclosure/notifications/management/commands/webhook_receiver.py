"""A tiny local webhook receiver for the demo: verifies the signature, prints the event.

    python manage.py webhook_receiver --port 9100

The secret is taken from the subscriptions pointing at this port (or --secret).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.core.management.base import BaseCommand

from disclosure.notifications.models import WebhookSubscription


def verify(secret: str, headers: Any, body: bytes) -> bool:
    msg_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(
        hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    ).decode()
    offered = [
        s.split(",", 1)[1]
        for s in headers.get("webhook-signature", "").split()
        if s.startswith("v1,")
    ]
    return any(hmac.compare_digest(expected, s) for s in offered)


class Command(BaseCommand):
    help = "Run a local receiver that verifies Standard Webhooks signatures (demo only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=9100)
        parser.add_argument("--secret", action="append", default=[])

    def handle(self, *args: Any, **options: Any) -> None:
        secrets = list(options["secret"])
        if not secrets:
            secrets = list(
                WebhookSubscription.objects.filter(url__contains=f":{options['port']}").values_list(
                    "secret", flat=True
                )
            )
        out = self.stdout

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                ok = any(verify(s, self.headers, body) for s in secrets)
                try:
                    shown = json.dumps(json.loads(body), indent=2)
                except ValueError:
                    shown = body.decode(errors="replace")
                out.write(
                    f"{'VALID' if ok else 'INVALID'} signature  id={self.headers.get('webhook-id')}"
                )
                out.write(shown)
                self.send_response(204 if ok else 401)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer((options["host"], options["port"]), Handler)
        out.write(
            f"Listening on http://{options['host']}:{options['port']}/ "
            f"with {len(secrets)} secret(s); Ctrl-C to stop."
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
