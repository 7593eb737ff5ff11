"""Saved inbox views: named filter + sort combinations, personal or shared with the tenant."""
