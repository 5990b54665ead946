import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from llmops.roles import OPERATORS, VIEWERS, roles_setup


def _codenames(group):
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


@pytest.mark.django_db
def test_it_creates_both_groups_on_migrate():
    operators = Group.objects.get(name=OPERATORS)
    viewers = Group.objects.get(name=VIEWERS)
    op = _codenames(operators)
    view = _codenames(viewers)
    assert {"operator_app.approve_decision", "operator_app.reject_decision", "registry.revert_change"} <= op
    assert {"operator_app.view_decision", "registry.view_auditlog", "registry.view_registeredmodel",
            "discovery.view_openroutermodel", "llmops.view_jobfailure"} <= view
    assert view < op
    assert all(c.split(".")[1].startswith("view_") for c in view)
    assert not any(c.endswith(("delete_decision", "add_auditlog", "change_auditlog")) for c in op)


@pytest.mark.django_db
def test_it_is_idempotent_and_restores_removed_permissions():
    viewers = Group.objects.get(name=VIEWERS)
    viewers.permissions.clear()
    first = roles_setup()
    second = roles_setup()
    assert first == second
    assert Group.objects.filter(name__in=[OPERATORS, VIEWERS]).count() == 2
    assert viewers.permissions.count() == first[VIEWERS] > 0


@pytest.mark.django_db
def test_it_assigns_users_from_the_command():
    User.objects.create_user("alice", password="x")
    call_command("setup_roles", "--operator", "alice")
    alice = User.objects.get(username="alice")
    assert alice.is_staff
    assert alice.has_perm("operator_app.approve_decision")
    assert alice.has_perm("registry.view_registeredmodel")
    assert not alice.has_perm("operator_app.delete_decision")


@pytest.mark.django_db
def test_it_rejects_an_unknown_user():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no user 'nobody'"):
        call_command("setup_roles", "--viewer", "nobody")
