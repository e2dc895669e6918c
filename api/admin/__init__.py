"""The platform operator's and organizers' back office (HTTP Basic for the operator)."""
