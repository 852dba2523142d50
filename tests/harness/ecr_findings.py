"""moto extension: scan findings published for an image replace the ones it had.

moto answers `DescribeImageScanFindings` from results a test sets through its API
(`POST /moto-api/static/ecr/scan-finding-results`), and keeps the first result an image was
given for good: a result set later for the same image is never seen. Real ECR is not so fixed:
enhanced scanning (Inspector) publishes new findings for an image already scanned, which is
what a promotion's second look at the scan gate must catch. This extension makes moto do the
same for a result that names the image by digest: when such a result is waiting, the image's
earlier answers are dropped and the new one is served from then on. Results that name no image
(the "next image asked about" form) behave as in moto. See tests/harness/README.md.
"""


def install():
    from moto.ecr.models import ECRBackend

    original = ECRBackend.describe_image_scan_findings

    def describe_image_scan_findings(self, registry_id, repository_name, image_id):
        digest = (image_id or {}).get("imageDigest")
        repository = self.repositories.get(repository_name)
        newer = digest and any(
            result.get("repositoryName") == repository_name
            and (result.get("imageId") or {}).get("imageDigest") == digest
            for result in self.scan_finding_results
        )
        if repository is not None and newer:
            for image in repository.images:
                if image.image_digest == digest:
                    image.scan_finding_results.clear()
                    image.scan_finding_results_queue.clear()
        return original(self, registry_id, repository_name, image_id)

    ECRBackend.describe_image_scan_findings = describe_image_scan_findings
