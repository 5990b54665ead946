"""The operator: passes from signals to decisions (LLM over situations, classifier fallback), the
policy for what runs unattended, human review of decisions, and the daily health report."""
