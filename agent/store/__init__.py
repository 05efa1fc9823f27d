"""What is kept: the SQLAlchemy store (SQLite WAL or PostgreSQL) with its schema, grouped writer and cross-process state, and the support audit read from it."""
