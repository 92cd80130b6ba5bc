"""Lua scripting (EVAL/EVALSHA/SCRIPT) and Redis Functions (FUNCTION/FCALL) on lupa's Lua 5.1.

- ``runtime``: one LuaEngine per server: the sandboxed globals, the ``redis`` API, the
  busy/kill hook and the conversions between reply values and Lua values;
- ``libs``: bit, struct, cjson and cmsgpack written for ember (Python backed);
- ``busy``: serving other clients (BUSY replies, SCRIPT KILL) while a long script runs.
"""
