"""Users in the real roles, and a few decisions about registered models, for admin tests."""

from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.utils import timezone

from operator_app.models import Decision, OperatorRun
from registry.models import RegisteredModel

SCRIPT = "<script>alert('x')</script>"


def user_in(role: str, username: str | None = None) -> User:
    user = User.objects.create_user(username or role[:-1], password="pw-for-tests-1", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def superuser() -> User:
    return User.objects.create_superuser("root", "root@example.com", "pw-for-tests-1")


def decisions_fixture(n: int = 2) -> list[Decision]:
    now = timezone.now()
    run = OperatorRun.objects.create(started_at=now - timedelta(hours=1), status="succeeded", llm_calls=2,
                                     prompt_tokens=1000, completion_tokens=200, estimated_cost_usd=0.0012,
                                     fallbacks=1, fallback_reasons={"timeout": 1}, timings={"collect": 0.5})
    out = []
    for i in range(n):
        RegisteredModel.objects.create(provider="openai", model_id=f"dead-{i}", enabled=True)
        out.append(Decision.objects.create(
            run=run, provider="openai", model_id=f"dead-{i}", action="disable", confidence=0.9 - i * 0.01,
            reasoning=f"404 for 3 days {SCRIPT}", status="pending", error_class="hard_model",
            suggested_at=now - timedelta(hours=2 + i), suggested_by="llm",
            auto_execute=False, auto_execute_reason="confidence below 0.95",
            evidence={
                "streak": {"earliest_start": "2025-11-28T00:00:00Z", "longest_hours": 96},
                "last_success_at": "2025-11-27T21:00:00Z",
                "samples": [{"status": 404, "class": "hard_model", "count": 30,
                             "message": f"The model does not exist {SCRIPT}"}],
                "provider_context": {"error_rate": 0.05, "provider_problem": None},
            },
        ))
    return out
