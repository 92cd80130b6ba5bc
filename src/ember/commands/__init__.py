"""Command handlers, one module per Redis command group, plus the table, registry and
dispatch gate."""
