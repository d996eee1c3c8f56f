import shutil

import pytest


@pytest.fixture(scope="session")
def kcat() -> str:
    path = shutil.which("kcat") or shutil.which("kafkacat")
    if path is None:
        pytest.fail("kcat is not installed: scripts/install-system-deps.sh installs it (apt-get install kcat)")
    return path
