"""The JDBC connectors' version, as Connector.version() and Task.version() report it: Strom's."""

from strom.version import __version__

VERSION = __version__
