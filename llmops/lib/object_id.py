"""A primary key that is a BSON ObjectId on MongoDB and varchar(24) on SQL databases.

Production collections already hold documents keyed by ObjectId `_id`, so our models
must find them by pk and compare foreign keys ObjectId to ObjectId there, while the same
models and the same migrations run on SQLite and PostgreSQL. In Python the value is
always the 24-hex string, generated client-side so a row has its id before it is saved.
"""

from bson import ObjectId
from bson.errors import InvalidId
from django.core import exceptions
from django.db import models


def new_object_id() -> str:
    return str(ObjectId())


def _is_mongodb(connection) -> bool:
    return connection.vendor == "mongodb"


class ObjectIdPKField(models.CharField):
    description = "ObjectId primary key (BSON ObjectId on MongoDB, varchar(24) elsewhere)"
    default_error_messages = {"invalid": "“%(value)s” is not a valid ObjectId."}

    # Every argument is fixed so the field deconstructs the same whatever the backend.
    _FIXED = {
        "primary_key": True,
        "max_length": 24,
        "db_column": "_id",
        "default": new_object_id,
        "editable": False,
        "serialize": False,
    }

    def __init__(self, *args, **kwargs):
        kwargs.update(self._FIXED)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        for key in self._FIXED:
            kwargs.pop(key, None)
        return name, "llmops.lib.object_id.ObjectIdPKField", args, kwargs

    def db_type(self, connection):
        return "objectId" if _is_mongodb(connection) else super().db_type(connection)

    def rel_db_type(self, connection):
        return "objectId" if _is_mongodb(connection) else super().rel_db_type(connection)

    def to_python(self, value):
        if value is None or value == "":
            return None if value is None else value
        if isinstance(value, ObjectId):
            return str(value)
        text = str(value).strip().lower()
        try:
            return str(ObjectId(text))
        except (InvalidId, TypeError):
            raise exceptions.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": value}
            ) from None

    def get_prep_value(self, value):
        return self.to_python(super().get_prep_value(value))

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        if value is None or value == "":
            return value
        return ObjectId(value) if _is_mongodb(connection) else value

    def from_db_value(self, value, expression, connection):
        # Foreign-key columns use the target field's converters too (Col.output_field),
        # so this also turns FK ObjectIds into strings.
        return str(value) if isinstance(value, ObjectId) else value


class Document(models.Model):
    """Base for every llmops model: the portable ObjectId key."""

    id = ObjectIdPKField()

    class Meta:
        abstract = True
