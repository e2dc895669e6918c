"""Payments: the Stripe gateway, webhooks, refunds and organizer onboarding (Connect)."""
