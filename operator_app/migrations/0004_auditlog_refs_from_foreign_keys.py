# AuditLog is about to point at decisions and runs only by the decision_ref / run_ref ids it always
# carried (0005 drops the two foreign-key columns). Any row whose ref is empty gets it from the
# column first, so no link is lost. (A migration of its own: PostgreSQL refuses to alter a table in
# the transaction that just updated it while foreign-key checks are still pending.)

from django.db import migrations


def refs_from_foreign_keys(apps, schema_editor):
    AuditLog = apps.get_model('operator_app', 'AuditLog')
    for field, ref in (('decision', 'decision_ref'), ('run', 'run_ref')):
        rows = AuditLog.objects.filter(**{ref: '', f'{field}__isnull': False}).values_list('pk', f'{field}_id')
        for pk, target in list(rows):
            AuditLog.objects.filter(pk=pk).update(**{ref: str(target)})


class Migration(migrations.Migration):

    dependencies = [
        ('operator_app', '0003_decision_claim_token'),
    ]

    operations = [
        migrations.RunPython(refs_from_foreign_keys, migrations.RunPython.noop),
    ]
