"""strom.coordination"""
