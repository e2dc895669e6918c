"""The `POCtix-Signature` header, as Stripe signs its webhooks.

`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the endpoint's secret>`. The
timestamp is that of the attempt (a retry signs again), so a receiver can refuse old or replayed
requests with a tolerance window; the body is the same bytes every time.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "POCtix-Signature"


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def header(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    moment = int(time.time()) if timestamp is None else timestamp
    return f"t={moment},v1={signature(secret=secret, timestamp=moment, body=body)}"
