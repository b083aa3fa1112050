"""Errors raised by lg_widgets itself; problems of a run are reported on `Run.error` instead."""


class LgWidgetsError(Exception):
    """Base class for errors raised by lg_widgets."""


class MissingServerExtra(LgWidgetsError, ImportError):
    """The embedded server's packages are not installed."""


class ServerStartError(LgWidgetsError, RuntimeError):
    """The embedded server exited or did not answer while starting."""


class NoServerConfigured(LgWidgetsError, RuntimeError):
    """No client, URL, embedded server or LANGGRAPH_API_URL to talk to."""
