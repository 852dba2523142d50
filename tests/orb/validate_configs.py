#!/usr/bin/env python3
"""Validates the packed orb and the CircleCI and GitHub Actions configurations, offline.

- the packed orb, each usage example and each `.circleci/*.yml` against CircleCI's
  configuration JSON Schema (`../shared/schemas/circleci-config.schema.json`);
- `.circleci/config.yml` is a setup configuration, and each `.circleci/*.yml` equals a usage
  example of the orb ("taken from the example");
- every use of an orb job in the examples (and so in `.circleci`) names a job the orb has,
  passes only parameters it declares (with values its types allow) and every parameter it
  requires, and requires only jobs of its workflow; the orb's own jobs call its commands so too;
- jobs that deploy into an environment (`env:`, or promote's `to:`) run with a context and in
  that environment's one serial-group, and a promotion waits for an approval job;
- the CircleCI configurations in docs/circleci.md (its YAML blocks with `workflows`) equal the
  `.circleci` files and the usage examples, all of them;
- `action.yml` is a composite action whose run steps interpolate no `${{ }}` expression into
  shell text, whose outputs all have values, and whose pinned checksums equal the orb's;
- the docs/github-actions.md workflows pin every third-party action by commit SHA, read only
  outputs that the action and its jobs declare, and need only jobs they have; a job that runs
  `quest-changes deploy --env E` or `promote --to E` runs in the GitHub environment E and in E's
  one concurrency group (never cancelled midway), a promotion needs (at some remove) the
  deployment into its `--from` environment, and a job assuming an AWS role may write the
  id-token.

Prints `ok: ...` per check; each problem goes to stderr naming the file. Exit status 1 on any.

Usage: validate_configs.py REPO_ROOT SCHEMA PACKED_ORB
"""

import json
import re
import sys
from pathlib import Path

import jsonschema
import yaml

ORB_NAME = "acme/quest-changes@"
# Keys of a workflow's job entry that CircleCI itself reads, beside the job's parameters.
WORKFLOW_JOB_KEYS = {"name", "requires", "context", "filters", "matrix", "type", "pre-steps",
                     "post-steps", "serial-group", "override-with"}
# Orb jobs that change an environment, and the parameter naming that environment.
ENVIRONMENT_PARAMETER = {"deploy_service": "env", "apply_infra": "env", "promote": "to"}
ENV_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PINNED_USES = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
STEP_OUTPUT = re.compile(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)")
NEEDS_OUTPUT = re.compile(r"needs\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)")
QUEST_RUN = re.compile(r"quest-changes\s+(deploy|promote)\b([^\n]*)")
OPTION = r"--{}(?:\s+|=)([A-Za-z0-9_-]+)"


class Problems:
    def __init__(self):
        self.count = 0

    def error(self, where, message):
        self.count += 1
        print(f"{where}: {message}", file=sys.stderr)


def schema_errors(validator, data):
    for err in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        best = jsonschema.exceptions.best_match([err]) if err.context else err
        path = "/".join(str(p) for p in best.absolute_path) or "(top level)"
        yield f"at {path}: {best.message[:300]}"


def validate(validator, problems, where, data):
    errors = list(schema_errors(validator, data))
    for message in errors:
        problems.error(where, f"does not match the CircleCI schema {message}")
    if not errors:
        print(f"ok: {where} matches the CircleCI configuration schema")


def yaml_blocks(section):
    return [m.group(1) for m in re.finditer(r"^```ya?ml\n(.*?)^```", section, re.S | re.M)]


def parameter_errors(declared, given, orb, alias):
    """What is wrong with the parameters `given` to a component that declares `declared`."""
    declared = declared or {}
    for key in sorted(set(given) - set(declared)):
        yield f"passes `{key}`, which it does not declare"
    for key, spec in declared.items():
        if "default" not in spec and key not in given:
            yield f"does not pass `{key}`, which it requires"
    for key, value in given.items():
        spec = declared.get(key)
        if spec is None or (isinstance(value, str) and "<<" in value):
            continue
        kind = spec.get("type")
        if kind == "enum" and value not in spec.get("enum", []):
            yield f"passes `{key}: {value}`, not one of {spec.get('enum')}"
        elif kind == "boolean" and not isinstance(value, bool):
            yield f"passes `{key}: {value!r}`, not a boolean"
        elif kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
            yield f"passes `{key}: {value!r}`, not an integer"
        elif kind == "string" and not isinstance(value, str):
            yield f"passes `{key}: {value!r}`, not a string (quote it)"
        elif kind == "env_var_name" and not (isinstance(value, str) and ENV_VAR_NAME.match(value)):
            yield f"passes `{key}: {value!r}`, not a variable name"
        elif kind == "executor" and isinstance(value, str) and value.startswith(f"{alias}/"):
            if value.split("/", 1)[1] not in (orb.get("executors") or {}):
                yield f"passes `{key}: {value}`, an executor the orb does not have"


