"""The MongoDB engine llmops runs on: django-mongodb-backend, whose migrations adopt the benchmark
service's existing collections and indexes instead of failing on them (see schema.py)."""

from django_mongodb_backend.base import DatabaseWrapper as MongoDatabaseWrapper

from llmops.db.mongodb.schema import DatabaseSchemaEditor


class DatabaseWrapper(MongoDatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
