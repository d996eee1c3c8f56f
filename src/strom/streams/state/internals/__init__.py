"""Store implementations: the bytes stores and the metered, caching and change-logging layers over them."""
