#!/usr/bin/env python3
"""Validates the packed orb and the CircleCI and GitHub Actions configurations, offline.

- the packed orb, each usage example and each `.circleci/*.yml` against CircleCI's
  configuration JSON Schema (`../shared/schemas/circleci-config.schema.json`);
- `.circleci/config.yml` is a setup configuration, and each `.circleci/*.yml` equals a usage
  example of the orb ("taken from the example");
- the YAML blocks of docs/circleci.md equal the `.circleci` files, all of them;
- `action.yml` is a composite action whose run steps interpolate no `${{ }}` expression into
  shell text, whose outputs all have values, and whose pinned checksums equal the orb's;
- the docs/github-actions.md workflow pins every third-party action by commit SHA and reads
  only outputs that the action and its jobs declare.

Prints `ok: ...` per check; each problem goes to stderr naming the file. Exit status 1 on any.

Usage: validate_configs.py REPO_ROOT SCHEMA PACKED_ORB
"""

import json
import re
import sys
from pathlib import Path

import jsonschema
import yaml

PINNED_USES = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
STEP_OUTPUT = re.compile(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)")
NEEDS_OUTPUT = re.compile(r"needs\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)")


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


def check_circleci(root, validator, orb, problems):
    examples = {name: ex.get("usage") for name, ex in (orb.get("examples") or {}).items()}
    for name, usage in examples.items():
        validate(validator, problems, f"orb example {name} (usage)", usage)
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
    shown = [yaml.safe_load(block) for block in yaml_blocks(section)]
    missing = [rel for rel, data in configs.items() if data not in shown]
    strays = [i + 1 for i, data in enumerate(shown) if data not in configs.values()]
    for rel in missing:
        problems.error("docs/circleci.md", f'it does not show {rel} as it is')
    for number in strays:
        problems.error("docs/circleci.md", f'YAML block {number} equals no .circleci file')
    if not missing and not strays:
        print('ok: docs/circleci.md shows the .circleci configurations exactly')


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
    if problems.count == found:
        print('ok: docs/github-actions.md workflow pins actions by SHA and reads declared outputs')


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
