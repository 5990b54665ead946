"""The admin's CSS and JS are served without DEBUG (WhiteNoise over `collectstatic`'s output)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client


@pytest.fixture
def collected(settings, tmp_path):
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", "--noinput", stdout=StringIO())
    return settings.STATIC_ROOT


@pytest.mark.django_db
def test_it_serves_the_admin_stylesheet_without_debug(collected):
    assert (collected / "admin" / "css" / "base.css").is_file()
    login = Client().get("/admin/login/")
    assert login.status_code == 200 and b"/static/admin/css/base.css" in login.content
    response = Client().get("/static/admin/css/base.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert b"".join(response.streaming_content if response.streaming else [response.content]).strip()


@pytest.mark.django_db
def test_it_serves_a_compressed_copy_to_clients_that_accept_gzip(collected):
    response = Client().get("/static/admin/js/core.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response["Content-Encoding"] == "gzip"


@pytest.mark.django_db
def test_it_answers_404_for_a_static_file_that_does_not_exist(collected):
    assert Client().get("/static/admin/css/no-such-file.css").status_code == 404
