"""strom.broker"""
