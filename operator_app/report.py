"""The daily health report: read what happened in the period, render it, send it.

`health_report_build` is a selector (reads only, a constant number of queries whatever
the fleet size), `health_report_render` turns its context into subject/text/HTML through
templates/emails/health_report_*, and `health_report_send` mails it (or returns it
unsent for --dry-run). Provider and LLM text is untrusted: it is sanitized and capped
here, and the HTML template escapes it (autoescape; nothing is marked safe).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Q

from discovery.models import CatalogFetchRun, MatchStatus
from discovery.selectors import discovery_new_models_folded
from lifecycle.models import ModelStatus, ProviderCatalogSync
from lifecycle.retirements import retiring_soon
from lifecycle.selectors import runner_last_rows
from lifecycle.silence import RunnerSilence, runner_silence_find
from llmops.lib.admin_display import age
from llmops.lib.alerts import AlertOutcome, alert_send
from llmops.lib.emails import EmailError, RenderedEmail, email_render, email_send, recipients_clean, text_render
from llmops.lib.text import sanitize_text
from llmops.models import JobFailure
from llmops.selectors import OVERDUE_PERIODS, scheduled_jobs
from operator_app.models import Decision, OperatorRun
from registry.models import CANDIDATE_PREFIX, AuditLog, RegisteredModel
from registry.selectors import registry_enabled_providers
from registry.vocabulary import ACCOUNT_CLASSES, OUTAGE_CLASSES, RECOVERABLE_CLASSES, Action, ErrorClass, class_label

TEMPLATE_PREFIX = "emails/health_report"
ALERT_TEMPLATE = "emails/health_report_alert.txt"
# Registry changes (not reviews): what "auto-executed actions" and "failed changes" are about.
CHANGE_ACTIONS = ("disable", "enable", "rename", "add", "revert")
LIST_LIMIT = 50
# Candidate commands shown per ambiguous new model (discovery_report lists them all).
PICKS_SHOWN = 3
TEXT_LIMIT = 400
MAX_DAYS = 3660  # ten years: the longest period a report covers


class ReportError(Exception):
    """The report cannot be sent as asked (e.g. no recipients); the message says why."""


def display_text(value, limit: int = TEXT_LIMIT) -> str:
    """Untrusted text as the report shows it (llmops.lib.text.sanitize_text at the report's length)."""
    return sanitize_text(value, limit)


def _admin_url(path: str) -> str:
    return f"{settings.LLMOPS_BASE_URL}/admin/{path.lstrip('/')}"


def _first_error_sample(evidence) -> str:
    """One representative error message from a decision's evidence, whatever its exact shape."""
    if not isinstance(evidence, dict):
        return ""
    for key in ("errors", "error_samples", "error_groups", "samples"):
        groups = evidence.get(key)
        if isinstance(groups, list):
            for group in groups:
                if isinstance(group, dict) and group.get("message"):
                    status = group.get("status")
                    return f"{status}: {group['message']}" if status else str(group["message"])
                if isinstance(group, str) and group:
                    return group
    model = evidence.get("model") or evidence.get("snapshot")
    return _first_error_sample(model) if isinstance(model, dict) else ""


# --- sections ----------------------------------------------------------------------------

def _auto_actions(*, since, as_of) -> list[dict]:
    rows = (
        AuditLog.objects.filter(
            at__gte=since, at__lte=as_of, actor_type=AuditLog.ActorType.OPERATOR,
            status=AuditLog.Status.APPLIED, action__in=CHANGE_ACTIONS,
        )
        .order_by("-at")[:LIST_LIMIT]
    )
    rows = list(rows)
    decisions = Decision.objects.in_bulk([row.decision_ref for row in rows if row.decision_ref])
    out = []
    for row in rows:
        decision = decisions.get(row.decision_ref)
        if row.reverted_at:
            revert = f"already reverted at {row.reverted_at:%Y-%m-%d %H:%M} UTC"
        elif row.reversible:
            revert = f"python manage.py revert_change {row.pk}"
        else:
            revert = "not reversible"
        out.append({
            "id": row.pk,
            "what": f"{row.action} {row.provider}/{row.model_id}",
            "action": row.action,
            "provider": row.provider,
            "model_id": row.model_id,
            "why": display_text(row.reason),
            "confidence": decision.confidence if decision else None,
            "error_class": decision.error_class if decision else "",
            "at": row.at,
            "revert": revert,
            "revertible": bool(row.reversible and not row.reverted_at),
            "audit_url": _admin_url(f"registry/auditlog/{row.pk}/change/"),
            "decision_url": _admin_url(f"operator_app/decision/{decision.pk}/change/") if decision else "",
        })
    return out


def _auto_count(*, since, as_of) -> int:
    return AuditLog.objects.filter(
        at__gte=since, at__lte=as_of, actor_type=AuditLog.ActorType.OPERATOR,
        status=AuditLog.Status.APPLIED, action__in=CHANGE_ACTIONS,
    ).count()


def _failed_changes(*, since, as_of) -> list[dict]:
    rows = AuditLog.objects.filter(at__gte=since, at__lte=as_of, status=AuditLog.Status.FAILED).order_by("-at")[
        :LIST_LIMIT
    ]
    return [
        {"id": row.pk, "what": f"{row.action} {row.provider}/{row.model_id}", "actor": row.actor, "at": row.at,
         "error": display_text(row.error), "audit_url": _admin_url(f"registry/auditlog/{row.pk}/change/")}
        for row in rows
    ]


def _suggestions(*, since, as_of) -> tuple[list[dict], int, int]:
    pending = Decision.objects.filter(status=Decision.Status.PENDING)
    total = pending.count()
    new = pending.filter(suggested_at__gte=since, suggested_at__lte=as_of).count()
    rows = pending.order_by("-confidence", "-suggested_at").only(
        "pk", "provider", "model_id", "action", "confidence", "reasoning", "error_class", "suggested_at",
        "suggested_by", "auto_execute_reason", "proposed_change", "rules_verdict", "llm_verdict",
    )[:LIST_LIMIT]
    out = [
        {
            "id": row.pk,
            "what": display_text(row.what, 300),
            "does": _approval_does(row),
            "disagreement": row.disagreement,
            "action": row.action,
            "provider": row.provider,
            "model_id": row.model_id,
            "confidence": row.confidence,
            "error_class": row.error_class,
            "reasoning": display_text(row.reasoning),
            "why_not_auto": display_text(row.auto_execute_reason, 200),
            "suggested_by": row.suggested_by,
            "age": age(as_of, row.suggested_at),
            "approve": f"python manage.py approve_decision {row.pk}",
            "reject": f"python manage.py reject_decision {row.pk} --reason \"…\"",
            "url": _admin_url(f"operator_app/decision/{row.pk}/change/"),
        }
        for row in rows
    ]
    return out, total, new


def _provider_problem(row: Decision) -> str | None:
    """The provider-wide class a decision's evidence names, if any (the classifier's
    provider_problem in evidence.provider_context), else an account class of its own."""
    evidence = row.evidence if isinstance(row.evidence, dict) else {}
    context = evidence.get("provider_context")
    problem = context.get("provider_problem") if isinstance(context, dict) else None
    if isinstance(problem, str) and problem:
        return problem
    if evidence.get("provider_issue") is True or row.error_class in ACCOUNT_CLASSES:
        return row.error_class or "unknown"
    return None


# Problems the report names in words; any other class is shown as itself (e.g. a mass "hard_model").
_WORDED = ACCOUNT_CLASSES | {ErrorClass.BUDGET_EXHAUSTED, ErrorClass.RATE_LIMIT}


def _problem_label(kind: str) -> str:
    if kind in OUTAGE_CLASSES:
        return "outage"
    return class_label(kind).lower() if kind in _WORDED else kind


def _provider_issues(*, since, as_of) -> list[dict]:
    """Provider-wide problems (credentials, billing, outages) from recent decisions' evidence."""
    problems = [cls.value for cls in ErrorClass]
    rows = (
        Decision.objects.filter(suggested_at__gte=since, suggested_at__lte=as_of)
        .filter(Q(error_class__in=sorted(ACCOUNT_CLASSES)) | Q(evidence__provider_issue=True)
                | Q(evidence__provider_context__provider_problem__in=problems))
        .order_by("-suggested_at")
        .only("pk", "provider", "model_id", "error_class", "evidence", "suggested_at")[:500]
    )
    by_provider: dict[str, dict] = {}
    for row in rows:
        problem = _provider_problem(row)
        if problem is None:
            continue
        issue = by_provider.setdefault(row.provider, {
            "provider": row.provider, "classes": Counter(), "models": set(), "sample": "", "last_seen": None,
        })
        issue["classes"][problem] += 1
        issue["models"].add(row.model_id)
        issue["last_seen"] = max(filter(None, [issue["last_seen"], row.suggested_at]))
        if not issue["sample"]:
            issue["sample"] = display_text(_first_error_sample(row.evidence), 300)
    out = []
    for provider in sorted(by_provider):
        issue = by_provider[provider]
        classes = [cls for cls, _n in issue["classes"].most_common()]
        kind = classes[0]
        label = _problem_label(kind)
        out.append({
            "provider": provider,
            "kind": label,
            "classes": classes,
            "models": len(issue["models"]),
            "sample": issue["sample"],
            "last_seen": issue["last_seen"],
            "critical": kind in ACCOUNT_CLASSES or kind in OUTAGE_CLASSES,
        })
    return out


def _new_models(*, since, as_of) -> tuple[list[dict], int, dict, int]:
    """Models first seen in the period, one per model (variants folded): matched ones (best
    confidence first) and ambiguous ones listed with their commands, the unmatched counted."""
    waiting = discovery_new_models_folded(since=since, as_of=as_of)
    by_status = Counter(group.status for group in waiting)
    listed = [g for g in waiting if g.status in (MatchStatus.MATCHED, MatchStatus.AMBIGUOUS)][:LIST_LIMIT]
    out = []
    for group in listed:
        best = group.matches[0] if group.matches else None
        out.append({
            "openrouter_id": display_text(group.openrouter_id, 200),
            "name": display_text(group.name, 200),
            "match_status": group.status_label,
            "matched": display_text(f"{best['provider']}/{best['model_id']}", 300) if best else "",
            "also": [display_text(f"{m['provider']}/{m['model_id']}", 300) for m in group.matches[1:]],
            "confidence": group.confidence,
            "variants": [display_text(v, 100) for v in group.variants],
            "candidates": [display_text(f"{p}/{m}", 300) for p, ids in group.candidates.items() for m in ids],
            "commands": [display_text(c, 600) for c in
                         ([group.add_command] if group.add_command else group.pick_commands()[:PICKS_SHOWN])],
            "first_seen": group.first_seen_at,
        })
    rest = len(waiting) - len(out)
    return out, len(waiting), dict(by_status), rest


def _approval_does(row: Decision) -> str:
    """What the approve command printed next to it does, in the email's words."""
    if row.action == Action.RENAME:
        return f"renames {row.provider}/{row.model_id} to {display_text(row.new_model_id, 200)} (audited, revertible)"
    if row.changes_registry:
        return f"{row.action}s {row.provider}/{row.model_id} now (audited, revertible)"
    return "acknowledges it: nothing changes, and it is not proposed again until its evidence changes"


def _held(*, since, as_of) -> list[dict]:
    """The models the latest pass of the period held back by a human's verdict."""
    run = (OperatorRun.objects.filter(started_at__gte=since, started_at__lte=as_of,
                                      status=OperatorRun.Status.SUCCEEDED)
           .only("pk", "held").order_by("-started_at").first())
    out = []
    for held in (run.held if run is not None and isinstance(run.held, list) else [])[:LIST_LIMIT]:
        if not isinstance(held, dict):
            continue
        out.append({
            "what": display_text(f"{held.get('held_action') or held.get('action')} {held.get('provider')}/"
                                 f"{held.get('model_id')}", 300),
            "verdict": display_text(f"{held.get('by') or 'a reviewer'}'s verdict of {held.get('at')} "
                                    f"({held.get('kind')} {held.get('action')})", 300),
            "why": display_text(held.get("reason"), 300),
            "url": _admin_url(f"operator_app/decision/{held['decision']}/change/") if held.get("decision") else "",
        })
    return out


def _catalog_runs(*, since, as_of) -> list[dict]:
    """OpenRouter fetches and provider catalog syncs of the period that failed or skipped
    malformed entries (a catalog that lost entries must not pass unnoticed)."""
    noteworthy = Q(status="failed") | Q(skipped__gt=0)
    fields = ("pk", "started_at", "status", "skipped", "skipped_entries", "error")
    rows = [("OpenRouter catalog", run) for run in CatalogFetchRun.objects.filter(
        noteworthy, started_at__gte=since, started_at__lte=as_of).order_by("-started_at").only(*fields)[:LIST_LIMIT]]
    rows += [(f"{sync.provider} catalog", sync) for sync in ProviderCatalogSync.objects.filter(
        noteworthy, started_at__gte=since, started_at__lte=as_of).order_by("-started_at").only(
        "provider", *fields)[:LIST_LIMIT]]
    return [
        {"what": what, "at": run.started_at, "status": run.status, "skipped": run.skipped,
         "detail": display_text(run.error if run.status == "failed" else "; ".join(run.skipped_entries[:3]), 300)}
        for what, run in sorted(rows, key=lambda pair: pair[1].started_at, reverse=True)
    ]


def _runs(*, since, as_of) -> dict:
    runs = list(
        OperatorRun.objects.filter(started_at__gte=since, started_at__lte=as_of).only(
            "pk", "started_at", "finished_at", "status", "llm_enabled", "llm_model", "models_analyzed", "situations",
            "llm_calls", "prompt_tokens", "completion_tokens", "estimated_cost_usd", "fallbacks",
            "fallback_reasons", "auto_executed", "pending", "error", "llm_cached",
        ).order_by("started_at")[:500]
    )
    reasons: Counter = Counter()
    for run in runs:
        if isinstance(run.fallback_reasons, dict):
            for reason, n in run.fallback_reasons.items():
                reasons[display_text(reason, 200)] += n if isinstance(n, int) else 1
    # An abandoned run (its pass was killed) failed as much as one that recorded its error.
    failed = [
        {"started_at": run.started_at, "status": run.status, "error": display_text(run.error, 300),
         "url": _admin_url(f"operator_app/operatorrun/{run.pk}/change/")}
        for run in runs if run.status in (OperatorRun.Status.FAILED, OperatorRun.Status.ABANDONED)
    ]
    return {
        "count": len(runs),
        "failed": failed,
        "classifier_only": sum(1 for run in runs if not run.llm_enabled),
        "llm_models": sorted({run.llm_model for run in runs if run.llm_model}),
        "models_analyzed": max((run.models_analyzed for run in runs), default=0),
        "situations": sum(run.situations for run in runs),
        "llm_calls": sum(run.llm_calls for run in runs),
        "prompt_tokens": sum(run.prompt_tokens for run in runs),
        "completion_tokens": sum(run.completion_tokens for run in runs),
        "tokens": sum(run.prompt_tokens + run.completion_tokens for run in runs),
        "cost": round(sum(run.estimated_cost_usd for run in runs), 4),
        "fallbacks": sum(run.fallbacks for run in runs),
        "fallback_reasons": reasons.most_common(),
        "budget_exhausted": reasons.get("budget_exhausted", 0),
        "llm_cached": sum(run.llm_cached for run in runs),
        "auto_executed": sum(run.auto_executed for run in runs),
        "url": _admin_url("operator_app/operatorrun/"),
    }


def _job_failures(*, since, as_of) -> list[dict]:
    rows = JobFailure.objects.filter(failed_at__gte=since, failed_at__lte=as_of, final=True).order_by(
        "-failed_at")[:LIST_LIMIT]
    return [{"job": row.job, "at": row.failed_at, "error_type": row.error_type.rsplit(".", 1)[-1],
             "error": display_text(row.error, 300)} for row in rows]


def _runner_silence(*, as_of) -> RunnerSilence:
    """Providers the benchmark runner wrote nothing about lately (lifecycle/silence.py): the operator
    concludes nothing about their models until it writes again, so a human has to look."""
    window = settings.SIGNAL_WINDOW_HOURS
    return runner_silence_find(as_of=as_of, last_rows=runner_last_rows(since=as_of - timedelta(hours=window),
                                                                      as_of=as_of),
                               watched=registry_enabled_providers(), window_hours=window)


def _jobs(*, as_of) -> tuple[list[dict], bool]:
    """Every scheduled job with its last run and next due moment, and whether any job ever ran through
    a worker (without that, nothing can be overdue: the report says beat has not run)."""
    states = scheduled_jobs(as_of=as_of)
    out = []
    for job in states:
        last = job.last
        out.append({
            "entry": job.entry, "job": job.job, "schedule": job.schedule, "period": job.period_text,
            "last_status": last.status if last else "", "last_started": last.started_at if last else None,
            "last_error": display_text(last.error, 200) if last else "",
            "last_success": job.last_success_at, "next_due": job.next_due, "overdue": job.overdue,
            "stuck": job.stuck,
            "overdue_text": (f"scheduled job {job.entry} has not succeeded "
                             + (f"since {job.last_success_at:%Y-%m-%d %H:%M} UTC" if job.last_success_at else
                                f"since runs were first recorded ({job.observed_since:%Y-%m-%d %H:%M} UTC)")
                             + f": more than {OVERDUE_PERIODS} x its period ({job.period_text})") if job.overdue else "",
        })
    return out, any(job.observed_since for job in states)


def _coming_back(*, since, as_of) -> tuple[dict, dict]:
    """The "Recovered" and "Admissions" sections: models enabled again in the period (by the operator or a
    human), candidates admitted or rejected, and the enable decisions still waiting for a human (two reads)."""
    recovered = {"enabled": [], "pending": []}
    admissions = {"admitted": [], "rejected": [], "pending": []}
    rows = AuditLog.objects.filter(at__gte=since, at__lte=as_of, status=AuditLog.Status.APPLIED,
                                   action__in=["enable", "reject_candidate"]).order_by("-at").only(
        "pk", "at", "actor", "actor_type", "action", "provider", "model_id", "before", "reason", "reversible",
        "reverted_at")[:500]
    for row in rows:
        before = row.before if isinstance(row.before, dict) else {}
        what = f"{row.provider}/{row.model_id}"
        entry = {"what": what, "at": row.at, "by": "the operator (unattended)" if row.actor_type == "operator"
                 else row.actor, "audit_url": _admin_url(f"registry/auditlog/{row.pk}/change/"),
                 "revert": (f"python manage.py revert_change {row.pk}" if row.reversible and not row.reverted_at
                            else ("already reverted" if row.reverted_at else ""))}
        if row.action == "reject_candidate":
            admissions["rejected"].append({**entry, "why": display_text(row.reason, 300)})
        elif str(before.get("disabled_reason") or "").startswith(CANDIDATE_PREFIX):
            admissions["admitted"].append(entry)
        elif before.get("disabled_class") in RECOVERABLE_CLASSES:
            since_text = str(before.get("disabled_at") or "")[:16].replace("T", " ")
            recovered["enabled"].append({**entry, "was": f"disabled {since_text} for {before.get('disabled_class')}"})
    pending = Decision.objects.filter(status=Decision.Status.PENDING, action=Action.ENABLE).order_by(
        "-suggested_at").only("pk", "provider", "model_id", "reasoning", "auto_execute_reason", "evidence")[:LIST_LIMIT]
    for decision in pending:
        evidence = decision.evidence if isinstance(decision.evidence, dict) else {}
        situation = evidence.get("situation") if isinstance(evidence.get("situation"), dict) else {}
        item = {"what": f"{decision.provider}/{decision.model_id}", "why": display_text(decision.reasoning, 300),
                "why_not_auto": display_text(decision.auto_execute_reason, 200),
                "approve": f"python manage.py approve_decision {decision.pk}",
                "url": _admin_url(f"operator_app/decision/{decision.pk}/change/")}
        (admissions if situation.get("kind") == "admission" else recovered)["pending"].append(item)
    for section in (recovered, admissions):
        section["count"] = sum(len(v) for v in section.values())
    return recovered, admissions


def _retiring(*, since, as_of) -> list[dict]:
    """The "Retiring soon" section (lifecycle.retirements.retiring_soon), in the report's words."""
    out = []
    for item in retiring_soon(as_of=as_of, since=since):
        r = item.retirement
        when = ("today" if item.days_left == 0 else f"in {item.days_left} day{'s' if item.days_left != 1 else ''}"
                if item.days_left > 0 else f"{-item.days_left} day{'s' if item.days_left != -1 else ''} ago")
        successor = display_text(r.successor, 200)
        rename = ""
        if successor and item.successor_registered:
            rename = f"{successor} is already in the registry"
        elif successor and item.successor_listed:
            rename = f"Update model ID to {successor} ({r.provider}'s complete catalog lists it)"
        elif successor:
            rename = f"{successor} is not in {r.provider}'s complete catalog (yet): no rename proposed"
        probe = item.probe
        source = {"warning": "the runner's deprecation warnings", "listing": f"{r.provider}'s listing",
                  "admin": "set by a human"}.get(r.source, r.source)
        out.append({
            "what": f"{r.provider}/{r.model_id}", "date": r.retires_on, "when": when, "days_left": item.days_left,
            "verb": "retired" if item.days_left < 0 else "retires",
            "source": source, "sources": list(r.sources), "successor": successor, "rename": rename,
            "enabled": item.enabled, "warning": item.warning,
            "probe": (("ok" if probe.ok else f"{probe.http_status or 'no status'} {probe.error_class}")
                      + f" at {probe.at:%Y-%m-%d %H:%M} UTC") if probe else "",
        })
    return out


@dataclass
class FleetLine:
    """The registry now, beside the health statuses of the last collect: a pass disables after it
    collects, so the two differ right after one, and the line says which is which."""
    enabled: int
    disabled: int
    statuses: list[tuple[str, int]]
    collected_at: datetime | None


def _fleet() -> FleetLine | None:
    registry = dict(RegisteredModel.objects.values_list("enabled").annotate(n=Count("id")).order_by())
    rows = list(ModelStatus.objects.values("lifecycle_status").annotate(n=Count("id"), last=Max("computed_at"))
                .order_by("lifecycle_status"))
    if not registry and not rows:
        return None
    return FleetLine(enabled=registry.get(True, 0), disabled=registry.get(False, 0),
                     statuses=[(row["lifecycle_status"], row["n"]) for row in rows],
                     collected_at=max((row["last"] for row in rows if row["last"]), default=None))


# --- the report ----------------------------------------------------------------------------

def health_report_build(*, as_of: datetime, days: int = 1) -> dict:
    """Everything the templates need for the `days` days up to `as_of` (a template context)."""
    if not 1 <= days <= MAX_DAYS:
        raise ReportError(f"--days must be at least 1 and at most {MAX_DAYS} (got {days})")
    since = as_of - timedelta(days=days)
    auto_actions = _auto_actions(since=since, as_of=as_of)
    suggestions, pending_total, pending_new = _suggestions(since=since, as_of=as_of)
    provider_issues = _provider_issues(since=since, as_of=as_of)
    failed_changes = _failed_changes(since=since, as_of=as_of)
    new_models, new_total, new_by_status, new_rest = _new_models(since=since, as_of=as_of)
    catalog_runs = _catalog_runs(since=since, as_of=as_of)
    runs = _runs(since=since, as_of=as_of)
    job_failures = _job_failures(since=since, as_of=as_of)
    held = _held(since=since, as_of=as_of)
    jobs, jobs_observed = _jobs(as_of=as_of)
    recovered, admissions = _coming_back(since=since, as_of=as_of)
    retiring = _retiring(since=since, as_of=as_of)

    silence = _runner_silence(as_of=as_of)

    critical = silence.messages() + [f"{i['provider']}: {i['kind']}" for i in provider_issues if i["critical"]]
    if failed_changes:
        critical.append(f"{len(failed_changes)} failed change{'s' if len(failed_changes) != 1 else ''}")
    warnings = []
    if runs["failed"]:
        warnings.append(f"{len(runs['failed'])} failed operator run(s)")
    if job_failures:
        warnings.append(f"{len(job_failures)} failed job(s)")
    warnings += [job["overdue_text"] for job in jobs if job["overdue"]]
    warnings += [f"scheduled job {job['entry']} still running since {job['last_started']:%Y-%m-%d %H:%M} UTC, "
                 "past the task time limit" for job in jobs if job["stuck"]]
    if failed_catalogs := sum(1 for r in catalog_runs if r["status"] == "failed"):
        warnings.append(f"{failed_catalogs} failed catalog fetch(es)/sync(s)")
    if skipped_entries := sum(r["skipped"] for r in catalog_runs if r["status"] != "failed"):
        warnings.append(f"{skipped_entries} malformed catalog entries skipped")
    if runs["fallbacks"]:
        warnings.append(f"{runs['fallbacks']} LLM fallback(s) to the classifier")
    if runs["budget_exhausted"]:
        budget = settings.OPERATOR_LLM_DAILY_BUDGET_USD
        warnings.append(f"the LLM's daily budget (${budget:.2f}) was spent: {runs['budget_exhausted']} situation(s) "
                        "decided by the classifier")
    if runs["count"] == 0:
        warnings.append("no operator run in the period")
    warnings += [f"{r['what']} {r['warning']} ({r['date']:%Y-%m-%d}; {r['source']})" for r in retiring if r["warning"]]
    severity = "CRITICAL" if critical else ("WARNING" if warnings else "")

    return {
        "as_of": as_of,
        "since": since,
        "days": days,
        "severity": severity,
        "critical": critical,
        "runner_silence": silence.as_dict() if silence else None,
        "warnings": warnings,
        "auto_actions": auto_actions,
        "auto_count": _auto_count(since=since, as_of=as_of),
        "suggestions": suggestions,
        "suggestions_count": pending_total,
        "suggestions_new": pending_new,
        "suggestions_url": _admin_url("operator_app/decision/?status__exact=pending"),
        "held": held,
        "recovered": recovered,
        "admissions": admissions,
        "retiring": retiring,
        "provider_issues": provider_issues,
        "failed_changes": failed_changes,
        "new_models": new_models,
        "new_models_count": new_total,
        "new_models_by_status": sorted(new_by_status.items()),
        "new_models_rest": new_rest,
        "new_models_url": _admin_url("discovery/openroutermodel/"),
        "catalog_runs": catalog_runs,
        "runs": runs,
        "job_failures": job_failures,
        "jobs": jobs,
        "jobs_observed": jobs_observed,
        "jobs_url": _admin_url("llmops/scheduledjob/"),
        "fleet": _fleet(),
        "list_limit": LIST_LIMIT,
        "audit_url": _admin_url("registry/auditlog/"),
    }


def health_report_render(*, context: dict) -> RenderedEmail:
    return email_render(template_prefix=TEMPLATE_PREFIX, context=context)


def health_report_alert_text(*, context: dict) -> str:
    """The alert for ALERT_URLS: the report's CRITICAL findings in the email's own (redacted) words."""
    return text_render(template_name=ALERT_TEMPLATE, context=context).strip() + "\n"


@dataclass
class HealthReportOutcome:
    email: RenderedEmail
    to: list[str]
    sent: bool
    context: dict
    # The alert text when the report is CRITICAL and ALERT_URLS is set ("" otherwise), and what
    # became of it per URL (empty on a dry run: nothing is sent).
    alert: str = ""
    alerts: list[AlertOutcome] = field(default_factory=list)


def health_report_send(*, as_of: datetime, days: int = 1, to=None, dry_run: bool = False) -> HealthReportOutcome:
    """Build, render and (unless dry_run) send the report to `to` or settings.HEALTH_REPORT_TO."""
    try:
        recipients = recipients_clean(to if to else settings.HEALTH_REPORT_TO)
    except EmailError as exc:
        raise ReportError(str(exc)) from None
    if not recipients and not dry_run:
        raise ReportError("no recipients: set HEALTH_REPORT_TO (comma-separated) or pass --to ADDRESS")
    context = health_report_build(as_of=as_of, days=days)
    email = health_report_render(context=context)
    alert = health_report_alert_text(context=context) if context["severity"] == "CRITICAL" and settings.ALERT_URLS \
        else ""
    if dry_run:
        return HealthReportOutcome(email=email, to=recipients, sent=False, context=context, alert=alert)
    email_send(email=email, to=recipients)
    # After the email: an alert channel that is down never keeps the report from its readers.
    alerts = alert_send(title=email.subject, body=alert, urls=settings.ALERT_URLS) if alert else []
    return HealthReportOutcome(email=email, to=recipients, sent=True, context=context, alert=alert, alerts=alerts)
