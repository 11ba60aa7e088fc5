import sys

from tagger.cli.main import main

sys.exit(main())
