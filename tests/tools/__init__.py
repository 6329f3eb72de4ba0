"""Tests for the writer tools (tools/newpost.py, tools/import_wordpress.py)."""
