"""Config providers: ${file:...}, ${dir:...}, ${env:...} in connector configs, as Kafka's ConfigTransformer."""

from __future__ import annotations

from pathlib import Path

import pytest

from strom.connect.errors import ConnectException
from strom.connect.runtime.config_providers import ConfigTransformer


def test_config_providers_resolve_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = tmp_path / "secrets.properties"
    secrets.write_text("db.password=s3cret\n# comment\nuser: admin\n")
    (tmp_path / "mount").mkdir()
    (tmp_path / "mount" / "token").write_text("tok")
    monkeypatch.setenv("CONNECT_TEST_VAR", "from-env")
    transformer = ConfigTransformer.from_worker_config(
        {
            "config.providers": "file,dir,env",
            "config.providers.file.class": "org.apache.kafka.common.config.provider.FileConfigProvider",
            "config.providers.file.param.allowed.paths": str(tmp_path),
            "config.providers.dir.class": "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
            "config.providers.env.class": "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
        }
    )
    raw = {
        "connection.password": f"${{file:{secrets}:db.password}}",
        "connection.user": f"${{file:{secrets}:user}}",
        "token": f"prefix-${{dir:{tmp_path / 'mount'}:token}}",
        "env": "${env:CONNECT_TEST_VAR}",
        "unknown": "${vault:x:y}",
        "missing": f"${{file:{secrets}:nope}}",
    }
    resolved = transformer.transform(raw)
    assert resolved == {
        "connection.password": "s3cret",
        "connection.user": "admin",
        "token": "prefix-tok",
        "env": "from-env",
        "unknown": "${vault:x:y}",  # no such provider: left as written, as Kafka
        "missing": raw["missing"],
    }
    # a task config made from the resolved config shows the variables again, not the secrets
    task = {"connection.password": "s3cret", "topic": "t"}
    assert transformer.reverse(raw, resolved, task) == {"connection.password": raw["connection.password"], "topic": "t"}
    outside = {"x": "${file:/etc/hostname:x}"}
    with pytest.raises(ConnectException, match="allowed.paths"):
        transformer.transform(outside)
