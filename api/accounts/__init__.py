"""Accounts: magic-link sign-in for buyers and organizer staff, and the buyer's /account."""
