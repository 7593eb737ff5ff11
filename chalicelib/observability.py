"""Structured logs and metrics (Powertools). The service name differs from the Chalice app name,
otherwise Chalice's own logger and Powertools' print every line twice."""

from __future__ import annotations

import threading

from aws_lambda_powertools import Logger, Metrics

SERVICE = "backoffice"
METRICS_NAMESPACE = "KycBackoffice"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)

_flush_lock = threading.Lock()


def flush_metrics() -> None:
    """Publish the metrics recorded so far (EMF lines in the log). Lambda runs one invocation
    per process; the local stack runs handlers on several threads that share this one Metrics
    object, so a check-then-flush must not interleave with another thread's flush."""
    with _flush_lock:
        if metrics.metric_set:
            metrics.flush_metrics(raise_on_empty_metrics=False)
