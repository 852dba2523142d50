"""moto extension: ECS deployments that advance, to COMPLETED or FAILED, by a rule the test sets.

moto keeps a service's first deployment forever and never changes its `rolloutState`. After
`install()`:

- `CreateService` gives a steady service: its one deployment is `COMPLETED`, running == desired.
- `UpdateService` with a task definition other than the running one adds a new `PRIMARY`
  deployment (`IN_PROGRESS`, running 0, pending == desired) and turns the others `ACTIVE`.
- `QUEST_MOTO_ROLLOUT_DELAY` seconds (default 1) after the update, the deployment changes
  state. The change happens lazily, at the first `DescribeServices` after that moment, but is
  stamped (`updatedAt`, and the service event) with the moment itself, so a client can measure
  how late it noticed. The new state depends on the images of the deployment's revision (and
  on the revision's ARN, which names its account, matched the same way):
  - an image containing a substring of `QUEST_MOTO_CRASHING_IMAGES` (comma separated):
    `FAILED` with the circuit breaker's reason, `failedTasks` == desired, and that many stopped
    tasks (`startedBy` = the deployment id) whose `stoppedReason` says the container exited;
  - an image containing a substring of `QUEST_MOTO_STUCK_IMAGES`: nothing, ever (`IN_PROGRESS`
    for good, for timeout tests);
  - otherwise `COMPLETED`: running == desired, the other deployments removed.
With `QUEST_MOTO_CIRCUIT_BREAKER_ROLLBACK=1`, a `FAILED` deployment is followed at once, as with
ECS's circuit breaker `rollback: true`, by a new PRIMARY deployment of the revision that ran
before (the failed one becomes `ACTIVE`); it advances like any other.
Each change adds a service event (newest first, as ECS lists them).
"""

import os
import threading
from datetime import timedelta

from moto.core.utils import utcnow
from moto.ecs import models
from moto.moto_api._internal import mock_random

_lock = threading.RLock()


def _markers(name):
    return [m for m in os.environ.get(name, "").split(",") if m]


def _delay():
    return timedelta(seconds=float(os.environ.get("QUEST_MOTO_ROLLOUT_DELAY", "1")))


def _event(service, message, at):
    service.events.insert(
        0, {"id": str(mock_random.uuid4()), "createdAt": at, "message": message}
    )


def _start(service, arn, at):
    """A new PRIMARY deployment of `arn`; the others become ACTIVE."""
    service.task_definition = arn
    for deployment in service.deployments:
        deployment["status"] = "ACTIVE"
    deployment_id = f"ecs-svc/{mock_random.randint(0, 32**12)}"
    service.deployments.insert(
        0,
        {
            "createdAt": at,
            "desiredCount": service.desired_count,
            "failedTasks": 0,
            "id": deployment_id,
            "launchType": service.launch_type,
            "pendingCount": service.desired_count,
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": f"ECS deployment {deployment_id} in progress.",
            "runningCount": 0,
            "platformVersion": service.platform_version,
            "networkConfiguration": service.network_configuration or None,
            "status": "PRIMARY",
            "taskDefinition": arn,
            "updatedAt": at,
        },
    )
    _event(
        service,
        f"(service {service.name}) has started {service.desired_count} tasks: deployment {deployment_id}.",
        at,
    )


def _outcome(backend, task_definition_arn):
    # The images, and the revision's ARN (which names its account: a test with several
    # accounts can make one account's revision crash while another runs the same image).
    images = [
        c.get("image", "")
        for c in backend.describe_task_definition(task_definition_arn).container_definitions
    ] + [task_definition_arn]
    if any(m in i for m in _markers("QUEST_MOTO_CRASHING_IMAGES") for i in images):
        return "FAILED"
    if any(m in i for m in _markers("QUEST_MOTO_STUCK_IMAGES") for i in images):
        return None
    return "COMPLETED"


