"""Clock correction: ordering scans by one clock even when a phone's clock is hours off.

Every exchange with the server returns the server's time. The device notes its own clock when it
sent the request and when the answer arrived, and takes the midpoint as the moment the server
read its clock (half the round trip each way). The offset is the difference:

    offset = server_time - floor((sent_at + received_at) / 2)

Scans then carry `scanned_at = device_now + offset` (`corrected_now`), so the canonical first
admission is decided by corrected times. The device keeps the latest offset; the server keeps its
own receipt time apart from `scanned_at` and never rewrites it.
"""

from __future__ import annotations

from sync.wire import is_int


def clock_offset(*, server_time: int, sent_at: int, received_at: int) -> int:
    """Milliseconds to add to the device clock to read server time."""
    if not (is_int(server_time) and is_int(sent_at) and is_int(received_at)):
        raise ValueError("times must be integers (milliseconds since the Unix epoch)")
    return server_time - (sent_at + received_at) // 2


def corrected_now(device_now: int, offset: int) -> int:
    """The device clock read in server time."""
    return device_now + offset
