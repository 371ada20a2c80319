"""Talking to devices and nothing else: rating panels and LED displays on serial lines,
ticket printers, and the agent that connects them to the server."""
