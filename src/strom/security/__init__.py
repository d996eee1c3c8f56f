"""Security primitives shared by the broker and the client: who a peer is (principals), how it proves it
(TLS contexts, SASL mechanisms), and what it may do (ACL bindings and their matching).

Pure code over the standard library and `cryptography`: no sockets, no broker state. The broker's
authenticator, authorizer and quota manager (strom.broker) and the client's connection set-up
(strom.client, strom.transport) are built on it.
"""
