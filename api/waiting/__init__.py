"""Waiting lists of sold-out tiers: joining, offers when seats come back, claiming them."""
