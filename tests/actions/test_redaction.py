"""No secret reaches what kubetui shows or records: a relaunch's batch request conf and
args (Spark's redaction rule), and a URL written with ``user:password@`` (the Kyuubi URL
in a call, an error naming the server, an outcome, the audit log)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from kubetui.actions.audit import record_action
from kubetui.actions.execute import FAILED, Outcome
from kubetui.actions.plans import (
    DELETE,
    KYUUBI_KILL_BATCH,
    KyuubiCall,
    Plan,
    Step,
    Target,
    without_userinfo,
)
from kubetui.actions.relaunch import REDACTED, SubmittedRequests, redact_conf, shown_request
from kubetui.model.batch_request import BatchRequest
from kubetui.sources.kyuubi import KyuubiConfig

SECRET = "s3nsitive-Value-42"

# Rewritten from apache/spark core/src/test/scala/org/apache/spark/util/UtilsSuite.scala,
# test "redact sensitive information" (master @ ba6e1ce1): (key, value, redacted?).
SPARK_CASES = [
    ("spark.executorEnv.HADOOP_CREDSTORE_PASSWORD", "sensitive_value", True),
    ("spark.hadoop.fs.s3a.access.key", "sensitive_value", True),
    ("spark.my.password", "sensitive_value", True),
    ("spark.my.sECreT", "sensitive_value", True),
    ("spark.regular.property", "regular_value", False),
    ("spark.hadoop.fs.s3a.access_key", "regular_value", False),
    ("spark.sensitive.property", "has_secret_in_value", True),
    # not in the suite: the pattern's other words
    ("spark.hadoop.fs.s3a.session.token", "t", True),
    ("spark.hadoop.fs.s3a.accesskey", "k", True),
]


@pytest.mark.parametrize(("key", "value", "redacted"), SPARK_CASES)
def test_conf_redaction_follows_spark(key: str, value: str, redacted: bool) -> None:
    assert redact_conf({key: value})[key] == (REDACTED if redacted else value)


def test_the_confs_own_redaction_regex_adds_to_the_default() -> None:
    conf = {"spark.redaction.regex": "(?i)dbpass", "spark.app.dbpass": "x", "spark.a.secret": "y"}
    shown = redact_conf(conf)
    assert shown["spark.app.dbpass"] == REDACTED and shown["spark.a.secret"] == REDACTED


# Rewritten from apache/kyuubi kyuubi-common/src/test/scala/org/apache/kyuubi/UtilsSuite.scala
# "redact sensitive information in command line args" (master @ cfbbeec4), as batch args.
ARGS_CASES = [
    (
        ("main", "kyuubi.my.password=12345", "kyuubi.regular.property1=regular_value"),
        ["main", f"kyuubi.my.password={REDACTED}", "kyuubi.regular.property1=regular_value"],
    ),
    (
        ("--db-password", SECRET, "--day", "2026-03-03"),
        ["--db-password", REDACTED, "--day", "2026-03-03"],
    ),
    (("--token=abc", "plain"), [f"--token={REDACTED}", "plain"]),
    (("jdbc://u:pw@db:5432/x",), ["jdbc://db:5432/x"]),
]


@pytest.mark.parametrize(("args", "shown"), ARGS_CASES)
def test_args_redaction(args: tuple[str, ...], shown: list[str]) -> None:
    request = BatchRequest(batch_type="SPARK", resource="r.jar", args=args)
    assert shown_request(request)["args"] == shown
    assert request.args == args  # what is sent stays whole


def test_shown_request_hides_secrets_but_the_request_keeps_them() -> None:
    request = BatchRequest(
        batch_type="SPARK",
        resource="s3a://AKIA:" + SECRET + "@jobs/app.jar",
        class_name="com.example.App",
        conf={"spark.hadoop.fs.s3a.secret.key": SECRET, "spark.executor.instances": "3"},
    )
    text = json.dumps(shown_request(request))
    assert SECRET not in text and "AKIA" not in text
    assert '"spark.executor.instances": "3"' in text and "s3a://jobs/app.jar" in text
    assert request.to_json()["conf"]["spark.hadoop.fs.s3a.secret.key"] == SECRET


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("http://ops:pw@h:10099/api/v1", "http://h:10099/api/v1"),
        ("Kyuubi at https://ops:p@ss@h:1: refused (a@b)", "Kyuubi at https://h:1: refused (a@b)"),
        ("http://h:1/x?mail=a@b", "http://h:1/x?mail=a@b"),
        ("no url here: user@host", "no url here: user@host"),
    ],
)
def test_without_userinfo(text: str, clean: str) -> None:
    assert without_userinfo(text) == clean


def test_audit_and_calls_drop_a_kyuubi_url_password(tmp_path: Path) -> None:
    url = f"http://ops:{SECRET}@kyuubi.example:10099"
    with pytest.raises(ValueError, match="must not hold credentials"):
        KyuubiConfig(url=url, user="ops")  # refused at the source, and cleaned below anyway
    kyuubi = SimpleNamespace(config=SimpleNamespace(url=url))
    driver = Target(namespace="etl", name="d", uid="u1")
    fallback = Step(action=DELETE, target=driver, reason="driver")
    step = Step(
        action=KYUUBI_KILL_BATCH,
        target=driver,
        reason="kill",
        kyuubi=KyuubiCall(method="DELETE", path="/batches/b1"),
        fallback=fallback,
    )
    assert SECRET not in step.api_call(url)
    plan = Plan(title="Kill", steps=(step,))
    outcome = Outcome(
        namespace="etl",
        name="d",
        uid="u1",
        action=KYUUBI_KILL_BATCH,
        status=FAILED,
        detail=f"Kyuubi failed: Kyuubi at {url}: connection refused",
    )
    kube = SimpleNamespace(context="c", server=f"https://admin:{SECRET}@api:6443", user="u")
    path = record_action(kube, "kill", plan, [outcome], tmp_path / "a.jsonl", kyuubi=kyuubi)  # type: ignore[arg-type]
    text = path.read_text()
    assert SECRET not in text
    record = json.loads(text)
    assert record["kyuubi"] == "http://kyuubi.example:10099"
    assert record["outcomes"][0]["detail"].startswith("Kyuubi failed: Kyuubi at http://kyuubi")


def test_submitted_requests_are_private(tmp_path: Path) -> None:
    store = SubmittedRequests(tmp_path / "s.jsonl")
    store.record("b1", BatchRequest(batch_type="SPARK", resource="r.jar"))
    assert store.path.stat().st_mode & 0o777 == 0o600
