"""Reading a project: brief.toml, the data files, pulled records and overlays, into typed records.

Imports only brief.core.
"""
