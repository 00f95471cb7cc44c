#!/usr/bin/env python3
"""Resolve (or reuse) the Spark submission client the Kyuubi e2e tests run.

Maven resolves ``org.apache.spark:spark-core_<scala>`` and ``spark-kubernetes_<scala>``
at the versions pinned in versions.env beside this file, with their runtime
dependencies, from Maven Central into ``~/.cache/kubetui/kyuubi/<versions>/spark/jars``
(``KUBETUI_KYUUBI_DIR`` sets the directory above ``spark``), beside a ``bin/spark-submit``
that runs ``org.apache.spark.deploy.SparkSubmit`` with java: the ``$SPARK_HOME`` layout
Kyuubi's SparkProcessBuilder runs (``$SPARK_HOME/bin/spark-submit``). A finished
resolution leaves a stamp, so a second run costs nothing; a missing java or mvn, or a
resolution Maven refuses, is one line on stderr and exit 1 (the full Maven output stays
in ``<dir>/build.log``).

The Kyuubi server is not resolved: its artifacts are not served by the Maven Central
reached here (see versions.env).

Only the standard library, so it runs before the project's venv exists (.ci/run).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import cached_build  # noqa: E402
from cached_build import BuildError  # noqa: E402

VERSIONS_FILE = HERE / "versions.env"
REQUIRED = ("SPARK_VERSION", "SCALA_BINARY_VERSION", "DEPENDENCY_PLUGIN_VERSION")

#: The JVM options Spark's launcher adds to every JVM it starts (the Java 17 module
#: opens; apache/spark v3.5.6 launcher/src/main/java/org/apache/spark/launcher/
#: JavaModuleOptions.java): read from that class in the resolved spark-launcher jar, so
#: the script runs exactly the resolved version's list.
MODULE_OPTION = re.compile(rb"-XX:\+\w+|--add-opens=[\w./]+=ALL-UNNAMED|-D[\w.]+=\w+")


SPARK_SUBMIT = """#!/usr/bin/env bash
# spark-submit for a jars-only SPARK_HOME (written by kubetui's scripts/kyuubi/build.py):
# what apache/spark v{spark} bin/spark-submit -> bin/spark-class end up running, the
# launcher's Java 17 module options included, without the launcher's second JVM.
set -euo pipefail
SPARK_HOME="$(cd "$(dirname "${{BASH_SOURCE[0]}}")/.." && pwd)"
export SPARK_HOME
JAVA="${{JAVA_HOME:+$JAVA_HOME/bin/}}java"
# SPARK_SUBMIT_OPTS is word-split on purpose, as spark-class does.
# shellcheck disable=SC2086
exec "$JAVA" {options} ${{SPARK_SUBMIT_OPTS:-}} \\
  -cp "$SPARK_HOME/conf:$SPARK_HOME/jars/*" org.apache.spark.deploy.SparkSubmit "$@"
"""

POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>kubetui.test</groupId>
  <artifactId>spark-submission-client</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <!-- Spark's own pins (jackson-core 2.15 and the rest), as its distribution is built with
       them: without them Maven's nearest-wins picks jackson-core 2.14 under databind 2.15 -->
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>org.apache.spark</groupId>
        <artifactId>spark-parent_{scala}</artifactId>
        <version>{spark}</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>org.apache.spark</groupId>
      <artifactId>spark-core_{scala}</artifactId>
      <version>{spark}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.spark</groupId>
      <artifactId>spark-kubernetes_{scala}</artifactId>
      <version>{spark}</version>
    </dependency>
  </dependencies>
</project>
"""


def read_versions(path: Path = VERSIONS_FILE) -> dict[str, str]:
    return cached_build.read_versions(path, REQUIRED, r"\d+\.\d+(\.\d+)?", "X.Y[.Z]")


def default_root(versions: dict[str, str]) -> Path:
    """The cache directory for exactly these versions ($KUBETUI_KYUUBI_DIR overrides)."""
    return cached_build.cache_root(
        "KUBETUI_KYUUBI_DIR",
        "kyuubi",
        "spark-{SPARK_VERSION}_scala-{SCALA_BINARY_VERSION}".format(**versions),
    )


