"""The two staff roles: `operators` (view everything, review and revert) and `viewers` (view only).

Created and kept in sync after every `migrate` (a post_migrate handler, see
llmops/apps.py) and on demand with `manage.py setup_roles`. Idempotent: a group's
permissions are set to exactly the role's list, so removing a permission here removes
it from the group on the next migrate. Users are put in a group in the admin
(Authentication › Users) or with `manage.py setup_roles --operator NAME --viewer NAME`.
"""

from __future__ import annotations

from django.apps import apps as global_apps

OPERATORS = "operators"
VIEWERS = "viewers"

# The apps whose models staff may see.
VIEW_APPS = ("registry", "lifecycle", "operator_app", "discovery", "llmops")

# What an operator may do beyond viewing; every admin action checks one of these.
OPERATOR_PERMISSIONS = (
    "operator_app.approve_decision",  # approve / approve and execute decisions
    "operator_app.reject_decision",   # reject decisions
    "registry.revert_change",         # revert a reversible audited change
    "registry.change_registeredmodel",  # bulk enable / disable through the audited service
    "discovery.change_openroutermodel",  # add matched catalog models as candidates, reject matches
    "lifecycle.add_modelretirement",  # set a model's retirement date (audited)
    "lifecycle.change_modelretirement",  # change a date a human set
)


def _ensure_permissions(apps) -> None:
    # post_migrate creates permissions app by app; make sure ours exist before we use them.
    from django.contrib.auth.management import create_permissions

    for label in VIEW_APPS:
        try:
            create_permissions(apps.get_app_config(label), verbosity=0, apps=global_apps)
        except LookupError:
            continue


def roles_setup(*, apps=global_apps) -> dict[str, int]:
    """Create/refresh both groups; returns {group name: number of permissions}."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    _ensure_permissions(apps)

    view = list(Permission.objects.filter(content_type__app_label__in=VIEW_APPS, codename__startswith="view_"))
    extra = []
    for dotted in OPERATOR_PERMISSIONS:
        app_label, codename = dotted.split(".")
        perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if perm is None:
            raise LookupError(f"permission {dotted} does not exist (migrations not applied?)")
        extra.append(perm)

    operators, _ = Group.objects.get_or_create(name=OPERATORS)
    operators.permissions.set(view + extra)
    viewers, _ = Group.objects.get_or_create(name=VIEWERS)
    viewers.permissions.set(view)
    return {OPERATORS: len(view) + len(extra), VIEWERS: len(view)}


def user_role_assign(*, username: str, role: str, apps=global_apps):
    """Put an existing user in `role` and make them staff (needed to log in to the admin)."""
    User = apps.get_model("auth", "User")
    Group = apps.get_model("auth", "Group")
    user = User.objects.filter(username=username).first()
    if user is None:
        raise LookupError(f"no user {username!r}")
    group = Group.objects.get(name=role)
    user.groups.add(group)
    if not user.is_staff:
        User.objects.filter(pk=user.pk).update(is_staff=True)
    return user


def roles_post_migrate(sender, **kwargs) -> None:
    """post_migrate receiver, connected for the llmops app only (so it runs once per migrate)."""
    roles_setup()
