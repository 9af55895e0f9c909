import importlib
import os

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "akrites.settings")
application = get_asgi_application()
# A production start without SECRET_KEY refuses here, before serving a request.
importlib.import_module(settings.SETTINGS_MODULE).require_secret_key()
