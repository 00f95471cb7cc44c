"""kubetui: a terminal dashboard for Kubernetes on-call operators running Spark/Kyuubi."""

__version__ = "0.1.0"
