"""Serving a trial on the local network over HTTPS, so phones get a secure context.

The scanner and the wallet need one (camera, service worker, WebCrypto). `poctix run --https`
makes a local certificate authority once (`ca.py`), issues a server certificate for the LAN
address (`ca.py`, `serve.py`), prints every link with a QR code for phones (`terminal.py`), and
serves the CA certificate with install steps at `/ca` (`pages.py`).
"""
