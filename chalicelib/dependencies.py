"""Builds the adapters the services use, from settings, once per process."""

from __future__ import annotations

import functools

from chalicelib.auth.tokens import TokenVerifier
from chalicelib.aws.cognito import CognitoUserPool
from chalicelib.aws.dynamodb import DynamoCaseStore, DynamoReviewerDirectory, DynamoTenantDirectory
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


def reviewer_directory() -> DynamoReviewerDirectory:
    return DynamoReviewerDirectory(get_settings().cases_table)


def document_storage() -> S3DocumentStorage:
    return S3DocumentStorage(get_settings().documents_bucket)


def event_publisher() -> EventBridgePublisher:
    return EventBridgePublisher(get_settings().event_bus)


def workflow_engine() -> StepFunctionsWorkflowEngine:
    return StepFunctionsWorkflowEngine()


def user_pool() -> CognitoUserPool:
    settings = get_settings()
    return CognitoUserPool(settings.user_pool_id, settings.user_pool_client_id)


@functools.cache
def _token_verifier(jwks_url: str, issuer: str, client_id: str) -> TokenVerifier:
    return TokenVerifier(jwks_url=jwks_url, issuer=issuer, client_id=client_id)


def token_verifier() -> TokenVerifier:
    """One verifier (and one cached key set) per pool configuration."""
    settings = get_settings()
    return _token_verifier(settings.jwks_url, settings.token_issuer, settings.user_pool_client_id)
