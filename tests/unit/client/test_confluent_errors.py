"""KafkaError / KafkaException as confluent-kafka's, checked against the installed confluent-kafka itself."""

from __future__ import annotations

import pickle

import pytest

import strom
from strom.client import types
from strom.client.transactions import TransactionError
from strom.protocol.errors import ErrorCode

ck = pytest.importorskip("confluent_kafka")


def _constants(cls: type) -> dict[str, int]:
    return {k: v for k, v in vars(cls).items() if not k.startswith("__") and type(v) is int}


def test_every_confluent_error_constant_has_its_number() -> None:
    theirs = {k: getattr(ck.KafkaError, k) for k in dir(ck.KafkaError) if not k.startswith("__") and type(getattr(ck.KafkaError, k)) is int}
    ours = _constants(strom.KafkaError)
    assert len(theirs) > 180
    assert {k: ours.get(k) for k in theirs} == theirs


def test_name_is_librdkafkas() -> None:
    codes = {getattr(ck.KafkaError, k) for k in dir(ck.KafkaError) if k.isupper() or k.startswith("_") and not k.startswith("__")}
    assert {c: strom.KafkaError(c).name() for c in codes} == {c: ck.KafkaError(c).name() for c in codes}


def test_local_error_texts_are_librdkafkas() -> None:
    """str() of an error without a message of its own: librdkafka's text for every local (negative) code."""
    local = [c for c in (getattr(ck.KafkaError, k) for k in dir(ck.KafkaError) if k.startswith("_") and not k.startswith("__")) if c < 0]
    assert len(local) > 50
    assert {c: strom.KafkaError(c).str() for c in local} == {c: ck.KafkaError(c).str() for c in local}


def test_methods_answer_as_confluents() -> None:
    err = strom.KafkaError(strom.KafkaError.UNKNOWN_TOPIC_OR_PART, "no such topic", fatal=True)
    assert err.code() == 3 and err.name() == "UNKNOWN_TOPIC_OR_PART" and err.str() == "no such topic"
    assert err.fatal() is True and err.txn_requires_abort() is False and isinstance(err.retriable(), bool)
    assert err == 3 and err == strom.KafkaError(3) and err != 4 and hash(err) == hash(strom.KafkaError(3))
    assert repr(err) == repr(ck.KafkaError(3, "no such topic", fatal=True))
    assert "Message timed out" in strom.KafkaError(strom.KafkaError._MSG_TIMED_OUT).str()
    assert strom.KafkaError(strom.KafkaError._PARTITION_EOF).str() == ck.KafkaError(ck.KafkaError._PARTITION_EOF).str()
    flags = strom.KafkaError(48, retriable=True, txn_requires_abort=True)
    assert flags.retriable() and flags.txn_requires_abort() and not flags.fatal()


def test_kafka_exception_carries_the_error_in_args0() -> None:
    err = strom.KafkaError(strom.KafkaError._NO_OFFSET)
    exc = strom.KafkaException(err)
    assert exc.args[0] is err and not isinstance(exc, strom.KafkaError)
    with pytest.raises(strom.KafkaException) as raised:
        raise strom.KafkaError(strom.KafkaError.TOPIC_ALREADY_EXISTS, "topic t exists")
    assert raised.value.args[0].code() == strom.KafkaError.TOPIC_ALREADY_EXISTS  # what confluent-style code reads

    class MyExc(strom.KafkaException):
        pass

    assert isinstance(MyExc(), strom.KafkaException)


def test_error_survives_pickle_and_subclasses_keep_their_flags() -> None:
    err = pickle.loads(pickle.dumps(strom.KafkaError(7, "slow", retriable=True)))
    assert err.code() == 7 and err.str() == "slow" and err.retriable() and err.args[0] is err
    txn = TransactionError(ErrorCode.INVALID_TXN_STATE, "bad", abortable=True)
    assert txn.txn_requires_abort() and not txn.fatal() and not txn.retriable()
    assert pickle.loads(pickle.dumps(txn)).txn_requires_abort()


def test_invalid_configuration_is_a_kafka_exception_with_invalid_arg() -> None:
    with pytest.raises(strom.KafkaException) as raised:
        strom.Producer({"bootstrap.servers": "localhost:9", "no.such.key": 1})
    assert raised.value.args[0].code() == strom.KafkaError._INVALID_ARG and "no.such.key" in raised.value.args[0].str()
    assert isinstance(raised.value, (ValueError, strom.ConfigError)) and "no.such.key" in str(raised.value)


# confluent_kafka.admin names Strom does not offer yet (ACLs, SCRAM, list_offsets, legacy group listing)
_ADMIN_NOT_YET = {
    "GroupMember",
    "GroupMetadata",
    "ListOffsetsResultInfo",
    "OffsetSpec",
    "ScramCredentialInfo",
    "ScramMechanism",
    "UserScramCredentialAlteration",
    "UserScramCredentialDeletion",
    "UserScramCredentialUpsertion",
    "UserScramCredentialsDescription",
}


def test_strom_admin_offers_confluent_admins_names() -> None:
    import confluent_kafka.admin as ck_admin

    import strom.admin

    theirs = {
        n
        for n in dir(ck_admin)
        if not n.startswith("_") and (n[0].isupper() and n not in ("Any", "Dict", "List", "Optional", "Set", "Tuple", "Union"))
    }
    missing = {n for n in theirs if not hasattr(strom.admin, n)}
    assert missing == _ADMIN_NOT_YET
    for name in (n for n in theirs - missing if n.isupper()):
        assert int(getattr(strom.admin, name)) == int(getattr(ck_admin, name)), name
    assert strom.admin.AdminClient is strom.AdminClient and strom.admin.NewTopic is strom.NewTopic


@pytest.mark.parametrize("cls", [types.PyMessage, types.Message], ids=["python", "loaded"])
def test_message_has_confluents_methods(cls: type) -> None:
    theirs = {n for n in dir(ck.Message) if not n.startswith("_")}
    assert theirs <= {n for n in dir(cls) if not n.startswith("_")}
    m = cls("t", 1, 2, b"k", b"v")
    m.set_headers([("a", b"1")])
    m.set_error(strom.KafkaError(strom.KafkaError._PARTITION_EOF))
    m.set_topic("u")
    assert (m.topic(), m.headers(), m.error().code(), m.deserialized_value(), m.latency(), m.delivery_count()) == (
        "u",
        [("a", b"1")],
        -191,
        b"v",
        None,
        None,
    )


def test_topic_partition_prints_as_confluents() -> None:
    for args in (("t", 1, 5), ("t",)):
        assert str(strom.TopicPartition(*args)) == str(ck.TopicPartition(*args)) == repr(strom.TopicPartition(*args))
