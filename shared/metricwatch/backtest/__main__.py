import sys

from metricwatch.backtest.cli import main

sys.exit(main())
