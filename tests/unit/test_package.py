import subprocess
import sys

import pytest

import strom


def test_version_is_set() -> None:
    assert strom.__version__.count(".") == 2


@pytest.mark.parametrize("name", strom.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(strom, name) is not None
    assert name in dir(strom)


def test_public_names_are_the_client_classes() -> None:
    from strom.client.sync_producer import Producer
    from strom.protocol.errors import KafkaError, KafkaException

    assert strom.Producer is Producer
    assert strom.KafkaError is KafkaError
    assert strom.KafkaException is KafkaException and issubclass(KafkaError, KafkaException)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        strom.Nope  # noqa: B018
    assert not hasattr(strom, "Nope")


def _strom_modules_loaded_by(statement: str) -> set[str]:
    """The strom modules a fresh interpreter holds after `statement` (this process has loaded everything)."""
    code = f"import sys; {statement}; print(' '.join(m for m in sys.modules if m.startswith('strom')))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return set(out.split())


def test_importing_the_storage_layer_does_not_load_the_client_or_the_message_schemas() -> None:
    loaded = _strom_modules_loaded_by("import strom.storage.log")
    assert "strom.storage.log" in loaded
    assert not {m for m in loaded if m.startswith(("strom.client", "strom.broker", "strom.cluster", "strom.protocol.schema"))}


def test_from_strom_import_loads_the_client_on_demand() -> None:
    loaded = _strom_modules_loaded_by("from strom import Producer")
    assert "strom.client.sync_producer" in loaded
    assert "strom.broker" not in loaded
