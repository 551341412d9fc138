"""Readers: boundaries, incident records and ward-level tables. They only read and report."""
