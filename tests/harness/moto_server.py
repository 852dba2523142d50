"""Starts moto's server for the integration tests: `python moto_server.py <port>`.

This launcher is the one place where the tests extend moto; the product code talks to it as
to AWS, through AWS_ENDPOINT_URL, and knows nothing of it. Each extension is its own module
here, installed before the server starts, and documented in tests/harness/README.md.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ecr_findings  # noqa: E402  (after the path change)
import ecr_mirror  # noqa: E402
import ecs_rollouts  # noqa: E402
import s3_versioning  # noqa: E402
from moto.server import main  # noqa: E402


if __name__ == "__main__":
    port = sys.argv[1]
    ecs_rollouts.install()
    ecr_mirror.install()
    ecr_findings.install()
    s3_versioning.install()
    sys.exit(main(["--host", "127.0.0.1", "--port", port]))
