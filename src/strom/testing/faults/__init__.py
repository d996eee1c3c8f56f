"""Fault injection beyond kill -9 and the Jepsen-style history checker that judges a run.

`history` records what the clients saw (sends, acknowledgements, reads, commits, transaction outcomes, the
faults injected); `checker` reads a history and reports lost, duplicated, reordered and divergent records,
committed offsets going backwards and aborted data read under read_committed; `workload` drives clients that
record into a history; `artifacts` saves what a failing run needs for its post-mortem.
"""
