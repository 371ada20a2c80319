"""Who is asking: sessions, sign-in with its guard, device tokens, and the hall's own TLS CA."""
