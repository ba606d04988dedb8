"""The local stacks `newsflow up` runs on one machine, and the tests start the same way.

- ``embedded``: noida-db, one binary from PyPI serving the Kafka protocol and the Elasticsearch API
  (and Tansu, a second Kafka implementation the tests check compatibility with);
- ``apache``: Apache Kafka and Elasticsearch themselves, assembled from their artifacts on Maven Central.
"""
