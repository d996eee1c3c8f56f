"""strom.broker.handlers"""
