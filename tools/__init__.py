"""Operator tools run from a checkout (``python -m tools.<name>``), not deployed."""
