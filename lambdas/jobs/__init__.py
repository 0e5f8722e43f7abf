"""Scheduled functions: not routes (no API Gateway, not in the route manifest)."""
