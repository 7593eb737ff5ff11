"""Builds the adapters the services use, from settings, once per process."""

from __future__ import annotations

import functools

from chalicelib.aws.dynamodb import DynamoCaseStore, DynamoTenantDirectory
from chalicelib.aws.eventbridge import EventBridgePublisher
from chalicelib.aws.s3 import S3DocumentStorage
from chalicelib.aws.stepfunctions import StepFunctionsWorkflowEngine
from chalicelib.config import get_settings


@functools.cache
def _case_store(table: str) -> DynamoCaseStore:
    return DynamoCaseStore(table)


def case_store() -> DynamoCaseStore:
    return _case_store(get_settings().cases_table)


def tenant_directory() -> DynamoTenantDirectory:
    return DynamoTenantDirectory(get_settings().cases_table)


def document_storage() -> S3DocumentStorage:
    return S3DocumentStorage(get_settings().documents_bucket)


def event_publisher() -> EventBridgePublisher:
    return EventBridgePublisher(get_settings().event_bus)


def workflow_engine() -> StepFunctionsWorkflowEngine:
    return StepFunctionsWorkflowEngine()
