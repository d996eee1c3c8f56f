"""strom.client"""
