"""Connections that speak Kafka's request/response protocol to a broker.

Below cluster/ and beside client/: the client, and the broker's inter-broker channels (replica fetcher,
controller channel, AlterPartition to the controller), use the same connection.
"""
