"""Team analytics kept from the domain events (docs/analytics.md)."""
