"""Failures of the data sources as the operator sees them."""

from __future__ import annotations

from kubetui.model.store import ClusterState
from kubetui.ui.app import KubetuiApp
from kubetui.ui.header import Target
from kubetui.ui.messages import SourceUpdated


class NotAnUpdate:
    sync = None
    kind = "Pod"
    changes = ()
    snapshot = None


async def test_an_unknown_update_is_reported_and_not_applied() -> None:
    store = ClusterState()
    app = KubetuiApp([], Target(context="t", server="s"), store=store)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        version = store.version
        app.post_message(SourceUpdated(NotAnUpdate()))  # type: ignore[arg-type]
        await pilot.pause()
        notices = [str(n.message) for n in app._notifications]
        assert notices == [
            "a source posted an unknown update, NotAnUpdate (known: ChangeBatch, "
            "MetricsUpdate, ChurnUpdate, KyuubiUpdate); it was not applied"
        ]
        assert store.version == version and not store.pods and not store.sync
