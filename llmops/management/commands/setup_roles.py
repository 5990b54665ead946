"""Create or refresh the `operators` and `viewers` groups; optionally put users in them.

migrate already does this (post_migrate); run it after adding a user, e.g.
`manage.py setup_roles --operator alice --viewer bob`.
"""

from django.core.management.base import BaseCommand, CommandError

from llmops.roles import OPERATORS, VIEWERS, roles_setup, user_role_assign


class Command(BaseCommand):
    help = "Create/refresh the operators and viewers groups and optionally assign users to them."

    def add_arguments(self, parser):
        parser.add_argument("--operator", action="append", default=[], metavar="USERNAME",
                            help="put this existing user in the operators group (repeatable)")
        parser.add_argument("--viewer", action="append", default=[], metavar="USERNAME",
                            help="put this existing user in the viewers group (repeatable)")

    def handle(self, *args, **options):
        counts = roles_setup()
        for role, names in ((OPERATORS, options["operator"]), (VIEWERS, options["viewer"])):
            for name in names:
                try:
                    user_role_assign(username=name, role=role)
                except LookupError as exc:
                    raise CommandError(str(exc)) from None
                self.stdout.write(f"{name}: added to {role}")
        for role, count in counts.items():
            self.stdout.write(f"group {role}: {count} permissions")
