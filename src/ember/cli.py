"""``ember-server`` / ``python -m ember``: parse redis-server style arguments, start serving.

    ember-server [/path/to/ember.conf] [--option value ...]
"""

import asyncio
import os
import sys

from . import __version__, REDIS_VERSION


def _usage():
    sys.stderr.write(
        "Usage: ember-server [/path/to/ember.conf] [options] [-]\n"
        "       ember-server - (read config from stdin)\n"
        "       ember-server -v or --version\n"
        "       ember-server -h or --help\n\n"
        "Examples:\n"
        "       ember-server (run the server with default conf)\n"
        "       ember-server /etc/redis/6379.conf\n"
        "       ember-server --port 7777\n"
        "       ember-server /etc/myredis.conf --loglevel verbose\n")


def main(argv=None):
    from .config import Config, ConfigFileError

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-v", "--version"):
        print("Redis server v=%s ember=%s sha=00000000:0 malloc=libc bits=64 build=0" % (REDIS_VERSION, __version__))
        return 0
    if argv and argv[0] in ("-h", "--help"):
        _usage()
        return 0
    config = Config()
    try:
        config.parse_argv(argv)
    except ConfigFileError as e:
        sys.stderr.write(str(e) + "\n")
        return 1
    return run(config)


def _daemonize():
    """Detach like redis-server's daemonize: fork (the parent exits 0), new session, standard
    streams to /dev/null (with no logfile, logs go nowhere, as in Redis)."""
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    fd = os.open(os.devnull, os.O_RDWR)
    for target in (0, 1, 2):
        os.dup2(fd, target)
    if fd > 2:
        os.close(fd)


def run(config):
    from .server.app import Server
    from .server.logging import Logger
    from .server.network import Network

    if config.daemonize:
        _daemonize()
        if not config.pidfile:
            config.pidfile = "/var/run/redis.pid"   # Redis' default when daemonized
    log = Logger(config.loglevel, config.logfile)
    if config.dir:
        try:
            os.chdir(config.dir)
        except OSError as e:
            log.warning("Can't chdir to '%s': %s" % (config.dir, e))
            return 1
    try:
        import uvloop
        uvloop.install() if hasattr(uvloop, "install") else None
    except ImportError:
        pass
    log.notice("oO0OoO0OoO0Oo ember is starting oO0OoO0OoO0Oo")
    log.notice("ember version=%s (Redis %s compatible), bits=64, pid=%d, just started"
               % (__version__, REDIS_VERSION, os.getpid()))
    if config.config_file:
        log.notice("Configuration loaded")
    else:
        log.warning("Warning: no config file specified, using the default config. In order to specify "
                    "a config file use ember-server /path/to/ember.conf")
    from .commands.acl import AclStartupError
    from .server.app import tune_malloc
    tune_malloc()
    from .server import gcpolicy
    gcpolicy.install()
    try:
        server = Server(config, logger=log)
    except AclStartupError as e:     # bad 'user' directives or ACL file: Redis exits too
        for line in e.args:
            log.warning(line)
        return 1
    server.executable = os.path.abspath(sys.argv[0])
    server.config_file = config.config_file or ""
    from .persistence import aof, snapshot
    snap = snapshot.install(server)
    aof.install(server)     # with appendonly yes it is the start-up loader (AOF over RDB)
    if not snap.load_at_startup():
        return 1

    async def amain():
        net = Network(server)
        try:
            await net.start()
        except OSError as e:
            log.warning("Failed listening on port %s (tcp), aborting: %s" % (config.port, e))
            return 1
        net.install_signals()
        startup = server.subsystems.get("startup")
        if startup:
            for h in startup:
                h(server)
        await net.serve_forever()
        req = server.shutdown_requested or {}
        log.warning("User requested shutdown...")
        for h in server.subsystems.get("shutdown", ()):
            try:
                h(server, req)
            except Exception as e:
                log.warning("Error during shutdown: %r" % (e,))
        await net.close()
        if config.pidfile:
            try:
                os.unlink(config.pidfile)
            except OSError:
                pass
        log.warning("ember is now ready to exit, bye bye...")
        return 0

    if config.pidfile:
        try:
            with open(config.pidfile, "w") as f:
                f.write("%d\n" % os.getpid())
        except OSError:
            pass
    return asyncio.run(amain())


if __name__ == "__main__":
    sys.exit(main())
