"""Operator tools the `poctix` command calls (checks, backups, …); no web code here."""
