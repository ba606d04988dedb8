"""Finding what an article is about: the recogniser (spaCy), entity merging, dates, and the enrichment that
puts them together, all pure; the worker-process pool that runs it beside an event loop."""
