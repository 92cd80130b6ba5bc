"""The data store: databases with lazy + active expiry, change hooks and key scanning."""
