#!/usr/bin/env python3
"""orb-tools' review rules, offline, over an orb source tree, plus this project's orb rules.

Each rule prints `ok: RCxxx ...` when the orb passes it; each violation is printed to stderr as
`FILE:LINE: RULE: message`. Exit status 1 when any rule is violated.

  RC001  @orb.yml has display.source_url
  RC002  every command, job, executor and example has a description
  RC003  at least one usage example
  RC004  usage example file names are descriptive (no "example" in them)
  RC005  the orb description is at least 64 characters
  RC008  every run step is a map with a name
  RC009  a run command longer than 64 characters is included from src/scripts
  RC010  component file names and parameter keys are snake_case
  QC001  parameters reach scripts through `environment:`, never interpolated into shell text
  QC002  scripts start with `set -euo pipefail` and end with the ORB_TEST_ENV="bats-core" guard
  QC003  every script is included by a component and has a bats test in src/tests
  QC004  secrets (tokens, passwords, keys) are env_var_name parameters
  QC005  scripts contain no `<<` (CircleCI reads it as parameter syntax in included text)

Usage: review_rules.py SRC_DIR
"""

import re
import sys
from pathlib import Path

import yaml

MAX_COMMAND_LENGTH = 64
MIN_DESCRIPTION_LENGTH = 64
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
INCLUDE = re.compile(r"^<<include\(([^()]+)\)>>$")
INTERPOLATION = re.compile(r"<<\s*(parameters|pipeline)\.")
SECRET_NAME = re.compile(r"(token|secret|password|passwd|api_key|access_key|credential)")
GUARD = re.compile(
    r'ORB_TEST_ENV="bats-core"\n'
    r'if \[ "\$\{0#\*"\$ORB_TEST_ENV"\}" == "\$0" \]; then\n'
    r"\s+main \"\$@\"\n"
    r"fi\n*$"
)


class Review:
    """Collects violations per rule."""

    def __init__(self, src: Path):
        self.src = src
        self.violations = {}

    def report(self, rule, path, line, message):
        where = f"{path}:{line}" if line else f"{path}"
        self.violations.setdefault(rule, []).append(f"{where}: {rule}: {message}")

    def components(self, *kinds):
        for kind in kinds:
            folder = self.src / kind
            if folder.is_dir():
                yield from ((kind, p) for p in sorted(folder.glob("*.yml")))


def compose(path: Path):
    return yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)


