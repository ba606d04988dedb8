"""One shard of the raw-spaCy measurement, in its own module so spawned workers can import it."""

from __future__ import annotations

import time


def spacy_shard(args):
    model, components, texts, batch_size, start_at = args
    from newsflow.nlp.recognise import load

    nlp, _ = load(model, components)
    list(nlp.pipe(texts[:8]))  # warm
    while time.time() < start_at:  # every worker starts timing together, model loaded
        time.sleep(0.001)
    began = time.time()
    for _ in nlp.pipe(texts, batch_size=batch_size):
        pass
    return began, time.time()
