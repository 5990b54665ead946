"""What a stored document holds beyond the fields our models declare.

Production collections are shared: the benchmark runner and other tools put fields on documents
that our models do not declare. Saves and updates keep them ($set of declared fields only); a
delete would lose them, so code that deletes asks here first.
"""

from __future__ import annotations

from bson import ObjectId
from django.db import connections, router


def undeclared_fields(model, pk) -> set[str]:
    """Field names on the document of `model` with primary key `pk` that the model does not declare.

    Only MongoDB documents can carry such fields; SQL rows have exactly the model's columns, so
    the answer there is always empty. A missing document has none either.
    """
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "mongodb":
        return set()
    document = connection.get_collection(model._meta.db_table).find_one({"_id": ObjectId(str(pk))})
    if document is None:
        return set()
    return set(document) - {field.column for field in model._meta.concrete_fields}
