import sys

from musicmixer.cli import main

sys.exit(main())
