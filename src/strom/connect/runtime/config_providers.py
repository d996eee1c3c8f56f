"""Config providers: `${provider:path:key}` variables in connector configs resolved when a connector or task
starts, so secrets stay out of the stored config and the REST API (Kafka's ConfigProvider / ConfigTransformer,
KIP-297, KIP-421, KIP-887).

Worker keys, as Kafka's: `config.providers=file,dir,env`, `config.providers.<name>.class=` (Kafka's Java class
names below, or a Python class with `configure(params)` and `get(path, keys)`), `config.providers.<name>.param.<k>=`
(`allowed.paths` for the file and directory providers, `allowlist.pattern` for the environment one). A variable
whose provider or key is unknown stays as written, as in Kafka.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from strom.connect.errors import ConnectException

# Kafka's ConfigTransformer.DEFAULT_PATTERN: ${provider:[path:]key}
VARIABLE = re.compile(r"\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}")


class ConfigProvider(Protocol):
    def configure(self, params: Mapping[str, str]) -> None: ...

    def get(self, path: str | None, keys: set[str]) -> dict[str, str]: ...


def _allowed(params: Mapping[str, str]) -> list[Path] | None:
    raw = params.get("allowed.paths")
    if not raw:
        return None
    return [Path(p.strip()).resolve() for p in raw.split(",") if p.strip()]


def _check_allowed(allowed: list[Path] | None, path: str) -> Path:
    resolved = Path(path).resolve()
    if allowed is not None and not any(resolved == a or a in resolved.parents for a in allowed):
        raise ConnectException(f"The path {path} is not allowed to be accessed (allowed.paths)")
    return resolved


def read_properties(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    logical = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not logical and (not line or line[0] in "#!"):
            continue
        if line.endswith("\\") and not line.endswith("\\\\"):
            logical += line[:-1]
            continue
        line, logical = logical + line, ""
        sep = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        if sep >= 0:
            out[line[:sep].strip()] = line[sep + 1 :].strip()
    return out


class FileConfigProvider:
    """`${file:/path/to/secrets.properties:key}`: a key of a properties file."""

    def __init__(self) -> None:
        self.allowed: list[Path] | None = None

    def configure(self, params: Mapping[str, str]) -> None:
        self.allowed = _allowed(params)

    def get(self, path: str | None, keys: set[str]) -> dict[str, str]:
        if not path:
            return {}
        props = read_properties(_check_allowed(self.allowed, path))
        return {k: props[k] for k in keys if k in props}


class DirectoryConfigProvider:
    """`${dir:/path/to/dir:file}`: the contents of a file in a directory (a Kubernetes secret mount)."""

    def __init__(self) -> None:
        self.allowed: list[Path] | None = None

    def configure(self, params: Mapping[str, str]) -> None:
        self.allowed = _allowed(params)

    def get(self, path: str | None, keys: set[str]) -> dict[str, str]:
        if not path:
            return {}
        directory = _check_allowed(self.allowed, path)
        out = {}
        for key in keys:
            file = directory / key
            if file.parent == directory and file.is_file():
                out[key] = file.read_text(encoding="utf-8")
        return out


class EnvVarConfigProvider:
    """`${env:NAME}`: an environment variable (those matching allowlist.pattern, all by default)."""

    def __init__(self) -> None:
        self.allow = re.compile(".*")

    def configure(self, params: Mapping[str, str]) -> None:
        self.allow = re.compile(params.get("allowlist.pattern", ".*"))

    def get(self, path: str | None, keys: set[str]) -> dict[str, str]:
        if path:
            raise ConnectException("EnvVarConfigProvider takes no path: use ${env:NAME}")
        return {k: os.environ[k] for k in keys if k in os.environ and self.allow.fullmatch(k)}


BUILTIN = {
    "org.apache.kafka.common.config.provider.FileConfigProvider": FileConfigProvider,
    "org.apache.kafka.common.config.provider.DirectoryConfigProvider": DirectoryConfigProvider,
    "org.apache.kafka.common.config.provider.EnvVarConfigProvider": EnvVarConfigProvider,
    "FileConfigProvider": FileConfigProvider,
    "DirectoryConfigProvider": DirectoryConfigProvider,
    "EnvVarConfigProvider": EnvVarConfigProvider,
}


def _new_provider(class_name: str) -> Any:
    cls = BUILTIN.get(class_name.strip())
    if cls is not None:
        return cls()
    module, _, name = class_name.strip().replace(":", ".").rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)()
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConnectException(f"Invalid config provider class {class_name}: {exc}") from None


class ConfigTransformer:
    def __init__(self, providers: Mapping[str, Any]) -> None:
        self.providers = dict(providers)

    @staticmethod
    def from_worker_config(props: Mapping[str, str]) -> ConfigTransformer:
        providers: dict[str, Any] = {}
        for name in (n.strip() for n in props.get("config.providers", "").split(",")):
            if not name:
                continue
            class_name = props.get(f"config.providers.{name}.class")
            if not class_name:
                raise ConnectException(f"config.providers.{name}.class is required for config provider {name}")
            provider = _new_provider(class_name)
            prefix = f"config.providers.{name}.param."
            provider.configure({k[len(prefix) :]: v for k, v in props.items() if k.startswith(prefix)})
            providers[name] = provider
        return ConfigTransformer(providers)

    def transform(self, config: Mapping[str, str]) -> dict[str, str]:
        """The config with every resolvable variable replaced."""
        if not self.providers:
            return dict(config)
        wanted: dict[tuple[str, str | None], set[str]] = {}
        for value in config.values():
            for m in VARIABLE.finditer(value or ""):
                if m.group(1) in self.providers:
                    wanted.setdefault((m.group(1), m.group(3)), set()).add(m.group(4))
        if not wanted:
            return dict(config)
        found: dict[tuple[str, str | None], dict[str, str]] = {
            where: self.providers[where[0]].get(where[1], keys) for where, keys in wanted.items()
        }

        def replace(m: re.Match[str]) -> str:
            values = found.get((m.group(1), m.group(3)), {})
            return values.get(m.group(4), m.group(0))

        return {k: (VARIABLE.sub(replace, v) if v and "${" in v else v) for k, v in config.items()}

    def reverse(self, raw: Mapping[str, str], transformed: Mapping[str, str], task_config: Mapping[str, str]) -> dict[str, str]:
        """A task config with the resolved secrets put back as the variables the connector config had (Kafka's
        reverseTransform), so stored task configs and GET .../tasks show no secrets."""
        out = dict(task_config)
        for key, value in task_config.items():
            original = raw.get(key)
            if original is not None and "${" in original and transformed.get(key) == value:
                out[key] = original
        return out
