from scheduler.cli import main
import sys
sys.exit(main())
