"""Docker HEALTHCHECK for a newsflow service: GET /healthz on the port its setting names.

    python healthcheck.py NEWSFLOW_INGEST_PORT

Exit 0 when the service answers 200, 1 otherwise (Docker's contract). Standard library only.
"""

import os
import sys
import urllib.request

DEFAULT_PORTS = {"NEWSFLOW_INGEST_PORT": "8081", "NEWSFLOW_ENRICH_PORT": "8082", "NEWSFLOW_INDEX_PORT": "8083"}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in DEFAULT_PORTS:
        print(f"usage: healthcheck.py {{{'|'.join(DEFAULT_PORTS)}}}", file=sys.stderr)
        return 1
    port = os.environ.get(argv[1]) or DEFAULT_PORTS[argv[1]]
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=4) as resp:
            return 0 if resp.status == 200 else 1
    except OSError as exc:  # URLError and HTTPError are OSErrors
        print(f"/healthz on port {port}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
