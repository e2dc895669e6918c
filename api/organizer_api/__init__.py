"""The organizer API: API keys per organizer (`keys`, made on the dashboard's API keys page,
`pages`) and the versioned JSON API under `/api/v1/` (`controllers`) that they open: events,
tiers, orders, passes, check-ins and door figures, refunds, resends and check-ins."""
