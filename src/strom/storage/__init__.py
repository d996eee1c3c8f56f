"""strom.storage"""
