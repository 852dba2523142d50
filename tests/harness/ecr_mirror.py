"""moto extension: ECR holds what was pushed to the test registry. (Being built: issue #5.)"""


def install():
    """Nothing yet."""
