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


def _facts(evidence: dict) -> dict:
    """The model's own facts: the engine stores them under evidence["model"] (older or hand-made
    evidence may carry them at the top level)."""
    model = evidence.get("model")
    return model if isinstance(model, dict) else evidence


def _streak(evidence: dict) -> str:
    facts = _facts(evidence)
    if facts.get("streak_hours") is not None or facts.get("streak_started_at"):
        return f"{_value(facts.get('streak_hours'))} h (failing since {_value(facts.get('streak_started_at'))})"
    streak = evidence.get("streak")
    if isinstance(streak, dict):
        hours = streak.get("longest_hours")
        start = streak.get("earliest_start")
        if hours is not None or start:
            return f"{_value(hours)} h (failing since {_value(start)})"
    return EMPTY


def _probes_table(probes) -> SafeString:
    rows = [(_value(p.get("at")), _value(p.get("purpose")), "ok" if p.get("ok") else "failed", _value(p.get("status")),
             _value(p.get("class")), "yes" if p.get("conclusive") else "no", _value(p.get("message")))
            for p in probes if isinstance(p, dict)]
    body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                                "<td><code>{}</code></td></tr>", rows)
    return format_html("<table><tr><th>at</th><th>why</th><th>outcome</th><th>status</th><th>class</th>"
                       "<th>counts</th><th>message</th></tr>{}</table>", body)


def evidence_html(evidence) -> SafeString:
    """The evidence as a reviewer needs it: streak, last success, runs, error samples, the successor of
    a rename, provider context, catalog, the models of the situation."""
    if not isinstance(evidence, dict) or not evidence:
        return format_html("<span>{}</span>", "no evidence recorded")
    facts = _facts(evidence)
    samples = next((evidence[k] for k in SAMPLE_KEYS if isinstance(evidence.get(k), list)), [])
    counts = evidence.get("counts") if isinstance(evidence.get("counts"), dict) else {
        k: facts[k] for k in ("runs", "successes", "failures", "window_hours") if k in facts}
    if isinstance(evidence.get("probes"), list):
        # An enable (operator_app.recovery): the model's disabled episode and what the probes said.
        disabled = {k: facts.get(k) for k in ("disabled_at", "disabled_class", "disabled_by", "disabled_unattended",
                                              "recheck_after") if k in facts}
        parts = [format_html("<tr><th>Disabled</th><td>{}</td></tr>", key_values(disabled)),
                 format_html("<tr><th>Probes</th><td>{}</td></tr>", _probes_table(evidence["probes"]))]
        if isinstance(evidence.get("provenance"), dict):
            parts.append(format_html("<tr><th>Discovered</th><td>{}</td></tr>", key_values(evidence["provenance"])))
    else:
        parts = [
            format_html("<tr><th>Failure streak</th><td>{}</td></tr>", _streak(evidence)),
            format_html("<tr><th>Last success</th><td>{}</td></tr>",
                        _value(facts.get("last_success_at")) if "last_success_at" in facts else EMPTY),
        ]
    if counts:
        parts.append(format_html("<tr><th>Runs in window</th><td>{}</td></tr>", key_values(counts)))
    parts.append(format_html("<tr><th>Error samples</th><td>{}</td></tr>", samples_table(samples)))
    if isinstance(evidence.get("successor"), dict):
        parts.append(format_html("<tr><th>Successor</th><td>{}</td></tr>", key_values(evidence["successor"])))
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


def held_table(held) -> SafeString:
    """The models a pass held back, each with the human verdict that holds it."""
    rows = [(f"{h.get('held_action') or h.get('action')} {h.get('provider')}/{h.get('model_id')}",
             f"{h.get('kind')} by {h.get('by') or 'a reviewer'} at {h.get('at')}", _value(h.get("reason")))
            for h in held or [] if isinstance(h, dict)]
    if not rows:
        return format_html("<span>{}</span>", "none")
    body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
    return format_html("<table><tr><th>held</th><th>verdict</th><th>why</th></tr>{}</table>", body)
