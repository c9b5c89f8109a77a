"""Allow `python -m govtui`."""

from govtui.cli.main import main

raise SystemExit(main())
