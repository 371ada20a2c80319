"""Years of history: the archiver that projects the streams into SQL, the archive's schema
(migrations in server/migrations), and the reports, exports and charts read from it."""