def orb_alias(config):
    for alias, ref in (config.get("orbs") or {}).items():
        if isinstance(ref, str) and ref.startswith(ORB_NAME):
            return alias
    return None


def workflow_jobs(workflow):
    """Yields (id, job name, settings) for each job entry of a workflow."""
    for entry in workflow.get("jobs") or []:
        name, settings = next(iter(entry.items())) if isinstance(entry, dict) else (entry, None)
        settings = settings or {}
        yield settings.get("name", name), name, settings


def waits_for_approval(job_id, jobs):
    seen, todo = set(), list(jobs[job_id][1].get("requires") or [])
    while todo:
        current = todo.pop()
        if current in seen or current not in jobs:
            continue
        seen.add(current)
        if jobs[current][1].get("type") == "approval":
            return True
        todo.extend(jobs[current][1].get("requires") or [])
    return False


def check_orb_usage(where, config, orb, problems):
    """The orb's jobs as `config` uses them; see the module docstring."""
    alias = orb_alias(config)
    if alias is None:
        return
    found = problems.count
    groups = {}  # serial-group -> environments it serializes
    env_groups = {}  # environment -> serial-groups of the jobs deploying into it
    for wf_name, workflow in (config.get("workflows") or {}).items():
        if not isinstance(workflow, dict):
            continue
        jobs = {job_id: (name, settings) for job_id, name, settings in workflow_jobs(workflow)}
        for job_id, (name, settings) in jobs.items():
            at = f"{where}: workflow {wf_name}, job {job_id}"
            for needed in settings.get("requires") or []:
                if needed not in jobs:
                    problems.error(at, f"requires `{needed}`, which is no job of the workflow")
            if not name.startswith(f"{alias}/"):
                continue
            orb_job = name.split("/", 1)[1]
            declared = (orb.get("jobs") or {}).get(orb_job)
            if declared is None:
                problems.error(at, f"the orb has no job `{orb_job}`")
                continue
            given = {k: v for k, v in settings.items() if k not in WORKFLOW_JOB_KEYS}
            for message in parameter_errors(declared.get("parameters"), given, orb, alias):
                problems.error(at, message)
            env = settings.get(ENVIRONMENT_PARAMETER.get(orb_job, ""))
            if not env:
                continue
            if not settings.get("context"):
                problems.error(at, f"deploys into `{env}` without a context (its OIDC role)")
            group = settings.get("serial-group")
            if not group:
                problems.error(at, f"deploys into `{env}` outside a serial-group")
            else:
                groups.setdefault(group, set()).add(env)
                env_groups.setdefault(env, set()).add(group)
            if orb_job == "promote" and not waits_for_approval(job_id, jobs):
                problems.error(at, f"promotes into `{env}` without waiting for an approval job")
    for group, envs in sorted(groups.items()):
        if len(envs) > 1:
            problems.error(where, f"the serial-group {group} serializes several environments: {sorted(envs)}")
    for env, names in sorted(env_groups.items()):
        if len(names) > 1:
            problems.error(where, f"deployments into `{env}` use several serial-groups, so they can overlap: {sorted(names)}")
    if problems.count == found:
        print(f"ok: {where} uses the orb's jobs with their declared parameters")


def check_orb_commands(orb, problems):
    """The orb's own jobs call its commands with the parameters those declare."""
    found = problems.count
    commands = orb.get("commands") or {}

    def steps_of(steps):
        for step in steps or []:
            if isinstance(step, dict):
                name, given = next(iter(step.items()))
                if name in ("when", "unless"):
                    yield from steps_of((given or {}).get("steps"))
                else:
                    yield name, given

    for job_name, job in (orb.get("jobs") or {}).items():
        for name, given in steps_of(job.get("steps")):
            if name in commands:
                for message in parameter_errors(commands[name].get("parameters"), given or {}, orb, None):
                    problems.error(f"orb job {job_name}, step {name}", message)
    if problems.count == found:
        print("ok: the orb's jobs call its commands with their declared parameters")


