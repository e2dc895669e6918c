"""Passes in the phone's own wallet: Apple Wallet `.pkpass` files and "Save to Google Wallet" links.

Both are offered only when their settings are configured (see `Settings.apple_wallet_enabled` and
`Settings.google_wallet_enabled`). The barcode in either is the same signed pass token the QR on
`/passes/{order}` shows, so the door scanner needs nothing new.
"""
