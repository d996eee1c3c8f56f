"""The worker runtime: herders (standalone, distributed), the worker and its tasks, offset storage, error handling."""
