"""DynamoDB adapter for tenant settings, on the cases table:
current   pk T#<tenant>#SETTINGS  sk SLA
history   pk T#<tenant>#SETTINGS  sk SLA#<updatedAt>   (every version, who and when)"""

from __future__ import annotations

import json

from chalicelib.aws.dynamodb import dynamodb_table
from chalicelib.models.sla import SlaSettings


def settings_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#SETTINGS"


class DynamoSlaSettingsStore:
    def __init__(self, table_name: str) -> None:
        self._table_name = table_name

    def get(self, tenant_id: str) -> SlaSettings:
        item = (
            dynamodb_table(self._table_name)
            .get_item(Key={"pk": settings_pk(tenant_id), "sk": "SLA"}, ConsistentRead=True)
            .get("Item")
        )
        return SlaSettings.model_validate_json(item["settingsJson"]) if item else SlaSettings()

    def put(self, tenant_id: str, settings: SlaSettings) -> None:
        # Seconds are kept as JSON text: a DynamoDB map would turn them into Decimal.
        body = json.dumps(settings.model_dump(mode="json"), separators=(",", ":"))
        with dynamodb_table(self._table_name).batch_writer() as batch:
            batch.put_item(Item={"pk": settings_pk(tenant_id), "sk": "SLA", "settingsJson": body})
            batch.put_item(
                Item={
                    "pk": settings_pk(tenant_id),
                    "sk": f"SLA#{settings.updated_at}",
                    "settingsJson": body,
                    "recordType": "settings_history",
                }
            )
