"""``mtf.function`` and the control flow it replays (private; the public names are
exported by ``minitf/__init__.py``)."""
