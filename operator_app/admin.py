from django.contrib import admin

from operator_app.models import AuditLog, Decision, OperatorRun


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ("provider", "model_id", "action", "confidence", "status", "error_class", "auto_execute", "suggested_at")
    list_filter = ("status", "action", "provider", "suggested_by", "error_class")
    search_fields = ("provider", "model_id")
    date_hierarchy = "suggested_at"
    list_select_related = ("run",)


@admin.register(OperatorRun)
class OperatorRunAdmin(admin.ModelAdmin):
    list_display = ("started_at", "status", "models_analyzed", "situations", "llm_calls", "fallbacks", "auto_executed", "pending")
    list_filter = ("status", "trigger")


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "provider", "model_id", "status", "reversible", "reverted_at")
    list_filter = ("actor_type", "action", "provider", "status")
    search_fields = ("provider", "model_id", "actor")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
