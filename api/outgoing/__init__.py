"""Outgoing webhooks: organizers' endpoints, the events POSTed to them, signed and retried.

Not Stripe's incoming webhooks (api/payments/webhooks.py). The pieces:

    targets.py    which URLs an endpoint may have (https; no private networks)
    endpoints.py  registering, disabling and removing endpoints; their sealed signing secrets
    signing.py    the `POCtix-Signature` header (HMAC-SHA256 over "<t>.<body>", Stripe-style)
    emit.py       writing an event: one delivery row and one outbox job per subscribed endpoint,
                  in the transaction of the fact (one indexed query when there is no endpoint)
    payloads.py   what each event's `data` says
    delivery.py   the outbox job that POSTs a delivery, and "Resend"
    pages.py      the dashboard's endpoints, delivery log and resend

Each fact is emitted at the one place it is decided: `order.paid` in
api/checkout/fulfilment.py (and free orders in api/checkout/placement.py), `order.refunded` in
`fulfilment.refunded`, `pass.voided` in `api.passes.services.set_status`, `pass.checked_in` in the
sync push (api/checkin/sync_service.py), `event.sold_out` where a sale takes a tier's last seat.
"""

from api.outgoing.emit import EVENT_TYPES, emit

__all__ = ["EVENT_TYPES", "emit"]
