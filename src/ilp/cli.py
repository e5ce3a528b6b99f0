"""The `ilp` console script: Django's manage.py, with hyphenated command names.

`ilp create-staff-token NAME` runs the `create_staff_token` management command.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ilp.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    argv[0] = "ilp"
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
