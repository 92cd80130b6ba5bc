"""Jobs for the RQ workload test (importable by the worker by dotted path)."""


def add(a, b):
    return a + b


def shout(s):
    return s.upper()
