"""The system checks a long-running process other than the web server runs as it starts.

Django runs every check before a management command by default; the URL checks import every view, serializer and
schema of the web application (~1 s of CPU), which rungrpc, the publisher, the worker and the sampler never serve.
runserver and `make check` run them all.
"""

from django.core.checks import Tags

BACKGROUND_PROCESS_CHECKS = [Tags.models]
