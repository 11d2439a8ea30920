"""``python -m xlgex`` is the same as the ``xlgex`` command."""

from .cli import main

raise SystemExit(main())
