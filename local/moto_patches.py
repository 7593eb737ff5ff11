"""Make moto's DynamoDB as atomic as DynamoDB under threads.

DynamoDB applies each conditional write and transaction atomically. moto does not: a
transaction deep-copies the tables while other threads write them ("dictionary changed size
during iteration"), and concurrent conditional writes can both pass. The local stack serves
requests on many threads and the integration tests run the pump beside the app, so every item
operation of moto's DynamoDB backend runs under one lock.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_OPERATIONS = (
    "put_item",
    "get_item",
    "query",
    "scan",
    "update_item",
    "delete_item",
    "batch_get_item",
    "transact_write_items",
    "transact_get_items",
)
_lock = threading.RLock()
_patched = False


def serialise_dynamodb() -> None:
    """Idempotent: patch moto's DynamoDB backend once per process."""
    global _patched
    if _patched:
        return
    from moto.dynamodb.models import DynamoDBBackend

    for name in _OPERATIONS:
        original = getattr(DynamoDBBackend, name, None)
        if original is None:
            continue

        @functools.wraps(original)
        def locked(*args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _lock:
                return __original(*args, **kwargs)

        setattr(DynamoDBBackend, name, locked)
    _patched = True


_cognito_patched = False


def keep_given_cognito_sub() -> None:
    """Let a restored reviewer keep its id: moto gives every new Cognito user a random `sub`
    (the reviewer id in tokens, assignments and decisions) and ignores a `sub` attribute given
    at creation. With this patch a given `sub` is kept, so the local stack can re-create its
    saved users with the ids the saved cases refer to. Local only: real Cognito refuses it."""
    global _cognito_patched
    if _cognito_patched:
        return
    from moto.cognitoidp.models import CognitoIdpUser

    original = CognitoIdpUser.__init__

    @functools.wraps(original)
    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        attributes = kwargs.get("attributes", args[4] if len(args) > 4 else None) or []
        given = next((a["Value"] for a in attributes if a.get("Name") == "sub"), None)
        original(self, *args, **kwargs)
        if given:
            if self.username == self.id:  # pools keyed by email name users by their sub
                self.username = given
            self.id = given
            self.update_attributes([{"Name": "sub", "Value": given}])

    CognitoIdpUser.__init__ = init  # type: ignore[method-assign]
    _cognito_patched = True
