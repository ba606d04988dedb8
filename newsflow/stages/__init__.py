"""The pipeline's stages, each a process of its own that talks to the others only through Kafka."""
