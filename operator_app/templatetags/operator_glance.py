"""The fleet at a glance, on the admin index: `{% fleet_glance %}` (operator_app.selectors.fleet_glance)."""

from django import template
from django.utils import timezone

from operator_app.selectors import fleet_glance as fleet_glance_read

register = template.Library()


@register.inclusion_tag("admin/operator_app/glance.html", takes_context=True)
def fleet_glance(context):
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.has_perm("operator_app.view_decision"):
        return {"glance": None}
    return {"glance": fleet_glance_read(as_of=timezone.now())}
