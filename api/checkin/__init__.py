"""The door: scanner pairing, device tokens, and (with sync/) scan upload and pull."""
