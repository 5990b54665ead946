"""django-mongodb-backend with a schema editor that adopts what is already there (schema.py)."""
