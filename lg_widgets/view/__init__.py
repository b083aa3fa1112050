"""The live view of a run: the wire contract (`wire`), the coalescing sync (`sync`), answers to
the front end's requests (`queries`), the anywidget (`widget.RunView`), how a run displays
(`display`, registered on import; in marimo through `Run._display_`), and marimo's reactivity for
a run (`reactive.watch`)."""

from lg_widgets.view import display

display.register()
