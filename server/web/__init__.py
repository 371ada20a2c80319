"""HTTP: the Flask app and its blueprints (API, pages, leader's reports), the request guards,
and the eventlet server with its connection limits."""
