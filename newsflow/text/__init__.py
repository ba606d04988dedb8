"""Text handling shared by ingest (refusing input with no article in it) and enrich (cleaning it)."""
