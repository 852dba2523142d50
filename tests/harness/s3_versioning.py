"""moto extension: GetBucketVersioning answers with AWS's own document root.

moto 5.2.1 wraps the answer in `<GetBucketVersioningResponse>`; S3 (and its API model) answers
`<VersioningConfiguration>`. Lenient clients (boto3, the Terraform provider) read either; the
AWS SDK for Rust checks the root element and fails. This restores the documented shape and
nothing else.
"""

from xml.sax.saxutils import escape

from moto.s3.responses import S3Response


def _get_bucket_versioning(self):
    status = self.backend.get_bucket_versioning(self.bucket_name)
    inner = f"<Status>{escape(status)}</Status>" if status else ""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"{inner}</VersioningConfiguration>"
    )
    return 200, {"Content-Type": "application/xml"}, body


def install():
    S3Response.get_bucket_versioning = _get_bucket_versioning