def child(node, key):
    """The value node of `key` in a mapping node, or None."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


def line_of(node):
    return node.start_mark.line + 1


def run_steps(steps):
    """Yields every `run` value node in a steps list, inside when/unless blocks too."""
    if not isinstance(steps, yaml.SequenceNode):
        return
    for step in steps.value:
        if not isinstance(step, yaml.MappingNode):
            continue
        for key, value in step.value:
            if key.value == "run":
                yield value
            elif key.value in ("when", "unless"):
                yield from run_steps(child(value, "steps"))


def rc001(r: Review, orb):
    url = child(child(orb, "display"), "source_url")
    if url is None or not str(url.value).strip():
        r.report("RC001", r.src / "@orb.yml", None, "set display.source_url")


def rc002(r: Review):
    for _, path in r.components("commands", "jobs", "executors", "examples"):
        desc = child(compose(path), "description")
        if desc is None or not isinstance(desc, yaml.ScalarNode) or not desc.value.strip():
            r.report("RC002", path, 1, "the component has no description")


def rc003(r: Review):
    if not list(r.components("examples")):
        r.report("RC003", r.src / "examples", None, "add at least one usage example")


def rc004(r: Review):
    for _, path in r.components("examples"):
        if "example" in path.stem.lower():
            r.report("RC004", path, None, 'name usage examples by what they show, without "example"')


def rc005(r: Review, orb):
    desc = child(orb, "description")
    text = desc.value.strip() if isinstance(desc, yaml.ScalarNode) else ""
    if len(text) < MIN_DESCRIPTION_LENGTH:
        r.report("RC005", r.src / "@orb.yml", None,
                 f"the orb description has {len(text)} characters; write at least {MIN_DESCRIPTION_LENGTH}")


def rc008_rc009_qc001(r: Review):
    for _, path in r.components("commands", "jobs"):
        for run in run_steps(child(compose(path), "steps")):
            if isinstance(run, yaml.ScalarNode):
                r.report("RC008", path, line_of(run), "a run step in string form: make it a map with name and command")
                r.report("RC009", path, line_of(run), "a run step in string form: use command: <<include(scripts/x.sh)>>")
                if INTERPOLATION.search(run.value):
                    r.report("QC001", path, line_of(run),
                             "a parameter is interpolated into shell text: pass it through environment:")
                continue
            name = child(run, "name")
            if name is None or not str(name.value).strip():
                r.report("RC008", path, line_of(run), "the run step has no name")
            command = child(run, "command")
            text = command.value if isinstance(command, yaml.ScalarNode) else ""
            if INCLUDE.match(text.strip()):
                continue
            if len(text) > MAX_COMMAND_LENGTH:
                r.report("RC009", path, line_of(command),
                         f"a {len(text)}-character command: move it to src/scripts and include it")
            if INTERPOLATION.search(text):
                r.report("QC001", path, line_of(command),
                         "a parameter is interpolated into shell text: pass it through environment:")


def rc010_qc004(r: Review):
    for _, path in r.components("commands", "jobs", "executors", "examples"):
        if not SNAKE_CASE.match(path.stem):
            r.report("RC010", path, None, f"the file name `{path.name}` is not snake_case")
        params = child(compose(path), "parameters")
        if not isinstance(params, yaml.MappingNode):
            continue
        for key, value in params.value:
            if not SNAKE_CASE.match(key.value):
                r.report("RC010", path, line_of(key), f"the parameter key `{key.value}` is not snake_case")
            kind = child(value, "type")
            if SECRET_NAME.search(key.value) and (kind is None or kind.value != "env_var_name"):
                r.report("QC004", path, line_of(key),
                         f"`{key.value}` looks like a secret: make it an env_var_name parameter")


def scripts_rules(r: Review):
    scripts = sorted((r.src / "scripts").glob("*.sh"))
    included = set()
    for _, path in r.components("commands", "jobs"):
        for match in re.finditer(r"<<include\(([^()]+)\)>>", path.read_text(encoding="utf-8")):
            included.add((r.src / match.group(1)).resolve())
    for script in scripts:
        text = script.read_text(encoding="utf-8")
        if not re.search(r"^set -euo pipefail$", text, re.MULTILINE):
            r.report("QC002", script, None, "the script does not `set -euo pipefail`")
        if not GUARD.search(text):
            r.report("QC002", script, None, 'the script does not end with the ORB_TEST_ENV="bats-core" guard calling main')
        for number, line in enumerate(text.splitlines(), 1):
            if INTERPOLATION.search(line):
                r.report("QC001", script, number, "a parameter is interpolated into the script: read it from the environment")
            elif "<<" in line:
                r.report("QC005", script, number,
                         "`<<` in an included script is parameter syntax to CircleCI: use a pipe or < <(...) instead")
        if script.resolve() not in included:
            r.report("QC003", script, None, "no command or job includes this script")
        if not (r.src / "tests" / f"{script.stem}.bats").is_file():
            r.report("QC003", script, None, f"no bats test: add src/tests/{script.stem}.bats")


RULES = {
    "RC001": "display.source_url is set",
    "RC002": "every component has a description",
    "RC003": "the orb has a usage example",
    "RC004": "usage example names are descriptive",
    "RC005": "the orb description is detailed",
    "RC008": "every run step has a name",
    "RC009": "long run commands are included from src/scripts",
    "RC010": "file names and parameter keys are snake_case",
    "QC001": "parameters reach scripts through environment",
    "QC002": "scripts set -euo pipefail and end with the bats guard",
    "QC003": "every script is included and has a bats test",
    "QC004": "secrets are env_var_name parameters",
    "QC005": "scripts contain no << (CircleCI parameter syntax)",
}


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    src = Path(argv[1])
    r = Review(src)
    try:
        orb = compose(src / "@orb.yml")
        rc001(r, orb)
        rc005(r, orb)
        rc002(r)
        rc003(r)
        rc004(r)
        rc008_rc009_qc001(r)
        rc010_qc004(r)
        scripts_rules(r)
    except (OSError, yaml.YAMLError) as err:
        print(f"review: {err}", file=sys.stderr)
        return 1
    for rule, what in RULES.items():
        found = r.violations.get(rule, [])
        for violation in found:
            print(violation, file=sys.stderr)
        if not found:
            print(f"ok: {rule} {what}")
    return 1 if r.violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
