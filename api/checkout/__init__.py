"""Checkout: orders, capacity holds, and the order's life (paid, expired, refunded, disputed)."""
