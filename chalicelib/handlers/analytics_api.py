"""Team analytics: `/api/v1/backoffice/analytics/*` (permission `analytics.read`)."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.analytics import service
from chalicelib.dependencies import metrics_store, reviewer_directory
from chalicelib.handlers.auth_kinds import ReviewerToken
from chalicelib.handlers.operations import operation
from chalicelib.models.analytics import (
    AnalyticsDaily,
    AnalyticsExportParams,
    AnalyticsParams,
    AnalyticsReviewers,
    AnalyticsSummary,
)
from chalicelib.models.permissions import ANALYTICS_READ
from chalicelib.models.reviewers import Reviewer

analytics_api = Blueprint(__name__)
ANALYST = ReviewerToken(ANALYTICS_READ)
# The clock analytics reads "now" from (tests replace it).
clock: service.Clock = service.utc_clock


def _names(tenant_id: str) -> dict[str, str]:
    return {r.id: r.name for r in reviewer_directory().list_reviewers(tenant_id)}


@operation(
    analytics_api,
    "GET",
    "/analytics/summary",
    auth=ANALYST,
    summary="KPIs of a date range: counts, rates, percentiles, open cases by state and age",
    tag="analytics",
    query=AnalyticsParams,
    response=AnalyticsSummary,
    errors=(403,),
)
def analytics_summary_route(reviewer: Reviewer, query: AnalyticsParams) -> AnalyticsSummary:
    return service.summary(metrics_store(), reviewer.tenant_id, query, clock())


@operation(
    analytics_api,
    "GET",
    "/analytics/daily",
    auth=ANALYST,
    summary="Counts per local day of a date range",
    tag="analytics",
    query=AnalyticsParams,
    response=AnalyticsDaily,
    errors=(403,),
)
def analytics_daily_route(reviewer: Reviewer, query: AnalyticsParams) -> AnalyticsDaily:
    return service.daily(metrics_store(), reviewer.tenant_id, query, clock())


@operation(
    analytics_api,
    "GET",
    "/analytics/reviewers",
    auth=ANALYST,
    summary="Per-reviewer counts and review times of a date range",
    tag="analytics",
    query=AnalyticsParams,
    response=AnalyticsReviewers,
    errors=(403,),
)
def analytics_reviewers_route(reviewer: Reviewer, query: AnalyticsParams) -> AnalyticsReviewers:
    return service.reviewers(
        metrics_store(), reviewer.tenant_id, query, clock(), _names(reviewer.tenant_id)
    )


@operation(
    analytics_api,
    "GET",
    "/analytics/export.csv",
    auth=ANALYST,
    summary="The daily or the reviewers table of a date range, as CSV",
    tag="analytics",
    query=AnalyticsExportParams,
    response=None,
    errors=(403,),
    description="`table=daily` (default) or `table=reviewers`.",
    media_type="text/csv",
)
def analytics_export_route(reviewer: Reviewer, query: AnalyticsExportParams) -> Response:
    store, tenant = metrics_store(), reviewer.tenant_id
    if query.table == "reviewers":
        body = service.reviewers_csv(
            service.reviewers(store, tenant, query, clock(), _names(tenant))
        )
    else:
        body = service.daily_csv(service.daily(store, tenant, query, clock()))
    filename = f"analytics-{query.table}.csv"
    return Response(
        body=body,
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )
