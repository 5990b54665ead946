from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from lifecycle.demo import DemoRefused, seed_demo
from llmops.lib.cli import as_of_argument

DEMO_ADMIN = ("admin", "admin")


class Command(BaseCommand):
    help = ("Fill an empty or demo database with a realistic demo fleet (idempotent: rerun to refresh it to now). "
            "Refuses a database holding data it did not write, unless --force.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42, help="random seed for flapping/rate-limit noise")
        parser.add_argument(
            "--force", action="store_true",
            help="seed a throwaway database that holds other data too (only rows seed_demo wrote are replaced)",
        )
        parser.add_argument(
            "--lifecycle", action="store_true",
            help="also a model that recovers and a candidate that gets in, from recorded probe results (no "
                 "provider is called): manage.py recheck_models then enables the first and proposes the second",
        )
        parser.add_argument(
            "--admin", action="store_true",
            help="also create a local superuser admin/admin if no user 'admin' exists (demo databases only)",
        )
        parser.add_argument("--as-of", metavar="ISO",
                            help="the hour the demo history ends at (default: now, UTC); reruns at one moment agree")

    def handle(self, *args, **options):
        as_of = as_of_argument(options["as_of"], writing=True)
        try:
            counts = seed_demo(seed=options["seed"], force=options["force"], as_of=as_of,
                               lifecycle=options["lifecycle"])
        except DemoRefused as exc:
            raise CommandError(f"refusing to seed: {exc}") from None
        if counts["foreign"]:
            self.stderr.write("--force: seeded next to data seed_demo did not write (left untouched): "
                              + ", ".join(f"{n:,} {name}" for name, n in counts["foreign"].items()))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo fleet as of {counts['as_of']:%Y-%m-%d %H:%M} UTC: {counts['models']} models "
                f"({counts['models_created']} new), {counts['results']} results, {counts['errors']} errors, "
                f"{counts['catalog_entries_created']} new provider-catalog entries."
            )
        )
        if options["admin"]:
            User = get_user_model()
            username, password = DEMO_ADMIN
            if not User.objects.filter(username=username).exists():
                User.objects.create_superuser(username=username, email="admin@localhost", password=password)
                self.stdout.write(f"Created demo superuser {username!r} (password {password!r}; change it).")
