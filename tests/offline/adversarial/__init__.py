"""Recorded-input tests, one per row of the criteria's adversarial tables (readiness/adversarial.py)."""
