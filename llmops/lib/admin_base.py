from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable by anyone with the view permission; no add/change/delete for anyone.

    For records that are evidence or history (runner-written benchmark rows, catalogs,
    runs, the audit log): editing them by hand would falsify what decisions rest on.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
