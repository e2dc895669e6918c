"""Uploaded images (organizer logos, event images): checked, re-encoded, stored, served."""
