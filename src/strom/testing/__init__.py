"""strom.testing"""
