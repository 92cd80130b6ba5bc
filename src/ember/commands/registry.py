"""Binds handlers to command names.  Metadata (arity, flags, keys...) lives in the command
table (commands.json via commands.table); a handler only names the command it serves.

    @command("get")
    def get(c, argv): ...

Subcommands are named "container|sub" (e.g. "client|list"), as COMMAND INFO names them.
A handler receives the client (its command context: ``c.server``, ``c.db``...) and the full
argv (argv[0] is the command name as sent).  It returns a reply value (protocol.replies) or
raises ReplyError.
"""

HANDLERS = {}
BATCH_HANDLERS = {}


def command(*names):
    def deco(fn):
        for n in names:
            key = n.lower()
            if key in HANDLERS:
                raise RuntimeError("duplicate handler for %s" % key)
            HANDLERS[key] = fn
        return fn
    return deco


def batch(name):
    """Registers a handler for a uniform pipeline of ``name`` (see dispatch.execute_batch):
    ``fn(c, cols)`` gets the argument columns (``cols[1]`` = every command's first argument,
    ...) and returns the encoded replies of all of them, or None to decline (the commands
    then run one by one).  Must be observably identical to running them one by one."""
    def deco(fn):
        BATCH_HANDLERS[name.lower()] = fn
        return fn
    return deco


def load_all():
    """Import every command module so their decorators run."""
    import importlib
    import pkgutil
    from . import __name__ as pkg_name, __path__ as pkg_path
    skip = {"registry", "dispatch", "table", "args"}
    for mod in pkgutil.iter_modules(pkg_path):
        if mod.name not in skip and not mod.name.startswith("_"):
            importlib.import_module(pkg_name + "." + mod.name)
    return HANDLERS
