"""Write (or check) the JSON Schema files for every message model.

python -m newsflow.contract.generate          # regenerate newsflow/contract/json/
python -m newsflow.contract.generate --check  # exit 1 if a checked-in file is stale
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from newsflow.contract.registry import REGISTRY

JSON_DIR = Path(__file__).parent / "json"


def render(info) -> str:
    schema = info.model.model_json_schema(mode="serialization")
    schema["$id"] = f"urn:{info.name}:{info.version}"
    schema["x-newsflow-schema"] = info.name
    schema["x-newsflow-version"] = info.version
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for info in REGISTRY.values():
        path = JSON_DIR / info.json_file
        text = render(info)
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
