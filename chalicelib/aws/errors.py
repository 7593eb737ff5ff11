"""Which AWS failures are worth a client's retry (throttling, a service briefly unavailable)."""

from __future__ import annotations

from botocore.exceptions import ClientError

# Throttling and service-unavailable codes of the services the API calls. Deliberately not
# botocore's whole retryable list: quota errors (LimitExceededException) and transaction
# conflicts are not "try again in a second".
RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "SlowDown",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)


def is_retryable_aws_error(exc: BaseException) -> bool:
    """True for an AWS answer that says "too many requests" or "unavailable, try again"."""
    if not isinstance(exc, ClientError):
        return False
    code = str(exc.response.get("Error", {}).get("Code", ""))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in RETRYABLE_CODES or status == 503