def java_command() -> str | None:
    """The java the tests and spark-submit use: ``$JAVA_HOME/bin/java``, else PATH's."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


class Builder(cached_build.Progress):
    """Runs mvn with its output in one log; says what it does and how long it took."""

    def __init__(self, root: Path, versions: dict[str, str]) -> None:
        super().__init__("kyuubi")
        self.root = root
        self.versions = versions
        self.spark_home = root / "spark"
        self.log_path = root / "build.log"

    def mvn(self, args: list[str], cwd: Path) -> None:
        argv = ["mvn", "-B", "-ntp", *args]
        with self.log_path.open("a") as log:
            log.write(f"\n$ (cd {cwd}) {' '.join(argv)}\n")
            log.flush()
            done = subprocess.run(argv, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        if done.returncode != 0:
            raise BuildError(f"mvn failed: {self.last_error()} (full output: {self.log_path})")

    def last_error(self) -> str:
        """The most telling line of the log: Maven's first [ERROR] with a cause."""
        lines = [line.strip() for line in self.log_path.read_text(errors="replace").splitlines()]
        errors = [line for line in lines if line.startswith("[ERROR]") and len(line) > 8]
        for line in errors:
            if re.search(r"could not|not find|failed|refused|cannot|unknown|40\d", line, re.I):
                return line[:300]
        return (errors or [line for line in lines if line] or ["no output"])[-1][:300]

    def spark(self) -> None:
        """The jars into a fresh directory, then moved in place whole."""
        versions = self.versions
        source = self.root / "src" / "spark"
        source.mkdir(parents=True, exist_ok=True)
        (source / "pom.xml").write_text(
            POM.format(scala=versions["SCALA_BINARY_VERSION"], spark=versions["SPARK_VERSION"])
        )
        staging = self.root / "spark.partial"
        if staging.exists():
            shutil.rmtree(staging)
        plugin = (
            "org.apache.maven.plugins:maven-dependency-plugin:"
            + (versions["DEPENDENCY_PLUGIN_VERSION"])
        )
        self.mvn(
            [
                f"{plugin}:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={staging / 'jars'}",
            ],
            source,
        )
        launcher = next((staging / "jars").glob("spark-launcher_*.jar"), None)
        if launcher is None:
            raise BuildError("the resolved jars hold no spark-launcher jar")
        options = self.module_options(launcher)
        (staging / "conf").mkdir()
        (staging / "bin").mkdir()
        script = staging / "bin" / "spark-submit"
        script.write_text(
            SPARK_SUBMIT.format(spark=versions["SPARK_VERSION"], options=" ".join(options))
        )
        script.chmod(0o755)
        (staging / "RELEASE").write_text(f"Spark {versions['SPARK_VERSION']} (jars only)\n")
        if self.spark_home.exists():
            shutil.rmtree(self.spark_home)
        staging.rename(self.spark_home)

    def module_options(self, launcher: Path) -> list[str]:
        """The string constants of the launcher's JavaModuleOptions class, in order."""
        with zipfile.ZipFile(launcher) as jar:
            raw = jar.read("org/apache/spark/launcher/JavaModuleOptions.class")
        options = [match.decode() for match in MODULE_OPTION.findall(raw)]
        if "--add-opens=java.base/java.lang=ALL-UNNAMED" not in options:
            raise BuildError(f"{launcher.name}: JavaModuleOptions has no --add-opens list")
        return options


def build(root: Path, versions: dict[str, str], force: bool = False) -> Path:
    """Resolve whatever is missing; returns the SPARK_HOME."""
    stamp_path = root / "stamp.json"
    wanted = {"versions": versions}
    builder = Builder(root, versions)
    submit = builder.spark_home / "bin" / "spark-submit"
    cached = cached_build.stamped(stamp_path, wanted)
    if not force and cached and submit.is_file():
        builder.say(f"cached in {builder.spark_home}")
        return builder.spark_home
    if java_command() is None:
        raise BuildError("java is not on PATH (nor in JAVA_HOME): Spark's client runs on Java")
    if shutil.which("mvn") is None:
        raise BuildError("mvn is not on PATH: the jars are resolved from Maven Central by Maven")
    root.mkdir(parents=True, exist_ok=True)
    builder.log_path.write_text("")
    stamp_path.unlink(missing_ok=True)
    started = time.monotonic()
    builder.timed(
        f"spark-core + spark-kubernetes {versions['SPARK_VERSION']} "
        f"(Scala {versions['SCALA_BINARY_VERSION']}) from Maven Central",
        builder.spark,
    )
    stamp_path.write_text(json.dumps(wanted))
    jars = len(list((builder.spark_home / "jars").glob("*.jar")))
    builder.say(f"built in {time.monotonic() - started:.0f} s: {builder.spark_home} ({jars} jars)")
    return builder.spark_home


def main(argv: list[str] | None = None) -> int:
    return cached_build.run(
        "kyuubi",
        __doc__,
        read_versions,
        default_root,
        build,
        "resolve again even when cached",
        argv,
    )


if __name__ == "__main__":
    sys.exit(main())
