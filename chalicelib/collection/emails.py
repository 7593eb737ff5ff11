"""The emails of the back-and-forth, rendered from templates kept as data: one JSON file per
language in `templates/`, English bundled. A run's `config.language` picks the file when there
is one, else English."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from chalicelib.caches import register
from chalicelib.models.case import Case, RequestedDocument

TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_LANGUAGE = "en"
_LANGUAGE = re.compile(r"^[a-z]{2}(-[A-Za-z]{2})?$")


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str) -> str: ...


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str


@register
@functools.cache
def templates(language: str) -> dict[str, Any]:
    path = TEMPLATES / f"{language}.json"
    if not _LANGUAGE.match(language) or not path.is_file():
        path = TEMPLATES / f"{DEFAULT_LANGUAGE}.json"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def language_of(case: Case) -> str:
    language = case.config.get("language")
    return language.split("-")[0].lower() if isinstance(language, str) else DEFAULT_LANGUAGE


def recipient(case: Case) -> str | None:
    """The customer's address: the run's `config.notifications.email`, else the entity's."""
    notifications = case.config.get("notifications")
    if isinstance(notifications, dict) and isinstance(notifications.get("email"), str):
        return str(notifications["email"])
    entity = case.context.get("entity")
    for source in (case.entity_data, entity if isinstance(entity, dict) else {}):
        if isinstance(source.get("email"), str) and "@" in source["email"]:
            return str(source["email"])
    return None


def document_label(item: RequestedDocument) -> str:
    return item.type.replace("_", " ").capitalize()


def reason_label(item: RequestedDocument, language: str = DEFAULT_LANGUAGE) -> str:
    """The reason in plain language, as the customer reads it."""
    reasons: dict[str, str] = templates(language)["reasons"]
    code = item.reason or ("new" if item.document_id is None else "other")
    return reasons.get(code, reasons["other"])


def _documents(case: Case, requested: list[RequestedDocument], language: str) -> str:
    line: str = templates(language)["document_line"]
    return "\n".join(
        line.format(
            document=document_label(item),
            reason=reason_label(item, language),
            message=f" ({item.message})" if item.message else "",
        )
        for item in requested
    )


def render(kind: str, case: Case, **values: Any) -> tuple[str, str]:
    language = language_of(case)
    template = templates(language)[kind]
    requested = values.pop("requested", [])
    message = values.pop("message", None) or ""
    fields = {
        "entity_name": case.entity_name,
        "documents": _documents(case, requested, language),
        "message": f"{message}\n\n" if message and kind != "message" else message,
        **values,
    }
    return template["subject"].format(**fields), template["body"].format(**fields)
