# Decisions now read in the spec's vocabulary, and approving carries a decision out:
# - `executed` becomes `auto_executed` when the operator ran it unattended, `approved` (with its
#   executed_at) when a human approved it;
# - an approved decision that changes nothing (monitor, ignore) is `acknowledged`;
# - an approved disable that was never carried out (approval used to need --execute) goes back
#   to `pending`, so approving it again carries it out; the earlier approval stays in the audit log
#   and is noted on the decision. No decision is left approved with nothing to move it on.

from django.db import migrations

CHANGE_ACTIONS = ("disable", "enable", "rename")


def forward(apps, schema_editor):
    Decision = apps.get_model('operator_app', 'Decision')
    Decision.objects.filter(status='executed', reviewer_name='operator').update(status='auto_executed')
    Decision.objects.filter(status='executed').update(status='approved')
    Decision.objects.filter(status='approved', executed_at__isnull=True).exclude(
        action__in=CHANGE_ACTIONS).update(status='acknowledged')
    stuck = Decision.objects.filter(status='approved', executed_at__isnull=True, action__in=CHANGE_ACTIONS)
    for pk, who, when in list(stuck.values_list('pk', 'reviewer_name', 'reviewed_at')):
        note = (f"approved by {who or 'someone'} on {when:%Y-%m-%d %H:%M} UTC before approving carried decisions "
                "out; approve it again to carry it out") if when else "approved before approving carried decisions out"
        Decision.objects.filter(pk=pk, status='approved').update(
            status='pending', execution_error=note, reviewer=None, reviewer_name='', reviewed_at=None)


def backward(apps, schema_editor):
    Decision = apps.get_model('operator_app', 'Decision')
    Decision.objects.filter(status='auto_executed').update(status='executed')
    Decision.objects.filter(status='approved', executed_at__isnull=False).update(status='executed')
    Decision.objects.filter(status='acknowledged').update(status='approved')


class Migration(migrations.Migration):

    dependencies = [
        ('operator_app', '0006_decision_status_vocabulary'),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
