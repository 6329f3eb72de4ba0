"""Shared test helpers: real servers on loopback (see servers.py)."""
