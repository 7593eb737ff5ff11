"""The `sanctions` provider: screening against sanctions and PEP lists (docs/plugins.md)."""
