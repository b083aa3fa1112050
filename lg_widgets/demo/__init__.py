"""Demo graphs served by the embedded server (`lg_widgets.serve()`), so everything works offline."""

from pathlib import Path

DEMO_CONFIG = Path(__file__).with_name("langgraph.json")

__all__ = ["DEMO_CONFIG"]
