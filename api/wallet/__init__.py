"""Everything the buyer's wallet needs from the server (pwa/wallet/ is the offline wallet app).

`controllers.py`: the JSON the offline wallet stores (an order's passes, every order of the
signed-in buyer). `apple.py`, `google.py`: passes in the phone's own wallet, Apple Wallet
`.pkpass` files and "Save to Google Wallet" links, offered only when their settings are
configured (see `Settings.apple_wallet_enabled` and `Settings.google_wallet_enabled`); the
barcode in either is the same signed pass token the QR on `/passes/{order}` shows, so the door
scanner needs nothing new. `tickets.py`: one pass as those two wallets show it.
"""
