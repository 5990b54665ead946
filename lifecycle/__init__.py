"""Health signals: the collector over the runner's results and errors and the providers' catalogs,
the error taxonomy, the deterministic classifier, snapshot files, and model_status."""
