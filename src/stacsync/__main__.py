"""``python -m stacsync``."""

from stacsync.cli import main

main()