def check_circleci(root, validator, orb, problems):
    examples = {name: ex.get("usage") for name, ex in (orb.get("examples") or {}).items()}
    for name, usage in examples.items():
        validate(validator, problems, f"orb example {name} (usage)", usage)
        check_orb_usage(f"orb example {name}", usage, orb, problems)
    check_orb_commands(orb, problems)
    configs = {}
    for path in sorted((root / ".circleci").glob("*.y*ml")):
        rel = path.relative_to(root).as_posix()
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        configs[rel] = data
        validate(validator, problems, rel, data)
        twins = [n for n, usage in examples.items() if usage == data]
        if twins:
            print(f"ok: {rel} equals the orb example {twins[0]}")
        else:
            problems.error(rel, "equals no usage example of the orb: copy it from orb/src/examples")
    setup = configs.get(".circleci/config.yml")
    if setup is None:
        problems.error(".circleci/config.yml", "missing")
    elif setup.get("setup") is not True:
        problems.error(".circleci/config.yml", "must be a setup configuration (setup: true)")
    else:
        print("ok: .circleci/config.yml is a setup configuration")

    doc = root / "docs" / "circleci.md"
    section = doc.read_text(encoding="utf-8") if doc.is_file() else None
    if section is None:
        problems.error("docs/circleci.md", "is missing")
        return
    # Blocks with workflows are CircleCI configurations; others (a .quest-changes.yml) are not.
    blocks = [yaml.safe_load(block) for block in yaml_blocks(section)]
    shown = [data for data in blocks if isinstance(data, dict) and "workflows" in data]
    wanted = dict(configs)
    wanted.update({f"the orb example {name}": usage for name, usage in examples.items()})
    missing = [what for what, data in wanted.items() if data not in shown]
    strays = [i + 1 for i, data in enumerate(shown) if data not in wanted.values()]
    for what in missing:
        problems.error("docs/circleci.md", f'it does not show {what} as it is')
    for number in strays:
        problems.error("docs/circleci.md", f'configuration block {number} equals no .circleci file and no orb example')
    if not missing and not strays:
        print('ok: docs/circleci.md shows the .circleci configurations and the orb examples exactly')


def pinned_env(data):
    env = {}
    for step in data.get("runs", {}).get("steps", []) if "runs" in data else data.get("steps", []):
        if isinstance(step, dict) and isinstance(step.get("run"), dict):
            env.update(step["run"].get("environment") or {})
        elif isinstance(step, dict):
            env.update(step.get("env") or {})
    return {k: v for k, v in env.items() if k.startswith("QUEST_PINNED_")}


def check_action(root, orb, problems):
    path = root / "action.yml"
    if not path.is_file():
        problems.error("action.yml", "missing")
        return None
    action = yaml.safe_load(path.read_text(encoding="utf-8"))
    found = problems.count
    runs = action.get("runs") or {}
    if runs.get("using") != "composite":
        problems.error("action.yml", "runs.using must be composite")
    for key in ("name", "description"):
        if not action.get(key):
            problems.error("action.yml", f"has no {key}")
    for number, step in enumerate(runs.get("steps") or [], 1):
        if "run" in step:
            if "shell" not in step:
                problems.error("action.yml", f"step {number} runs a script without shell:")
            if "${{" in step["run"]:
                problems.error("action.yml", f"step {number} interpolates an expression into shell text: pass it through env:")
    for name, output in (action.get("outputs") or {}).items():
        if not (isinstance(output, dict) and output.get("value") and output.get("description")):
            problems.error("action.yml", f"output {name} needs a description and a value")
    install = orb["commands"]["install"]
    if pinned_env(action) != pinned_env(install):
        problems.error("action.yml", "its QUEST_PINNED_* checksums differ from orb/src/commands/install.yml: run scripts/release --pin-from <SHA256SUMS>")
    if problems.count == found:
        print("ok: action.yml is a composite action with safe run steps and the orb's pinned checksums")
    return action


