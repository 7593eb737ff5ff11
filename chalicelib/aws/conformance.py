"""Checked by mypy only: each adapter satisfies the domain protocol it stands in for.

The services take protocols, so an adapter that drifts from one would only fail where it is
first passed in. `mypy --strict chalicelib` (in `make lint`) checks the assignments below
instead; the block runs only under the type checker, and nothing imports this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.audit.outbox import EventPublisher
    from chalicelib.auth.access import AccessStore, InMemoryAccessStore
    from chalicelib.auth.accounts import AccountProvider
    from chalicelib.auth.admin import UserAccounts
    from chalicelib.auth.directory import InMemoryReviewerDirectory, ReviewerDirectory
    from chalicelib.auth.sessions import IdentityProvider
    from chalicelib.aws.cognito import CognitoUserPool
    from chalicelib.aws.dynamodb import (
        DynamoCaseStore,
        DynamoReviewerDirectory,
        DynamoTenantDirectory,
    )
    from chalicelib.aws.dynamodb_access import DynamoAccessStore
    from chalicelib.aws.dynamodb_webhooks import DynamoWebhookStore
    from chalicelib.aws.eventbridge import EventBridgePublisher
    from chalicelib.aws.s3 import S3DocumentStorage
    from chalicelib.aws.stepfunctions import StepFunctionsWorkflowEngine
    from chalicelib.aws.webhook_queue import SqsDeliveryQueue
    from chalicelib.cases.inbox import InboxReader
    from chalicelib.cases.ingestion import PageStorageBackend
    from chalicelib.cases.store import CaseStore, InMemoryCaseStore
    from chalicelib.cases.workflow_runtime import WorkflowEngine
    from chalicelib.documents.fetching import PageWriter
    from chalicelib.tenants.api_keys import TenantDirectory
    from chalicelib.webhooks.delivery import CaseReader
    from chalicelib.webhooks.sender import HttpWebhookSender, WebhookSender
    from chalicelib.webhooks.store import (
        DeliveryQueue,
        InMemoryDeliveryQueue,
        InMemoryWebhookStore,
        WebhookStore,
    )

    case_store: CaseStore = DynamoCaseStore("x")
    inbox: InboxReader = DynamoCaseStore("x")
    case_reader: CaseReader = DynamoCaseStore("x")
    tenants: TenantDirectory = DynamoTenantDirectory("x")
    reviewers: ReviewerDirectory = DynamoReviewerDirectory("x")
    access: AccessStore = DynamoAccessStore("x")
    user_accounts: UserAccounts = CognitoUserPool("x", "x")
    webhook_store: WebhookStore = DynamoWebhookStore("x")
    delivery_queue: DeliveryQueue = SqsDeliveryQueue("x", "x")
    publisher: EventPublisher = EventBridgePublisher("x")
    engine: WorkflowEngine = StepFunctionsWorkflowEngine()
    page_storage: PageStorageBackend = S3DocumentStorage("x")
    page_writer: PageWriter = S3DocumentStorage("x")
    identities: IdentityProvider = CognitoUserPool("x", "x")
    accounts: AccountProvider = CognitoUserPool("x", "x")
    sender: WebhookSender = HttpWebhookSender(1.0, allow_local=False)
    # The in-memory doubles the unit tests use stand in for the same protocols.
    memory_cases: CaseStore = InMemoryCaseStore()
    memory_reviewers: ReviewerDirectory = InMemoryReviewerDirectory()
    memory_access: AccessStore = InMemoryAccessStore()
    memory_webhooks: WebhookStore = InMemoryWebhookStore()
    memory_queue: DeliveryQueue = InMemoryDeliveryQueue()
