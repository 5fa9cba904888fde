#!/usr/bin/python3
"""A stand-in for MailHog: catches mail over SMTP and lists it as MailHog's API does.

SMTP on :1025 (aiosmtpd). HTTP on :8025: `GET /api/v2/messages?start=&limit=`
answers MailHog's shape, `{"total", "count", "start", "items"}`, newest first,
each item with `ID`, `From`, `To`, `Content` (`Headers`, `Body`, `Size`),
`Created` and `Raw` (`From`, `To`, `Data`, `Helo`). `MIME` is always null: the
parts of a multipart mail are not split, unlike MailHog. Everything is kept in
memory, as MailHog keeps it by default.
"""

import email.parser
import email.policy
import json
import signal
import sys
import threading
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller

MESSAGES = []  # newest last
LOCK = threading.Lock()


def path(address):
    """MailHog's Path: an address split into mailbox and domain."""
    mailbox, _, domain = address.partition("@")
    return {"Relays": None, "Mailbox": mailbox, "Domain": domain, "Params": ""}


def message(envelope, helo):
    data = envelope.content.decode("utf-8", "replace")
    head, _, body = data.partition("\r\n\r\n" if "\r\n\r\n" in data else "\n\n")
    parsed = email.parser.HeaderParser(policy=email.policy.compat32).parsestr(head + "\n\n")
    headers = {}
    for name, value in parsed.items():
        headers.setdefault(name, []).append(value)
    return {
        "ID": f"{uuid.uuid4()}@mailhog.example",
        "From": path(envelope.mail_from),
        "To": [path(to) for to in envelope.rcpt_tos],
        "Content": {"Headers": headers, "Body": body, "Size": len(envelope.content), "MIME": None},
        "Created": datetime.now(timezone.utc).isoformat(),
        "MIME": None,
        "Raw": {"From": envelope.mail_from, "To": list(envelope.rcpt_tos), "Data": data, "Helo": helo},
    }


class Catch:
    async def handle_DATA(self, server, session, envelope):
        with LOCK:
            MESSAGES.append(message(envelope, session.host_name or ""))
        return "250 Ok: caught"


class Api(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlsplit(self.path)
        if url.path != "/api/v2/messages":
            return self.answer(404, {"error": "the MailHog stand-in answers only GET /api/v2/messages"})
        query = parse_qs(url.query)
        try:
            start = int(query.get("start", ["0"])[0])
            limit = int(query.get("limit", ["50"])[0])
        except ValueError:
            return self.answer(400, {"error": "start and limit are numbers"})
        with LOCK:
            newest_first = MESSAGES[::-1]
        items = newest_first[start : start + limit]
        self.answer(200, {"total": len(newest_first), "count": len(items), "start": start, "items": items})

    def answer(self, status, document):
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    smtp = Controller(Catch(), hostname="0.0.0.0", port=1025)
    smtp.start()
    # As PID 1 of its container, a signal with no handler would be ignored.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("MailHog stand-in: SMTP on :1025, GET /api/v2/messages on :8025", flush=True)
    try:
        ThreadingHTTPServer(("0.0.0.0", 8025), Api).serve_forever()
    finally:
        smtp.stop()


if __name__ == "__main__":
    main()
