"""The central server of the queue system.

This package file stays free of imports: ``qms serve`` must monkey-patch eventlet before
any socket or threading module is loaded. The app factory lives in ``server.web.app``.
"""


def create_app(*args, **kwargs):
    """Build the Flask app (see :func:`server.web.app.create_app`)."""
    from .web.app import create_app as _create_app

    return _create_app(*args, **kwargs)
