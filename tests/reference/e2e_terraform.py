"""What tests/reference/e2e-terraform.sh asks of moto: seed an environment's account, then check
where the two roots put their resources.

Each environment has its own moto account. moto processes a request in the account of the role
whose AssumeRole credentials sign it (the role need not exist), so `account(id)` gives a boto3
session in that account, as the roots' `assume_role_arn` does for Terraform. Requests signed with
the plain test credentials land in moto's default account, 123456789012, which holds only the
state bucket.

This file creates only what operators create outside Terraform (a hosted zone, the SECRET_WORD
parameter) and reads everything else; a failed check exits non-zero with every failure listed.

  e2e_terraform.py seed ACCOUNT ZONE ENVIRONMENT      prints the new hosted zone's id
  e2e_terraform.py check --bucket B --domain D \\
      --env dev=ACCOUNT,STATE_KEY,OUTPUTS_JSON --env prod=ACCOUNT,STATE_KEY,OUTPUTS_JSON
"""

import argparse
import json
import sys
import time

import boto3

DEFAULT_ACCOUNT = "123456789012"
SECRET_VALUE = "e2e-secret"
PULL_ACTIONS = {"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}


def account(account_id):
    """A boto3 session whose requests moto processes in account_id."""
    if account_id == DEFAULT_ACCOUNT:
        return boto3.Session()
    credentials = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/ci", RoleSessionName="e2e-terraform"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def seed(account_id, zone, environment):
    session = account(account_id)
    created = session.client("route53").create_hosted_zone(Name=zone, CallerReference=f"e2e-{time.time()}")
    session.client("ssm").put_parameter(
        Name=f"/quest/{environment}/secret_word", Type="SecureString", Value=SECRET_VALUE, Overwrite=True
    )
    print(created["HostedZone"]["Id"].rsplit("/", 1)[-1])


def as_list(value):
    return value if isinstance(value, list) else [value]


class Checks:
    """Collects named checks; report() prints the passed ones and exits on any failure."""

    def __init__(self):
        self.passed, self.failed = [], []

    def that(self, name, ok, detail=""):
        (self.passed if ok else self.failed).append(f"{name}{': ' + detail if detail and not ok else ''}")

    def report(self):
        for name in self.passed:
            print(f"  ok: {name}")
        for name in self.failed:
            print(f"  FAILED: {name}", file=sys.stderr)
        if self.failed:
            sys.exit(f"e2e checks: {len(self.failed)} of {len(self.passed) + len(self.failed)} failed")
        print(f"e2e checks: all {len(self.passed)} passed")


def check_environment(checks, env, account_id, state_key, outputs, builder, bucket, domain):
    """One environment's outputs, state and resources, all in its own account."""
    name = f"quest-{env}"
    expected = {
        "account_id": account_id,
        "cluster_name": name,
        "service_name": "quest",
        "container_name": "quest",
        "ecr_repository_name": builder["ecr_repository_name"],
        "ecr_repository_url": builder["ecr_repository_url"],
        "ecr_repository_arn": builder["ecr_repository_arn"],
        "state_bucket": bucket,
        "state_key": state_key,
        "service_url": f"https://{domain if env == 'prod' else 'dev.' + domain}",
    }
    for key, value in expected.items():
        checks.that(f"{env}: output {key} = {value}", outputs.get(key) == value, f"got {outputs.get(key)!r}")
    checks.that(f"{env}: output alb_dns_name is set", bool(outputs.get("alb_dns_name")))

    # The state is in the shared bucket (default account), the lock released, no secret in it.
    s3 = boto3.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    checks.that(f"{env}: state object s3://{bucket}/{state_key} exists", state_key in keys, f"bucket holds {keys}")
    checks.that(f"{env}: lock file released", f"{state_key}.tflock" not in keys)
    if state_key in keys:
        state = s3.get_object(Bucket=bucket, Key=state_key)["Body"].read().decode()
        checks.that(f"{env}: the SECRET_WORD value is not in the state", SECRET_VALUE not in state)

    session = account(account_id)
    ecs = session.client("ecs")
    task = ecs.describe_task_definition(taskDefinition=f"{name}-quest")["taskDefinition"]
    container = task["containerDefinitions"][0]
    secrets = {s["name"]: s["valueFrom"] for s in container.get("secrets", [])}
    environment = {e["name"] for e in container.get("environment", [])}
    checks.that(f"{env}: task definition in account {account_id}", f":{account_id}:" in task["taskDefinitionArn"])
    checks.that(
        f"{env}: image comes from dev's repository",
        container["image"] == f"{builder['ecr_repository_url']}:initial",
        container["image"],
    )
    checks.that(f"{env}: root filesystem is read-only", container.get("readonlyRootFilesystem") is True)
    checks.that(
        f"{env}: SECRET_WORD comes from the parameter in its account",
        secrets.get("SECRET_WORD") == f"arn:aws:ssm:us-east-1:{account_id}:parameter/quest/{env}/secret_word",
        secrets.get("SECRET_WORD", "missing"),
    )
    checks.that(f"{env}: SECRET_WORD is not a plain variable", "SECRET_WORD" not in environment)
    checks.that(f"{env}: the secret value is not in the task definition", SECRET_VALUE not in json.dumps(task))
    service = ecs.describe_services(cluster=name, services=["quest"])["services"][0]
    checks.that(f"{env}: the service starts with 4 tasks", service["desiredCount"] == 4)

    # The execution role (the ECS agent's) may pull from dev's repository, wherever it is.
    iam = session.client("iam")
    execution = iam.get_role_policy(RoleName=f"{name}-quest-execution", PolicyName="pull-log-read-secret")
    statements = {s.get("Sid"): s for s in execution["PolicyDocument"]["Statement"]}
    pull = statements.get("PullOwnImage", {})
    checks.that(
        f"{env}: execution role may pull from dev's repository",
        as_list(pull.get("Resource")) == [builder["ecr_repository_arn"]]
        and PULL_ACTIONS <= set(as_list(pull.get("Action"))),
        json.dumps(pull),
    )

    # The CI role of this environment, in its account: only the builder pushes.
    deployer = iam.get_role_policy(
        RoleName=f"{name}-circleci-service-deployer", PolicyName=f"deploy-{name}-service"
    )["PolicyDocument"]
    actions = {a for s in deployer["Statement"] for a in as_list(s.get("Action"))}
    pushes = env == "dev"
    checks.that(f"{env}: ci_access service-deployer {'may' if pushes else 'may not'} push", ("ecr:PutImage" in actions) == pushes)

    # The environment's name points at its load balancer, in the zone of its account.
    route53 = session.client("route53")
    host = domain if env == "prod" else f"dev.{domain}"
    zones = route53.list_hosted_zones()["HostedZones"]
    records = [
        r
        for z in zones
        for r in route53.list_resource_record_sets(HostedZoneId=z["Id"])["ResourceRecordSets"]
        if r["Type"] == "A" and r["Name"].rstrip(".") == host
    ]
    checks.that(f"{env}: alias record {host} in account {account_id}", len(records) == 1, f"found {records}")


def check(args):
    checks = Checks()
    envs = {}
    for spec in args.env:
        env, values = spec.split("=", 1)
        account_id, state_key, outputs_path = values.split(",")
        with open(outputs_path) as f:
            outputs = {k: o["value"] for k, o in json.load(f).items()}
        envs[env] = (account_id, state_key, outputs)
    dev_account, prod_account = envs["dev"][0], envs["prod"][0]
    builder = envs["dev"][2]
    checks.that("dev and prod are in different accounts", dev_account != prod_account)
    checks.that(
        "dev's repository is in dev's account",
        builder.get("ecr_repository_arn") == f"arn:aws:ecr:us-east-1:{dev_account}:repository/quest-dev",
        builder.get("ecr_repository_arn"),
    )

    for env, (account_id, state_key, outputs) in envs.items():
        check_environment(checks, env, account_id, state_key, outputs, builder, args.bucket, args.domain)

    # One repository, in dev's account, whose policy lets prod's account pull.
    dev_ecr = account(dev_account).client("ecr")
    policy = json.loads(dev_ecr.get_repository_policy(repositoryName="quest-dev")["policyText"])
    pulling = [
        s
        for s in policy["Statement"]
        if s["Effect"] == "Allow"
        and f"arn:aws:iam::{prod_account}:root" in as_list(s["Principal"]["AWS"])
        and PULL_ACTIONS <= set(as_list(s["Action"]))
    ]
    checks.that(f"dev's repository policy lets prod's account {prod_account} pull", len(pulling) == 1, json.dumps(policy))
    pushing = [a for s in policy["Statement"] for a in as_list(s["Action"]) if a in ("ecr:PutImage", "ecr:*")]
    checks.that("dev's repository policy grants no push", not pushing, f"{pushing}")
    for label, account_id in (("prod's", prod_account), ("the default", DEFAULT_ACCOUNT)):
        repositories = account(account_id).client("ecr").describe_repositories()["repositories"]
        checks.that(f"no repository in {label} account", not repositories, f"{[r['repositoryArn'] for r in repositories]}")
    clusters = boto3.client("ecs").list_clusters()["clusterArns"]
    checks.that("nothing of the environments in the default account", not clusters, f"{clusters}")
    check_promotion_reader(checks, dev_account, prod_account, builder, envs["prod"][2], args.bucket, envs["dev"][1])
    checks.report()


def policy_document(document):
    """A policy document as boto3 returns it (decoded, or still a JSON string)."""
    return json.loads(document) if isinstance(document, str) else document


def check_promotion_reader(checks, dev_account, prod_account, builder, prod_outputs, bucket, dev_state_key):
    """prod's promote job reads dev with a role in dev's account that trusts prod's service-deployer."""
    reader_arn = f"arn:aws:iam::{dev_account}:role/quest-dev-promotion-reader"
    prod_deployer_arn = prod_outputs.get("service_deployer_role_arn")
    checks.that(f"dev: output promotion_reader_role_arn = {reader_arn}", builder.get("promotion_reader_role_arn") == reader_arn)
    checks.that("prod: output promotion_reader_role_arn is null", prod_outputs.get("promotion_reader_role_arn") is None)

    iam = account(dev_account).client("iam")
    role = iam.get_role(RoleName="quest-dev-promotion-reader")["Role"]
    checks.that("dev: the promotion-reader role is in dev's account", role["Arn"] == reader_arn, role["Arn"])
    trust = policy_document(role["AssumeRolePolicyDocument"])["Statement"]
    trusting = [
        s
        for s in trust
        if s["Effect"] == "Allow"
        and as_list(s["Action"]) == ["sts:AssumeRole"]
        and as_list(s["Principal"]["AWS"]) == [f"arn:aws:iam::{prod_account}:root"]
        and as_list(s.get("Condition", {}).get("ArnEquals", {}).get("aws:PrincipalArn")) == [prod_deployer_arn]
    ]
    checks.that(
        f"dev: the promotion-reader trusts exactly prod's service-deployer {prod_deployer_arn}",
        len(trusting) == 1 and len(trust) == 1,
        json.dumps(trust),
    )
    policy = policy_document(
        iam.get_role_policy(RoleName="quest-dev-promotion-reader", PolicyName="read-quest-dev-for-promotion")["PolicyDocument"]
    )
    granted = {(a, r) for s in policy["Statement"] if s["Effect"] == "Allow" for a in as_list(s["Action"]) for r in as_list(s["Resource"])}
    repository = builder["ecr_repository_arn"]
    ecs = account(dev_account).client("ecs")
    service = ecs.describe_services(cluster="quest-dev", services=["quest"])["services"][0]["serviceArn"]
    expected = {("ecs:DescribeServices", service), ("ecs:DescribeTaskDefinition", "*")} | {
        (f"ecr:{a}", repository)
        for a in ("BatchGetImage", "DescribeImageScanFindings", "DescribeImages", "PutImage", "StartImageScan")
    } | {("s3:GetObject", f"arn:aws:s3:::{bucket}/{dev_state_key}")}
    checks.that("dev: the promotion-reader may read dev's service, images and state and tag a digest, nothing else", granted == expected, f"{sorted(granted)}")

    prod_deployer = policy_document(
        account(prod_account).client("iam").get_role_policy(
            RoleName="quest-prod-circleci-service-deployer", PolicyName="deploy-quest-prod-service"
        )["PolicyDocument"]
    )
    assumable = {r for s in prod_deployer["Statement"] if "sts:AssumeRole" in as_list(s["Action"]) for r in as_list(s["Resource"])}
    checks.that("prod: the service-deployer may assume dev's promotion-reader, and no other role", assumable == {reader_arn}, f"{assumable}")
    dev_deployer = policy_document(
        iam.get_role_policy(RoleName="quest-dev-circleci-service-deployer", PolicyName="deploy-quest-dev-service")["PolicyDocument"]
    )
    checks.that(
        "dev: the service-deployer may assume no role",
        not any(a.startswith("sts:") for s in dev_deployer["Statement"] for a in as_list(s["Action"])),
    )
    prod_roles = [r["RoleName"] for r in account(prod_account).client("iam").list_roles()["Roles"]]
    checks.that("prod: no promotion-reader role in prod's account", "quest-prod-promotion-reader" not in prod_roles, f"{prod_roles}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    seeding = commands.add_parser("seed")
    seeding.add_argument("account")
    seeding.add_argument("zone")
    seeding.add_argument("environment")
    checking = commands.add_parser("check")
    checking.add_argument("--bucket", required=True)
    checking.add_argument("--domain", required=True)
    checking.add_argument("--env", action="append", required=True, help="NAME=ACCOUNT,STATE_KEY,OUTPUTS_JSON")
    args = parser.parse_args()
    if args.command == "seed":
        seed(args.account, args.zone, args.environment)
    else:
        check(args)


if __name__ == "__main__":
    main()
