"""The domain core: records and pure rules over them.

Nothing here imports textual, rich or the kubernetes client, or does I/O; a test
(tests/test_import_hygiene.py) proves it.
"""
