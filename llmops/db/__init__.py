"""Database backends: llmops's MongoDB engine installs onto the benchmark service's existing
database (llmops/db/mongodb) and `check_database` reports on any backend (llmops/db/storage.py)."""
