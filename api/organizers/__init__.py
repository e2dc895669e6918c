"""Who sells: organizers' applications, their members and roles, their public profile."""
