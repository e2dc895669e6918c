"""Passes: signed tokens, event keys, issuing and voiding (each a server-origin sync change)."""
