"""Partner sites that sell an organizer's tickets (issue 18, the product's `source_site`).

An organizer registers a partner site (name and origin, api/db/partners.py) and pastes its embed
snippet, an iframe of `/e/{slug}/embed?partner={id}`, into the partner's page. The embed shows the
event's tiers; its form opens the checkout in a new tab. Why, and why the form carries its own
token instead of the CSRF cookie, is told in `pages.py`.
"""
