"""Plugins: vendor checks declared in a workflow definition, run by the back office.

See docs/plugins.md."""
