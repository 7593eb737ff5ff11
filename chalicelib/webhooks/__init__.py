"""Decision webhooks: domain events fanned out to subscriptions, signed (Standard Webhooks v1),
delivered with retries, recorded attempt by attempt, dead-lettered and redeliverable."""