def check_workflow(root, action, problems):
    doc = root / "docs" / "github-actions.md"
    section = doc.read_text(encoding="utf-8") if doc.is_file() else None
    if section is None:
        problems.error("docs/github-actions.md", "is missing")
        return
    blocks = [yaml.safe_load(b) for b in yaml_blocks(section)]
    workflows = [b for b in blocks if isinstance(b, dict) and "jobs" in b]
    if not workflows:
        problems.error("docs/github-actions.md", "shows no workflow")
        return
    found = problems.count
    action_outputs = set((action or {}).get("outputs") or {})
    for workflow in workflows:
        jobs = workflow["jobs"]
        for job_name, job in jobs.items():
            steps = {s["id"]: s for s in job.get("steps", []) if isinstance(s, dict) and "id" in s}
            for step in job.get("steps", []):
                uses = step.get("uses") if isinstance(step, dict) else None
                if uses and not uses.startswith(("./", "docker://")) and not PINNED_USES.match(uses):
                    problems.error("docs/github-actions.md", f"job {job_name}: `{uses}` is not pinned by a full commit SHA")
            text = json.dumps(job)
            for step_id, output in STEP_OUTPUT.findall(text):
                step = steps.get(step_id)
                if step is None:
                    problems.error("docs/github-actions.md", f"job {job_name} reads outputs of an unknown step {step_id}")
                elif step.get("uses") == "./" and output not in action_outputs:
                    problems.error("docs/github-actions.md", f"job {job_name} reads `{output}`, which action.yml does not declare")
            for needed, output in NEEDS_OUTPUT.findall(text):
                needs = job.get("needs") or []
                needs = [needs] if isinstance(needs, str) else needs
                if needed not in needs:
                    problems.error("docs/github-actions.md", f"job {job_name} reads needs.{needed} without needing it")
                elif output not in (jobs.get(needed, {}).get("outputs") or {}):
                    problems.error("docs/github-actions.md", f"job {job_name} reads needs.{needed}.outputs.{output}, which {needed} does not declare")
        check_environments(workflow, problems)
    if problems.count == found:
        print('ok: docs/github-actions.md workflows pin actions by SHA, read declared outputs and '
              'deploy into each environment in its GitHub environment and concurrency group')


def job_needs(job):
    needs = job.get("needs") or []
    return [needs] if isinstance(needs, str) else needs


def deployments(job):
    """(command, environment, source) for each `quest-changes deploy --env`/`promote` a job runs."""
    for step in job.get("steps") or []:
        for command, rest in QUEST_RUN.findall((step.get("run") or "") if isinstance(step, dict) else ""):
            env = re.search(OPTION.format("env" if command == "deploy" else "to"), rest)
            source = re.search(OPTION.format("from"), rest)
            if env:
                yield command, env.group(1), source.group(1) if source else None


def check_environments(workflow, problems):
    """The environment rules of the module docstring, for one workflow."""
    where = "docs/github-actions.md"
    jobs = workflow["jobs"]
    groups, env_groups, deploys_into = {}, {}, {}
    for name, job in jobs.items():
        for needed in job_needs(job):
            if needed not in jobs:
                problems.error(where, f"job {name} needs {needed}, which the workflow does not have")
        uses_aws = any(isinstance(s, dict) and "configure-aws-credentials" in (s.get("uses") or "")
                       for s in job.get("steps") or [])
        if uses_aws and (job.get("permissions") or {}).get("id-token") != "write":
            problems.error(where, f"job {name} assumes an AWS role without `permissions: id-token: write`")
        for _, env, _ in deployments(job):
            deploys_into.setdefault(name, set()).add(env)
            environment = job.get("environment")
            if isinstance(environment, dict):
                environment = environment.get("name")
            if environment != env:
                problems.error(where, f"job {name} deploys into `{env}` outside the GitHub environment {env} (environment: {environment})")
            concurrency = job.get("concurrency")
            group = concurrency.get("group") if isinstance(concurrency, dict) else concurrency
            if not group:
                problems.error(where, f"job {name} deploys into `{env}` without a concurrency group")
                continue
            if isinstance(concurrency, dict) and concurrency.get("cancel-in-progress") not in (None, False):
                problems.error(where, f"job {name} may be cancelled in the middle of a deployment (cancel-in-progress)")
            groups.setdefault(group, set()).add(env)
            env_groups.setdefault(env, set()).add(group)
    for name, job in jobs.items():
        for command, _, source in deployments(job):
            if command != "promote":
                continue
            seen, todo = set(), list(job_needs(job))
            while todo:
                current = todo.pop()
                if current in seen or current not in jobs:
                    continue
                seen.add(current)
                todo.extend(job_needs(jobs[current]))
            if not any(source in deploys_into.get(n, ()) for n in seen):
                problems.error(where, f"job {name} promotes from `{source}` without needing the job that deploys there")
    for group, envs in sorted(groups.items()):
        if len(envs) > 1:
            problems.error(where, f"the concurrency group {group} holds several environments: {sorted(envs)}")
    for env, names in sorted(env_groups.items()):
        if len(names) > 1:
            problems.error(where, f"deployments into `{env}` use several concurrency groups, so they can overlap: {sorted(names)}")


def main(argv):
    if len(argv) != 4:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    root, schema_path, packed = Path(argv[1]), Path(argv[2]), Path(argv[3])
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    problems = Problems()
    orb = yaml.safe_load(packed.read_text(encoding="utf-8"))
    validate(validator, problems, f"packed orb {packed.name}", orb)
    check_circleci(root, validator, orb, problems)
    action = check_action(root, orb, problems)
    check_workflow(root, action, problems)
    return 1 if problems.count else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
