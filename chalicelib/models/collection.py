"""Bodies of the back-and-forth routes: collection links, the customer's page and messages."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.collection.rounds import DEFAULT_LINK_TTL_SECONDS, MAX_LINK_TTL_SECONDS
from chalicelib.models.backoffice import CaseView
from chalicelib.models.base import ApiModel, JsonInt

MESSAGE_MAX_LENGTH = 4000


class CollectionLinkView(ApiModel):
    """A collection link's URL: shown once, to whoever asked for it; never stored."""

    url: str
    expires_at: str


class CaseDecisionResult(CaseView):
    """The case after a decision; after `revision`, also the link of the new collection round
    (the same one the customer is emailed)."""

    collection_link: CollectionLinkView | None = None


class RenewLinkRequest(ApiModel):
    expected_version: JsonInt = Field(ge=1)


class IntegratorLinkRequest(ApiModel):
    expires_in_seconds: JsonInt = Field(
        default=DEFAULT_LINK_TTL_SECONDS,
        ge=60,
        le=MAX_LINK_TTL_SECONDS,
        description="how long the link works, in seconds (default 7 days)",
    )


class RequestedDocumentView(ApiModel):
    key: str = Field(description="names this item in uploads and the submission")
    document_id: str | None
    type: str
    category: str
    label: str
    reason: str | None
    reason_text: str = Field(description="the reason in plain language")
    message: str | None


class MessageRequest(ApiModel):
    text: str = Field(min_length=1, max_length=MESSAGE_MAX_LENGTH, pattern=r"\S")


class MessageView(ApiModel):
    id: str
    text: str
    author_type: Literal["reviewer", "customer"]
    author_name: str | None
    created_at: str


class MessageList(ApiModel):
    data: list[MessageView]


class CollectView(ApiModel):
    """What the customer's page shows."""

    entity_name: str
    status: Literal["open", "received"]
    round: int
    message: str | None
    expires_at: str | None
    requested: list[RequestedDocumentView]
    max_page_bytes: int
    messages: list[MessageView]


class UploadRequest(ApiModel):
    document_key: str = Field(min_length=1, max_length=200)


class UploadTicket(ApiModel):
    upload_id: str
    url: str
    fields: dict[str, str]


class SubmitRequest(ApiModel):
    documents: dict[str, list[str]] = Field(
        description="per requested document (its `key`), the upload ids of its pages in order"
    )
