"""DN -> principal as Kafka maps it: Java's RFC 2253 form of the subject (strings checked against Java 17's
X500Principal.getName()) and ssl.principal.mapping.rules with Kafka's syntax."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from strom.security.ssl_principal import NoMatchingRule, SslPrincipalMapper, rfc2253

A = x509.NameAttribute

# (subject in DER order, what Java 17's X500Principal.getName() prints for it)
JAVA_FORMS = [
    ([A(NameOID.COUNTRY_NAME, "US"), A(NameOID.ORGANIZATION_NAME, "x+y"), A(NameOID.COMMON_NAME, "a=b")], "CN=a=b,O=x\\+y,C=US"),
    ([A(NameOID.ORGANIZATION_NAME, "a,b"), A(NameOID.COMMON_NAME, "#lead")], "CN=\\#lead,O=a\\,b"),
    ([A(NameOID.ORGANIZATIONAL_UNIT_NAME, 'q"x'), A(NameOID.COMMON_NAME, " sp ")], 'CN=\\ sp\\ ,OU=q\\"x'),
    ([A(NameOID.COMMON_NAME, "x"), A(NameOID.EMAIL_ADDRESS, "a@b.c")], "1.2.840.113549.1.9.1=#16056140622e63,CN=x"),
    ([A(NameOID.COMMON_NAME, "a<b>c;d\\e")], "CN=a\\<b\\>c\\;d\\\\e"),
    ([A(NameOID.ORGANIZATION_NAME, "x"), A(NameOID.COMMON_NAME, "ü")], "CN=ü,O=x"),
    ([A(NameOID.COMMON_NAME, "x"), A(NameOID.SERIAL_NUMBER, "123")], "2.5.4.5=#1303313233,CN=x"),
    (
        [A(NameOID.COUNTRY_NAME, "US"), A(NameOID.STATE_OR_PROVINCE_NAME, "CA"), A(NameOID.LOCALITY_NAME, "here")]
        + [A(NameOID.STREET_ADDRESS, "main"), A(NameOID.COMMON_NAME, "x"), A(NameOID.TITLE, "mr")],
        "2.5.4.12=#0c026d72,CN=x,STREET=main,L=here,ST=CA,C=US",
    ),
]


@pytest.mark.parametrize(("attributes", "java"), JAVA_FORMS)
def test_rfc2253_matches_java(attributes: list[x509.NameAttribute[str]], java: str) -> None:
    # through a real certificate's DER, as the broker reads it
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(attributes)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime.datetime(2020, 1, 1))
        .not_valid_after(datetime.datetime(2030, 1, 1))
        .sign(key, hashes.SHA256())
    )
    assert rfc2253(cert.subject) == java


def test_multi_valued_rdn() -> None:
    name = x509.Name(
        [
            x509.RelativeDistinguishedName([A(NameOID.DOMAIN_COMPONENT, "com")]),
            x509.RelativeDistinguishedName([A(NameOID.COMMON_NAME, "a"), A(NameOID.USER_ID, "b")]),
        ]
    )
    assert rfc2253(name) == "CN=a+UID=b,DC=com"


# Kafka's documented examples
RULES = (
    "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,"
    "RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L,DEFAULT"
)


@pytest.mark.parametrize(
    ("dn", "name"),
    [
        ("CN=kafka-server1,OU=ServiceUsers,O=Org,C=US", "kafka-server1"),
        ("CN=Duke,OU=JavaSoft,O=Sun Microsystems,L=x,ST=y,C=US", "duke@javasoft"),
        ("CN=Duke,OU=JavaSoft,O=Sun Microsystems", "duke"),
        ("OU=JavaSoft,O=Sun Microsystems,C=US", "OU=JavaSoft,O=Sun Microsystems,C=US"),
    ],
)
def test_documented_rules(dn: str, name: str) -> None:
    assert SslPrincipalMapper.from_rules(RULES).name(dn) == name


def test_rule_syntax_details() -> None:
    assert SslPrincipalMapper.from_rules("RULE:^CN=(.*?),O=(.*)$/$2\\/$1/U").name("CN=a,O=b") == "B/A"  # escaped slash
    assert SslPrincipalMapper.from_rules("RULE:^CN=(.*)$/$1$2/").name("CN=a") == "a$2"  # no group 2: literal, as Kafka
    assert SslPrincipalMapper.from_rules("RULE:^CN=(?<who>.*)$/${who}!/").name("CN=a") == "a!"
    assert SslPrincipalMapper.from_rules("  RULE:^CN=(.*)$/$1/ ,  DEFAULT ").name("O=x") == "O=x"
    with pytest.raises(NoMatchingRule, match="No rules apply to O=x"):
        SslPrincipalMapper.from_rules("RULE:^CN=(.*)$/$1/").name("O=x")
    for bad in ("RULE:a/b/x", "nonsense", "RULE:^CN=(.*$/$1/"):
        with pytest.raises(ValueError, match="Invalid rule"):
            SslPrincipalMapper.from_rules(bad)


dn_values = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20)


@given(cn=dn_values, org=dn_values)
def test_default_keeps_the_dn_and_a_cn_rule_takes_the_cn(cn: str, org: str) -> None:
    dn = rfc2253(x509.Name([A(NameOID.ORGANIZATION_NAME, org), A(NameOID.COMMON_NAME, cn)]))
    assert SslPrincipalMapper.from_rules("DEFAULT").name(dn) == dn
    assert SslPrincipalMapper.from_rules(None).name(dn) == dn
    # the CN as the DN writes it (escapes kept): up to the first unescaped comma
    taken = SslPrincipalMapper.from_rules(r"RULE:^CN=((?:\\.|[^,\\])*),O=.*$/$1/").name(dn)
    assert taken == rfc2253(x509.Name([A(NameOID.COMMON_NAME, cn)]))[len("CN=") :]
