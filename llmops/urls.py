from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import path

admin.site.site_header = "llmops operator"
admin.site.site_title = "llmops"
admin.site.index_title = "Fleet operations"

urlpatterns = [
    path("", lambda request: HttpResponseRedirect("/admin/")),
    path("admin/", admin.site.urls),
]
