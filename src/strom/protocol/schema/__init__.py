"""strom.protocol.schema"""
