"""Docker HEALTHCHECK for a newsflow stage: GET /healthz on the port its setting names.

    python healthcheck.py ingest

Exit 0 when the stage answers 200, 1 otherwise (Docker's contract). The port is the stage's own setting
(NEWSFLOW_INGEST_PORT), else the stage registry's default.
"""

import os
import sys
import urllib.request

from newsflow.contract.stages import STAGES


def main(argv: list[str]) -> int:
    names = {s.name: s for s in STAGES}
    if len(argv) != 2 or argv[1] not in names:
        print(f"usage: healthcheck.py {{{'|'.join(names)}}}", file=sys.stderr)
        return 1
    entry = names[argv[1]]
    port = os.environ.get(entry.port_setting) or str(entry.port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=4) as resp:
            return 0 if resp.status == 200 else 1
    except OSError as exc:  # URLError and HTTPError are OSErrors
        print(f"/healthz on port {port}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
