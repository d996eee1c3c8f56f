"""Pytest fixtures that start Strom brokers as real processes on free ports."""
