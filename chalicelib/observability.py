"""Structured logs and metrics (Powertools). The service name differs from the Chalice app name,
otherwise Chalice's own logger and Powertools' print every line twice."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

SERVICE = "backoffice"
METRICS_NAMESPACE = "KycBackoffice"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)
