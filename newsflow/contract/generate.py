"""Write (or check) the JSON Schema files for every message model.

python -m newsflow.contract.generate          # regenerate newsflow/contract/json/
python -m newsflow.contract.generate --check  # exit 1 if a checked-in file is stale
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from newsflow.contract.api import DEFAULT_MAX_BATCH, DEFAULT_MAX_REQUEST_BYTES, openapi
from newsflow.contract.registry import REGISTRY

JSON_DIR = Path(__file__).parent / "json"


def render(info) -> str:
    schema = info.model.model_json_schema(mode="serialization")
    schema["$id"] = f"urn:{info.name}:{info.version}"
    schema["x-newsflow-schema"] = info.name
    schema["x-newsflow-version"] = info.version
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


OPENAPI_FILE = "ingest.openapi.json"


def render_openapi() -> str:
    """ingest's HTTP contract with the default limits and keys required (compose's settings): what
    ``/openapi.json`` serves there."""
    return json.dumps(openapi(DEFAULT_MAX_BATCH, DEFAULT_MAX_REQUEST_BYTES, True), indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    files = [(JSON_DIR / info.json_file, render(info)) for info in REGISTRY.values()]
    for path, text in [*files, (JSON_DIR / OPENAPI_FILE, render_openapi())]:
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            JSON_DIR.mkdir(exist_ok=True)
            path.write_text(text)
            print(f"wrote {path}")
    if stale:
        print("stale JSON Schema (run: python -m newsflow.contract.generate): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
