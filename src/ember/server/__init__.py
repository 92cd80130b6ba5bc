"""The running process: the Server object, per-connection clients, the asyncio network shell
and the cron."""
