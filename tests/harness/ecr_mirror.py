"""moto extension: moto's ECR holds what was pushed to the test registry.

moto's ECR has no registry to push to, so the tests push to a real registry on loopback
(`docker-registry`, through `image.registry`) and this module copies each pushed manifest into
moto's ECR with PutImage semantics: the exact manifest bytes, their media type, and the digest
the registry gave them. Lookups by tag and digest, and the scan gate, then see exactly what was
pushed.

It is on only when the test sets QUEST_TEST_REGISTRY (`host:port`) in moto's environment: a
background thread polls the registry's catalog every POLL_SECONDS and mirrors every tag whose
manifest is new or moved, into the repository of the same name, when that repository exists in
moto's ECR (region QUEST_TEST_REGION, default us-east-1; in whichever account holds it, so a
test with several accounts pushes into the one that owns the repository). See
tests/harness/README.md.
"""

import hashlib
import json
import os
import threading
import time
import urllib.request

POLL_SECONDS = 0.1

ACCEPT = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


def install():
    """Starts the mirror thread when QUEST_TEST_REGISTRY is set."""
    registry = os.environ.get("QUEST_TEST_REGISTRY")
    if not registry:
        return
    region = os.environ.get("QUEST_TEST_REGION", "us-east-1")
    thread = threading.Thread(
        target=_run, args=(registry, region), name="ecr-mirror", daemon=True
    )
    thread.start()


def _get(url, accept=None):
    request = urllib.request.Request(url)
    if accept:
        request.add_header("Accept", accept)
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read(), response.headers


def _run(registry, region):
    seen = {}  # (repository, tag) -> digest already mirrored
    base = f"http://{registry}/v2"
    while True:
        try:
            _mirror_once(base, region, seen)
        except Exception as error:  # the registry may be down (a test stops it): keep going
            print(f"ecr_mirror: {error!r}", flush=True)
        time.sleep(POLL_SECONDS)


def _owner(region, repository):
    """The ECR backend (of any account, in `region`) that holds `repository`, or None."""
    from moto.ecr.models import ecr_backends

    for account in list(ecr_backends.keys()):
        backend = ecr_backends[account].get(region)
        if backend is not None and repository in backend.repositories:
            return backend
    return None


def _mirror_once(base, region, seen):
    body, _ = _get(f"{base}/_catalog")
    for repository in json.loads(body).get("repositories") or []:
        backend = _owner(region, repository)
        if backend is None:
            continue
        body, _ = _get(f"{base}/{repository}/tags/list")
        for tag in json.loads(body).get("tags") or []:
            manifest, headers = _get(f"{base}/{repository}/manifests/{tag}", ACCEPT)
            digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
            if seen.get((repository, tag)) == digest:
                continue
            media_type = headers.get("Content-Type") or json.loads(manifest).get(
                "mediaType"
            )
            try:
                backend.put_image(
                    repository, manifest.decode("utf-8"), tag, media_type, digest
                )
            except Exception as error:  # already there (an immutable tag): keep what ECR has
                print(f"ecr_mirror: {repository}:{tag}: {error!r}", flush=True)
            seen[(repository, tag)] = digest
            print(f"ecr_mirror: {repository}:{tag} -> {digest}", flush=True)
