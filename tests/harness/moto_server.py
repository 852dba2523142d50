"""Starts moto's server for the integration tests: `python moto_server.py <port>`.

This launcher is the one place where the tests extend moto; the product code talks to it as
to AWS, through AWS_ENDPOINT_URL, and knows nothing of it. Each extension is documented in
tests/harness/README.md.
"""

import sys

from moto.server import main


if __name__ == "__main__":
    port = sys.argv[1]
    sys.exit(main(["--host", "127.0.0.1", "--port", port]))
