# RegisteredModel now belongs to the registry app (registry.0001_initial). Only Django's state
# moves: the `models` table/collection and its data stay exactly where they are.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('lifecycle', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='RegisteredModel')],
            database_operations=[],
        ),
    ]
