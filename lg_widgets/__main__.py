import sys

from lg_widgets.cli import main

sys.exit(main())
