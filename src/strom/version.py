"""Strom's version: one place, read by the broker (ApiVersions, --version) and the client (ApiVersions' client software)."""

__version__ = "0.1.0"
