"""One run: its read model (`model.Run`), its DataFrames (`frames`), what drives it live
(`task.RunTask`) and the registry of this process's runs."""

from lg_widgets.run.model import Run

__all__ = ["Run"]
