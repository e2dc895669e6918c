"""The outbox: durable background jobs written in the transaction that causes them.

`worker.py` claims and runs them (emails, Stripe refunds) and sweeps lapsed holds: `poctix worker`,
or the two child processes of `poctix run`. The email kinds are written and rendered in
`api/mail/outbox.py`; the rows are `api.db.OutboxMessage`.
"""
