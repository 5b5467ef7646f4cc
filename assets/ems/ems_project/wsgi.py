"""
WSGI config for ems_project.

In the course's Django project this file exposes the WSGI callable as a
module-level variable named ``application``, and uWSGI loads it with

    chdir = /usr/local/django_projects/ems_project
    wsgi-file = ems_project/wsgi.py

In webflow-lab the app server sees `wsgi-file = .../wsgi.py` and loads the
lab's EMS (written in Go, servers/ems/web) in its place. The settings that
settings.py would hold come from the instance's ini instead:

    env = EMS_DATABASE=db.sqlite3      # DATABASES['default']['NAME']
    env = EMS_SESSIONS=memory          # or db: sessions shared by every instance
    env = EMS_MEDIA_ROOT=media         # MEDIA_ROOT (uploaded avatars)
    env = EMS_MEDIA_URL=/media/        # MEDIA_URL
    env = EMS_STATIC_ROOT=static       # STATIC_ROOT (webflow-lab collectstatic)
    env = EMS_STATIC_URL=/static/      # STATIC_URL
    env = EMS_INSTANCE=uwsgi-1         # the name in the page footer
    env = EMS_CAPTCHA=real             # or fixed:1234 for predictable checks
    env = EMS_SECRET_KEY=...           # default: generated once per database
    env = EMS_MAX_UPLOAD=2097152       # largest avatar, in bytes

Relative paths are relative to chdir.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ems_project.settings")

application = get_wsgi_application()