def _stopped_task(backend, service, deployment):
    cluster = backend._get_cluster(service.cluster_name)
    task_definition = backend.describe_task_definition(deployment["taskDefinition"])
    task = models.Task(
        cluster,
        task_definition,
        None,
        None,
        backend,
        group=f"service:{service.name}",
        launch_type=service.launch_type or "",
        started_by=deployment["id"],
        networking_configuration=service.network_configuration or None,
    )
    task.last_status = "STOPPED"
    task.desired_status = "STOPPED"
    task.stopped_reason = "Essential container in task exited"
    for container in task.containers:
        container.last_status = "STOPPED"
        container.exitCode = 1
        # ECS reports a task container's cpu and memory as strings; moto copies the numbers.
        container.cpu = None if container.cpu is None else str(container.cpu)
        container.memory = None if container.memory is None else str(container.memory)
    backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task


def _advance(backend, service):
    primary = next((d for d in service.deployments if d["status"] == "PRIMARY"), None)
    if primary is None or primary["rolloutState"] != "IN_PROGRESS":
        return
    due = primary["createdAt"] + _delay()
    if utcnow() < due:
        return
    outcome = _outcome(backend, primary["taskDefinition"])
    if outcome is None:
        return
    desired = service.desired_count
    primary["rolloutState"] = outcome
    primary["updatedAt"] = due
    if outcome == "COMPLETED":
        primary["runningCount"] = desired
        primary["pendingCount"] = 0
        primary["rolloutStateReason"] = f"ECS deployment {primary['id']} completed."
        service.deployments = [primary]
        service.running_count = desired
        service.pending_count = 0
        _event(service, f"(service {service.name}) has reached a steady state.", due)
    else:
        primary["runningCount"] = 0
        primary["pendingCount"] = 0
        primary["failedTasks"] = desired
        primary["rolloutStateReason"] = (
            "ECS deployment circuit breaker: tasks failed to start."
        )
        for _ in range(desired):
            try:
                _stopped_task(backend, service, primary)
            except Exception as error:  # the stopped tasks are a detail; the state is not
                print(f"ecs_rollouts: no stopped task: {error}", flush=True)
        _event(
            service,
            f"(service {service.name}) deployment {primary['id']} deployment failed: tasks failed to start.",
            due,
        )
        previous = next((d for d in service.deployments if d["status"] == "ACTIVE"), None)
        if os.environ.get("QUEST_MOTO_CIRCUIT_BREAKER_ROLLBACK") == "1" and previous:
            # What ECS does with `deploymentCircuitBreaker.rollback`: it starts a deployment
            # of the last completed revision itself.
            _start(service, previous["taskDefinition"], due)


def install():
    """Patches moto's ECS backend as the module docstring says."""
    backend_class = models.EC2ContainerServiceBackend
    original_create = backend_class.create_service
    original_update = backend_class.update_service
    original_describe = backend_class.describe_services

    def create_service(self, *args, **kwargs):
        service = original_create(self, *args, **kwargs)
        with _lock:
            for deployment in service.deployments:
                deployment["rolloutState"] = "COMPLETED"
                deployment["runningCount"] = service.desired_count
                deployment["pendingCount"] = 0
                deployment["rolloutStateReason"] = (
                    f"ECS deployment {deployment['id']} completed."
                )
            service.running_count = service.desired_count
            service.pending_count = 0
        return service

    def update_service(self, service_properties):
        cluster = service_properties.get("cluster", "default")
        name = service_properties.get("service", "").split("/")[-1]
        wanted = service_properties.get("task_definition")
        with _lock:
            before = self._get_service(cluster, name)
            previous = before.task_definition
            service = original_update(self, service_properties)
            if not wanted or service.deployment_controller.get("type") != "ECS":
                return service
            arn = self.describe_task_definition(wanted).arn
            if arn == previous:
                service.task_definition = previous
                return service
            _start(service, arn, utcnow())
            return service

    def describe_services(self, cluster_str, service_names_or_arns):
        services, failures = original_describe(self, cluster_str, service_names_or_arns)
        with _lock:
            for service in services:
                _advance(self, service)
        return services, failures

    backend_class.create_service = create_service
    backend_class.update_service = update_service
    backend_class.describe_services = describe_services
