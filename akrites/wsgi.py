import importlib
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "akrites.settings")
application = get_wsgi_application()
# A production start without SECRET_KEY refuses here, before serving a request.
importlib.import_module(settings.SETTINGS_MODULE).require_secret_key()
