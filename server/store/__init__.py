"""The Redis the hall runs on: the embedded server, its supervisor, and the health every
process reports."""
