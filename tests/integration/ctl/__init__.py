"""Integration tests of pghaloctl against a real lab (see test_pghaloctl.py)."""
