"""Suite-wide fixtures.

Every test runs under the MongoDB compile check: each query our apps execute (on SQLite
or PostgreSQL) is recorded and compiled with django-mongodb-backend, without a server,
so a query that MongoDB cannot express fails the test that ran it. Tests that build
such queries on purpose opt out with @pytest.mark.no_compile_check.
"""

import pytest

from tests import mongo_compile


@pytest.fixture(autouse=True)
def mongo_compile_check(request):
    if request.node.get_closest_marker("no_compile_check"):
        yield []
        return
    with mongo_compile.record_queries() as recorded:
        yield recorded
    mongo_compile.check_recorded(recorded)
