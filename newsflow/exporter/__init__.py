"""Consumer lag as the broker sees it: the reader `newsflow lag` uses, and the Prometheus exporter built on it."""
