"""strom.cluster"""
