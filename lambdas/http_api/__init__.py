"""The HTTP edge of every handler: API Gateway payload 2.0 in, response out.

Nothing outside this package builds a response; nothing inside it holds a rule.
"""
