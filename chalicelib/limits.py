"""Values that the infrastructure and the code acting on it must agree on, each stated once.

`infra/resources.py` and `infra/cloud.py` build the queues and functions from these, and the
consumers read the same names; tests/unit/test_limits.py fails if a copy drifts or if the
relations between them (a lease shorter than a visibility timeout, a webhook batch within its
function's timeout) stop holding.
"""

from __future__ import annotations

# Receives before SQS moves a message to its queue's DLQ (every queue's redrive policy). The
# workflow-sync consumer flags the case on the last one, so the flag is up when the DLQ gets it.
QUEUE_MAX_RECEIVES = 5

# How long a dead letter stays in a DLQ (SQS's maximum): time to look at it and redrive it.
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 60 * 60

# SQS's ceiling on a message's DelaySeconds: longer webhook waits are re-queued in steps.
SQS_MAX_DELAY_SECONDS = 900

# Lambda's timeout for the queue consumers (Chalice's default, which the package keeps unless a
# queue's visibility timeout is shorter: Lambda refuses such a trigger).
CONSUMER_TIMEOUT_SECONDS = 60

# How long each queue hides a message its consumer received: at least the consumer's timeout.
WORKFLOW_QUEUE_VISIBILITY_SECONDS = 60
DOCUMENT_FETCH_QUEUE_VISIBILITY_SECONDS = 120
# Longer than a plugin's longest vendor call (its `timeoutSeconds`, at most 900) plus the write.
PLUGIN_QUEUE_VISIBILITY_SECONDS = 960
# The webhook consumer starts no attempt after its invocation budget, and one attempt lasts at
# most the attempt timeout: together they fit in the consumer's timeout, itself in this.
WEBHOOK_QUEUE_VISIBILITY_SECONDS = 120
# A metrics batch is a few small transactions: well within a minute.
METRICS_QUEUE_VISIBILITY_SECONDS = 60
SLA_QUEUE_VISIBILITY_SECONDS = 60
WEBHOOK_INVOCATION_BUDGET_SECONDS = 40
WEBHOOK_ATTEMPT_TIMEOUT_SECONDS = 15
