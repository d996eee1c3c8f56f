"""strom.protocol"""
