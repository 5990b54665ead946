"""The registry of models the benchmark runs, the one vocabulary of classes and actions, the audit
log, and the audited services that are the only way the registry changes."""
