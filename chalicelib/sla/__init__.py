"""Review SLAs: deadlines per state, timers, breaches and escalation (docs/sla.md)."""
