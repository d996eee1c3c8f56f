import strom


def test_version_is_set() -> None:
    assert strom.__version__.count(".") == 2
