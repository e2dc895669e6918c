"""Cross-cutting web plumbing: errors, request ids, logs, Sentry, the database dependency."""
