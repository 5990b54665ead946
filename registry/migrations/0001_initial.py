# The registry app takes over RegisteredModel (from lifecycle) and AuditLog (from operator_app).
# Their tables/collections (`models`, `operator_audit_log`) already exist, created by those apps'
# 0001 migrations, so only Django's state is created here; the data never moves. Their content
# types are renamed rather than recreated, so permissions granted on them (groups, users) stay.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import llmops.lib.object_id

MOVED = {'registeredmodel': 'lifecycle', 'auditlog': 'operator_app'}


def content_types_follow(apps, schema_editor):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    for model, old_app in MOVED.items():
        if not ContentType.objects.filter(app_label='registry', model=model).exists():
            ContentType.objects.filter(app_label=old_app, model=model).update(app_label='registry')


def content_types_return(apps, schema_editor):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    for model, old_app in MOVED.items():
        if not ContentType.objects.filter(app_label=old_app, model=model).exists():
            ContentType.objects.filter(app_label='registry', model=model).update(app_label=old_app)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('lifecycle', '0002_registeredmodel_moves_to_registry'),
        ('operator_app', '0005_auditlog_moves_to_registry'),
        ('contenttypes', '__latest__'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='RegisteredModel',
                    fields=[
                        ('id', llmops.lib.object_id.ObjectIdPKField()),
                        ('provider', models.CharField(max_length=64)),
                        ('model_id', models.CharField(max_length=255)),
                        ('display_name', models.CharField(blank=True, default='', max_length=255)),
                        ('enabled', models.BooleanField(default=True)),
                        ('deprecated', models.BooleanField(default=False)),
                        ('disabled_reason', models.TextField(blank=True, default='')),
                        ('disabled_at', models.DateTimeField(blank=True, null=True)),
                        ('disabled_by', models.CharField(blank=True, default='', max_length=150)),
                        ('disabled_class', models.CharField(blank=True, choices=[('hard_model', 'Model removed / not found'), ('hard_capability', 'Request does not fit the model'), ('content_filter', 'Content filter'), ('auth', 'Credentials / access'), ('billing', 'Billing / credit'), ('rate_limit', 'Rate limited'), ('transient', 'Transient provider error'), ('timeout', 'Timeout'), ('network', 'Network'), ('budget_exhausted', 'Benchmark budget exhausted'), ('unknown', 'Unknown'), ('manual', 'Manual (operator decision)')], default='', max_length=32)),
                        ('recheck_after', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                    ],
                    options={
                        'verbose_name': 'registered model',
                        'db_table': 'models',
                        'ordering': ('provider', 'model_id'),
                        'indexes': [models.Index(fields=['enabled', 'provider'], name='models_enabled_provider_idx'), models.Index(fields=['disabled_class'], name='models_disabled_class_idx')],
                        'constraints': [models.UniqueConstraint(fields=('provider', 'model_id'), name='models_provider_model_id_uniq')],
                    },
                ),
                migrations.CreateModel(
                    name='AuditLog',
                    fields=[
                        ('id', llmops.lib.object_id.ObjectIdPKField()),
                        ('at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('actor_type', models.CharField(choices=[('user', 'User'), ('operator', 'Operator'), ('system', 'System')], default='system', max_length=16)),
                        ('actor', models.CharField(max_length=150)),
                        ('action', models.CharField(max_length=32)),
                        ('provider', models.CharField(blank=True, default='', max_length=64)),
                        ('model_id', models.CharField(blank=True, default='', max_length=255)),
                        ('before', models.JSONField(blank=True, null=True)),
                        ('after', models.JSONField(blank=True, null=True)),
                        ('reason', models.TextField(blank=True, default='')),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('applied', 'Applied'), ('failed', 'Failed')], default='pending', max_length=16)),
                        ('error', models.TextField(blank=True, default='')),
                        ('reversible', models.BooleanField(default=False)),
                        ('reverted_at', models.DateTimeField(blank=True, null=True)),
                        ('decision_ref', models.CharField(blank=True, default='', max_length=24)),
                        ('run_ref', models.CharField(blank=True, default='', max_length=24)),
                        ('reverted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='registry.auditlog')),
                        ('reverts', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='registry.auditlog')),
                        ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'operator_audit_log',
                        'ordering': ('-at',),
                        'permissions': [('revert_change', 'Can revert audited changes')],
                        'indexes': [models.Index(fields=['-at'], name='audit_at_idx'), models.Index(fields=['provider', 'model_id'], name='audit_model_idx'), models.Index(fields=['action', '-at'], name='audit_action_idx')],
                    },
                ),
            ],
        ),
        # Reviews and changes are looked up by the decision they belong to (decision page, report).
        migrations.AddIndex(
            model_name='auditlog',
            index=models.Index(fields=['decision_ref'], name='audit_decision_ref_idx'),
        ),
        migrations.RunPython(content_types_follow, content_types_return),
    ]
