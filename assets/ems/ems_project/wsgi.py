"""
WSGI config for ems_project project.

It exposes the WSGI callable as a module-level variable named ``application``.
Django's startproject writes this file; uWSGI loads it with
``wsgi-file = ems_project/wsgi.py`` (relative to ``chdir``).

webflow-lab: there is no Python in the lab. When an app server's wsgi-file
names a project's wsgi.py that exists, it runs the lab's EMS (written in Go)
in its place, configured from the instance's ``env = EMS_...`` lines. Move or
rename this file, or point chdir elsewhere, and the app server says
"failed to open python file", exactly as uWSGI does.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ems_project.settings")

application = get_wsgi_application()
