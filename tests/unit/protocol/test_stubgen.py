"""The typed stubs (schema/*.pyi) match the field tables and tell the truth about decoded messages."""

import ast
import uuid

import pytest
from hypothesis import HealthCheck, given, settings

from strom.protocol import stubgen

from .test_messages import CASES, _strategy

MODULES = stubgen.schema_modules()


@pytest.mark.parametrize("module", MODULES, ids=[m.__name__.rsplit(".", 1)[1] for m in MODULES])
def test_stub_matches_its_table(module):
    path = stubgen.stub_path(module)
    current = path.read_text() if path.exists() else None
    assert current == stubgen.stub_source(module), (
        f"{path.name} is out of date with the field tables of {module.__name__}: run `{stubgen.REGENERATE}` and commit the result"
    )


def test_check_mode_reports_no_stale_stub(capsys):
    assert stubgen.main(["--check"]) == 0, capsys.readouterr().out


def _annotations(module):
    """{class name: {field: annotation text}} as the stub declares them."""
    tree = ast.parse(stubgen.stub_path(module).read_text())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            out[node.name] = {
                item.target.id: ast.unparse(item.annotation)
                for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
            }
    return out


_RUNTIME = {
    "bool": (bool,),
    "float": (float,),
    "str": (str,),
    "Buffer": (bytes, bytearray, memoryview),
    "Records": (bytes, bytearray, memoryview),
    "uuid.UUID": (uuid.UUID,),
    "dict[int, bytes]": (dict,),
}


def _split_union(text):
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch == "["
        depth -= ch == "]"
        if ch == "|" and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def _matches(value, annotation, stubs):
    for option in _split_union(annotation):
        if option == "None":
            ok = value is None
        elif option == "int":
            ok = type(value) is int
        elif option.startswith("list["):
            ok = isinstance(value, list) and all(_matches(v, option[5:-1], stubs) for v in value)
        elif option in _RUNTIME:
            ok = isinstance(value, _RUNTIME[option])
        else:
            ok = type(value).__name__ == option and _conforms(value, stubs)
        if ok:
            return True
    return False


def _conforms(obj, stubs):
    fields = stubs[type(obj).__name__]
    for name, annotation in fields.items():
        assert _matches(getattr(obj, name), annotation, stubs), f"{type(obj).__name__}.{name} = {getattr(obj, name)!r} is not {annotation}"
    return True


@pytest.mark.parametrize("cls,version", CASES[::2], ids=[f"{c.__name__}-v{v}" for c, v in CASES[::2]])
def test_decoded_messages_have_the_stub_types(cls, version):
    module = next(m for m in MODULES if getattr(m, cls.__name__, None) is cls)
    stubs = _annotations(module)

    @settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_strategy(cls, version))
    def check(msg):
        decoded, _ = cls.decode(msg.encode(version), version)
        assert _conforms(decoded, stubs)
        assert _conforms(cls(), stubs)  # the defaults of every field, as the constructor gives them

    check()


@pytest.mark.parametrize("module", MODULES, ids=[m.__name__.rsplit(".", 1)[1] for m in MODULES])
def test_stub_declares_every_class_under_its_runtime_name(module):
    """Nested structs are exported by name; a second struct of one name becomes <Owner><Name>: the stub follows."""
    runtime = {name for name, obj in vars(module).items() if isinstance(obj, type) and hasattr(obj, "_FIELDS") and obj.__name__ == name}
    runtime -= {"Message", "Struct"}
    assert set(_annotations(module)) == runtime


def test_a_renamed_nested_struct_is_declared_under_its_owner_prefixed_name():
    from strom.protocol.schema import add_partitions_to_txn

    assert add_partitions_to_txn.AddPartitionsToTxnRequestAddPartitionsToTxnTopic.__name__ in _annotations(add_partitions_to_txn)
