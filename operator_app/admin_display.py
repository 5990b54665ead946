"""HTML fragments for the decision pages: the evidence of a decision, read as a reviewer needs it.

Evidence comes from provider error text and LLM output: untrusted. Nothing here marks such text
safe; format_html / format_html_join escape every value.
"""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from llmops.lib.admin_display import EMPTY, key_values
from llmops.lib.admin_display import value_text as _value

SAMPLE_KEYS = ("samples", "error_samples", "errors", "error_groups")


def samples_table(samples) -> SafeString:
    rows = []
    for sample in samples or []:
        if isinstance(sample, dict):
            rows.append((_value(sample.get("status")), _value(sample.get("class") or sample.get("error_class")),
                         _value(sample.get("count")), _value(sample.get("message"))))
        else:
            rows.append((EMPTY, EMPTY, EMPTY, _value(sample)))
    if not rows:
        return format_html("<span>{}</span>", "no error samples")
    body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>", rows)
    return format_html("<table><tr><th>status</th><th>class</th><th>count</th><th>message</th></tr>{}</table>", body)


def _members_table(members) -> SafeString:
    rows = [
        (_value(m.get("model_id")), _value(m.get("runs")), _value(m.get("successes")), _value(m.get("streak_hours")),
         _value(m.get("last_success_at")), _value(m.get("in_provider_catalog")))
        for m in members if isinstance(m, dict)
    ]
    body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
    return format_html("<table><tr><th>model</th><th>runs</th><th>successes</th><th>streak (h)</th>"
                       "<th>last success</th><th>in catalog</th></tr>{}</table>", body)


def _streak(evidence: dict) -> str:
    streak = evidence.get("streak")
    if isinstance(streak, dict):
        hours = streak.get("longest_hours")
        start = streak.get("earliest_start")
        if hours is not None or start:
            return f"{_value(hours)} h (failing since {_value(start)})"
    if evidence.get("streak_hours") is not None:
        return f"{_value(evidence.get('streak_hours'))} h (failing since {_value(evidence.get('streak_started_at'))})"
    return EMPTY


def evidence_html(evidence) -> SafeString:
    """The evidence readably: streak, last success, error samples, provider context, members."""
    if not isinstance(evidence, dict) or not evidence:
        return format_html("<span>{}</span>", "no evidence recorded")
    samples = next((evidence[k] for k in SAMPLE_KEYS if isinstance(evidence.get(k), list)), [])
    counts = evidence.get("counts") if isinstance(evidence.get("counts"), dict) else {}
    parts = [
        format_html("<tr><th>Failure streak</th><td>{}</td></tr>", _streak(evidence)),
        format_html("<tr><th>Last success</th><td>{}</td></tr>",
                    _value(evidence.get("last_success_at")) if "last_success_at" in evidence else EMPTY),
    ]
    if counts:
        parts.append(format_html("<tr><th>Runs in window</th><td>{}</td></tr>", key_values(counts)))
    parts.append(format_html("<tr><th>Error samples</th><td>{}</td></tr>", samples_table(samples)))
    if isinstance(evidence.get("provider_context"), dict):
        parts.append(format_html("<tr><th>Provider context</th><td>{}</td></tr>",
                                 key_values(evidence["provider_context"])))
    if isinstance(evidence.get("catalog"), dict):
        parts.append(format_html("<tr><th>Provider catalog</th><td>{}</td></tr>", key_values(evidence["catalog"])))
    if isinstance(evidence.get("members"), list) and evidence["members"]:
        parts.append(format_html("<tr><th>Models in the situation</th><td>{}</td></tr>",
                                 _members_table(evidence["members"])))
    rows = format_html_join("", "{}", ((p,) for p in parts))
    return format_html('<table class="llmops-evidence">{}</table>', rows)
