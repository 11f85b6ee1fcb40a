import sys

from mpox_adapter.cli.main import main

sys.exit(main())
