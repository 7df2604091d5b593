"""`python -m brief`."""

from brief.cli import main

if __name__ == "__main__":
    main()
