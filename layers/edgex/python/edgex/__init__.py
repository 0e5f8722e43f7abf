"""Edgex domain package: the rules of the platform, with no knowledge of HTTP.

Handlers in ``lambdas/`` call one function of this package per request and map
its result or its :class:`edgex.errors.EdgexError` to a response.
"""
