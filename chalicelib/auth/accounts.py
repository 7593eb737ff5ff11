"""Creating back-office accounts: a Cognito user plus its directory entry
(which holds the roles).
Used by the local stack's seed and by the deploy guide's first-admin step."""

from __future__ import annotations

from typing import Protocol

from chalicelib.auth.directory import ReviewerDirectory
from chalicelib.models.reviewers import Reviewer


class AccountProvider(Protocol):
    def create_account(self, *, email: str, name: str, tenant_id: str, password: str) -> str: ...


def register_reviewer(
    provider: AccountProvider,
    directory: ReviewerDirectory,
    *,
    email: str,
    name: str,
    tenant_id: str,
    roles: list[str],
    password: str,
) -> Reviewer:
    reviewer_id = provider.create_account(
        email=email, name=name, tenant_id=tenant_id, password=password
    )
    reviewer = Reviewer(id=reviewer_id, email=email, name=name, roles=roles, tenant_id=tenant_id)
    directory.put_reviewer(reviewer)
    return reviewer
