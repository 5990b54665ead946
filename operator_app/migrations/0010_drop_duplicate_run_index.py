"""`decisions_run_idx` indexed {run_id: 1}, which the `Decision.run` foreign key already indexes.
On MongoDB the second index with the same keys is code 85 (IndexOptionsConflict): llmops's schema
editor skips it in 0001 and finds nothing to drop here; on SQLite/PostgreSQL, where 0001 made the
duplicate, this drops it (the foreign key's own index stays)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('operator_app', '0009_operator_lease_and_abandoned_runs'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='decision',
            name='decisions_run_idx',
        ),
    ]
