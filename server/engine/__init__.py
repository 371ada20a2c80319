"""The queue itself: every state change one Lua script in Redis (scripts, keys), the engine
that calls them, and the JSON shapes of what it returns (views)."""
