"""Make moto's DynamoDB as atomic as DynamoDB under threads.

DynamoDB applies each conditional write and transaction atomically. moto does not: a
transaction deep-copies the tables while other threads write them ("dictionary changed size
during iteration"), and concurrent conditional writes can both pass. The local stack serves
requests on many threads and the integration tests run the pump beside the app, so every item
operation of moto's DynamoDB backend runs under one lock.
"""

from __future__ import annotations

import functools
import json
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


_transactions_patched = False


def cheap_transaction_backups() -> None:
    """Make moto's transactions cost the items they touch, not the table.

    moto backs up every table a transaction names with a deep copy (its items and its whole
    stream history) so it can roll back: each transaction costs the table's size, so a stack
    with a thousand cases spends seconds per decision or parked task token. This keeps moto's
    transaction code and replaces only the backup: the named items and the stream's length,
    restored (with the stream records of the cancelled writes dropped) when it is cancelled.
    """
    global _transactions_patched
    if _transactions_patched:
        return
    import copy

    from moto.dynamodb import models
    from moto.dynamodb.models.dynamo_type import DynamoType

    original = models.DynamoDBBackend.transact_write_items
    real_deepcopy = copy.deepcopy

    class _NoTableCopy:
        """moto's module sees this as `copy`: tables are not copied, anything else is."""

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            if isinstance(value, models.Table):
                return value
            return real_deepcopy(value, memo)

    def backups(self: Any, transact_items: list[dict[str, Any]]) -> list[Any]:
        saved = []
        for entry in transact_items:
            op = next(iter(entry.values()))
            table = self.tables.get(op.get("TableName"))
            key = op.get("Key") or op.get("Item")
            if table is None or not key or table.hash_key_attr not in key:
                continue
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = DynamoType(key[table.range_key_attr]) if table.has_range_key else None
            if table.has_range_key:
                item = table.items.get(hash_key, {}).get(range_key)
            else:
                item = table.items.get(hash_key)
            shard = table.stream_shard
            saved.append(
                (table, hash_key, range_key, real_deepcopy(item), len(shard.items) if shard else 0)
            )
        return saved

    def restore(saved: list[Any]) -> None:
        for table, hash_key, range_key, item, stream_length in reversed(saved):
            if table.has_range_key:
                partition = table.items[hash_key]
                if item is None:
                    partition.pop(range_key, None)
                    if not partition:
                        table.items.pop(hash_key, None)
                else:
                    partition[range_key] = item
            elif item is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = item
            if table.stream_shard is not None:
                del table.stream_shard.items[stream_length:]

    @functools.wraps(original)
    def transact(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = backups(self, transact_items)
        models.copy = _NoTableCopy  # type: ignore[assignment]
        try:
            original(self, transact_items)
        except BaseException:
            restore(saved)
            raise
        finally:
            models.copy = copy  # type: ignore[assignment]

    models.DynamoDBBackend.transact_write_items = transact  # type: ignore[method-assign]
    _transactions_patched = True


_task_token_patched = False


def fresh_task_token_per_retry() -> None:
    """Give each retry of a `.waitForTaskToken` task a new task token, as AWS does.

    moto makes the token (and its callback endpoint) once per state and reuses both on every
    `Retry` attempt; the endpoint keeps the first attempt's outcome, so after one
    `SendTaskFailure` every retry fails at once, without waiting for its worker, while the
    workers still get their messages (a plugin step then reaches its `Catch` although a later
    attempt succeeds). With this patch each retry registers a new token first."""
    global _task_token_patched
    if _task_token_patched:
        return
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback as callback_module,
    )

    task_class = callback_module.StateTaskServiceCallback
    wait_for_token = callback_module.ResourceCondition.WaitForTaskToken
    original = task_class._evaluate_with_timeout

    def evaluate(self: Any, env: Any) -> None:
        context = env.states.context_object
        retrying = context.context_object_data.get("State", {}).get("RetryCount", 0) > 0
        if (
            retrying
            and self._is_integration_pattern()
            and wait_for_token in self._supported_integration_patterns
        ):
            env.callback_pool_manager.add(context.update_task_token())
        original(self, env)

    task_class._evaluate_with_timeout = evaluate
    _task_token_patched = True


_validation_cached = False


def remember_valid_state_machine_definitions() -> None:
    """moto parses every new state machine's definition with its ANTLR grammar (about a third of
    a second each); the tests provision the same few definitions for every test. A definition that
    parsed once is valid the next time: remember it. Invalid ones are parsed (and refused) each
    time, as before."""
    global _validation_cached
    if _validation_cached:
        return
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend._validate_definition
    valid: set[str] = set()

    def validate(definition: str) -> None:
        if definition not in valid:
            original(definition)
            valid.add(definition)

    StepFunctionsParserBackend._validate_definition = staticmethod(validate)  # type: ignore[method-assign]
    _validation_cached = True


_task_failure_patched = False


def keep_task_failure_cause() -> None:
    """Pass `SendTaskFailure`'s `cause` on to the execution, as AWS does.

    moto's API layer reads only the `error` and drops the `cause`, so a `Catch` sees
    `{"Error": ..., "Cause": null}`: a plugin step's recorded failure then said "None" where
    the worker had said why (e.g. "the vendor answered 503")."""
    global _task_failure_patched
    if _task_failure_patched:
        return
    from moto.core.responses import EmptyResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def send_task_failure(self: Any) -> Any:
        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"),
            error=self._get_param("error"),
            cause=self._get_param("cause"),
        )
        return EmptyResult()

    StepFunctionResponse.send_task_failure = send_task_failure  # type: ignore[method-assign]
    _task_failure_patched = True


def ses_sent_messages_endpoint() -> None:
    """`GET /moto-api/ses/sent-messages`: the emails moto's SES sent, as `/moto-api/data.json`
    lists them, without serialising every model of every service to get them (the local
    mailbox asks every 2 s, and on a loaded machine data.json took over 5 s to answer)."""
    from moto.moto_api._internal import urls

    from local.mailbox import SES_SENT_MESSAGES_PATH

    def sent_messages(request: Any, full_url: str, headers: Any) -> Any:
        from moto.ses.models import Message, ses_backends

        seen: dict[str, dict[str, Any]] = {}
        for account_id in list(ses_backends.keys()):
            for backend in list(ses_backends[account_id].values()):
                for message in backend.sent_messages:
                    if isinstance(message, Message):
                        seen.setdefault(
                            message.id,
                            {
                                "id": message.id,
                                "source": message.source,
                                "destinations": message.destinations,
                                "subject": message.subject,
                                "body": message.body,
                            },
                        )
        return 200, {"Content-Type": "application/json"}, json.dumps(list(seen.values()))

    urls.url_paths["{0}" + SES_SENT_MESSAGES_PATH + "$"] = sent_messages
