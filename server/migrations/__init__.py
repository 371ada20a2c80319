"""Alembic migrations of the SQL archive (server/history/archive_schema.py is the model; each change
to it comes with a revision here). ``qms serve`` and ``qms archive`` upgrade the archive to
the newest revision when they open it; ``qms archive-db`` shows or applies them by hand."""
