"""strom.cli"""
