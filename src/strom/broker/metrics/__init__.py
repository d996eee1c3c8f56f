"""The broker's metrics: counters on the request path, and a Prometheus endpoint that reads them under Kafka's
names (endpoint.py, imported only when `metrics.prometheus.listener` is set: it needs the `metrics` extra)."""
