"""moto extension: ECS deployments that advance. (Being built: issue #5.)"""


def install():
    """Patches moto's ECS backend; nothing yet."""
