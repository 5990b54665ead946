# AuditLog now belongs to the registry app (registry.0001_initial) and points at decisions and runs
# by decision_ref / run_ref (filled by 0004) instead of by foreign keys up into this app. The
# operator_audit_log table/collection itself stays where it is: only Django's state moves.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('operator_app', '0004_auditlog_refs_from_foreign_keys'),
    ]

    operations = [
        migrations.RemoveField(model_name='auditlog', name='decision'),
        migrations.RemoveField(model_name='auditlog', name='run'),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='AuditLog')],
            database_operations=[],
        ),
    ]
