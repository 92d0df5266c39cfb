"""Run the simulator: `python -m tools.simulator --help`."""

from .cli import main

raise SystemExit(main())
