"""The live view of a run: the wire contract (`wire`), the coalescing sync (`sync`), answers to
the front end's requests (`queries`), the anywidget (`widget.RunView`), and how a run displays
(`display`, registered on import)."""

from lg_widgets.view import display

display.register()
